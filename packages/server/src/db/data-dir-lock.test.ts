import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataDirInUseError, lockDataDir } from './data-dir-lock.ts'

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'pepay-lock-')), 'pgdata.lock')

/** The id of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
  return Number(child.stdout.toString())
}

describe('lockDataDir', () => {
  it('writes this process id and removes the file on release', () => {
    const path = lockPath()
    const lock = lockDataDir(path)
    assert.equal(readFileSync(path, 'utf8').trim(), String(process.pid))
    lock.release()
    assert.equal(existsSync(path), false)
  })

  it('refuses a second lock on the same directory from this process', () => {
    const path = lockPath()
    const lock = lockDataDir(path)
    try {
      assert.throws(() => lockDataDir(path), /in use by this process/)
    } finally {
      lock.release()
    }
    lockDataDir(path).release()
  })

  it('refuses while another running process holds it, naming that process and the file', () => {
    const path = lockPath()
    // the parent of this test process is alive for as long as the test runs
    writeFileSync(path, `${process.ppid}\n`)
    assert.throws(
      () => lockDataDir(path),
      (error: Error) => error instanceof DataDirInUseError && error.message.includes(`process ${process.ppid}`) && error.message.includes(path),
    )
    assert.equal(readFileSync(path, 'utf8').trim(), String(process.ppid), 'the holder keeps its lock')
  })

  const stale: [string, () => string][] = [
    ['a process that has exited', () => `${deadPid()}\n`],
    ['no process id at all', () => 'not a pid\n'],
    ['nothing', () => ''],
  ]
  for (const [label, content] of stale) {
    it(`takes over a lock file holding ${label}`, () => {
      const path = lockPath()
      writeFileSync(path, content())
      const lock = lockDataDir(path)
      assert.equal(readFileSync(path, 'utf8').trim(), String(process.pid))
      lock.release()
    })
  }

  it('does not remove a lock another process has taken since', () => {
    const path = lockPath()
    const lock = lockDataDir(path)
    writeFileSync(path, `${process.ppid}\n`)
    lock.release()
    assert.equal(readFileSync(path, 'utf8').trim(), String(process.ppid))
  })
})
