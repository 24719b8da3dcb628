import { monotonicMs } from '@pepay/core'
import { LatencyHistogram, type HistogramSnapshot } from './histogram.ts'

/**
 * One operation of a closed loop. `worker` is the loop's index (0..concurrency-1), `seq` a
 * process-wide counter; resolves true on success, false (or throws) on a failed operation.
 */
export type Operation = (worker: number, seq: number) => Promise<boolean>

export interface ClosedLoopOptions {
  concurrency: number
  /** Measured window. */
  durationMs: number
  /** Runs the same load first, unrecorded (JIT, connection set-up, caches). */
  warmupMs: number
  /** Hard cap on operations per loop, a second bound beside the clock. */
  maxOperationsPerWorker?: number
}

export interface ClosedLoopResult {
  concurrency: number
  /** Operations that completed successfully inside the measured window. */
  requests: number
  errors: number
  windowMs: number
  histogram: HistogramSnapshot
  firstError: string | null
}

/**
 * Runs `concurrency` loops, each issuing its next operation as soon as the previous one
 * completes (a closed loop: throughput is what the system sustains at that many requests in
 * flight). Operations completing in the measured window count; those still in flight when it
 * closes are awaited but not counted.
 */
export async function runClosedLoop(op: Operation, options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const histogram = new LatencyHistogram()
  const maxOps = options.maxOperationsPerWorker ?? 10_000_000
  const startMs = monotonicMs()
  const windowStartMs = startMs + options.warmupMs
  const windowEndMs = windowStartMs + options.durationMs
  let seq = 0
  let errors = 0
  let firstError: string | null = null

  const loop = async (worker: number) => {
    for (let i = 0; i < maxOps; i++) {
      const begin = monotonicMs()
      if (begin >= windowEndMs) return
      let ok = false
      try {
        ok = await op(worker, seq++)
      } catch (error) {
        firstError ??= error instanceof Error ? error.message : String(error)
      }
      const end = monotonicMs()
      if (end < windowStartMs || end > windowEndMs) continue
      if (ok) histogram.recordMs(end - begin)
      else errors += 1
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, (_, worker) => loop(worker)))
  return {
    concurrency: options.concurrency,
    requests: histogram.count,
    errors,
    windowMs: options.durationMs,
    histogram: histogram.snapshot(),
    firstError,
  }
}
