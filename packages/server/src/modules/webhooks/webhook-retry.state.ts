/** Deliveries are retried for this long from the start of their retry window, then given up. */
export const RETRY_WINDOW_MS = 3 * 24 * 3600 * 1000
/** An endpoint failing without a single success for this long is disabled. */
export const DISABLE_AFTER_MS = 3 * 24 * 3600 * 1000
const BASE_DELAY_MS = 15_000
const MAX_DELAY_MS = 6 * 3600 * 1000

export type RetryPlan = { kind: 'retry'; at: Date; delayMs: number } | { kind: 'give_up' }

/**
 * The retry schedule after failed attempt number `attempt` (1-based): exponential from 15 s,
 * doubling, capped at 6 h, with ±20 % jitter so that endpoints recovering from an outage are not
 * hit by every delivery at once. No retry is scheduled past the 3-day window; `random` is in [0, 1).
 */
export function planRetry(input: {
  attempt: number
  windowStartedAt: Date
  now: Date
  random: number
}): RetryPlan {
  const exponent = Math.min(Math.max(input.attempt - 1, 0), 30)
  const base = Math.min(BASE_DELAY_MS * 2 ** exponent, MAX_DELAY_MS)
  const jitter = 0.8 + 0.4 * Math.min(Math.max(input.random, 0), 0.999_999)
  const delayMs = Math.round(base * jitter)
  const at = input.now.getTime() + delayMs
  if (at > input.windowStartedAt.getTime() + RETRY_WINDOW_MS) return { kind: 'give_up' }
  return { kind: 'retry', at: new Date(at), delayMs }
}

/** Whether an endpoint that has been failing since `failingSince` is to be disabled now. */
export function shouldDisable(failingSince: Date | null, now: Date): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= DISABLE_AFTER_MS
}
