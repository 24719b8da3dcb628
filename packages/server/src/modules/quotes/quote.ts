import { AppError } from '@pepay/core'

/**
 * Quote arithmetic. Integers only: USD in millis (1/1000 dollar), tokens in base units, prices
 * as fixed-point `answer / 10^decimals` USD per whole token. Every division states its rounding.
 */

export type Rounding = 'ceil' | 'floor'

/** USD price of one whole token: `answer / 10^decimals`, e.g. { 3000_00000000n, 8 } = $3000. */
export interface FixedPointPrice {
  answer: bigint
  decimals: number
}

export const BPS_PER_UNIT = 10_000n
export const MILLIS_PER_USD = 1000n
// ERC-20 and SPL both store decimals in a u8.
const MAX_DECIMALS = 255
const MAX_BUFFER_BPS = 10_000

function assertDecimals(name: string, decimals: number): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new RangeError(
      `${name} must be an integer in [0, ${MAX_DECIMALS}], got ${String(decimals)}`,
    )
  }
}

function assertPrice(price: FixedPointPrice): void {
  assertDecimals('price decimals', price.decimals)
  if (typeof price.answer !== 'bigint' || price.answer <= 0n) {
    throw new RangeError(`price answer must be a positive bigint, got ${String(price.answer)}`)
  }
}

function assertNonNegative(name: string, value: bigint): void {
  if (typeof value !== 'bigint' || value < 0n) {
    throw new RangeError(`${name} must be a non-negative bigint, got ${String(value)}`)
  }
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent)
}

/** numerator / denominator for numerator >= 0, denominator > 0. */
function divide(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  const quotient = numerator / denominator
  return rounding === 'ceil' && quotient * denominator !== numerator ? quotient + 1n : quotient
}

/**
 * Token base units to charge for `usdMillis`, with `bufferBps` added on top (volatility cover for
 * non-stable tokens). Rounds up by default so an amount due never falls short of the USD price.
 */
export function usdMillisToTokenUnits(options: {
  usdMillis: bigint
  tokenDecimals: number
  priceUsd: FixedPointPrice
  bufferBps?: number
  rounding?: Rounding
}): bigint {
  const { usdMillis, tokenDecimals, priceUsd, bufferBps = 0, rounding = 'ceil' } = options
  assertNonNegative('usdMillis', usdMillis)
  assertDecimals('tokenDecimals', tokenDecimals)
  assertPrice(priceUsd)
  if (!Number.isInteger(bufferBps) || bufferBps < 0 || bufferBps > MAX_BUFFER_BPS) {
    throw new RangeError(
      `bufferBps must be an integer in [0, ${MAX_BUFFER_BPS}], got ${String(bufferBps)}`,
    )
  }
  // units = usd × (1 + buffer) × 10^tokenDecimals / price, with every factor kept integral.
  const numerator =
    usdMillis * (BPS_PER_UNIT + BigInt(bufferBps)) * pow10(tokenDecimals) * pow10(priceUsd.decimals)
  const denominator = MILLIS_PER_USD * BPS_PER_UNIT * priceUsd.answer
  return divide(numerator, denominator, rounding)
}

/**
 * USD value in millis of `amountUnits` received. Rounds down by default so a payment is never
 * credited with more than it is worth.
 */
export function tokenUnitsToUsdMillis(options: {
  amountUnits: bigint
  tokenDecimals: number
  priceUsd: FixedPointPrice
  rounding?: Rounding
}): bigint {
  const { amountUnits, tokenDecimals, priceUsd, rounding = 'floor' } = options
  assertNonNegative('amountUnits', amountUnits)
  assertDecimals('tokenDecimals', tokenDecimals)
  assertPrice(priceUsd)
  const numerator = amountUnits * priceUsd.answer * MILLIS_PER_USD
  const denominator = pow10(tokenDecimals) * pow10(priceUsd.decimals)
  return divide(numerator, denominator, rounding)
}

/** 1 token = 1 USD, expressed with the token's own decimals. */
export function stablecoinPrice(tokenDecimals: number): FixedPointPrice {
  assertDecimals('tokenDecimals', tokenDecimals)
  return { answer: pow10(tokenDecimals), decimals: tokenDecimals }
}

