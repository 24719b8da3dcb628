import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  DISABLE_AFTER_MS,
  planRetry,
  RETRY_WINDOW_MS,
  shouldDisable,
} from './webhook-retry.state.ts'

const start = new Date(Date.UTC(2026, 0, 1))
const minutes = (n: number) => n * 60_000

describe('planRetry', () => {
  const table: [number, number, number][] = [
    // attempt, random, expected delay ms
    [1, 0.5, 15_000],
    [2, 0.5, 30_000],
    [3, 0.5, 60_000],
    [6, 0.5, minutes(8)],
    [11, 0.5, 15_360_000],
    [12, 0.5, 6 * 3600_000],
    [40, 0.5, 6 * 3600_000],
    [1, 0, 12_000],
    [1, 0.999_999, 18_000],
    [0, 0.5, 15_000],
  ]
  for (const [attempt, random, delay] of table) {
    it(`waits ${delay} ms after attempt ${attempt} with jitter draw ${random}`, () => {
      const plan = planRetry({ attempt, windowStartedAt: start, now: start, random })
      assert.equal(plan.kind, 'retry')
      assert.equal(plan.kind === 'retry' && plan.delayMs, delay)
      assert.equal(plan.kind === 'retry' && plan.at.getTime(), start.getTime() + delay)
    })
  }

  it('keeps every delay within ±20 % of the base', () => {
    for (let attempt = 1; attempt <= 15; attempt += 1) {
      const low = planRetry({ attempt, windowStartedAt: start, now: start, random: 0 })
      const high = planRetry({ attempt, windowStartedAt: start, now: start, random: 0.999_999 })
      assert.ok(low.kind === 'retry' && high.kind === 'retry')
      assert.ok(high.delayMs / low.delayMs <= 1.5 + 1e-9)
    }
  })

  it('gives up when the next attempt would fall past the 3-day window', () => {
    const now = new Date(start.getTime() + RETRY_WINDOW_MS - 1000)
    assert.deepEqual(planRetry({ attempt: 20, windowStartedAt: start, now, random: 0.5 }), {
      kind: 'give_up',
    })
  })

  it('still retries inside the window', () => {
    const now = new Date(start.getTime() + RETRY_WINDOW_MS - 7 * 3600_000)
    assert.equal(planRetry({ attempt: 20, windowStartedAt: start, now, random: 0.5 }).kind, 'retry')
  })

  it('spans about three days in about twenty attempts when every attempt fails', () => {
    let now = start
    let attempts = 0
    for (let attempt = 1; attempt < 100; attempt += 1) {
      const plan = planRetry({ attempt, windowStartedAt: start, now, random: 0.5 })
      attempts = attempt
      if (plan.kind === 'give_up') break
      now = plan.at
    }
    assert.ok(attempts >= 18 && attempts <= 25, `attempts ${attempts}`)
    assert.ok(now.getTime() - start.getTime() > RETRY_WINDOW_MS - 7 * 3600_000)
  })
})

describe('shouldDisable', () => {
  const cases: [string, Date | null, number, boolean][] = [
    ['a healthy endpoint', null, DISABLE_AFTER_MS * 2, false],
    ['an endpoint failing for a day', start, 86_400_000, false],
    ['an endpoint failing for just under three days', start, DISABLE_AFTER_MS - 1, false],
    ['an endpoint failing for three days', start, DISABLE_AFTER_MS, true],
  ]
  for (const [label, since, elapsed, expected] of cases) {
    it(`${expected ? 'disables' : 'keeps'} ${label}`, () => {
      assert.equal(shouldDisable(since, new Date(start.getTime() + elapsed)), expected)
    })
  }
})
