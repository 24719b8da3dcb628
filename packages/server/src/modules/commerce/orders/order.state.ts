import { CommerceOrderStatus } from '@pepay/contracts'
import type { OrderStatusColumn } from '../commerce.table.ts'

/**
 * The commerce order state machine. Pure: (current status, event) → next status, substatus and
 * timeline message, or a refusal with a stable code. No I/O, no clock.
 *
 *   pending_payment ──paid──▶ processing ──placed──▶ placed ──shipped──▶ shipped ──delivered──▶ delivered
 *        │ expired/canceled       │ failed              │ cancel (retailer accepts)
 *        ▼                        ▼                     ▼
 *    cancelled               failed ──refund sent──▶ refunded ◀──refund sent── cancelled (paid)
 */
export type OrderStatus = OrderStatusColumn

export type OrderEvent =
  | { type: 'payment_confirmed' }
  | { type: 'payment_voided'; reason: 'expired' | 'canceled' }
  | { type: 'payment_reverted' }
  | { type: 'payment_settled' }
  | { type: 'placed' }
  | { type: 'shipped'; carrier: string }
  | { type: 'delivered' }
  | { type: 'failed'; reason: string }
  | { type: 'cancel'; by: 'merchant' | 'retailer' }
  | { type: 'refund_sent' }

export type Transition =
  | { ok: true; status: OrderStatus; substatus: string | null; message: string }
  | { ok: false; code: 'ORDER_TRANSITION_NOT_ALLOWED' | 'ORDER_NOT_CANCELLABLE'; message: string }

/** Every status the wire contract knows; the machine's tests walk all of them. */
export const ORDER_STATUSES: readonly OrderStatus[] = CommerceOrderStatus.options

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['delivered', 'refunded']

function refuse(from: OrderStatus, event: OrderEvent): Transition {
  if (event.type === 'cancel') {
    return {
      ok: false,
      code: 'ORDER_NOT_CANCELLABLE',
      message: `an order that is ${from} cannot be cancelled`,
    }
  }
  return {
    ok: false,
    code: 'ORDER_TRANSITION_NOT_ALLOWED',
    message: `${event.type} is not allowed from status ${from}`,
  }
}

export function transition(from: OrderStatus, event: OrderEvent): Transition {
  switch (event.type) {
    case 'payment_confirmed':
      if (from !== 'pending_payment') return refuse(from, event)
      return {
        ok: true,
        status: 'processing',
        substatus: 'AWAITING_SETTLEMENT',
        message: 'Payment received, processing order',
      }
    case 'payment_voided':
      if (from !== 'pending_payment') return refuse(from, event)
      return event.reason === 'expired'
        ? {
            ok: true,
            status: 'cancelled',
            substatus: 'PAYMENT_EXPIRED',
            message: 'Invoice expired before payment; order cancelled',
          }
        : {
            ok: true,
            status: 'cancelled',
            substatus: 'INVOICE_CANCELED',
            message: 'Invoice canceled before payment; order cancelled',
          }
    case 'payment_reverted':
      // a reorg removed the payment before the retailer had the order
      if (from !== 'processing') return refuse(from, event)
      return {
        ok: true,
        status: 'pending_payment',
        substatus: 'PAYMENT_REVERTED',
        message: 'Payment reverted by a chain reorganisation; awaiting payment',
      }
    case 'payment_settled':
      if (from !== 'processing') return refuse(from, event)
      return {
        ok: true,
        status: 'processing',
        substatus: 'PROVIDER_PLACEMENT_SUBMITTED',
        message: 'Payment settled, order submitted to the retailer',
      }
    case 'placed':
      if (from !== 'processing') return refuse(from, event)
      return {
        ok: true,
        status: 'placed',
        substatus: 'AWAITING_TRACKING',
        message: 'Order placed with retailer',
      }
    case 'shipped':
      if (from !== 'placed' && from !== 'shipped') return refuse(from, event)
      return {
        ok: true,
        status: 'shipped',
        substatus: 'IN_TRANSIT',
        message: `Order shipped via ${event.carrier}`,
      }
    case 'delivered':
      if (from !== 'shipped') return refuse(from, event)
      return { ok: true, status: 'delivered', substatus: null, message: 'Order delivered' }
    case 'failed':
      // only before the retailer has the order: afterwards it is cancelled or returned, not failed
      if (from !== 'processing') return refuse(from, event)
      return {
        ok: true,
        status: 'failed',
        substatus: 'FULFILLMENT_FAILED',
        message: `Order failed: ${event.reason}`,
      }
    case 'cancel':
      if (event.by === 'retailer') {
        if (from !== 'placed') return refuse(from, event)
        return {
          ok: true,
          status: 'cancelled',
          substatus: 'CANCELLED_BY_RETAILER',
          message: 'Order cancelled by the retailer',
        }
      }
      if (from === 'pending_payment')
        return {
          ok: true,
          status: 'cancelled',
          substatus: 'CANCELLED_BEFORE_PAYMENT',
          message: 'Order cancelled before payment',
        }
      if (from === 'processing' || from === 'placed') {
        return {
          ok: true,
          status: 'cancelled',
          substatus: 'CANCELLED_BY_MERCHANT',
          message: 'Order cancelled by the merchant',
        }
      }
      return refuse(from, event)
    case 'refund_sent':
      if (from !== 'cancelled' && from !== 'failed') return refuse(from, event)
      return { ok: true, status: 'refunded', substatus: null, message: 'Refund sent on-chain' }
  }
}

/** Whether the merchant may cancel now (the `actions.canCancel` flag). */
export function canCancel(status: OrderStatus): boolean {
  return transition(status, { type: 'cancel', by: 'merchant' }).ok
}

/** A paid order that ended without delivery owes the payer their money back. */
export function owesRefund(status: OrderStatus, isPaid: boolean): boolean {
  return isPaid && (status === 'cancelled' || status === 'failed')
}
