import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decideDeposit, nextOffRampStatus, type OffRampInput, type OffRampStatus } from './off-ramp.state.ts'
import { nextOnRampStatus, type OnRampInput, type OnRampStatus } from '../on-ramp/on-ramp.state.ts'
import { nextPayoutStatus, type PayoutStatus, type ProviderPayoutStatus } from '../payouts/payout.state.ts'

function check<S extends string, I extends string>(
  name: string,
  fn: (s: S, i: I) => { kind: string; next?: S },
  expected: Record<S, Record<I, S | '=' | '!'>>,
): void {
  describe(name, () => {
    for (const status of Object.keys(expected) as S[]) {
      for (const input of Object.keys(expected[status]) as I[]) {
        const want = expected[status][input]
        const label = want === '=' ? 'ignores' : want === '!' ? 'refuses' : `moves to ${want} on`
        it(`${label} ${input} when ${status}`, () => {
          const got = fn(status, input)
          if (want === '=') assert.equal(got.kind, 'ignore')
          else if (want === '!') assert.equal(got.kind, 'invalid')
          else assert.deepEqual(got, { kind: 'move', next: want })
        })
      }
    }
  })
}

check<OffRampStatus, OffRampInput>('nextOffRampStatus', nextOffRampStatus, {
  awaiting_deposit: { deposit_matched: 'funds_received', deposit_rejected: 'failed', payout_submitted: '!', payout_paid: '!', payout_failed: '!', payout_returned: '!' },
  funds_received: { deposit_matched: '!', deposit_rejected: 'failed', payout_submitted: 'payout_submitted', payout_paid: 'paid', payout_failed: 'failed', payout_returned: '!' },
  payout_submitted: { deposit_matched: '!', deposit_rejected: '!', payout_submitted: '=', payout_paid: 'paid', payout_failed: 'failed', payout_returned: 'returned' },
  paid: { deposit_matched: '!', deposit_rejected: '!', payout_submitted: '=', payout_paid: '=', payout_failed: '!', payout_returned: 'returned' },
  failed: { deposit_matched: '!', deposit_rejected: '=', payout_submitted: '!', payout_paid: '!', payout_failed: '=', payout_returned: '!' },
  returned: { deposit_matched: '!', deposit_rejected: '!', payout_submitted: '!', payout_paid: '!', payout_failed: '=', payout_returned: '=' },
})

check<OnRampStatus, OnRampInput>('nextOnRampStatus', nextOnRampStatus, {
  awaiting_funds: { funds_received: 'funds_received', funds_rejected: 'failed', delivery_started: '!', delivered: '!' },
  funds_received: { funds_received: '!', funds_rejected: '!', delivery_started: 'delivery_submitted', delivered: 'completed' },
  delivery_submitted: { funds_received: '!', funds_rejected: '!', delivery_started: '=', delivered: 'completed' },
  completed: { funds_received: '!', funds_rejected: '!', delivery_started: '=', delivered: '=' },
  failed: { funds_received: '!', funds_rejected: '=', delivery_started: '!', delivered: '!' },
})

check<PayoutStatus, ProviderPayoutStatus>('nextPayoutStatus', nextPayoutStatus, {
  pending: { submitted: 'submitted', paid: 'paid', failed: 'failed', returned: 'returned' },
  submitted: { submitted: '=', paid: 'paid', failed: 'failed', returned: 'returned' },
  paid: { submitted: '=', paid: '=', failed: '!', returned: 'returned' },
  failed: { submitted: '!', paid: '!', failed: '=', returned: '!' },
  returned: { submitted: '!', paid: '!', failed: '!', returned: '=' },
})

describe('decideDeposit', () => {
  const lock = new Date(Date.UTC(2026, 0, 1, 0, 30))
  const early = new Date(Date.UTC(2026, 0, 1, 0, 10))
  const late = new Date(Date.UTC(2026, 0, 1, 0, 31))
  const cases: [string, Parameters<typeof decideDeposit>[0], ReturnType<typeof decideDeposit>][] = [
    ['pays as quoted for the exact amount in time', { status: 'awaiting_deposit', expectedUnits: 100n, amountUnits: 100n, now: early, rateLockedUntil: lock }, { kind: 'match' }],
    ['refunds the excess of an over-deposit', { status: 'awaiting_deposit', expectedUnits: 100n, amountUnits: 130n, now: early, rateLockedUntil: lock }, { kind: 'match_refund_excess', excessUnits: 30n }],
    ['re-quotes an under-deposit', { status: 'awaiting_deposit', expectedUnits: 100n, amountUnits: 60n, now: early, rateLockedUntil: lock }, { kind: 'requote', reason: 'underpaid' }],
    ['re-quotes a deposit after the rate lock even when exact', { status: 'awaiting_deposit', expectedUnits: 100n, amountUnits: 100n, now: late, rateLockedUntil: lock }, { kind: 'requote', reason: 'late' }],
    ['refunds a second deposit to a funded off-ramp', { status: 'funds_received', expectedUnits: 100n, amountUnits: 100n, now: early, rateLockedUntil: lock }, { kind: 'refund_all', reason: 'already_funded' }],
    ['refunds a deposit to a finished off-ramp', { status: 'paid', expectedUnits: 100n, amountUnits: 5n, now: late, rateLockedUntil: lock }, { kind: 'refund_all', reason: 'already_funded' }],
  ]
  for (const [label, input, expected] of cases) {
    it(label, () => assert.deepEqual(decideDeposit(input), expected))
  }
})
