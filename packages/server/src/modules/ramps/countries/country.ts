import currencyCodes from 'currency-codes'

/**
 * Countries and payout/deposit rails the ramps serve: the one place this data lives.
 *
 * Sources (see docs/ramps.md, "Countries and rails"):
 * - SEPA reach: EPC "Register of participants / List of SEPA scheme countries" (EPC409-09); euro-area
 *   membership incl. Bulgaria from 2026-01-01 (Council decision of July 2025). SEPA Instant is offered
 *   where receiving it is mandatory under the Instant Payments Regulation (EU) 2024/886 (euro area).
 * - Currency exponents: ISO 4217 list one, via the `currency-codes` package (data of 2024-06-25).
 * - Scheme limits quoted where a scheme has one: Faster Payments £1,000,000 per payment (Pay.UK,
 *   2022); Same Day ACH $1,000,000 per payment (Nacha, 2022). Every other min/max below is this
 *   product's own limit, not a scheme's.
 * - Fees and settlement times are this platform's sandbox pricing and typical scheme timings.
 */

export type KycLevel = 'basic' | 'standard' | 'enhanced'
export const KYC_LEVELS: readonly KycLevel[] = ['basic', 'standard', 'enhanced']

export type RailId =
  | 'sepa'
  | 'sepa_instant'
  | 'ach'
  | 'fedwire'
  | 'faster_payments'
  | 'pix'
  | 'spei'
  | 'sic'
  | 'elixir'
  | 'zengin'

export type BankField =
  | 'iban'
  | 'bic'
  | 'routing_number'
  | 'account_number'
  | 'account_type'
  | 'sort_code'
  | 'pix_key'
  | 'clabe'
  | 'bank_code'
  | 'branch_code'

export interface RailSpec {
  id: RailId
  name: string
  currency: string
  /** Minimum and maximum per payout or deposit, in the currency's minor units. */
  minMinor: bigint
  maxMinor: bigint
  requiredFields: BankField[]
  optionalFields: BankField[]
  /** Lowest KYC level for this rail, whatever the country. */
  kycLevel: KycLevel
  /** Fee: basis points of the gross amount plus a fixed part in minor units. */
  feeBps: bigint
  feeFixedMinor: bigint
  /** Typical time from submission to funds at the beneficiary bank (drives the sandbox rail). */
  settlementSeconds: number
  /** How long after settlement a return can still arrive. */
  returnWindowSeconds: number
  /** A payout still in flight this long after submission is overdue and flagged by the reconciler. */
  deadlineSeconds: number
  speed: 'instant' | 'same_day' | 'next_day'
  source: string
}

const DAY = 86_400

