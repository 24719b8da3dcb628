import type { Transition } from '../off-ramp/off-ramp.state.ts'

export type OnRampStatus = 'awaiting_funds' | 'funds_received' | 'delivery_submitted' | 'completed' | 'failed'
export type OnRampInput = 'funds_received' | 'funds_rejected' | 'delivery_started' | 'delivered'

const move = (next: OnRampStatus): Transition<OnRampStatus> => ({ kind: 'move', next })
const ignore = { kind: 'ignore' } as const
const invalid = { kind: 'invalid' } as const

/** awaiting_funds → funds_received → delivery_submitted → completed; fiat that cannot be converted → failed (returned). */
const TABLE: Record<OnRampStatus, Record<OnRampInput, Transition<OnRampStatus>>> = {
  awaiting_funds: { funds_received: move('funds_received'), funds_rejected: move('failed'), delivery_started: invalid, delivered: invalid },
  funds_received: { funds_received: invalid, funds_rejected: invalid, delivery_started: move('delivery_submitted'), delivered: move('completed') },
  delivery_submitted: { funds_received: invalid, funds_rejected: invalid, delivery_started: ignore, delivered: move('completed') },
  completed: { funds_received: invalid, funds_rejected: invalid, delivery_started: ignore, delivered: ignore },
  failed: { funds_received: invalid, funds_rejected: ignore, delivery_started: invalid, delivered: invalid },
}

export function nextOnRampStatus(current: OnRampStatus, input: OnRampInput): Transition<OnRampStatus> {
  return TABLE[current][input]
}
