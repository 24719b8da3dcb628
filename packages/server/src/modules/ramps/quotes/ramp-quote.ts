import { stablecoinPrice, tokenUnitsToUsdMillis, usdMillisToTokenUnits, type Rounding } from '../../quotes/quote.ts'
import { KYC_LIMITS, type KycLevel } from '../countries/country.ts'

/**
 * Ramp quote arithmetic: integers only. Tokens are stablecoins priced at par (1 token = 1 USD);
 * fiat is in ISO 4217 minor units; rates are `answer / 10^decimals` units of fiat per USD. Every
 * division names its rounding, always against the platform's counterparty being overpaid.
 */
export interface QuoteInput {
  direction: 'off_ramp' | 'on_ramp'
  fixedBy: 'source' | 'destination'
  /** Source or destination amount: token base units or fiat minor units, depending on direction. */
  amount: bigint
  tokenDecimals: number
  currencyExponent: number
  rate: { answer: bigint; decimals: number }
  feeBps: bigint
  feeFixedMinor: bigint
}

export interface QuoteAmounts {
  tokenUnits: bigint
  /** Fiat before fees. Off-ramp: the value of the tokens; on-ramp: what the customer sends. */
  grossFiatMinor: bigint
  feeFiatMinor: bigint
  /** Fiat after fees. Off-ramp: what the bank account receives; on-ramp: what buys the tokens. */
  netFiatMinor: bigint
  usdMillis: bigint
}

const BPS = 10_000n

function divide(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  const q = numerator / denominator
  return rounding === 'ceil' && q * denominator !== numerator ? q + 1n : q
}

export function usdMillisToFiatMinor(usdMillis: bigint, rate: QuoteInput['rate'], exponent: number, rounding: Rounding): bigint {
  return divide(usdMillis * rate.answer * 10n ** BigInt(exponent), 1000n * 10n ** BigInt(rate.decimals), rounding)
}

export function fiatMinorToUsdMillis(fiatMinor: bigint, rate: QuoteInput['rate'], exponent: number, rounding: Rounding): bigint {
  return divide(fiatMinor * 1000n * 10n ** BigInt(rate.decimals), rate.answer * 10n ** BigInt(exponent), rounding)
}

/** Fee on a gross amount: basis points rounded up, plus the fixed part. */
export function feeOf(grossMinor: bigint, feeBps: bigint, feeFixedMinor: bigint): bigint {
  return divide(grossMinor * feeBps, BPS, 'ceil') + feeFixedMinor
}

/** The smallest gross amount whose net after fees reaches `netMinor`. */
export function grossForNet(netMinor: bigint, feeBps: bigint, feeFixedMinor: bigint): bigint {
  let gross = divide((netMinor + feeFixedMinor) * BPS, BPS - feeBps, 'ceil')
  // the ceiling in feeOf can leave the estimate a unit short; three steps always suffice
  for (let i = 0; i < 3 && gross - feeOf(gross, feeBps, feeFixedMinor) < netMinor; i += 1) gross += 1n
  while (gross > 1n && gross - 1n - feeOf(gross - 1n, feeBps, feeFixedMinor) >= netMinor) gross -= 1n
  return gross
}

/** Amounts of a quote; a result with a non-positive net or token amount is refused by the caller. */
export function computeQuote(input: QuoteInput): QuoteAmounts {
  const price = stablecoinPrice(input.tokenDecimals)
  const { rate, currencyExponent: exp, feeBps, feeFixedMinor } = input
  if (input.direction === 'off_ramp') {
    if (input.fixedBy === 'source') {
      const tokenUnits = input.amount
      const usdMillis = tokenUnitsToUsdMillis({ amountUnits: tokenUnits, tokenDecimals: input.tokenDecimals, priceUsd: price, rounding: 'floor' })
      const gross = usdMillisToFiatMinor(usdMillis, rate, exp, 'floor')
      const fee = feeOf(gross, feeBps, feeFixedMinor)
      return { tokenUnits, grossFiatMinor: gross, feeFiatMinor: fee, netFiatMinor: gross - fee, usdMillis }
    }
    const net = input.amount
    const gross = grossForNet(net, feeBps, feeFixedMinor)
    const usdMillis = fiatMinorToUsdMillis(gross, rate, exp, 'ceil')
    const tokenUnits = usdMillisToTokenUnits({ usdMillis, tokenDecimals: input.tokenDecimals, priceUsd: price, rounding: 'ceil' })
    return { tokenUnits, grossFiatMinor: gross, feeFiatMinor: gross - net, netFiatMinor: net, usdMillis }
  }
  if (input.fixedBy === 'source') {
    const gross = input.amount
    const fee = feeOf(gross, feeBps, feeFixedMinor)
    const net = gross - fee
    const usdMillis = net > 0n ? fiatMinorToUsdMillis(net, rate, exp, 'floor') : 0n
    const tokenUnits = usdMillisToTokenUnits({ usdMillis, tokenDecimals: input.tokenDecimals, priceUsd: price, rounding: 'floor' })
    return { tokenUnits, grossFiatMinor: gross, feeFiatMinor: fee, netFiatMinor: net, usdMillis }
  }
  const tokenUnits = input.amount
  const usdMillis = tokenUnitsToUsdMillis({ amountUnits: tokenUnits, tokenDecimals: input.tokenDecimals, priceUsd: price, rounding: 'ceil' })
  const netNeeded = usdMillisToFiatMinor(usdMillis, rate, exp, 'ceil')
  const gross = grossForNet(netNeeded, feeBps, feeFixedMinor)
  const fee = feeOf(gross, feeBps, feeFixedMinor)
  return { tokenUnits, grossFiatMinor: gross, feeFiatMinor: fee, netFiatMinor: gross - fee, usdMillis }
}

export type LimitCheck =
  | { ok: true }
  | { ok: false; window: 'daily' | 'monthly'; limitUsdMillis: bigint; usedUsdMillis: bigint }

/** Whether `amountUsdMillis` more fits under the level's rolling 24-hour and 30-day limits. */
export function checkLimits(level: KycLevel, used: { dayUsdMillis: bigint; monthUsdMillis: bigint }, amountUsdMillis: bigint): LimitCheck {
  const limits = KYC_LIMITS[level]
  if (used.dayUsdMillis + amountUsdMillis > limits.dailyUsdMillis) {
    return { ok: false, window: 'daily', limitUsdMillis: limits.dailyUsdMillis, usedUsdMillis: used.dayUsdMillis }
  }
  if (used.monthUsdMillis + amountUsdMillis > limits.monthlyUsdMillis) {
    return { ok: false, window: 'monthly', limitUsdMillis: limits.monthlyUsdMillis, usedUsdMillis: used.monthUsdMillis }
  }
  return { ok: true }
}
