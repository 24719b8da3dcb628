import { API_VERSION, type PaymentQuoteObject, type PepayEvent } from '@pepay/contracts'
import { formatUsdMillis, millisToJson } from '@pepay/core'
import type { Deps } from '../deps.ts'
import type { StoredEvent } from '../modules/events/event.repo.ts'
import { serializeEvent } from '../modules/events/event.serialize.ts'
import { remainingUsdMillis } from '../modules/invoices/invoice.state.ts'
import { findQuoteFacts } from './realtime.repo.ts'

/** Invoice fields a payer's browser may see (no merchant metadata, customer ids or descriptions). */
const PAYOR_INVOICE_FIELDS = [
  'object',
  'id',
  'status',
  'invoice_type',
  'currency',
  'amount',
  'amount_decimal',
  'amount_paid',
  'amount_paid_decimal',
  'amount_remaining',
  'amount_remaining_decimal',
  'amount_unit',
  'environment',
  'expires_at',
  'created_at',
  'paid_at',
  'last_payment_at',
  'canceled_at',
  'exceptions',
] as const

/** Payment fields a payer may see: their own transfer, not the merchant's settlement. */
const PAYOR_PAYMENT_EXCLUDED = new Set(['settlement', 'settlement_status', 'merchant_id'])

function pick(object: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of keys) if (key in object) out[key] = object[key]
  return out
}

function payorObject(type: string, object: Record<string, unknown>): Record<string, unknown> {
  if (type.startsWith('invoice.')) return pick(object, PAYOR_INVOICE_FIELDS)
  return Object.fromEntries(
    Object.entries(object).filter(([key]) => !PAYOR_PAYMENT_EXCLUDED.has(key)),
  )
}

/** The event as the payer's stream shows it: the same envelope with a payer-safe object. */
export function payorEvent(event: StoredEvent): PepayEvent {
  const wire = serializeEvent(event)
  const data: PepayEvent['data'] = { object: payorObject(event.type, wire.data.object) }
  if (wire.data.previous_attributes) {
    const allowed = Object.keys(payorObject(event.type, wire.data.previous_attributes))
    data.previous_attributes = pick(wire.data.previous_attributes, allowed)
  }
  return { ...wire, request: { id: null, idempotency_key: null }, pending_webhooks: 0, data }
}

/**
 * `payment_quote.updated` after an invoice or payment event: the remaining amount in usd_millis,
 * read when the frame is built. It carries the id of the event that caused it, so `since` works
 * as a cursor on this stream too; clients dedupe by (id, type).
 */
export async function paymentQuoteEvent(
  deps: Deps,
  cause: StoredEvent,
): Promise<PepayEvent | undefined> {
  if (!cause.invoiceId) return undefined
  const facts = await findQuoteFacts(deps.db, cause.invoiceId)
  if (!facts) return undefined
  const remaining = remainingUsdMillis({
    amountUsdMillis: facts.amountUsdMillis,
    paidUsdMillis: facts.paidUsdMillis,
  })
  const quote: PaymentQuoteObject = {
    object: 'payment_quote',
    invoice_id: facts.invoiceId,
    network: facts.network,
    currency: 'usd',
    amount_remaining: millisToJson(remaining),
    amount_remaining_decimal: formatUsdMillis(remaining),
    amount_unit: 'usd_millis',
  }
  return {
    id: cause.id,
    object: 'event',
    api_version: API_VERSION,
    created: Math.floor(cause.createdAt.getTime() / 1000),
    type: 'payment_quote.updated',
    livemode: cause.environment === 'mainnet',
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    data: { object: quote },
  }
}

/** Frames for one invoice event on /ws/payment: the event, then the updated quote. */
export function paymentFrameBuilder(deps: Deps) {
  return async (event: StoredEvent): Promise<string[]> => {
    const frames = [JSON.stringify(payorEvent(event))]
    const quote = await paymentQuoteEvent(deps, event)
    if (quote) frames.push(JSON.stringify(quote))
    return frames
  }
}
