import { assert, millisToUsdNumber, parseUsdToMillis } from '@pepay/core'
import { fieldError } from '../../../http/errors.ts'

/** Commerce amounts are whole cents held as usd_millis. */
export const MILLIS_PER_CENT = 10n

/**
 * A USD price from a JSON number, parsed exactly from its shortest decimal text (no float math):
 * at most two decimals, at least `minMillis`.
 */
export function parseUsdPrice(value: number | string, field: string, minMillis = 10n): bigint {
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'invalid') : value.trim()
  let millis: bigint
  try {
    millis = parseUsdToMillis(text, 2)
  } catch {
    throw fieldError(field, 'must be a USD amount with at most two decimals')
  }
  if (millis < minMillis) throw fieldError(field, `must be at least ${centsText(minMillis)}`)
  return millis
}

export function roundUpToCent(millis: bigint): bigint {
  const rest = millis % MILLIS_PER_CENT
  return rest === 0n ? millis : millis + (MILLIS_PER_CENT - rest)
}

/** Half-up to the cent (tax): 4.995 → 5.00, 4.994 → 4.99. */
export function roundHalfUpToCent(millis: bigint): bigint {
  return ((millis + 5n) / MILLIS_PER_CENT) * MILLIS_PER_CENT
}

/** `10000n` → `"10.00"`: the order snapshot's two-decimal strings. */
export function centsText(millis: bigint): string {
  assert(millis % MILLIS_PER_CENT === 0n, 'commerce amounts are whole cents')
  const negative = millis < 0n
  const abs = negative ? -millis : millis
  const cents = abs / MILLIS_PER_CENT
  const text = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`
  return negative ? `-${text}` : text
}

/** Millis as the contract's USD JSON number, built from the exact decimal text. */
export function usd(millis: bigint): number {
  return millisToUsdNumber(millis)
}
