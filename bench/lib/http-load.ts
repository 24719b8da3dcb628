import { Worker } from 'node:worker_threads'
import type { ClosedLoopResult } from './closed-loop.ts'

export interface HttpLoadSpec {
  /** Base URL, e.g. http://127.0.0.1:3000 */
  baseUrl: string
  method: 'GET' | 'POST'
  /** Paths taken round-robin (one path for a fixed route, many ids for a lookup). */
  paths: string[]
  headers?: Record<string, string>
  /** JSON body, serialised once. */
  body?: unknown
  /** Sends a unique `Idempotency-Key` per request: `<prefix>-<seq>`. */
  idempotencyKeyPrefix?: string
  expectStatus: number
  concurrency: number
  durationMs: number
  warmupMs: number
  /** Per-request timeout; a request past it counts as an error. */
  timeoutMs?: number
}

/**
 * Runs a closed-loop HTTP load from a worker thread, so the client's CPU is not taken from
 * the server's event loop (the server under test runs in the calling thread). Keep-alive
 * sockets, one per concurrent loop.
 */
export async function runHttpLoad(spec: HttpLoadSpec): Promise<ClosedLoopResult> {
  const worker = new Worker(new URL('./http-load.worker.ts', import.meta.url), { workerData: spec })
  // the worker stops by itself after warm-up + duration; this bounds a wedged one
  const deadlineMs = spec.warmupMs + spec.durationMs + (spec.timeoutMs ?? 10_000) + 30_000
  return await new Promise<ClosedLoopResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate()
      reject(new Error(`HTTP load worker did not finish within ${deadlineMs} ms`))
    }, deadlineMs)
    worker.once('message', (result: ClosedLoopResult) => {
      clearTimeout(timer)
      resolve(result)
    })
    worker.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    worker.once('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`HTTP load worker exited with code ${code}`))
    })
  })
}
