import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LatencyHistogram } from './histogram.ts'
import { runClosedLoop } from './closed-loop.ts'
import { median, mergeResults, percentile, summarize } from './measurement.ts'

describe('LatencyHistogram', () => {
  it('keeps values below 128 µs exact', () => {
    const h = new LatencyHistogram()
    for (let us = 0; us < 128; us++) h.recordMs(us / 1000)
    assert.equal(h.percentileMs(50), 0.063)
    assert.equal(h.percentileMs(100), 0.127)
  })

  const spans: [string, number][] = [
    ['a millisecond', 1],
    ['fifty milliseconds', 50],
    ['three seconds', 3_000],
    ['ten minutes', 600_000],
  ]
  for (const [label, ms] of spans) {
    it(`reports ${label} within 1 % and never below the recorded value`, () => {
      const h = new LatencyHistogram()
      h.recordMs(ms)
      const reported = h.percentileMs(99)
      assert.ok(reported >= ms, `${reported} < ${ms}`)
      assert.ok(reported <= ms * 1.01, `${reported} > ${ms} + 1 %`)
    })
  }

  it('ranks percentiles over a uniform spread', () => {
    const h = new LatencyHistogram()
    for (let i = 1; i <= 1000; i++) h.recordMs(i / 10)
    assert.ok(Math.abs(h.percentileMs(50) - 50) <= 0.5)
    assert.ok(Math.abs(h.percentileMs(99) - 99) <= 1)
    assert.equal(h.summary().count, 1000)
    assert.equal(h.summary().maxMs, 100)
  })

  it('merges snapshots as if every value had been recorded in one histogram', () => {
    const a = new LatencyHistogram()
    const b = new LatencyHistogram()
    const both = new LatencyHistogram()
    for (let i = 0; i < 500; i++) {
      a.recordMs(i * 0.01)
      b.recordMs(10 + i)
      both.recordMs(i * 0.01)
      both.recordMs(10 + i)
    }
    const merged = new LatencyHistogram()
    merged.merge(a.snapshot())
    merged.merge(b.snapshot())
    assert.deepEqual(merged.summary(), both.summary())
  })

  it('clamps negative and absurd values instead of throwing', () => {
    const h = new LatencyHistogram()
    h.recordMs(-5)
    h.recordMs(1e12)
    assert.equal(h.count, 2)
    assert.equal(h.summary().minMs, 0)
  })
})

describe('runClosedLoop', () => {
  it('keeps exactly `concurrency` operations in flight and counts failures apart', async () => {
    let inFlight = 0
    let peak = 0
    const result = await runClosedLoop(async (_worker, seq) => {
      inFlight += 1
      peak = Math.max(peak, inFlight)
      await new Promise<void>((resolve) => setImmediate(resolve))
      inFlight -= 1
      if (seq % 10 === 0) throw new Error('every tenth fails')
      return true
    }, { concurrency: 4, durationMs: 150, warmupMs: 20 })
    assert.equal(peak, 4)
    assert.ok(result.requests > 0)
    assert.ok(result.errors > 0)
    assert.equal(result.firstError, 'every tenth fails')
    const m = summarize(result)
    assert.equal(m.rps, Math.round((result.requests / 150) * 1000 * 10) / 10)
  })

  it('stops issuing at the per-worker cap even when time remains', async () => {
    let calls = 0
    const result = await runClosedLoop(async () => {
      calls += 1
      return true
    }, { concurrency: 2, durationMs: 60_000, warmupMs: 0, maxOperationsPerWorker: 5 })
    assert.equal(calls, 10)
    assert.equal(result.requests, 10)
  })

  it('merges interleaved slices by adding requests and windows', async () => {
    const op = async () => true
    const slices = [
      await runClosedLoop(op, { concurrency: 1, durationMs: 30, warmupMs: 0, maxOperationsPerWorker: 7 }),
      await runClosedLoop(op, { concurrency: 1, durationMs: 30, warmupMs: 0, maxOperationsPerWorker: 3 }),
    ]
    const merged = mergeResults(slices)
    assert.equal(merged.requests, 10)
    assert.equal(merged.windowMs, 60)
  })
})

describe('percentile and median', () => {
  it('takes the nearest rank of an ascending list, 0 for none', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert.equal(percentile(sorted, 50), 5)
    assert.equal(percentile(sorted, 99), 10)
    assert.equal(percentile(sorted, 100), 10)
    assert.equal(percentile(sorted, 0), 1)
    assert.equal(percentile([], 50), 0)
  })

  it('takes the middle value, or the rounded mean of the two middle ones, in any order', () => {
    assert.equal(median([30, 10, 20]), 20)
    assert.equal(median([40, 10, 30, 21]), 26)
    assert.equal(median([]), 0)
  })
})
