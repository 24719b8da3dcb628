import { AppError } from '@pepay/core'
import { parseUnits } from '../../quotes/quote.ts'

/** Units of `currency` per 1 USD as fixed point: `answer / 10^decimals`. */
export interface FxRate {
  currency: string
  answer: bigint
  decimals: number
  updatedAt: Date
  provider: string
}

/** Where fiat rates come from; a live feed implements the same interface. */
export interface FxRateSource {
  getRate(currency: string): Promise<FxRate>
}

export const FX_RATE_DECIMALS = 6

/**
 * Sandbox rates, fixed: approximate mid-market rates of 2025-12-01 (ECB euro reference rates and
 * Bank of England / Banco Central do Brasil / Banco de México / Bank of Japan published rates of
 * that week, converted to per-USD and rounded to four significant digits). Not a market feed: a
 * production deployment plugs a live FxRateSource in.
 */
export const SANDBOX_FX_RATES: Readonly<Record<string, string>> = {
  USD: '1',
  EUR: '0.8620',
  GBP: '0.7560',
  CHF: '0.8040',
  PLN: '3.660',
  BRL: '5.330',
  MXN: '18.35',
  JPY: '155.8',
}
export const SANDBOX_FX_AS_OF = '2025-12-01'

export function createFixedFxRateSource(table: Readonly<Record<string, string>>, clock: () => Date, provider = 'sandbox-fixed'): FxRateSource {
  const rates = new Map<string, bigint>()
  for (const [currency, text] of Object.entries(table)) {
    const answer = parseUnits(text, FX_RATE_DECIMALS)
    if (answer <= 0n) throw new RangeError(`rate for ${currency} must be positive`)
    rates.set(currency.toUpperCase(), answer)
  }
  return {
    async getRate(currency) {
      const answer = rates.get(currency.toUpperCase())
      if (answer === undefined) throw new AppError('SERVICE_UNAVAILABLE', `no exchange rate for ${currency}`)
      return { currency: currency.toUpperCase(), answer, decimals: FX_RATE_DECIMALS, updatedAt: clock(), provider }
    },
  }
}
