import { z } from 'zod'
import { Environment, EpochSeconds, QueryBoolean, Uuid, envelopeB } from './common.ts'

export const NETWORKS = ['ethereum', 'base', 'solana', 'avalanche', 'ton', 'bsc', 'arbitrum', 'optimism', 'cardano', 'sui'] as const
export const Network = z.enum(NETWORKS)
export const TokenType = z.enum(['native', 'erc20', 'spl', 'sui', 'ton'])
export const AvailabilityStatus = z.enum(['DEVNET', 'AVAILABLE', 'STALE', 'NO_LIQUIDITY', 'QUOTE_REQUIRED'])
export const AcceptancePolicy = z.enum(['accept_all', 'accept_none', 'selective'])

export const AvailableTokensQuery = z
  .object({
    mode: z.enum(['monitored', 'all', 'network', 'checkout']).default('monitored').meta({
      description: "`checkout` is accepted as an alias of `monitored` (seen in SDK examples)",
    }),
    network: Network.optional(),
    available_only: QueryBoolean.optional(),
    invoice_id: Uuid.optional(),
  })
  .strict()

export const AvailableToken = z
  .object({
    id: z.number().int(),
    token_symbol: z.string(),
    token_name: z.string(),
    token_type: TokenType,
    network: z.string(),
    token_decimals: z.number().int(),
    token_address: z.string().nullable(),
    requires_memo: z.boolean(),
    photo_uri: z.string().nullable(),
    is_monitored: z.boolean(),
    has_settlement_route: z.boolean(),
    supports_stable_settlement: z.boolean(),
    settlement_rate: z.string().nullable(),
    settlement_cost_usd: z.number().nullable(),
    is_same_token_settlement: z.boolean(),
    tier: z.string().nullable(),
    tier_fee: z.number().nullable(),
    availability_status: AvailabilityStatus,
    rate_updated_at: EpochSeconds.nullable(),
    unavailable_reason: z.string().nullable(),
  })
  .meta({ id: 'AvailableToken' })
export const AvailableTokens = z.array(AvailableToken)

export const PaymentAddressBody = z
  .object({ network: Network, tokenId: z.number().int().positive() })
  .strict()

export const PaymentAddressResponse = z
  .object({
    success: z.literal(true),
    quote_status: z.enum(['available', 'unavailable', 'expired']),
    status_code: z.enum(['ok', 'quote_unavailable', 'quote_expired', 'settlement_unavailable']),
    message: z.string().nullable(),
    temp_address: z.string(),
    network: z.string(),
    supported_token_id: z.number().int(),
    estimated_token_amount: z.string().meta({ description: 'Exact amount to send, in whole-token decimal text' }),
    estimated_token_amount_units: z.string().meta({ description: 'The same amount in base units (integer text)' }),
    token_symbol: z.string(),
    token_decimals: z.number().int(),
    token_address: z.string().nullable(),
    exchange_rate: z.string().meta({ description: 'Tokens per 1 USD' }),
    usd_amount: z.number().meta({ description: 'USD amount quoted (the remaining amount when underpaid)' }),
    usd_amount_millis: z.number().int(),
    quote_last_updated_at: EpochSeconds,
    quote_valid_until: EpochSeconds,
    quote_expires_in_seconds: z.number().int(),
    retryable: z.boolean().nullable(),
    retry_after_seconds: z.number().int().nullable(),
    payment_uri: z.string().meta({ description: 'Wallet URI (EIP-681 / Solana Pay) for QR codes' }),
    ws_connection: z.object({
      token: z.string(),
      endpoint: z.literal('/ws/payment'),
      format: z.literal('event_v1'),
      ws_url: z.string(),
    }),
  })
  .meta({ id: 'PaymentAddress' })

export const MerchantTokensQuery = z.object({ environment: Environment.optional() }).strict()
const TokenPrice = z.object({ usd: z.number(), last_updated_at: EpochSeconds, provider_type: z.string() }).nullable()
export const MerchantToken = z.object({
  id: z.number().int(),
  token_symbol: z.string(),
  token_name: z.string(),
  network: z.string(),
  network_environment: Environment,
  photo_uri: z.string().nullable(),
  supports_subscriptions: z.boolean(),
  is_blocked: z.boolean(),
  price: TokenPrice,
})
export const MerchantTokens = z.object({
  acceptance_policy: AcceptancePolicy,
  environment: Environment,
  tokens: z.array(MerchantToken),
})
export const TokenSearchQuery = z
  .object({
    environment: Environment.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    offset: z.coerce.number().int().min(0).default(0),
    search: z.string().max(100).optional(),
    network: Network.optional(),
    token_type: TokenType.optional(),
    is_active: QueryBoolean.optional(),
    supports_stable_settlement: QueryBoolean.optional(),
    blocked: QueryBoolean.optional(),
  })
  .strict()
