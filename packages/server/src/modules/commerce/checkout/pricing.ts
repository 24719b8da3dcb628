import { roundHalfUpToCent, roundUpToCent } from '../shared/money.ts'
import { taxRatePpm } from './us-address.ts'

/**
 * Commerce pricing, integers only (usd_millis, whole cents). Pure: the same function prices cart
 * totals, estimates and the order, so the numbers never disagree.
 *
 * Fee structure: a fixed $1.00 per order plus 2.5% of the item subtotal, rounded up to the cent.
 * Shipping: each line pays its offer's shipping once (one parcel per line; Prime lines ship free).
 * Tax: state sales tax on the item subtotal only, half-up to the cent.
 */
export const FEE_FIXED_USD_MILLIS = 1_000n
export const FEE_PERCENT_BPS = 250n
export const MAX_ORDER_USD_MILLIS = 2_500_000n
export const ESTIMATE_TTL_MS = 15 * 60 * 1000
export const COMMERCE_INVOICE_TTL_MS = 30 * 60 * 1000

export interface PricedLine {
  priceUsdMillis: bigint
  shippingUsdMillis: bigint
  quantity: number
}

export interface Pricing {
  subtotalUsdMillis: bigint
  shippingUsdMillis: bigint
  feeFixedUsdMillis: bigint
  feePercentUsdMillis: bigint
  feeTotalUsdMillis: bigint
  taxUsdMillis: bigint
  taxRatePpm: number
  totalUsdMillis: bigint
}

export function percentFee(subtotalUsdMillis: bigint): bigint {
  // ceiling division to the milli, then up to the cent: the fee never rounds in the payer's favour twice
  return roundUpToCent((subtotalUsdMillis * FEE_PERCENT_BPS + 9_999n) / 10_000n)
}

export function salesTax(
  subtotalUsdMillis: bigint,
  state: string | null,
): { taxUsdMillis: bigint; ratePpm: number } {
  if (state === null) return { taxUsdMillis: 0n, ratePpm: 0 }
  const ratePpm = taxRatePpm(state)
  return {
    taxUsdMillis: roundHalfUpToCent((subtotalUsdMillis * BigInt(ratePpm)) / 1_000_000n),
    ratePpm,
  }
}

/** Prices lines for an optional destination state (null: before an address is known, no tax). */
export function priceLines(lines: PricedLine[], state: string | null): Pricing {
  let subtotal = 0n
  let shipping = 0n
  for (const line of lines) {
    subtotal += line.priceUsdMillis * BigInt(line.quantity)
    shipping += line.shippingUsdMillis
  }
  const feePercent = lines.length === 0 ? 0n : percentFee(subtotal)
  const feeFixed = lines.length === 0 ? 0n : FEE_FIXED_USD_MILLIS
  const tax = salesTax(subtotal, state)
  return {
    subtotalUsdMillis: subtotal,
    shippingUsdMillis: shipping,
    feeFixedUsdMillis: feeFixed,
    feePercentUsdMillis: feePercent,
    feeTotalUsdMillis: feeFixed + feePercent,
    taxUsdMillis: tax.taxUsdMillis,
    taxRatePpm: tax.ratePpm,
    totalUsdMillis: subtotal + shipping + feeFixed + feePercent + tax.taxUsdMillis,
  }
}

/** Percent as the contract's JSON number (250 bps → 2.5), from integers. */
export function bpsToPercent(bps: bigint): number {
  return Number(`${bps / 100n}.${(bps % 100n).toString().padStart(2, '0')}`)
}

export function ppmToPercent(ppm: number): number {
  const whole = Math.trunc(ppm / 10_000)
  const fraction = (ppm % 10_000).toString().padStart(4, '0')
  return Number(`${whole}.${fraction}`)
}
