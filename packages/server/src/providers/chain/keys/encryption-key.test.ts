import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { EncryptionKeyError, loadEncryptionKey, parseEncryptionKey } from './encryption-key.ts'

const HEX = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
const BYTES = Uint8Array.from(Buffer.from(HEX, 'hex'))
const BASE64 = Buffer.from(HEX, 'hex').toString('base64')

describe('parseEncryptionKey', () => {
  const accepted: Array<[string, string]> = [
    ['lowercase hex', HEX],
    ['uppercase hex', HEX.toUpperCase()],
    ['base64', BASE64],
    ['hex with a trailing newline', `${HEX}\n`],
  ]
  for (const [label, text] of accepted) {
    it(`accepts ${label}`, () => {
      assert.deepEqual(parseEncryptionKey(text), BYTES)
    })
  }

  const rejected: Array<[string, string]> = [
    ['63 hex chars', HEX.slice(1)],
    ['65 hex chars', `${HEX}0`],
    ['0x-prefixed hex', `0x${HEX}`],
    ['base64 of 31 bytes', Buffer.alloc(31, 1).toString('base64')],
    ['base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['base64 without padding', BASE64.replace(/=$/, '')],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url')],
    ['an all-zero key', '0'.repeat(64)],
    ['a passphrase', 'correct horse battery staple'],
    ['empty', ''],
  ]
  for (const [label, text] of rejected) {
    it(`rejects ${label}`, () => {
      assert.equal(parseEncryptionKey(text), undefined)
    })
  }
})

describe('loadEncryptionKey', () => {
  let root = ''
  let counter = 0
  const freshPath = () => join(root, `case-${++counter}`, 'master.key')

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pepay-key-'))
  })
  after(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('uses PEPAY_MASTER_KEY when set and never touches the key file', async () => {
    const keyFilePath = freshPath()
    for (const envValue of [HEX, BASE64]) {
      const loaded = await loadEncryptionKey({ envValue, keyFilePath })
      assert.deepEqual(loaded.key, BYTES)
      assert.equal(loaded.source, 'env')
    }
    await assert.rejects(stat(keyFilePath), { code: 'ENOENT' })
  })

  it('throws EncryptionKeyError for a malformed PEPAY_MASTER_KEY instead of falling back', async () => {
    const keyFilePath = freshPath()
    await assert.rejects(
      loadEncryptionKey({ envValue: 'not-a-key', keyFilePath }),
      (error: unknown) => {
        assert.ok(error instanceof EncryptionKeyError)
        assert.equal(error.reason, 'invalid-env-value')
        assert.ok(!error.message.includes('not-a-key'))
        return true
      },
    )
    await assert.rejects(stat(keyFilePath), { code: 'ENOENT' })
  })

  it('creates a 0600 key file with 32 random bytes in hex when none exists', async () => {
    const keyFilePath = freshPath()
    const loaded = await loadEncryptionKey({ keyFilePath })
    assert.equal(loaded.source, 'created')
    assert.equal(loaded.keyFilePath, keyFilePath)
    assert.equal(loaded.key.length, 32)
    const text = await readFile(keyFilePath, 'utf8')
    assert.match(text, /^[0-9a-f]{64}\n$/)
    assert.deepEqual(parseEncryptionKey(text), loaded.key)
    if (process.platform !== 'win32') assert.equal((await stat(keyFilePath)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(join(keyFilePath, '..')), ['master.key'])
  })

  it('treats an empty PEPAY_MASTER_KEY as unset', async () => {
    const loaded = await loadEncryptionKey({ envValue: '  ', keyFilePath: freshPath() })
    assert.equal(loaded.source, 'created')
  })

  it('reads the same key back from the file on the next start', async () => {
    const keyFilePath = freshPath()
    const created = await loadEncryptionKey({ keyFilePath })
    const reloaded = await loadEncryptionKey({ keyFilePath })
    assert.equal(reloaded.source, 'file')
    assert.deepEqual(reloaded.key, created.key)
  })

  it('gives every process the same key when several start at once', async () => {
    const keyFilePath = freshPath()
    const results = await Promise.all(
      Array.from({ length: 10 }, () => loadEncryptionKey({ keyFilePath })),
    )
    assert.equal(results.filter((r) => r.source === 'created').length, 1)
    for (const result of results) assert.deepEqual(result.key, results[0]?.key)
    assert.deepEqual(await readdir(join(keyFilePath, '..')), ['master.key'])
  })

  const insecureModes = [0o644, 0o640, 0o604, 0o620, 0o660, 0o666]
  for (const mode of insecureModes) {
    it(`refuses an existing key file with mode ${mode.toString(8)} and says to chmod 600`, async (t) => {
      if (process.platform === 'win32') return t.skip('no POSIX modes')
      const keyFilePath = freshPath()
      await mkdir(join(keyFilePath, '..'), { recursive: true })
      await writeFile(keyFilePath, `${HEX}\n`)
      await chmod(keyFilePath, mode)
      await assert.rejects(loadEncryptionKey({ keyFilePath }), (error: unknown) => {
        assert.ok(error instanceof EncryptionKeyError)
        assert.equal(error.reason, 'insecure-key-file')
        assert.match(error.message, /chmod 600/)
        return true
      })
    })
  }

  for (const mode of [0o600, 0o400]) {
    it(`accepts an existing key file with mode ${mode.toString(8)}`, async () => {
      const keyFilePath = freshPath()
      await mkdir(join(keyFilePath, '..'), { recursive: true })
      await writeFile(keyFilePath, `${BASE64}\n`)
      await chmod(keyFilePath, mode)
      const loaded = await loadEncryptionKey({ keyFilePath })
      assert.equal(loaded.source, 'file')
      assert.deepEqual(loaded.key, BYTES)
    })
  }

  it('refuses a key file with malformed content rather than replacing it', async () => {
    const keyFilePath = freshPath()
    await mkdir(join(keyFilePath, '..'), { recursive: true })
    await writeFile(keyFilePath, 'garbage\n', { mode: 0o600 })
    await assert.rejects(loadEncryptionKey({ keyFilePath }), (error: unknown) => {
      assert.ok(error instanceof EncryptionKeyError)
      assert.equal(error.reason, 'invalid-key-file')
      return true
    })
    assert.equal(await readFile(keyFilePath, 'utf8'), 'garbage\n')
  })

  it('refuses a key path that is a directory', async () => {
    const keyFilePath = freshPath()
    await mkdir(keyFilePath, { recursive: true, mode: 0o700 })
    await assert.rejects(loadEncryptionKey({ keyFilePath }), (error: unknown) => {
      assert.ok(error instanceof EncryptionKeyError)
      assert.equal(error.reason, 'not-a-regular-file')
      return true
    })
  })
})
