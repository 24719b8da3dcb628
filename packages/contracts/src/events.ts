import { z } from 'zod'
import { Environment, EpochSeconds, envelopeB, listOf } from './common.ts'

export const API_VERSION = '2025-12-16'

/** Every event type the platform emits. */
export const EVENT_TYPES = [
  'invoice.created',
  'invoice.updated',
  'invoice_payment.created',
  'invoice_payment.updated',
  'commerce.order.created',
  'commerce.order.updated',
  'webhook_endpoint.disabled',
  'test.ping',
  'ramp.customer.created',
  'ramp.customer.updated',
  'ramp.kyc.updated',
  'ramp.off_ramp.created',
  'ramp.off_ramp.updated',
  'ramp.on_ramp.created',
  'ramp.on_ramp.updated',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** `invoice.*` style patterns and exact types; a pattern must match at least one known type. */
export const EventTypePattern = z
  .string()
  .regex(/^[a-z_]+(\.[a-z_]+)*(\.\*)?$|^\*$/)
  .refine((pattern) => EVENT_TYPES.some((type) => eventTypeMatches(pattern, type)), {
    message: 'unknown event type or pattern',
  })

export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1))
  return pattern === type
}

export const PepayEvent = z
  .object({
    id: z.string().regex(/^evt_\d+-\d+$/),
    object: z.literal('event'),
    api_version: z.string(),
    created: EpochSeconds,
    type: z.string(),
    livemode: z.boolean(),
    pending_webhooks: z.number().int(),
    request: z.object({ id: z.string().nullable(), idempotency_key: z.string().nullable() }),
    data: z.object({
      object: z.record(z.string(), z.unknown()),
      previous_attributes: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Event' })
export type PepayEvent = z.infer<typeof PepayEvent>

export const EventId = z.string().regex(/^evt_\d{1,16}-\d{1,19}$/, 'must look like evt_<ms>-<seq>')

export const ListEventsQuery = z
  .object({
    type: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(EventTypePattern).min(1).max(20))
      .optional(),
    'created[gte]': z.coerce.number().int().min(0).optional(),
    'created[lte]': z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    starting_after: EventId.optional(),
    ending_before: EventId.optional(),
    invoice_id: z.uuid().optional(),
    order_id: z.uuid().optional(),
    customer_id: z.string().min(1).max(255).optional(),
    environment: Environment.optional(),
  })
  .strict()
export type ListEventsQuery = z.infer<typeof ListEventsQuery>

export const EventList = envelopeB(listOf(PepayEvent))
export const EventResponse = envelopeB(PepayEvent)
export const EventIdParams = z.object({ eventId: EventId }).strict()
