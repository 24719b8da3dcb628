import http from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'
import { runClosedLoop } from './closed-loop.ts'
import type { HttpLoadSpec } from './http-load.ts'

const spec = workerData as HttpLoadSpec
const base = new URL(spec.baseUrl)
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency, maxFreeSockets: spec.concurrency })
const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body))
const baseHeaders: Record<string, string> = {
  ...spec.headers,
  ...(body && { 'content-type': 'application/json', 'content-length': String(body.length) }),
}
const timeoutMs = spec.timeoutMs ?? 10_000

function request(seq: number): Promise<boolean> {
  const path = spec.paths[seq % spec.paths.length] ?? '/'
  const headers = spec.idempotencyKeyPrefix ? { ...baseHeaders, 'idempotency-key': `${spec.idempotencyKeyPrefix}-${seq}` } : baseHeaders
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: base.hostname, port: base.port, method: spec.method, path, headers, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => {
          if (res.statusCode !== spec.expectStatus) chunks.push(chunk)
        })
        res.on('end', () => {
          if (res.statusCode === spec.expectStatus) resolve(true)
          else reject(new Error(`HTTP ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`))
        })
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

const result = await runClosedLoop((_worker, seq) => request(seq), {
  concurrency: spec.concurrency,
  durationMs: spec.durationMs,
  warmupMs: spec.warmupMs,
})
agent.destroy()
parentPort?.postMessage(result)
