import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  canCancel,
  ORDER_STATUSES,
  owesRefund,
  transition,
  type OrderEvent,
  type OrderStatus,
} from './order.state.ts'

const EVENTS: OrderEvent[] = [
  { type: 'payment_confirmed' },
  { type: 'payment_voided', reason: 'expired' },
  { type: 'payment_reverted' },
  { type: 'payment_settled' },
  { type: 'placed' },
  { type: 'shipped', carrier: 'UPS' },
  { type: 'delivered' },
  { type: 'failed', reason: 'out of stock' },
  { type: 'cancel', by: 'merchant' },
  { type: 'cancel', by: 'retailer' },
  { type: 'refund_sent' },
]

/** Every allowed (status, event) pair and where it leads; everything else is refused. */
const ALLOWED: Record<string, OrderStatus> = {
  'pending_payment payment_confirmed': 'processing',
  'pending_payment payment_voided': 'cancelled',
  'pending_payment cancel:merchant': 'cancelled',
  'processing payment_reverted': 'pending_payment',
  'processing payment_settled': 'processing',
  'processing placed': 'placed',
  'processing failed': 'failed',
  'processing cancel:merchant': 'cancelled',
  'placed shipped': 'shipped',
  'placed cancel:merchant': 'cancelled',
  'placed cancel:retailer': 'cancelled',
  'shipped shipped': 'shipped',
  'shipped delivered': 'delivered',
  'cancelled refund_sent': 'refunded',
  'failed refund_sent': 'refunded',
}

function label(event: OrderEvent): string {
  return event.type === 'cancel' ? `cancel:${event.by}` : event.type
}

describe('order state machine', () => {
  for (const status of ORDER_STATUSES) {
    for (const event of EVENTS) {
      const expected = ALLOWED[`${status} ${label(event)}`]
      it(`${expected ? `moves ${status} to ${expected}` : `refuses`} on ${label(event)} from ${status}`, () => {
        const result = transition(status, event)
        if (expected) {
          assert.ok(result.ok, JSON.stringify(result))
          assert.equal(result.status, expected)
          assert.ok(result.message.length > 0)
        } else {
          assert.equal(result.ok, false)
          if (!result.ok)
            assert.equal(
              result.code,
              event.type === 'cancel' ? 'ORDER_NOT_CANCELLABLE' : 'ORDER_TRANSITION_NOT_ALLOWED',
            )
        }
      })
    }
  }

  it('uses the documented substatus and timeline messages', () => {
    const paid = transition('pending_payment', { type: 'payment_confirmed' })
    assert.deepEqual(paid, {
      ok: true,
      status: 'processing',
      substatus: 'AWAITING_SETTLEMENT',
      message: 'Payment received, processing order',
    })
    const settled = transition('processing', { type: 'payment_settled' })
    assert.ok(settled.ok && settled.substatus === 'PROVIDER_PLACEMENT_SUBMITTED')
    const placed = transition('processing', { type: 'placed' })
    assert.ok(
      placed.ok &&
        placed.substatus === 'AWAITING_TRACKING' &&
        placed.message === 'Order placed with retailer',
    )
  })

  it('lets the merchant cancel only before shipping', () => {
    assert.deepEqual(ORDER_STATUSES.filter(canCancel), ['pending_payment', 'processing', 'placed'])
  })

  it('owes a refund only for paid orders that ended cancelled or failed', () => {
    assert.deepEqual(
      ORDER_STATUSES.filter((s) => owesRefund(s, true)),
      ['cancelled', 'failed'],
    )
    assert.deepEqual(
      ORDER_STATUSES.filter((s) => owesRefund(s, false)),
      [],
    )
  })
})