export type PegCheck =
  { ok: true; deviationBps: bigint } | { ok: false; reason: string; deviationBps: bigint }

/**
 * Depeg guard for stablecoins priced at par: fails when the observed price is more than
 * `maxDeviationBps` away from 1 USD. The comparison is exact; `deviationBps` is rounded up.
 */
export function checkPeg(options: {
  observed: FixedPointPrice
  maxDeviationBps: number
}): PegCheck {
  const { observed, maxDeviationBps } = options
  assertDecimals('observed decimals', observed.decimals)
  if (!Number.isInteger(maxDeviationBps) || maxDeviationBps < 0) {
    throw new RangeError(
      `maxDeviationBps must be a non-negative integer, got ${String(maxDeviationBps)}`,
    )
  }
  const one = pow10(observed.decimals)
  const distance = observed.answer > one ? observed.answer - one : one - observed.answer
  const deviationBps = divide(distance * BPS_PER_UNIT, one, 'ceil')
  if (observed.answer <= 0n) {
    const reason = `price ${formatUnits(observed.answer, observed.decimals)} USD is not positive`
    return { ok: false, reason, deviationBps }
  }
  if (distance * BPS_PER_UNIT > BigInt(maxDeviationBps) * one) {
    return {
      ok: false,
      reason: `price ${formatUnits(observed.answer, observed.decimals)} USD is ${deviationBps} bps from 1 USD, over the ${maxDeviationBps} bps limit`,
      deviationBps,
    }
  }
  return { ok: true, deviationBps }
}

export type AmountParseFailure =
  'empty' | 'sign' | 'exponent' | 'invalid-syntax' | 'too-many-decimals'

export class AmountParseError extends AppError {
  readonly reason: AmountParseFailure
  constructor(reason: AmountParseFailure, message: string) {
    super('INVALID_AMOUNT_FORMAT', message, { reason })
    this.name = 'AmountParseError'
    this.reason = reason
  }
}

// Plain decimal: no sign, no exponent, no leading zeros, digits on both sides of a point.
const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/

function parseDecimal(text: string, maxFractionDigits: number, what: string): [string, string] {
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
  if (text === '') throw new AmountParseError('empty', `${what} is empty`)
  if (text.startsWith('-') || text.startsWith('+')) {
    throw new AmountParseError('sign', `${what} ${shown} must be written without a sign`)
  }
  const match = DECIMAL_TEXT.exec(text)
  if (!match) {
    if (/^[0-9.]+[eE][-+]?[0-9]+$/.test(text)) {
      throw new AmountParseError('exponent', `${what} ${shown} must not use exponent notation`)
    }
    throw new AmountParseError('invalid-syntax', `${what} ${shown} is not a plain decimal number`)
  }
  const whole = match[1] ?? '0'
  const fraction = match[2] ?? ''
  if (fraction.length > maxFractionDigits) {
    throw new AmountParseError(
      'too-many-decimals',
      `${what} ${shown} has ${fraction.length} decimal places; at most ${maxFractionDigits} allowed`,
    )
  }
  return [whole, fraction]
}

/** Exact decimal text of a base-unit amount: 1500000n, 6 → "1.5"; no trailing zeros. */
export function formatUnits(amountUnits: bigint, decimals: number): string {
  assertDecimals('decimals', decimals)
  const negative = amountUnits < 0n
  const magnitude = negative ? -amountUnits : amountUnits
  const base = pow10(decimals)
  const whole = magnitude / base
  const fraction = (magnitude % base).toString().padStart(decimals, '0').replace(/0+$/, '')
  const text = fraction === '' ? whole.toString() : `${whole}.${fraction}`
  return negative ? `-${text}` : text
}

/** Exact base units of a decimal text amount: "1.5", 6 → 1500000n. */
export function parseUnits(text: string, decimals: number): bigint {
  assertDecimals('decimals', decimals)
  const [whole, fraction] = parseDecimal(text, decimals, 'amount')
  return BigInt(whole) * pow10(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}