export const RAILS: Readonly<Record<RailId, RailSpec>> = {
  sepa: {
    id: 'sepa', name: 'SEPA Credit Transfer', currency: 'EUR', minMinor: 1_00n, maxMinor: 1_000_000_00n,
    requiredFields: ['iban'], optionalFields: ['bic'], kycLevel: 'basic', feeBps: 50n, feeFixedMinor: 50n,
    settlementSeconds: DAY, returnWindowSeconds: 2 * DAY, deadlineSeconds: 5 * DAY, speed: 'next_day',
    source: 'EPC SCT rulebook: D+1 execution',
  },
  sepa_instant: {
    id: 'sepa_instant', name: 'SEPA Instant Credit Transfer', currency: 'EUR', minMinor: 1_00n, maxMinor: 100_000_00n,
    requiredFields: ['iban'], optionalFields: ['bic'], kycLevel: 'basic', feeBps: 60n, feeFixedMinor: 50n,
    settlementSeconds: 10, returnWindowSeconds: DAY, deadlineSeconds: 3600, speed: 'instant',
    source: 'EPC SCT Inst rulebook: 10 s execution target, recalls after settlement; Regulation (EU) 2024/886',
  },
  ach: {
    id: 'ach', name: 'ACH (Same Day)', currency: 'USD', minMinor: 1_00n, maxMinor: 1_000_000_00n,
    requiredFields: ['routing_number', 'account_number', 'account_type'], optionalFields: [], kycLevel: 'basic',
    feeBps: 50n, feeFixedMinor: 50n, settlementSeconds: DAY, returnWindowSeconds: 2 * DAY, deadlineSeconds: 5 * DAY,
    speed: 'same_day', source: 'Nacha Same Day ACH: $1,000,000 per payment; R-returns within 2 banking days',
  },
  fedwire: {
    id: 'fedwire', name: 'Fedwire Funds Service', currency: 'USD', minMinor: 100_00n, maxMinor: 10_000_000_00n,
    requiredFields: ['routing_number', 'account_number'], optionalFields: [], kycLevel: 'standard', feeBps: 30n,
    feeFixedMinor: 15_00n, settlementSeconds: 1800, returnWindowSeconds: DAY, deadlineSeconds: DAY, speed: 'same_day',
    source: 'Federal Reserve Fedwire Funds Service: real-time gross settlement',
  },
  faster_payments: {
    id: 'faster_payments', name: 'Faster Payments', currency: 'GBP', minMinor: 1_00n, maxMinor: 1_000_000_00n,
    requiredFields: ['sort_code', 'account_number'], optionalFields: [], kycLevel: 'basic', feeBps: 50n,
    feeFixedMinor: 30n, settlementSeconds: 30, returnWindowSeconds: DAY, deadlineSeconds: 2 * 3600, speed: 'instant',
    source: 'Pay.UK Faster Payments: £1,000,000 scheme limit; modulus checking per VocaLink',
  },
  pix: {
    id: 'pix', name: 'Pix', currency: 'BRL', minMinor: 1_00n, maxMinor: 1_000_000_00n,
    requiredFields: ['pix_key'], optionalFields: [], kycLevel: 'standard', feeBps: 80n, feeFixedMinor: 1_00n,
    settlementSeconds: 10, returnWindowSeconds: DAY, deadlineSeconds: 3600, speed: 'instant',
    source: 'Banco Central do Brasil, Pix regulation (Resolução BCB nº 1/2020)',
  },
  spei: {
    id: 'spei', name: 'SPEI', currency: 'MXN', minMinor: 10_00n, maxMinor: 10_000_000_00n,
    requiredFields: ['clabe'], optionalFields: [], kycLevel: 'standard', feeBps: 80n, feeFixedMinor: 5_00n,
    settlementSeconds: 60, returnWindowSeconds: DAY, deadlineSeconds: 3600, speed: 'instant',
    source: 'Banco de México SPEI; CLABE standard (18 digits, weighted check digit)',
  },
  sic: {
    id: 'sic', name: 'SIC (Swiss Interbank Clearing)', currency: 'CHF', minMinor: 1_00n, maxMinor: 1_000_000_00n,
    requiredFields: ['iban'], optionalFields: ['bic'], kycLevel: 'basic', feeBps: 50n, feeFixedMinor: 1_00n,
    settlementSeconds: 3600, returnWindowSeconds: DAY, deadlineSeconds: 2 * DAY, speed: 'same_day',
    source: 'SIX Interbank Clearing: SIC RTGS for CHF',
  },
  elixir: {
    id: 'elixir', name: 'Elixir', currency: 'PLN', minMinor: 1_00n, maxMinor: 1_000_000_00n,
    requiredFields: ['iban'], optionalFields: ['bic'], kycLevel: 'basic', feeBps: 50n, feeFixedMinor: 2_00n,
    settlementSeconds: 4 * 3600, returnWindowSeconds: DAY, deadlineSeconds: 3 * DAY, speed: 'same_day',
    source: 'KIR Elixir: session-based clearing of PLN transfers',
  },
  zengin: {
    id: 'zengin', name: 'Zengin System', currency: 'JPY', minMinor: 100n, maxMinor: 100_000_000n,
    requiredFields: ['bank_code', 'branch_code', 'account_number', 'account_type'], optionalFields: [], kycLevel: 'standard',
    feeBps: 80n, feeFixedMinor: 300n, settlementSeconds: 3600, returnWindowSeconds: DAY, deadlineSeconds: 2 * DAY,
    speed: 'same_day', source: 'Japanese Banks\' Payment Clearing Network (Zengin-Net)',
  },
}

export interface CountrySpec {
  code: string
  name: string
  /** The currency used domestically (a payout rail may use another, e.g. SEPA in EUR). */
  currency: string
  rails: RailId[]
  /** Lowest KYC level for residents, whatever the rail. */
  kycLevel: KycLevel
}

