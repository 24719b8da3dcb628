import { z } from 'zod'
import { Environment, EpochSeconds, Uuid, commaList, listOf } from './common.ts'

/**
 * On/off-ramps (`/api/v1/ramps/*`): designed here, the public docs publish none. Same style as
 * invoices: snake_case, bare objects (envelope A), cursor lists, epoch seconds. Amounts are
 * integers in minor units (fiat, ISO 4217 exponent) or base units (tokens), always as decimal
 * strings in `amount` so 18-decimal tokens stay exact; `amount_decimal` is for display only.
 */

export const KycLevel = z.enum(['basic', 'standard', 'enhanced'])
export const KycStatus = z.enum(['not_started', 'pending', 'approved', 'rejected', 'needs_review', 'expired'])
export const RampRail = z.enum(['sepa', 'sepa_instant', 'ach', 'fedwire', 'faster_payments', 'pix', 'spei', 'sic', 'elixir', 'zengin'])
export const RampDirection = z.enum(['off_ramp', 'on_ramp'])
export const OffRampStatus = z.enum(['awaiting_deposit', 'funds_received', 'payout_submitted', 'paid', 'failed', 'returned'])
export const OnRampStatus = z.enum(['awaiting_funds', 'funds_received', 'delivery_submitted', 'completed', 'failed'])
export const PayoutStatus = z.enum(['pending', 'submitted', 'paid', 'failed', 'returned'])

const CountryCode = z.string().regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').transform((v) => v.toUpperCase())
const Network = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a lowercase network name')
const IntegerText = z
  .union([z.string().regex(/^[1-9][0-9]{0,77}$/, 'must be a positive integer in minor or base units'), z.number().int().positive().max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => String(v))
  .meta({ description: 'Positive integer amount in minor units (fiat) or base units (token), as a string or a safe JSON integer' })
const Metadata = z.record(z.string(), z.unknown()).refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
const Limit = z.coerce.number().int().min(1).max(100).default(10)
export const WalletAddress = z.string().min(26).max(64).regex(/^[A-Za-z0-9]+$/, 'must be an on-chain address')

export const Amount = z
  .object({
    kind: z.enum(['fiat', 'token']),
    currency: z.string().meta({ description: 'ISO 4217 code (fiat) or token symbol' }),
    decimals: z.number().int().meta({ description: 'ISO 4217 exponent or token decimals' }),
    amount: z.string().meta({ description: 'Integer minor/base units as a decimal string' }),
    amount_decimal: z.string(),
  })
  .meta({ id: 'RampAmount' })

export const TokenRef = z.object({ network: z.string(), token_id: z.number().int(), symbol: z.string(), decimals: z.number().int() })

// ---------- customers and KYC ----------

export const CreateRampCustomerBody = z
  .object({
    type: z.enum(['individual', 'business']),
    first_name: z.string().min(1).max(100).optional(),
    last_name: z.string().min(1).max(100).optional(),
    business_name: z.string().min(1).max(200).optional(),
    email: z.email().max(320).optional(),
    country: CountryCode,
    birth_date: z.iso.date().optional(),
    reference: z.string().min(1).max(255).optional().meta({ description: "The merchant's own id for this customer (unique)" }),
    metadata: Metadata.optional(),
  })
  .strict()
export type CreateRampCustomerBody = z.infer<typeof CreateRampCustomerBody>

export const RampCustomer = z
  .object({
    object: z.literal('ramp_customer'),
    id: Uuid,
    type: z.enum(['individual', 'business']),
    reference: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    business_name: z.string().nullable(),
    email: z.string().nullable(),
    country: z.string(),
    birth_date: z.string().nullable(),
    status: z.enum(['active', 'blocked']).meta({ description: 'blocked: a sanctions screening hit; every flow is refused' }),
    screening: z.object({ status: z.enum(['clear', 'hit']), reason: z.string().nullable() }),
    kyc: z.object({
      status: KycStatus,
      level: KycLevel.nullable(),
      approved_until: EpochSeconds.nullable(),
      limits: z
        .object({ daily_usd_millis: z.number().int(), monthly_usd_millis: z.number().int() })
        .nullable()
        .meta({ description: 'USD limits of the approved level over a rolling 24 hours and 30 days' }),
    }),
    environment: Environment,
    metadata: z.record(z.string(), z.unknown()),
    created_at: EpochSeconds,
    updated_at: EpochSeconds,
  })
  .meta({ id: 'RampCustomer' })

export const CreateKycVerificationBody = z.object({ level: KycLevel }).strict()

export const KycVerification = z
  .object({
    object: z.literal('ramp_kyc_verification'),
    id: Uuid,
    customer_id: Uuid,
    level: KycLevel,
    status: KycStatus,
    provider: z.string(),
    hosted_url: z.string().meta({ description: 'Send the customer here to verify (sandbox: served by this server)' }),
    reason: z.string().nullable(),
    link_expires_at: EpochSeconds,
    approved_until: EpochSeconds.nullable(),
    created_at: EpochSeconds,
    updated_at: EpochSeconds,
    decided_at: EpochSeconds.nullable(),
  })
  .meta({ id: 'RampKycVerification' })

// ---------- countries, rails, bank accounts ----------

export const RampCountry = z
  .object({
    object: z.literal('ramp_country'),
    code: z.string(),
    name: z.string(),
    currency: z.string(),
    currency_exponent: z.number().int(),
    kyc_level: KycLevel,
    rails: z.array(
      z.object({
        rail: RampRail,
        name: z.string(),
        currency: z.string(),
        currency_exponent: z.number().int(),
        min_amount: z.string(),
        max_amount: z.string(),
        min_amount_decimal: z.string(),
        max_amount_decimal: z.string(),
        required_fields: z.array(z.string()),
        optional_fields: z.array(z.string()),
        kyc_level: KycLevel.meta({ description: 'Level a customer needs for this rail in this country' }),
        speed: z.enum(['instant', 'same_day', 'next_day']),
        fee: z.object({ bps: z.number().int(), fixed_amount: z.string() }),
        source: z.string(),
      }),
    ),
  })
  .meta({ id: 'RampCountry' })
export const RampCountryList = listOf(RampCountry)

export const CreateBankAccountBody = z
  .object({
    rail: RampRail,
    country: CountryCode,
    holder_name: z.string().min(1).max(140),
    details: z.record(z.string(), z.unknown()).meta({ description: "The rail's required_fields (see GET /api/v1/ramps/countries)" }),
  })
  .strict()

export const BankAccount = z
  .object({
    object: z.literal('ramp_bank_account'),
    id: Uuid,
    customer_id: Uuid,
    rail: RampRail,
    country: z.string(),
    currency: z.string(),
    holder_name: z.string(),
    details: z.record(z.string(), z.string()).meta({ description: 'Masked: only the last characters are shown' }),
    created_at: EpochSeconds,
  })
  .meta({ id: 'RampBankAccount' })
export const DeletedBankAccount = z.object({ object: z.literal('ramp_bank_account'), id: Uuid, deleted: z.literal(true) })

// ---------- quotes ----------

export const CreateRampQuoteBody = z
  .object({
    customer_id: Uuid,
    direction: RampDirection,
    network: Network,
    token_id: z.number().int().positive(),
    country: CountryCode,
    rail: RampRail,
    source_amount: IntegerText.optional(),
    destination_amount: IntegerText.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.source_amount === undefined) === (body.destination_amount === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['source_amount'], message: 'give exactly one of source_amount and destination_amount' })
    }
  })
