import type { ClosedLoopResult } from './closed-loop.ts'
import { LatencyHistogram } from './histogram.ts'

/** What one closed-loop run is reported as. */
export interface Measurement {
  concurrency: number
  requests: number
  errors: number
  rps: number
  p50Ms: number
  p99Ms: number
  meanMs: number
  maxMs: number
  firstError?: string
}

/**
 * Combines slices of the same measurement taken at different times (interleaved rounds):
 * requests and windows add up, histograms merge.
 */
export function mergeResults(results: ClosedLoopResult[]): ClosedLoopResult {
  const first = results[0]
  if (!first) throw new Error('mergeResults needs at least one result')
  const histogram = new LatencyHistogram()
  for (const r of results) histogram.merge(r.histogram)
  return {
    concurrency: first.concurrency,
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
    windowMs: results.reduce((n, r) => n + r.windowMs, 0),
    histogram: histogram.snapshot(),
    firstError: results.find((r) => r.firstError !== null)?.firstError ?? null,
  }
}

export function summarize(result: ClosedLoopResult): Measurement {
  const histogram = new LatencyHistogram()
  histogram.merge(result.histogram)
  const latency = histogram.summary()
  return {
    concurrency: result.concurrency,
    requests: result.requests,
    errors: result.errors,
    rps: Math.round((result.requests / result.windowMs) * 1000 * 10) / 10,
    p50Ms: latency.p50Ms,
    p99Ms: latency.p99Ms,
    meanMs: latency.meanMs,
    maxMs: latency.maxMs,
    ...(result.firstError !== null && { firstError: result.firstError }),
  }
}

/** The nearest-rank `p`th percentile of ascending `sorted` (0 when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, index)] ?? 0
}

/** The median of `values` (any order), the two middle ones averaged and rounded for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2)
}

/** a / b rounded to 3 decimals; 0 when b is 0. */
export function ratio(a: number, b: number): number {
  return b === 0 ? 0 : Math.round((a / b) * 1000) / 1000
}

/** A positive integer from the environment, or the default. */
export function envInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`)
  return Number(raw)
}
