import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { InvoiceStatus } from '@pepay/contracts'
import { canCancel, isLatePayment, remainingUsdMillis, statusAfterPayments, statusAtTime, type InvoiceFacts } from './invoice.state.ts'

const deadline = new Date('2026-01-01T12:00:00Z')
const before = new Date('2026-01-01T11:59:59Z')
const after = new Date('2026-01-01T12:00:00Z')

function facts(status: InvoiceStatus, paid: bigint, amount = 10_000n): InvoiceFacts {
  return { status, amountUsdMillis: amount, paidUsdMillis: paid, expiresAt: deadline }
}

describe('statusAfterPayments', () => {
  const table: [InvoiceStatus, bigint, bigint, boolean, InvoiceStatus][] = [
    // status, paid, tolerance, allowReopen → next
    ['unpaid', 0n, 0n, false, 'unpaid'],
    ['unpaid', 10_000n, 0n, false, 'paid'],
    ['unpaid', 12_000n, 0n, false, 'paid'],
    ['unpaid', 4_000n, 0n, false, 'underpaid'],
    ['unpaid', 9_990n, 10n, false, 'paid'],
    ['unpaid', 9_989n, 10n, false, 'underpaid'],
    ['underpaid', 4_000n, 0n, false, 'underpaid'],
    ['underpaid', 10_000n, 0n, false, 'paid'],
    ['paid', 0n, 0n, false, 'paid'],
    ['paid', 0n, 0n, true, 'unpaid'],
    ['paid', 5_000n, 0n, true, 'underpaid'],
    ['expired', 10_000n, 0n, false, 'expired'],
    ['expired', 10_000n, 0n, true, 'expired'],
    ['canceled', 10_000n, 0n, false, 'canceled'],
  ]
  for (const [status, paid, tolerance, reopen, next] of table) {
    it(`moves ${status} with ${paid} paid (tolerance ${tolerance}${reopen ? ', reopen' : ''}) to ${next}`, () => {
      assert.equal(statusAfterPayments(facts(status, paid), tolerance, { allowReopen: reopen }), next)
    })
  }
})

describe('statusAtTime', () => {
  const table: [InvoiceStatus, Date, InvoiceStatus][] = [
    ['unpaid', before, 'unpaid'],
    ['unpaid', after, 'expired'],
    ['underpaid', before, 'underpaid'],
    ['underpaid', after, 'expired'],
    ['paid', after, 'paid'],
    ['canceled', after, 'canceled'],
    ['expired', before, 'expired'],
  ]
  for (const [status, now, next] of table) {
    it(`keeps or expires ${status} at ${now.toISOString()} → ${next}`, () => {
      assert.equal(statusAtTime(facts(status, 0n), now), next)
    })
  }
})

describe('canCancel', () => {
  const table: [InvoiceStatus, bigint, Date, boolean][] = [
    ['unpaid', 0n, before, true],
    ['unpaid', 0n, after, false],
    ['underpaid', 1n, before, false],
    ['paid', 10_000n, before, false],
    ['expired', 0n, before, false],
    ['canceled', 0n, before, false],
  ]
  for (const [status, paid, now, ok] of table) {
    it(`${ok ? 'allows' : 'refuses'} canceling a ${status} invoice at ${now.toISOString()}`, () => {
      assert.equal(canCancel(facts(status, paid), now).ok, ok)
    })
  }
})

describe('isLatePayment', () => {
  it('flags value that arrives after expiry or cancelation', () => {
    assert.equal(isLatePayment(facts('unpaid', 0n), before), false)
    assert.equal(isLatePayment(facts('unpaid', 0n), after), true)
    assert.equal(isLatePayment(facts('expired', 0n), before), true)
    assert.equal(isLatePayment(facts('canceled', 0n), before), true)
  })
})

describe('remainingUsdMillis', () => {
  it('never goes below zero', () => {
    assert.equal(remainingUsdMillis({ amountUsdMillis: 100n, paidUsdMillis: 30n }), 70n)
    assert.equal(remainingUsdMillis({ amountUsdMillis: 100n, paidUsdMillis: 300n }), 0n)
  })
})
