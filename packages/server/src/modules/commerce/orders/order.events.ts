import type { RequestContext } from '../../../deps.ts'
import type { NewEvent } from '../../events/event.repo.ts'
import type { OrderView } from './order.repo.ts'
import { serializeOrder } from './order.serialize.ts'

/**
 * `commerce.order.*` payload: the canonical order snapshot with the event discriminator fields
 * (`object`, `id`, `status`, `invoice_id`, `environment`) in front. Routing columns (order,
 * invoice, customer, wallet) let the commerce stream and webhooks filter without parsing it.
 */
export function orderEvent(
  view: OrderView,
  type: 'commerce.order.created' | 'commerce.order.updated',
  previous: { status: string; substatus: string | null } | undefined,
  ctx: RequestContext | undefined,
): NewEvent {
  const o = view.order
  const object = {
    object: 'commerce_order',
    id: o.id,
    invoice_id: o.invoiceId,
    environment: o.environment,
    ...serializeOrder(view),
  }
  const changed: Record<string, unknown> = {}
  if (previous && previous.status !== o.status) changed['status'] = previous.status
  if (previous && previous.substatus !== o.substatus) changed['substatus'] = previous.substatus
  return {
    merchantId: o.merchantId,
    environment: o.environment,
    type,
    object,
    previousAttributes: previous ? changed : undefined,
    invoiceId: o.invoiceId,
    invoiceType: 'commerce',
    customerId: o.customerId,
    orderId: o.id,
    walletAddress: o.walletAddress,
    walletNetwork: o.walletNetwork,
    request: ctx ? { id: ctx.requestId, idempotencyKey: ctx.idempotencyKey } : null,
  }
}