const EURO_AREA: [string, string][] = [
  ['AT', 'Austria'], ['BE', 'Belgium'], ['BG', 'Bulgaria'], ['HR', 'Croatia'], ['CY', 'Cyprus'], ['EE', 'Estonia'],
  ['FI', 'Finland'], ['FR', 'France'], ['DE', 'Germany'], ['GR', 'Greece'], ['IE', 'Ireland'], ['IT', 'Italy'],
  ['LV', 'Latvia'], ['LT', 'Lithuania'], ['LU', 'Luxembourg'], ['MT', 'Malta'], ['NL', 'Netherlands'],
  ['PT', 'Portugal'], ['SK', 'Slovakia'], ['SI', 'Slovenia'], ['ES', 'Spain'],
]

const COUNTRY_LIST: CountrySpec[] = [
  ...EURO_AREA.map(([code, name]): CountrySpec => ({ code, name, currency: 'EUR', rails: ['sepa', 'sepa_instant'], kycLevel: 'basic' })),
  { code: 'CZ', name: 'Czechia', currency: 'CZK', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'DK', name: 'Denmark', currency: 'DKK', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'HU', name: 'Hungary', currency: 'HUF', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'PL', name: 'Poland', currency: 'PLN', rails: ['sepa', 'elixir'], kycLevel: 'basic' },
  { code: 'RO', name: 'Romania', currency: 'RON', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'SE', name: 'Sweden', currency: 'SEK', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'IS', name: 'Iceland', currency: 'ISK', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'NO', name: 'Norway', currency: 'NOK', rails: ['sepa'], kycLevel: 'basic' },
  { code: 'LI', name: 'Liechtenstein', currency: 'CHF', rails: ['sepa', 'sic'], kycLevel: 'basic' },
  { code: 'CH', name: 'Switzerland', currency: 'CHF', rails: ['sepa', 'sic'], kycLevel: 'basic' },
  { code: 'GB', name: 'United Kingdom', currency: 'GBP', rails: ['faster_payments'], kycLevel: 'basic' },
  { code: 'US', name: 'United States', currency: 'USD', rails: ['ach', 'fedwire'], kycLevel: 'basic' },
  { code: 'BR', name: 'Brazil', currency: 'BRL', rails: ['pix'], kycLevel: 'standard' },
  { code: 'MX', name: 'Mexico', currency: 'MXN', rails: ['spei'], kycLevel: 'standard' },
  { code: 'JP', name: 'Japan', currency: 'JPY', rails: ['zengin'], kycLevel: 'standard' },
]

export const COUNTRIES: ReadonlyMap<string, CountrySpec> = new Map(COUNTRY_LIST.map((c) => [c.code, c]))

/** ISO 4217 minor-unit exponent (JPY 0, EUR 2, KWD 3). */
export function currencyExponent(currency: string): number {
  const entry = currencyCodes.code(currency)
  if (!entry) throw new RangeError(`unknown ISO 4217 currency ${currency}`)
  return entry.digits
}

export function findCountry(code: string): CountrySpec | undefined {
  return COUNTRIES.get(code.toUpperCase())
}

export function isRailId(value: string): value is RailId {
  return Object.hasOwn(RAILS, value)
}

export function kycLevelRank(level: KycLevel): number {
  return KYC_LEVELS.indexOf(level)
}

export function maxKycLevel(a: KycLevel, b: KycLevel): KycLevel {
  return kycLevelRank(a) >= kycLevelRank(b) ? a : b
}

/** The KYC level a customer needs to use `rail` in `country`. */
export function requiredKycLevel(country: CountrySpec, rail: RailSpec): KycLevel {
  return maxKycLevel(country.kycLevel, rail.kycLevel)
}

/** IBAN rails that only accept accounts of certain countries (SIC: Swiss and Liechtenstein IBANs). */
export const IBAN_COUNTRIES: Partial<Record<RailId, readonly string[]>> = {
  sic: ['CH', 'LI'],
  elixir: ['PL'],
}

/** USD limits per KYC level, in usd_millis, over a rolling 24 hours and 30 days. */
export const KYC_LIMITS: Readonly<Record<KycLevel, { dailyUsdMillis: bigint; monthlyUsdMillis: bigint }>> = {
  basic: { dailyUsdMillis: 1_000_000n, monthlyUsdMillis: 5_000_000n },
  standard: { dailyUsdMillis: 10_000_000n, monthlyUsdMillis: 50_000_000n },
  enhanced: { dailyUsdMillis: 100_000_000n, monthlyUsdMillis: 1_000_000_000n },
}
