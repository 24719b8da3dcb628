import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { TEST_DB, apiClient, keyHeaders } from '../../helpers/server.ts'

const ROOT = resolve(import.meta.dirname, '../../../../..')

/** Starts the real entry point; resolves with its URL and demo merchant key once it prints them. */
function start(dataDir: string) {
  const child = spawn(process.execPath, ['packages/server/src/bin/pepay.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      PEPAY_DATA_DIR: dataDir,
      PEPAY_DEVNET: 'off',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stderr.on('data', (chunk: string) => {
    output += chunk
  })
  const ready = new Promise<{ url: string; key: string }>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no start banner within 90 s:\n${output}`))
    }, 90_000)
    child.stdout.on('data', (chunk: string) => {
      output += chunk
      const url = /Pepay is running at (\S+)/.exec(output)?.[1]
      const key = /Merchant API key:\s+(\S+)/.exec(output)?.[1]
      if (url && key && output.includes('Checkout URL:')) {
        clearTimeout(timer)
        resolveReady({ url, key })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${String(code)} before starting:\n${output}`))
    })
  })
  return { child, ready }
}

describe(
  'npm start',
  { skip: TEST_DB === 'postgres' && 'runs on its embedded database once' },
  () => {
    it('serves the printed demo key and exits 0 on SIGTERM', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pepay-start-'))
      const server = start(dataDir)
      try {
        const { url, key } = await server.ready
        const created = await apiClient(url, keyHeaders(key))('POST', '/api/v1/invoices', {
          headers: { 'idempotency-key': randomUUID() },
          body: { amount_usd: 12 },
        })
        assert.equal(created.status, 201)
        const exited = once(server.child, 'exit')
        server.child.kill('SIGTERM')
        const [code] = (await exited) as [number | null]
        assert.equal(code, 0)
      } finally {
        if (server.child.exitCode === null) server.child.kill('SIGKILL')
        rmSync(dataDir, { recursive: true, force: true })
      }
    })
  },
)
