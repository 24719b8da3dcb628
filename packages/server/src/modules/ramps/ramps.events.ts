import type { RequestContext } from '../../deps.ts'
import type { NewEvent } from '../events/event.repo.ts'

export type RampEventType =
  | 'ramp.customer.created'
  | 'ramp.customer.updated'
  | 'ramp.kyc.updated'
  | 'ramp.off_ramp.created'
  | 'ramp.off_ramp.updated'
  | 'ramp.on_ramp.created'
  | 'ramp.on_ramp.updated'

/** Fields of `after` whose values differ from `before` (Stripe's previous_attributes). */
export function changedAttributes(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const changed: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(before)) {
    if (JSON.stringify(value) !== JSON.stringify(after[key])) changed[key] = value
  }
  return changed
}

/** A `ramp.*` event; `customer_id` carries the ramp customer so the Events API can filter by it. */
export function rampEvent(input: {
  type: RampEventType
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  customerId: string
  object: Record<string, unknown>
  before?: Record<string, unknown> | undefined
  ctx?: RequestContext | undefined
}): NewEvent {
  return {
    merchantId: input.merchantId,
    environment: input.environment,
    type: input.type,
    object: input.object,
    previousAttributes: input.before ? changedAttributes(input.before, input.object) : undefined,
    customerId: input.customerId,
    request: input.ctx ? { id: input.ctx.requestId, idempotencyKey: input.ctx.idempotencyKey } : null,
  }
}