export type CreateRampQuoteBody = z.infer<typeof CreateRampQuoteBody>

export const RampQuote = z
  .object({
    object: z.literal('ramp_quote'),
    id: Uuid,
    customer_id: Uuid,
    direction: RampDirection,
    country: z.string(),
    rail: RampRail,
    token: TokenRef,
    source: Amount,
    destination: Amount,
    fee: Amount,
    rate: z.object({ base: z.literal('USD'), quote: z.string(), value: z.string(), provider: z.string() }),
    usd_millis: z.number().int(),
    fixed_by: z.enum(['source', 'destination']),
    environment: Environment,
    expires_at: EpochSeconds,
    created_at: EpochSeconds,
  })
  .meta({ id: 'RampQuote' })

// ---------- off-ramps ----------

export const CreateOffRampBody = z
  .object({
    quote_id: Uuid,
    bank_account_id: Uuid,
    refund_address: WalletAddress.meta({ description: 'Where stablecoin goes back if the payout cannot be made' }),
    metadata: Metadata.optional(),
  })
  .strict()

const Failure = z.object({ code: z.string(), message: z.string() }).nullable()
const Refund = z.object({
  address: z.string(),
  status: z.enum(['none', 'pending', 'sent']),
  amount: z.string(),
  tx_hashes: z.array(z.string()),
})

export const OffRamp = z
  .object({
    object: z.literal('ramp_off_ramp'),
    id: Uuid,
    customer_id: Uuid,
    quote_id: Uuid,
    bank_account_id: Uuid,
    status: OffRampStatus,
    token: TokenRef,
    deposit: z.object({
      address: z.string(),
      network: z.string(),
      expected: Amount,
      received: Amount,
      rate_locked_until: EpochSeconds,
    }),
    payout: z.object({
      rail: RampRail,
      gross: Amount,
      fee: Amount,
      amount: Amount,
      status: PayoutStatus.nullable(),
      submitted_at: EpochSeconds.nullable(),
      settled_at: EpochSeconds.nullable(),
    }),
    refund: Refund,
    usd_millis: z.number().int(),
    is_requoted: z.boolean(),
    failure: Failure,
    environment: Environment,
    metadata: z.record(z.string(), z.unknown()),
    created_at: EpochSeconds,
    updated_at: EpochSeconds,
    completed_at: EpochSeconds.nullable(),
  })
  .meta({ id: 'RampOffRamp' })

