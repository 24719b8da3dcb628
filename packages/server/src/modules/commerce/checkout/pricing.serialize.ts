import { usd } from '../shared/money.ts'
import { bpsToPercent, FEE_PERCENT_BPS, type Pricing } from './pricing.ts'

/** The `fees` block of cart totals and checkout estimates: a fixed fee plus a share of the subtotal. */
export function serializeFees(p: Pricing) {
  return {
    fixed: usd(p.feeFixedUsdMillis),
    percentage: bpsToPercent(FEE_PERCENT_BPS),
    percentageAmount: usd(p.feePercentUsdMillis),
    total: usd(p.feeTotalUsdMillis),
  }
}
