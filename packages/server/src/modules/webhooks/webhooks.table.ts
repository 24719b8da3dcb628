import type { Generated } from 'kysely'
import type { GeneratedInt8, Int8, Timestamp } from '../../db/schema.ts'

export interface WebhookEndpointTable {
  id: string
  merchant_id: Int8
  url: string
  description: string | null
  enabled_events: string[]
  environment: 'devnet' | 'mainnet' | null
  status: Generated<'enabled' | 'disabled'>
  disabled_reason: string | null
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: Timestamp | null
  failing_since: Timestamp | null
  deleted_at: Timestamp | null
  created_at: Timestamp
  updated_at: Timestamp
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'canceled'

export interface WebhookDeliveryTable {
  id: string
  endpoint_id: string
  merchant_id: Int8
  event_seq: Int8
  event_id: string
  event_type: string
  status: Generated<DeliveryStatus>
  attempt_count: Generated<number>
  next_attempt_at: Timestamp | null
  window_started_at: Timestamp | null
  lease_id: string | null
  last_attempt_at: Timestamp | null
  last_status_code: number | null
  last_error: string | null
  created_at: Timestamp
  updated_at: Timestamp
  completed_at: Timestamp | null
}

export type AttemptOutcome = 'succeeded' | 'http_error' | 'timeout' | 'network_error' | 'blocked'

export interface WebhookAttemptTable {
  id: GeneratedInt8
  delivery_id: string
  attempt: number
  started_at: Timestamp
  duration_ms: number
  outcome: AttemptOutcome
  status_code: number | null
  error: string | null
  response_excerpt: string | null
}

export interface EventRetentionTable {
  id: number
  pruned_through_seq: Int8
  updated_at: Timestamp
}

/** Kysely table types of this module; merged into the database type in db/schema.ts. */
export interface WebhookTables {
  webhook_endpoint: WebhookEndpointTable
  webhook_delivery: WebhookDeliveryTable
  webhook_attempt: WebhookAttemptTable
  event_retention: EventRetentionTable
}