export const ListOffRampsQuery = z
  .object({
    limit: Limit,
    starting_after: Uuid.optional(),
    ending_before: Uuid.optional(),
    customer_id: Uuid.optional(),
    status: commaList(OffRampStatus).optional(),
  })
  .strict()

// ---------- on-ramps ----------

export const CreateOnRampBody = z
  .object({
    quote_id: Uuid,
    destination_address: WalletAddress,
    metadata: Metadata.optional(),
  })
  .strict()

export const OnRamp = z
  .object({
    object: z.literal('ramp_on_ramp'),
    id: Uuid,
    customer_id: Uuid,
    quote_id: Uuid,
    status: OnRampStatus,
    token: TokenRef,
    destination_address: z.string(),
    deposit_instructions: z
      .object({
        rail: RampRail,
        reference: z.string(),
        amount: Amount,
        account: z.record(z.string(), z.string()).meta({ description: 'Beneficiary account: iban/bic, routing_number/account_number, pix_key, clabe, sort_code… per rail' }),
      })
      .meta({ description: 'Where and how the customer sends fiat; always quote the reference' }),
    received: Amount,
    fee: Amount,
    delivery: z.object({ amount: Amount, tx_hash: z.string().nullable() }),
    usd_millis: z.number().int(),
    is_requoted: z.boolean(),
    failure: Failure,
    rate_locked_until: EpochSeconds,
    environment: Environment,
    metadata: z.record(z.string(), z.unknown()),
    created_at: EpochSeconds,
    updated_at: EpochSeconds,
    completed_at: EpochSeconds.nullable(),
  })
  .meta({ id: 'RampOnRamp' })

export const ListOnRampsQuery = z
  .object({
    limit: Limit,
    starting_after: Uuid.optional(),
    ending_before: Uuid.optional(),
    customer_id: Uuid.optional(),
    status: commaList(OnRampStatus).optional(),
  })
  .strict()

export const SimulateOnRampFundsBody = z
  .object({ amount: IntegerText.optional().meta({ description: 'Fiat minor units received; defaults to the instructed amount' }) })
  .strict()

// ---------- ledger ----------

export const RampBalances = z
  .object({
    object: z.literal('ramp_balances'),
    environment: Environment,
    balances: z.array(
      z.object({
        account: z.string().meta({ description: 'Account kind, e.g. off_ramp:deposit, fees, platform:treasury' }),
        asset: z.string().meta({ description: 'Asset with its scale, e.g. USDC:base/6 or EUR/2' }),
        amount: z.string(),
        amount_decimal: z.string(),
        accounts: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'RampBalances' })

export const LedgerEntry = z
  .object({
    object: z.literal('ledger_entry'),
    id: z.string().regex(/^[0-9]+$/),
    kind: z.string(),
    reference: z.string(),
    postings: z.array(z.object({ source: z.string(), target: z.string(), asset: z.string(), amount: z.string() })),
    metadata: z.record(z.string(), z.unknown()),
    occurred_at: EpochSeconds,
    recorded_at: EpochSeconds,
  })
  .meta({ id: 'LedgerEntry' })

export const ListLedgerEntriesQuery = z
  .object({
    limit: Limit,
    starting_after: z.string().regex(/^[0-9]{1,19}$/).optional(),
    ending_before: z.string().regex(/^[0-9]{1,19}$/).optional(),
    reference: z.string().min(1).max(200).optional().meta({ description: 'Prefix of the entry reference, e.g. off_ramp:<id>' }),
    kind: z.string().min(1).max(64).optional(),
  })
  .strict()

export const ListCustomersQuery = z
  .object({ limit: Limit, starting_after: Uuid.optional(), ending_before: Uuid.optional(), reference: z.string().min(1).max(255).optional() })
  .strict()
export const ListQuery = z.object({ limit: Limit, starting_after: Uuid.optional(), ending_before: Uuid.optional() }).strict()

export const RampIdParams = z.object({ id: Uuid }).strict()
export const RampCustomerList = listOf(RampCustomer)
export const KycVerificationList = listOf(KycVerification)
export const BankAccountList = listOf(BankAccount)
export const OffRampList = listOf(OffRamp)
export const OnRampList = listOf(OnRamp)
export const LedgerEntryList = listOf(LedgerEntry)

/** Error codes of the ramps API (besides the platform's). */
export const RAMP_ERROR_CODES = [
  'UNSUPPORTED_COUNTRY',
  'UNSUPPORTED_RAIL',
  'UNSUPPORTED_TOKEN',
  'INVALID_BANK_DETAILS',
  'BANK_ACCOUNT_EXISTS',
  'AMOUNT_OUT_OF_RANGE',
  'LIMIT_EXCEEDED',
  'QUOTE_EXPIRED',
  'QUOTE_ALREADY_USED',
  'QUOTE_MISMATCH',
  'KYC_REQUIRED',
  'CUSTOMER_BLOCKED',
  'SANCTIONS_HIT',
  'INSUFFICIENT_FUNDS',
] as const
