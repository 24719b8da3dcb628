import type { Transition } from '../off-ramp/off-ramp.state.ts'

export type PayoutStatus = 'pending' | 'submitted' | 'paid' | 'failed' | 'returned'
export type ProviderPayoutStatus = 'submitted' | 'paid' | 'failed' | 'returned'

const move = (next: PayoutStatus): Transition<PayoutStatus> => ({ kind: 'move', next })
const ignore = { kind: 'ignore' } as const
const invalid = { kind: 'invalid' } as const

/** pending → submitted → paid | failed | returned, following what the provider reports (it may skip steps). */
const TABLE: Record<PayoutStatus, Record<ProviderPayoutStatus, Transition<PayoutStatus>>> = {
  pending: { submitted: move('submitted'), paid: move('paid'), failed: move('failed'), returned: move('returned') },
  submitted: { submitted: ignore, paid: move('paid'), failed: move('failed'), returned: move('returned') },
  paid: { submitted: ignore, paid: ignore, failed: invalid, returned: move('returned') },
  failed: { submitted: invalid, paid: invalid, failed: ignore, returned: invalid },
  returned: { submitted: invalid, paid: invalid, failed: invalid, returned: ignore },
}

export function nextPayoutStatus(current: PayoutStatus, reported: ProviderPayoutStatus): Transition<PayoutStatus> {
  return TABLE[current][reported]
}
