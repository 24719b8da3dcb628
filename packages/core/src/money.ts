import { AppError, assert } from './errors.ts'

/** USD amounts in thousandths of a dollar (the contract's `usd_millis`). */
export type UsdMillis = bigint & { readonly __unit: 'usd_millis' }
/** Token amounts in the token's base units (decimals carried beside them). */
export type TokenUnits = bigint & { readonly __unit: 'token_units' }

export const usdMillis = (value: bigint): UsdMillis => value as UsdMillis
export const tokenUnits = (value: bigint): TokenUnits => value as TokenUnits

const DECIMAL_TEXT = /^(0|[1-9]\d*)(?:\.(\d+))?$/

/**
 * Parses a decimal USD amount exactly into millis. The text is the JSON number as the client
 * wrote it, so no binary float ever touches the value. At most `maxFractionDigits` decimals.
 */
export function parseUsdToMillis(text: string, maxFractionDigits = 2): UsdMillis {
  const match = DECIMAL_TEXT.exec(text)
  if (!match) throw new AppError('INVALID_AMOUNT_FORMAT', `"${text}" is not a plain decimal amount`)
  const whole = match[1] ?? '0'
  const fraction = match[2] ?? ''
  if (fraction.length > maxFractionDigits) {
    throw new AppError(
      'INVALID_AMOUNT_FORMAT',
      `amount has more than ${maxFractionDigits} decimal places`,
    )
  }
  return usdMillis(BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, '0')))
}

/** `129900n` → `"129.900"`: always three decimals, as the contract's `*_decimal` fields. */
export function formatUsdMillis(value: bigint): string {
  const negative = value < 0n
  const abs = negative ? -value : value
  const text = `${abs / 1000n}.${(abs % 1000n).toString().padStart(3, '0')}`
  return negative ? `-${text}` : text
}

/** Millis as a JSON number: only where the contract says integer, and only when safe. */
export function millisToJson(value: bigint): number {
  assert(
    value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER),
    'usd_millis beyond 2^53',
  )
  return Number(value)
}

/**
 * Millis as a float USD number for the legacy/payor fields that the contract types as dollars
 * (`amount_usd`). Built from the exact decimal text, so the number is the nearest double to it.
 */
export function millisToUsdNumber(value: bigint): number {
  return Number(formatUsdMillis(value))
}
