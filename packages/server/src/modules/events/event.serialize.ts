import { API_VERSION, type PepayEvent } from '@pepay/contracts'
import type { StoredEvent } from './event.repo.ts'

/** The event_v1 envelope, identical on the Events API, WebSockets and webhooks. */
export function serializeEvent(event: StoredEvent): PepayEvent {
  return {
    id: event.id,
    object: 'event',
    api_version: API_VERSION,
    created: Math.floor(event.createdAt.getTime() / 1000),
    type: event.type,
    livemode: event.environment === 'mainnet',
    pending_webhooks: event.pendingWebhooks,
    request: event.request ?? { id: null, idempotency_key: null },
    data: event.data,
  }
}
