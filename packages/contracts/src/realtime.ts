import { z } from 'zod'
import { commaList, Environment, envelopeB, EpochSeconds, listOf } from './common.ts'
import { EventId, EventTypePattern, PepayEvent } from './events.ts'

// ---------------------------------------------------------------------------------------------
// WebSocket token (POST /api/v1/ws/token)

export const WsScope = z.enum(['merchant', 'commerce'])
export type WsScope = z.infer<typeof WsScope>

export const WS_TOKEN_TTL = { min: 10, max: 3600, default: 60 } as const

export const WsTokenBody = z
  .object({
    scope: WsScope,
    ttl_seconds: z
      .number()
      .int()
      .min(WS_TOKEN_TTL.min)
      .max(WS_TOKEN_TTL.max)
      .default(WS_TOKEN_TTL.default),
  })
  .strict()
export type WsTokenBody = z.infer<typeof WsTokenBody>

export const WsToken = z
  .object({
    token: z.string(),
    scope: WsScope,
    merchant_id: z.number().int(),
    network_environment: Environment.nullable().meta({
      description: 'The environment the token reads; null = both (dashboard tokens)',
    }),
    expires_at: EpochSeconds,
    ws_url: z.string(),
  })
  .meta({ id: 'WsToken' })
export const WsTokenResponse = envelopeB(WsToken)

// ---------------------------------------------------------------------------------------------
// Stream query strings (filters are fixed at connect time)

const TypesFilter = commaList(EventTypePattern)
const Format = z.literal('event_v1').default('event_v1')

export const MerchantStreamQuery = z
  .object({
    token: z.string().min(1).max(4096).optional(),
    since: EventId.optional(),
    types: TypesFilter.optional(),
    invoice_type: commaList(z.enum(['standard', 'commerce'])).optional(),
    invoice_id: z.uuid().optional(),
    customer_id: z.string().min(1).max(255).optional(),
    environment: Environment.optional(),
    format: Format,
  })
  .strict()
export type MerchantStreamQuery = z.infer<typeof MerchantStreamQuery>

export const CommerceStreamQuery = z
  .object({
    token: z.string().min(1).max(4096).optional(),
    since: EventId.optional(),
    types: TypesFilter.optional(),
    order_id: z.uuid().optional(),
    invoice_id: z.uuid().optional(),
    customer_id: z.string().min(1).max(255).optional(),
    wallet_address: z.string().min(1).max(128).optional(),
    wallet_network: z.string().min(1).max(32).optional(),
    environment: Environment.optional(),
    format: Format,
  })
  .strict()
export type CommerceStreamQuery = z.infer<typeof CommerceStreamQuery>

export const PaymentStreamQuery = z
  .object({
    token: z.string().min(1).max(4096),
    since: EventId.optional(),
    format: Format,
  })
  .strict()
export type PaymentStreamQuery = z.infer<typeof PaymentStreamQuery>

// ---------------------------------------------------------------------------------------------
// Frames. Every frame is one JSON text message discriminated by `object`.

/** Close codes the server uses; 4xxx mirror the HTTP status of the same meaning. */
export const WS_CLOSE_CODES = {
  normal: 1000,
  /** The server is shutting down or restarting: reconnect (with `since`) to another process. */
  serviceRestart: 1012,
  /** The client did not keep up: the send buffer filled. Reconnect with `since`. */
  slowConsumer: 4008,
  /** The client stopped answering protocol pings. */
  idleTimeout: 4009,
  badRequest: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  internalError: 4500,
} as const

export const WsControlType = z.enum([
  'replay_started',
  'replay_truncated',
  'replay_complete',
  'server_shutdown',
])

/**
 * Replay and lifecycle hints. `replay_truncated`: the cursor is older than retention; a bounded
 * snapshot of the newest matching events follows, then live events. `replay_complete`: every
 * matching event after `since` was sent; live events follow with no gap.
 */
export const WsControlFrame = z
  .object({
    object: z.literal('ws_control'),
    type: WsControlType,
    message: z.string(),
    since: EventId.nullable(),
    /** The oldest event id still kept (replay_truncated). */
    oldest_event_id: EventId.nullable(),
    /** The last event id sent before this frame (resume cursor). */
    last_event_id: EventId.nullable(),
    /** Events sent by the replay or snapshot (replay_complete) or the snapshot bound (replay_truncated). */
    count: z.number().int().nullable(),
    retention_days: z.number().int().nullable(),
  })
  .meta({ id: 'WsControlFrame' })
export type WsControlFrame = z.infer<typeof WsControlFrame>

/** Terminal error: the server closes the connection right after this frame. */
export const WsErrorFrame = z
  .object({
    object: z.literal('ws_error'),
    code: z.enum(['SLOW_CONSUMER', 'IDLE_TIMEOUT', 'INTERNAL_ERROR']),
    message: z.string(),
    close_code: z.number().int(),
    retryable: z.boolean(),
    /** Reconnect with `since=<resume_since>` to continue without a gap. */
    resume_since: EventId.nullable(),
  })
  .meta({ id: 'WsErrorFrame' })
