import { monotonicMs } from '@pepay/core'

/** Asked again this long after an endpoint was found serving another chain (a fixed URL, or a balancer that changed). */
export const MISMATCH_RECHECK_MS = 60_000

/**
 * Which chain an RPC endpoint serves, asked once and remembered (an EVM node's `eth_chainId`, a
 * Solana node's `getGenesisHash`). Every chain of a kind has the same addresses, so an endpoint
 * of another chain must not be read from.
 *
 * `check` resolves to nothing when the endpoint serves the right chain, or to the error that says
 * which one it serves instead; it throws when the endpoint could not be asked. It runs with the
 * arguments of the caller that needs the answer first (the client to ask it with). Concurrent callers
 * share one check. A match is kept; a mismatch is kept (and thrown to every caller) for
 * `recheckMs`, then asked again; an endpoint that could not be asked is asked by the next caller.
 */
export function rememberedEndpointCheck<A extends unknown[]>(
  check: (...args: A) => Promise<Error | undefined>,
  options: { recheckMs?: number; now?: () => number } = {},
): (...args: A) => Promise<void> {
  const recheckMs = options.recheckMs ?? MISMATCH_RECHECK_MS
  const now = options.now ?? monotonicMs
  let outcome: Promise<void> | undefined
  let mismatchAt: number | undefined
  return (...args) => {
    if (mismatchAt !== undefined && now() - mismatchAt >= recheckMs) {
      outcome = undefined
      mismatchAt = undefined
    }
    if (outcome) return outcome
    const attempt = check(...args).then((mismatch) => {
      if (!mismatch) return
      mismatchAt = now()
      throw mismatch
    })
    outcome = attempt
    attempt.catch(() => {
      if (mismatchAt === undefined && outcome === attempt) outcome = undefined
    })
    return attempt
  }
}
