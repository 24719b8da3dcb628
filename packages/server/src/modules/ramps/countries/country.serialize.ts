import type { RampCountry } from '@pepay/contracts'
import type { z } from 'zod'
import { formatFixed } from '../quotes/quote.serialize.ts'
import { currencyExponent, RAILS, requiredKycLevel, type CountrySpec } from './country.ts'

export function serializeCountry(country: CountrySpec): z.infer<typeof RampCountry> {
  return {
    object: 'ramp_country',
    code: country.code,
    name: country.name,
    currency: country.currency,
    currency_exponent: currencyExponent(country.currency),
    kyc_level: country.kycLevel,
    rails: country.rails.map((id) => {
      const rail = RAILS[id]
      const exponent = currencyExponent(rail.currency)
      return {
        rail: rail.id,
        name: rail.name,
        currency: rail.currency,
        currency_exponent: exponent,
        min_amount: rail.minMinor.toString(),
        max_amount: rail.maxMinor.toString(),
        min_amount_decimal: formatFixed(rail.minMinor, exponent),
        max_amount_decimal: formatFixed(rail.maxMinor, exponent),
        required_fields: rail.requiredFields,
        optional_fields: rail.optionalFields,
        kyc_level: requiredKycLevel(country, rail),
        speed: rail.speed,
        fee: { bps: Number(rail.feeBps), fixed_amount: rail.feeFixedMinor.toString() },
        source: rail.source,
      }
    }),
  }
}
