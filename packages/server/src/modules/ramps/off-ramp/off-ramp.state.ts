export type OffRampStatus = 'awaiting_deposit' | 'funds_received' | 'payout_submitted' | 'paid' | 'failed' | 'returned'
export type OffRampInput = 'deposit_matched' | 'deposit_rejected' | 'payout_submitted' | 'payout_paid' | 'payout_failed' | 'payout_returned'
export type Transition<S> = { kind: 'move'; next: S } | { kind: 'ignore' } | { kind: 'invalid' }

const move = (next: OffRampStatus): Transition<OffRampStatus> => ({ kind: 'move', next })
const ignore = { kind: 'ignore' } as const
const invalid = { kind: 'invalid' } as const

/**
 * awaiting_deposit → funds_received → payout_submitted → paid | failed | returned.
 * An instant rail may answer `paid` at submission; a bank may return a payout after it was paid.
 * Repeated provider news is ignored; anything else out of order is invalid and never applied.
 */
const TABLE: Record<OffRampStatus, Record<OffRampInput, Transition<OffRampStatus>>> = {
  awaiting_deposit: { deposit_matched: move('funds_received'), deposit_rejected: move('failed'), payout_submitted: invalid, payout_paid: invalid, payout_failed: invalid, payout_returned: invalid },
  funds_received: { deposit_matched: invalid, deposit_rejected: move('failed'), payout_submitted: move('payout_submitted'), payout_paid: move('paid'), payout_failed: move('failed'), payout_returned: invalid },
  payout_submitted: { deposit_matched: invalid, deposit_rejected: invalid, payout_submitted: ignore, payout_paid: move('paid'), payout_failed: move('failed'), payout_returned: move('returned') },
  paid: { deposit_matched: invalid, deposit_rejected: invalid, payout_submitted: ignore, payout_paid: ignore, payout_failed: invalid, payout_returned: move('returned') },
  failed: { deposit_matched: invalid, deposit_rejected: ignore, payout_submitted: invalid, payout_paid: invalid, payout_failed: ignore, payout_returned: invalid },
  returned: { deposit_matched: invalid, deposit_rejected: invalid, payout_submitted: invalid, payout_paid: invalid, payout_failed: ignore, payout_returned: ignore },
}

export function nextOffRampStatus(current: OffRampStatus, input: OffRampInput): Transition<OffRampStatus> {
  return TABLE[current][input]
}

export const OFF_RAMP_FINAL: readonly OffRampStatus[] = ['failed', 'returned']

export type DepositDecision =
  | { kind: 'match' }
  | { kind: 'match_refund_excess'; excessUnits: bigint }
  | { kind: 'requote'; reason: 'underpaid' | 'late' }
  | { kind: 'refund_all'; reason: 'already_funded' }

/**
 * What to do with a confirmed deposit: the exact amount in time pays as quoted; more in time pays
 * as quoted and refunds the excess; less, or anything after the rate lock, is re-quoted at the
 * current rate for what arrived; a deposit to an off-ramp that was already funded is refunded.
 */
export function decideDeposit(input: { status: OffRampStatus; expectedUnits: bigint; amountUnits: bigint; now: Date; rateLockedUntil: Date }): DepositDecision {
  if (input.status !== 'awaiting_deposit') return { kind: 'refund_all', reason: 'already_funded' }
  if (input.now > input.rateLockedUntil) return { kind: 'requote', reason: 'late' }
  if (input.amountUnits < input.expectedUnits) return { kind: 'requote', reason: 'underpaid' }
  if (input.amountUnits > input.expectedUnits) return { kind: 'match_refund_excess', excessUnits: input.amountUnits - input.expectedUnits }
  return { kind: 'match' }
}
