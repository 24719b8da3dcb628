import type { ColumnType, Generated, JSONColumnType } from 'kysely'
import type { CommerceTables } from '../modules/commerce/commerce.table.ts'
import type { RampTables } from '../modules/ramps/ramps.table.ts'
import type { WebhookTables } from '../modules/webhooks/webhooks.table.ts'

/** int8 columns arrive as strings (see database.ts); repos convert them to bigint. */
export type Int8 = ColumnType<string, string | bigint | number, string | bigint | number>
/** An int8 column with a database default (identity, serial or DEFAULT). */
export type GeneratedInt8 = ColumnType<string, string | bigint | number | undefined, string | bigint | number>
/** A timestamptz column with a database default. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>
export type Timestamp = ColumnType<Date, Date | string, Date | string>
export type Json<T extends object | null = Record<string, unknown>> = JSONColumnType<T, string, string>

export interface PlatformSecretTable {
  name: string
  value: string
  created_at: GeneratedTimestamp
}

export interface MerchantTable {
  id: GeneratedInt8
  name: string
  email: string | null
  status: Generated<'active' | 'suspended'>
  current_environment: Generated<'devnet' | 'mainnet'>
  has_mainnet_access: Generated<boolean>
  payment_return_url: string | null
  payment_return_url_enabled: Generated<boolean>
  is_demo: Generated<boolean>
  acceptance_policy: Generated<'accept_all' | 'accept_none' | 'selective'>
  settlement_preference: Generated<'stables_only' | 'stables_preferred' | 'tokens'>
  settlement_token_id: number | null
  settlement_updated_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ApiKeyTable {
  id: string
  merchant_id: Int8
  name: string
  scope: 'merchant' | 'commerce'
  environment: 'devnet' | 'mainnet'
  key_prefix: string
  key_last4: string
  key_hash: Uint8Array
  status: Generated<'active' | 'revoked' | 'suspended'>
  expires_at: Timestamp | null
  last_used_at: Timestamp | null
  created_at: Timestamp
  revoked_at: Timestamp | null
  revoked_reason: string | null
}

export interface InvoiceTable {
  id: string
  merchant_id: Int8
  environment: 'devnet' | 'mainnet'
  invoice_type: Generated<'standard' | 'commerce'>
  status: 'unpaid' | 'underpaid' | 'paid' | 'expired' | 'canceled'
  amount_usd_millis: Int8
  amount_paid_usd_millis: GeneratedInt8
  description: string | null
  customer_id: string | null
  customer_email: string | null
  metadata: Json<Record<string, unknown>>
  invoice_title: string | null
  invoice_footer: string | null
  payment_return_url: string | null
  payment_return_url_enabled: boolean | null
  receiver_override_enable: Generated<boolean>
  receiver_override_address: string | null
  questions: Json<object> | null
  form_responses: Json<object> | null
  session_token_hash: Uint8Array
  session_issued_at_ms: Int8
  payer_wallet_address: string | null
  payer_wallet_network: string | null
  commerce_order_id: string | null
  locked_network: string | null
  locked_token_id: number | null
  locked_payment_address: string | null
  is_overpaid: Generated<boolean>
  has_late_payment: Generated<boolean>
  expires_at: Timestamp
  created_at: Timestamp
  updated_at: Timestamp
  paid_at: Timestamp | null
  last_payment_at: Timestamp | null
  canceled_at: Timestamp | null
  expired_at: Timestamp | null
}

export interface IdempotencyKeyTable {
  merchant_id: Int8
  environment: string
  key: string
  request_method: string
  request_path: string
  request_hash: Uint8Array
  state: 'in_flight' | 'completed'
  response_status: number | null
  response_body: string | null
  created_at: Timestamp
  locked_until: Timestamp
  expires_at: Timestamp
}

export interface EventTable {
  seq: GeneratedInt8
  id: string
  merchant_id: Int8
  environment: 'devnet' | 'mainnet'
  type: string
  is_commerce: Generated<boolean>
  invoice_id: string | null
  invoice_type: string | null
  customer_id: string | null
  order_id: string | null
  wallet_address: string | null
  wallet_network: string | null
  created_at: Timestamp
  data: Json<{ object: Record<string, unknown>; previous_attributes?: Record<string, unknown> }>
  request: Json<{ id: string | null; idempotency_key: string | null }> | null
}

/** numeric(78,0) token amounts arrive as strings; repos convert them to bigint. */
export type Numeric = ColumnType<string, string | bigint, string | bigint>

