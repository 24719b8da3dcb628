/** Kysely table types of this module; merged into the database type in db/schema.ts. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely'

type Environment = 'devnet' | 'mainnet'
/** int8 arrives as a string (see db/database.ts); repos convert to bigint. */
type Int8 = ColumnType<string, string | bigint | number, string | bigint | number>
type GeneratedInt8 = ColumnType<string, string | bigint | number | undefined, string | bigint | number>
/** numeric(78,0) arrives as a string; repos convert to bigint. */
type Numeric = ColumnType<string, string | bigint, string | bigint>
type GeneratedNumeric = ColumnType<string, string | bigint | undefined, string | bigint>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type DateOnly = ColumnType<string, string, string>
type Json<T extends object> = JSONColumnType<T>

export type KycStatusColumn = 'not_started' | 'pending' | 'approved' | 'rejected' | 'needs_review' | 'expired'
export type KycLevelColumn = 'basic' | 'standard' | 'enhanced'

export interface RampCustomerTable {
  id: string
  merchant_id: Int8
  environment: Environment
  customer_type: 'individual' | 'business'
  reference: string | null
  first_name: string | null
  last_name: string | null
  business_name: string | null
  email: string | null
  country: string
  birth_date: DateOnly | null
  status: 'active' | 'blocked'
  screening_status: 'clear' | 'hit'
  screening_reason: string | null
  kyc_status: Generated<KycStatusColumn>
  kyc_level: KycLevelColumn | null
  kyc_approved_until: Timestamp | null
  metadata: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface RampKycVerificationTable {
  id: string
  customer_id: string
  merchant_id: Int8
  environment: Environment
  level: KycLevelColumn
  status: KycStatusColumn
  provider: string
  provider_ref: string
  hosted_url: string
  reason: string | null
  link_expires_at: Timestamp
  approved_until: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
  decided_at: Timestamp | null
}

export interface RampProviderInboxTable {
  id: string
  provider: string
  received_at: Timestamp
  headers: Json<Record<string, string>>
  raw_body: Uint8Array
  status: 'received' | 'processed' | 'rejected' | 'failed'
  attempts: Generated<number>
  next_attempt_at: Timestamp
  processed_at: Timestamp | null
  error: string | null
}

export interface RampBankAccountTable {
  id: string
  customer_id: string
  merchant_id: Int8
  environment: Environment
  country: string
  currency: string
  rail: string
  holder_name: string
  details_ciphertext: Uint8Array
  key_version: string
  fingerprint: Uint8Array
  masked: Json<Record<string, string>>
  created_at: Timestamp
  deleted_at: Timestamp | null
}

export interface RampQuoteTable {
  id: string
  merchant_id: Int8
  environment: Environment
  customer_id: string
  direction: 'off_ramp' | 'on_ramp'
  network: string
  token_id: number
  token_symbol: string
  token_decimals: number
  country: string
  rail: string
  currency: string
  currency_exponent: number
  token_units: Numeric
  gross_fiat_minor: Int8
  fee_fiat_minor: Int8
  net_fiat_minor: Int8
  usd_millis: Int8
  rate_answer: Numeric
  rate_decimals: number
  rate_provider: string
  fixed_by: 'source' | 'destination'
  expires_at: Timestamp
  created_at: Timestamp
}

export type OffRampStatusColumn = 'awaiting_deposit' | 'funds_received' | 'payout_submitted' | 'paid' | 'failed' | 'returned'

export interface RampOffRampTable {
  id: string
  merchant_id: Int8
  environment: Environment
  customer_id: string
  quote_id: string
  bank_account_id: string
  status: OffRampStatusColumn
  network: string
  token_id: number
  deposit_address: string
  deposit_address_id: string
  refund_address: string
  expected_units: Numeric
  received_units: GeneratedNumeric
  payout_units: GeneratedNumeric
  gross_fiat_minor: Int8
  fee_fiat_minor: Int8
  net_fiat_minor: Int8
  usd_millis: Int8
  rate_answer: Numeric
  rate_decimals: number
  is_requoted: Generated<boolean>
  failure_code: string | null
  failure_message: string | null
  rate_locked_until: Timestamp
  metadata: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
  completed_at: Timestamp | null
}

export interface RampDepositTable {
  id: string
  off_ramp_id: string
  merchant_id: Int8
  environment: Environment
  network: string
  tx_hash: string
  log_index: number
  from_address: string | null
  amount_units: Numeric
  status: 'confirmed' | 'orphaned'
  disposition: 'payout' | 'refund' | 'frozen'
  refund_units: GeneratedNumeric
  observed_at: Timestamp
}

export type PayoutStatusColumn = 'pending' | 'submitted' | 'paid' | 'failed' | 'returned'

export interface RampPayoutTable {
  id: string
  off_ramp_id: string
  merchant_id: Int8
  environment: Environment
  rail: string
  provider: string
  currency: string
  amount_minor: Int8
  status: PayoutStatusColumn
  provider_ref: string | null
  failure_code: string | null
  attempts: Generated<number>
  next_attempt_at: Timestamp
  deadline_at: Timestamp
  last_error: string | null
  created_at: Timestamp
  updated_at: Timestamp
  submitted_at: Timestamp | null
  settled_at: Timestamp | null
}

export type OnRampStatusColumn = 'awaiting_funds' | 'funds_received' | 'delivery_submitted' | 'completed' | 'failed'

export interface RampOnRampTable {
  id: string
  merchant_id: Int8
  environment: Environment
  customer_id: string
  quote_id: string
  status: OnRampStatusColumn
  network: string
  token_id: number
  destination_address: string
  rail: string
  currency: string
  reference: string
  instructions: Json<Record<string, string>>
  expected_fiat_minor: Int8
  received_fiat_minor: GeneratedInt8
  fee_fiat_minor: Int8
  token_units: Numeric
  usd_millis: Int8
  rate_answer: Numeric
  rate_decimals: number
  is_requoted: Generated<boolean>
  tx_hash: string | null
  failure_code: string | null
  failure_message: string | null
  rate_locked_until: Timestamp
  metadata: Json<Record<string, unknown>>
  created_at: Timestamp
  updated_at: Timestamp
  completed_at: Timestamp | null
}

export interface RampChainSendTable {
  id: string
  merchant_id: Int8
  environment: Environment
  purpose: 'on_ramp_delivery' | 'off_ramp_refund'
  owner_id: string
  reason: string
  network: string
  token_id: number
  to_address: string
  amount_units: Numeric
  status: 'pending' | 'sent'
  tx_hash: string | null
  attempts: Generated<number>
  next_attempt_at: Timestamp
  last_error: string | null
  created_at: Timestamp
  sent_at: Timestamp | null
}

export interface RampSandboxKycTable {
  provider_ref: string
  verification_id: string
  level: string
  status: 'created' | 'submitted' | 'approved' | 'rejected' | 'needs_review'
  document_number: string | null
  reason: string | null
  created_at: Timestamp
  submitted_at: Timestamp | null
  decide_at: Timestamp | null
}

export interface RampSandboxKycOutboxTable {
  id: string
  provider_ref: string
  event_type: string
  payload: Json<Record<string, unknown>>
  status: 'pending' | 'delivered'
  attempts: Generated<number>
  next_attempt_at: Timestamp
  created_at: Timestamp
}

export interface RampSandboxPayoutTable {
  payout_id: string
  provider_ref: string
  rail: string
  currency: string
  amount_minor: Int8
  outcome: 'paid' | 'failed' | 'returned'
  failure_code: string | null
  accepted_at: Timestamp
  settles_at: Timestamp
  returns_at: Timestamp | null
}

export interface LedgerAccountTable {
  id: GeneratedInt8
  merchant_id: Int8
  environment: Environment
  address: string
  asset: string
  is_non_negative: boolean
  balance: GeneratedNumeric
  created_at: Timestamp
  updated_at: Timestamp
}

export interface LedgerTransactionTable {
  id: GeneratedInt8
  merchant_id: Int8
  environment: Environment
  kind_code: string
  reference: string
  metadata: Json<Record<string, unknown>>
  occurred_at: Timestamp
  recorded_at: Timestamp
}

export interface LedgerPostingTable {
  id: GeneratedInt8
  transaction_id: Int8
  source_account_id: Int8
  target_account_id: Int8
  asset: string
  amount: Numeric
}

export interface RampTables {
  ramp_customer: RampCustomerTable
  ramp_kyc_verification: RampKycVerificationTable
  ramp_provider_inbox: RampProviderInboxTable
  ramp_bank_account: RampBankAccountTable
  ramp_quote: RampQuoteTable
  ramp_off_ramp: RampOffRampTable
  ramp_deposit: RampDepositTable
  ramp_payout: RampPayoutTable
  ramp_on_ramp: RampOnRampTable
  ramp_chain_send: RampChainSendTable
  ramp_sandbox_kyc: RampSandboxKycTable
  ramp_sandbox_kyc_outbox: RampSandboxKycOutboxTable
  ramp_sandbox_payout: RampSandboxPayoutTable
  ledger_account: LedgerAccountTable
  ledger_transaction: LedgerTransactionTable
  ledger_posting: LedgerPostingTable
}
