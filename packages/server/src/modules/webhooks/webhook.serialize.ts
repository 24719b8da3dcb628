import type { WebhookDelivery, WebhookEndpoint } from '@pepay/contracts'
import type { AttemptRecord, DeliveryRecord, WebhookEndpointRecord } from './webhook.repo.ts'

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000)
const secondsOrNull = (d: Date | null): number | null => (d ? seconds(d) : null)

/** The endpoint as the API shows it: never the secret (see serializeEndpointWithSecret). */
export function serializeEndpoint(endpoint: WebhookEndpointRecord, now: Date): WebhookEndpoint {
  const previousValid =
    endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now
  return {
    object: 'webhook_endpoint',
    id: endpoint.id,
    url: endpoint.url,
    enabled_events: endpoint.enabledEvents,
    environment: endpoint.environment,
    description: endpoint.description,
    status: endpoint.status,
    disabled_reason: endpoint.disabledReason,
    failing_since: secondsOrNull(endpoint.failingSince),
    previous_secret_expires_at: previousValid
      ? secondsOrNull(endpoint.previousSecretExpiresAt)
      : null,
    created_at: seconds(endpoint.createdAt),
    updated_at: seconds(endpoint.updatedAt),
  }
}

/** The endpoint with its signing secret in clear: only when the secret was just made (create, rotate). */
export function serializeEndpointWithSecret(
  endpoint: WebhookEndpointRecord,
  secret: string,
  now: Date,
): WebhookEndpoint & { secret: string } {
  return { ...serializeEndpoint(endpoint, now), secret }
}

export function serializeDelivery(
  delivery: DeliveryRecord,
  attempts: AttemptRecord[],
): WebhookDelivery {
  return {
    object: 'webhook_delivery',
    id: delivery.id,
    endpoint_id: delivery.endpointId,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    status: delivery.status,
    attempt_count: delivery.attemptCount,
    next_attempt_at: delivery.status === 'pending' ? secondsOrNull(delivery.nextAttemptAt) : null,
    last_attempt_at: secondsOrNull(delivery.lastAttemptAt),
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: seconds(delivery.createdAt),
    completed_at: secondsOrNull(delivery.completedAt),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      started_at: seconds(a.startedAt),
      duration_ms: a.durationMs,
      outcome: a.outcome,
      status_code: a.statusCode,
      error: a.error,
      response_excerpt: a.responseExcerpt,
    })),
  }
}
