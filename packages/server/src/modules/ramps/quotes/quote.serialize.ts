import { millisToJson } from '@pepay/core'
import type { RampQuote as WireQuote } from '@pepay/contracts'
import type { z } from 'zod'
import { formatUnits } from '../../quotes/quote.ts'
import { epochSeconds } from '../ramp-runtime.ts'
import type { RampQuote } from './quote.repo.ts'

type WireAmount = z.infer<typeof WireQuote>['source']

export function fiatAmount(currency: string, exponent: number, minor: bigint): WireAmount {
  return { kind: 'fiat', currency, decimals: exponent, amount: minor.toString(), amount_decimal: formatFixed(minor, exponent) }
}

export function tokenAmount(symbol: string, decimals: number, units: bigint): WireAmount {
  return { kind: 'token', currency: symbol, decimals, amount: units.toString(), amount_decimal: formatUnits(units, decimals) }
}

/** Minor units with exactly `exponent` decimals: 9150n, 2 → "91.50"; 500n, 0 → "500". */
export function formatFixed(minor: bigint, exponent: number): string {
  if (exponent === 0) return minor.toString()
  const negative = minor < 0n
  const abs = negative ? -minor : minor
  const scale = 10n ** BigInt(exponent)
  const text = `${abs / scale}.${(abs % scale).toString().padStart(exponent, '0')}`
  return negative ? `-${text}` : text
}

export function serializeQuote(q: RampQuote): z.infer<typeof WireQuote> {
  const token = tokenAmount(q.tokenSymbol, q.tokenDecimals, q.tokenUnits)
  const isOff = q.direction === 'off_ramp'
  return {
    object: 'ramp_quote',
    id: q.id,
    customer_id: q.customerId,
    direction: q.direction,
    country: q.country,
    rail: q.rail as z.infer<typeof WireQuote>['rail'],
    token: { network: q.network, token_id: q.tokenId, symbol: q.tokenSymbol, decimals: q.tokenDecimals },
    source: isOff ? token : fiatAmount(q.currency, q.currencyExponent, q.grossFiatMinor),
    destination: isOff ? fiatAmount(q.currency, q.currencyExponent, q.netFiatMinor) : token,
    fee: fiatAmount(q.currency, q.currencyExponent, q.feeFiatMinor),
    rate: { base: 'USD', quote: q.currency, value: formatUnits(q.rateAnswer, q.rateDecimals), provider: q.rateProvider },
    usd_millis: millisToJson(q.usdMillis),
    fixed_by: q.fixedBy,
    environment: q.environment,
    expires_at: epochSeconds(q.expiresAt),
    created_at: epochSeconds(q.createdAt),
  }
}
