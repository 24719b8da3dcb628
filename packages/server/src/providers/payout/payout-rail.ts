/** Bank payouts (fiat out), in our own terms. One implementation per payout provider, plus the sandbox. */
export type PayoutRailStatus = 'submitted' | 'paid' | 'failed' | 'returned'

export interface PayoutResult {
  status: PayoutRailStatus
  providerRef: string
  /** Bank or scheme reason of a failure or return (e.g. `account_closed`), else null. */
  failureCode: string | null
}

export interface PayoutRequest {
  /** Our payout id, passed as the provider's idempotency key: the same id never pays twice. */
  payoutId: string
  rail: string
  currency: string
  amountMinor: bigint
  destination: { holderName: string; country: string; details: Record<string, string> }
  /** Shown on the beneficiary's statement. */
  reference: string
}

export class PayoutProviderError extends Error {
  /** True when the request may have reached the provider (timeout): the outcome is unknown. */
  readonly isOutcomeUnknown: boolean
  constructor(message: string, isOutcomeUnknown: boolean) {
    super(message)
    this.name = 'PayoutProviderError'
    this.isOutcomeUnknown = isOutcomeUnknown
  }
}

export interface PayoutProvider {
  /** Stable registry id, e.g. `payout:sandbox`. */
  readonly id: string
  supportsRail(rail: string): boolean
  /** Submits (or, for a known payoutId, returns) a payout. Throws PayoutProviderError on transport failure. */
  send(request: PayoutRequest): Promise<PayoutResult>
  /** The provider's view of a payout by our id; `not_found` when the provider never received it. */
  getPayout(payoutId: string): Promise<PayoutResult | { status: 'not_found' }>
}