export const TokenSearchResult = z.object({
  acceptance_policy: AcceptancePolicy,
  environment: Environment,
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  tokens: z.array(
    MerchantToken.extend({
      token_address: z.string().nullable(),
      token_decimals: z.number().int(),
      token_type: TokenType,
      requires_memo: z.boolean(),
      supports_stable_settlement: z.boolean(),
      is_active: z.boolean(),
      is_monitored: z.boolean(),
    }),
  ),
})
export const TokenIdParams = z.object({ tokenId: z.coerce.number().int().positive() }).strict()
export const BlockTokenBody = z
  .object({ blocked: z.boolean(), environment: Environment.optional() })
  .strict()
export const BlockTokenResponse = z.object({ success: z.literal(true), blocked: z.boolean(), acceptance_policy: AcceptancePolicy })
export const AcceptancePolicyBody = z.object({ acceptance_policy: AcceptancePolicy }).strict()

const SettlementTokenInfo = z.object({
  id: z.number().int(),
  token_symbol: z.string(),
  token_name: z.string(),
  network: z.string(),
  token_address: z.string().nullable(),
  token_decimals: z.number().int(),
  photo_uri: z.string().nullable(),
})
export const SettlementPreference = z.object({
  settlement_preference: z.enum(['stables_only', 'stables_preferred', 'tokens']),
  description: z.string(),
  selected_settlement_token: SettlementTokenInfo.extend({ is_default: z.boolean() }).nullable(),
  available_stable_tokens: z.array(SettlementTokenInfo.extend({ is_default_settlement: z.boolean() })),
  updated_at: EpochSeconds.nullable(),
})
export const UpdateSettlementTokenBody = z.object({ settlement_token_id: z.number().int().positive().nullable() }).strict()
export const UpdateSettlementTokenResponse = z.object({
  success: z.literal(true),
  message: z.string(),
  settlement_token: z.object({ id: z.number().int(), token_symbol: z.string(), token_name: z.string(), network: z.string() }).nullable(),
  updated_at: EpochSeconds,
})

export const Wallet = z.object({
  id: Uuid,
  address: z.string(),
  type: z.string(),
  is_active: z.boolean(),
  created_at: EpochSeconds,
})
export const WalletGroups = z.array(z.object({ network: z.string(), wallets: z.array(Wallet) }))
export const CreateWalletBody = z
  .object({ network: Network, wallet_address: z.string().min(1).max(128), is_active: z.boolean().optional(), environment: Environment.optional() })
  .strict()
export const WalletResponse = Wallet.extend({ network: z.string(), environment: Environment })
export const WalletIdParams = z.object({ walletId: Uuid }).strict()
export const UpdateWalletBody = z.object({ is_active: z.boolean() }).strict()
export const WalletsQuery = z.object({ environment: Environment.optional(), network: Network.optional() }).strict()

export const ManualVerificationBody = z.object({ network: z.enum(['base', 'solana', 'bsc']).optional() }).strict().optional()
export const ManualVerification = z
  .object({
    object: z.literal('invoice_manual_verification'),
    id: Uuid,
    invoice_id: Uuid,
    network: z.string(),
    job_status: z.enum(['pending', 'running', 'completed', 'failed']),
    status: z.enum(['pending', 'running', 'completed', 'failed']),
    attempt_count: z.number().int(),
    max_attempts: z.number().int(),
    next_attempt_at: EpochSeconds.nullable(),
    created_at: EpochSeconds,
    updated_at: EpochSeconds,
    completed_at: EpochSeconds.nullable(),
    result: z.record(z.string(), z.unknown()),
    error: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ManualVerification' })
export const ManualVerificationResponse = envelopeB(ManualVerification)

export const DevnetInfo = envelopeB(
  z.object({
    networks: z.array(
      z.object({
        network: z.string(),
        chain_id: z.number().int(),
        rpc_url: z.string(),
        native_symbol: z.string(),
        tokens: z.array(z.object({ id: z.number().int(), symbol: z.string(), address: z.string().nullable(), decimals: z.number().int() })),
      }),
    ),
  }),
)
export const FaucetBody = z
  .object({
    network: Network,
    address: z.string().min(1).max(128),
    token_id: z.number().int().positive(),
    amount: z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/).meta({ description: 'Whole-token decimal text, e.g. "100.5"' }),
  })
  .strict()
export const FaucetResponse = envelopeB(z.object({ tx_hash: z.string(), network: z.string(), address: z.string(), token_id: z.number().int(), amount_units: z.string() }))

export const DevnetPayBody = z
  .object({
    invoice_id: Uuid,
    network: Network.default('base'),
    token_id: z.number().int().positive().optional(),
    amount: z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/).optional().meta({ description: 'Whole-token decimal text; default: the quoted remaining amount' }),
  })
  .strict()
export const DevnetPayResponse = envelopeB(
  z.object({
    tx_hash: z.string(),
    network: z.string(),
    token_id: z.number().int(),
    token_symbol: z.string(),
    to_address: z.string(),
    from_address: z.string(),
    amount_units: z.string(),
  }),
)