export type WsErrorFrame = z.infer<typeof WsErrorFrame>

/** `data.object` of `payment_quote.updated` on /ws/payment. */
export const PaymentQuoteObject = z
  .object({
    object: z.literal('payment_quote'),
    invoice_id: z.string(),
    network: z.string().nullable(),
    currency: z.literal('usd'),
    amount_remaining: z.number().int(),
    amount_remaining_decimal: z.string(),
    amount_unit: z.literal('usd_millis'),
  })
  .meta({ id: 'PaymentQuote' })
export type PaymentQuoteObject = z.infer<typeof PaymentQuoteObject>

export const WsFrame = z.union([PepayEvent, WsControlFrame, WsErrorFrame])

// ---------------------------------------------------------------------------------------------
// Webhook endpoints (/api/v1/webhooks/*)

export const WebhookEndpointId = z.string().regex(/^we_[0-9a-f]{32}$/, 'must look like we_<32 hex>')
export const WebhookDeliveryId = z.string().regex(/^wd_[0-9a-f]{24}$/, 'must look like wd_<24 hex>')

const WebhookUrl = z.string().min(1).max(2048)
const EnabledEvents = z.array(EventTypePattern).min(1).max(50)

export const CreateWebhookEndpointBody = z
  .object({
    url: WebhookUrl,
    enabled_events: EnabledEvents,
    environment: Environment.nullable().optional().meta({
      description: 'devnet, mainnet, or null for both; defaults to the API key’s environment',
    }),
    description: z.string().max(255).nullable().optional(),
  })
  .strict()
export type CreateWebhookEndpointBody = z.infer<typeof CreateWebhookEndpointBody>

export const UpdateWebhookEndpointBody = z
  .object({
    url: WebhookUrl.optional(),
    enabled_events: EnabledEvents.optional(),
    environment: Environment.nullable().optional(),
    description: z.string().max(255).nullable().optional(),
    status: z.enum(['enabled', 'disabled']).optional(),
  })
  .strict()
export type UpdateWebhookEndpointBody = z.infer<typeof UpdateWebhookEndpointBody>

export const WebhookEndpoint = z
  .object({
    object: z.literal('webhook_endpoint'),
    id: WebhookEndpointId,
    url: z.string(),
    enabled_events: z.array(z.string()),
    environment: Environment.nullable(),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    disabled_reason: z.string().nullable(),
    failing_since: EpochSeconds.nullable(),
    previous_secret_expires_at: EpochSeconds.nullable(),
    created_at: EpochSeconds,
    updated_at: EpochSeconds,
  })
  .meta({ id: 'WebhookEndpoint' })
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>

/** The endpoint with its signing secret: only on creation and rotation. */
export const WebhookEndpointWithSecret = WebhookEndpoint.extend({ secret: z.string() }).meta({
  id: 'WebhookEndpointWithSecret',
})

export const WebhookEndpointResponse = envelopeB(WebhookEndpoint)
export const WebhookEndpointSecretResponse = envelopeB(WebhookEndpointWithSecret)
export const WebhookEndpointList = envelopeB(listOf(WebhookEndpoint))
export const WebhookEndpointDeleted = envelopeB(
  z.object({
    object: z.literal('webhook_endpoint'),
    id: WebhookEndpointId,
    deleted: z.literal(true),
  }),
)
export const WebhookEndpointIdParams = z.object({ endpointId: WebhookEndpointId }).strict()

export const WebhookAttempt = z
  .object({
    attempt: z.number().int(),
    started_at: EpochSeconds,
    duration_ms: z.number().int(),
    outcome: z.enum(['succeeded', 'http_error', 'timeout', 'network_error', 'blocked']),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    response_excerpt: z.string().nullable(),
  })
  .meta({ id: 'WebhookAttempt' })

export const DeliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'canceled'])

export const WebhookDelivery = z
  .object({
    object: z.literal('webhook_delivery'),
    id: WebhookDeliveryId,
    endpoint_id: WebhookEndpointId,
    event_id: z.string(),
    event_type: z.string(),
    status: DeliveryStatus,
    attempt_count: z.number().int(),
    next_attempt_at: EpochSeconds.nullable(),
    last_attempt_at: EpochSeconds.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: EpochSeconds,
    completed_at: EpochSeconds.nullable(),
    attempts: z.array(WebhookAttempt),
  })
  .meta({ id: 'WebhookDelivery' })
export type WebhookDelivery = z.infer<typeof WebhookDelivery>

export const ListDeliveriesQuery = z
  .object({
    endpoint_id: WebhookEndpointId.optional(),
    event_id: EventId.optional(),
    status: DeliveryStatus.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    starting_after: WebhookDeliveryId.optional(),
  })
  .strict()
export type ListDeliveriesQuery = z.infer<typeof ListDeliveriesQuery>

export const WebhookDeliveryResponse = envelopeB(WebhookDelivery)
export const WebhookDeliveryList = envelopeB(listOf(WebhookDelivery))
export const WebhookDeliveryIdParams = z.object({ deliveryId: WebhookDeliveryId }).strict()