export interface TokenTable {
  id: Generated<number>
  network: string
  environment: 'devnet' | 'mainnet'
  symbol: string
  name: string
  token_type: 'native' | 'erc20' | 'spl'
  address: string | null
  address_key: string
  decimals: number
  is_stable: boolean
  is_monitored: Generated<boolean>
  is_active: Generated<boolean>
  supports_stable_settlement: Generated<boolean>
  is_default_settlement: Generated<boolean>
  photo_uri: string | null
}

export interface MerchantTokenBlockTable {
  merchant_id: Int8
  token_id: number
  blocked: boolean
  updated_at: Timestamp
}

export interface WalletTable {
  id: string
  merchant_id: Int8
  environment: 'devnet' | 'mainnet'
  network: string
  address: string
  wallet_type: Generated<string>
  is_active: boolean
  created_at: Timestamp
  updated_at: Timestamp
}

export interface DepositAddressTable {
  id: string
  owner_type: string
  owner_id: string
  invoice_id: string | null
  merchant_id: Int8
  environment: 'devnet' | 'mainnet'
  network: string
  chain_kind: 'evm' | 'solana'
  derivation_index: number
  address: string
  token_id: number
  created_block: Int8 | null
  created_at: Timestamp
}

export interface PaymentQuoteTable {
  id: string
  invoice_id: string
  network: string
  token_id: number
  usd_millis: Int8
  token_amount: Numeric
  price_answer: Numeric
  price_decimals: number
  price_provider: string
  created_at: Timestamp
  valid_until: Timestamp
}

export type PaymentRowStatus = 'pending' | 'underpaid' | 'confirmed' | 'manual_retry' | 'orphaned'
export type SettlementRowStatus = 'pending' | 'processing' | 'manual' | 'failed' | 'settled'

export interface InvoicePaymentTable {
  id: string
  invoice_id: string | null
  merchant_id: Int8 | null
  environment: 'devnet' | 'mainnet'
  network: string
  deposit_address_id: string | null
  token_id: number | null
  tx_hash: string
  log_index: number
  block_number: Int8
  block_hash: string
  from_address: string | null
  to_address: string
  amount_units: Numeric
  usd_millis: Int8
  status: PaymentRowStatus
  confirmations: Generated<number>
  confirmations_required: number
  is_late: Generated<boolean>
  is_unmatched: Generated<boolean>
  credited_usd_millis: GeneratedInt8
  settlement_status: Generated<SettlementRowStatus>
  settlement_tx_hash: string | null
  settlement_destination: string | null
  settlement_attempts: Generated<number>
  settlement_next_attempt_at: Timestamp | null
  settlement_error: string | null
  settlement_raw_tx: string | null
  detected_at: Timestamp
  confirmed_at: Timestamp | null
  settled_at: Timestamp | null
  updated_at: Timestamp
}

export interface ChainCursorTable {
  network: string
  environment: 'devnet' | 'mainnet'
  genesis_hash: string | null
  last_block: Int8
  updated_at: Timestamp
}

export interface ChainBlockTable {
  network: string
  environment: 'devnet' | 'mainnet'
  number: Int8
  hash: string
  parent_hash: string
}

export interface ChainSendTable {
  idempotency_key: string
  environment: 'devnet' | 'mainnet'
  network: string
  from_address: string
  to_address: string
  token_id: number | null
  amount_units: Numeric
  nonce: Int8 | null
  raw_tx: string | null
  tx_hash: string | null
  status: 'pending' | 'signed' | 'broadcast' | 'mined' | 'failed'
  error: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface ManualVerificationTable {
  id: string
  invoice_id: string
  merchant_id: Int8
  network: string
  status: 'pending' | 'running' | 'completed' | 'failed'
  attempt_count: Generated<number>
  max_attempts: number
  next_attempt_at: Timestamp
  result: Json<Record<string, unknown>> | null
  error: Json<Record<string, unknown>> | null
  created_at: Timestamp
  updated_at: Timestamp
  completed_at: Timestamp | null
}

export interface DB extends WebhookTables, CommerceTables, RampTables {
  platform_secret: PlatformSecretTable
  merchant: MerchantTable
  api_key: ApiKeyTable
  invoice: InvoiceTable
  idempotency_key: IdempotencyKeyTable
  event: EventTable
  token: TokenTable
  merchant_token_block: MerchantTokenBlockTable
  wallet: WalletTable
  deposit_address: DepositAddressTable
  payment_quote: PaymentQuoteTable
  invoice_payment: InvoicePaymentTable
  chain_cursor: ChainCursorTable
  chain_block: ChainBlockTable
  manual_verification: ManualVerificationTable
  chain_send: ChainSendTable
}
