import type { InvoiceStatus } from '@pepay/contracts'

/** The invoice facts that decide its status. Pure data: no I/O, time is passed in. */
export interface InvoiceFacts {
  status: InvoiceStatus
  amountUsdMillis: bigint
  /** Confirmed value credited to the invoice. */
  paidUsdMillis: bigint
  expiresAt: Date
}

export const OPEN_STATUSES: readonly InvoiceStatus[] = ['unpaid', 'underpaid']
export const TERMINAL_STATUSES: readonly InvoiceStatus[] = ['paid', 'expired', 'canceled']

export function isOpen(status: InvoiceStatus): boolean {
  return status === 'unpaid' || status === 'underpaid'
}

/**
 * Status after confirmed value changes. `toleranceUsdMillis` forgives dust (rounding in wallets);
 * a terminal status never reopens, but a confirmed amount can still move `paid` back when a reorg
 * removes the payment that paid it (the caller passes `allowReopen`).
 */
export function statusAfterPayments(
  facts: InvoiceFacts,
  toleranceUsdMillis: bigint,
  options: { allowReopen?: boolean } = {},
): InvoiceStatus {
  const { status, amountUsdMillis, paidUsdMillis } = facts
  if (status === 'canceled' || status === 'expired') return status
  if (status === 'paid' && !options.allowReopen) return 'paid'
  if (paidUsdMillis + toleranceUsdMillis >= amountUsdMillis) return 'paid'
  if (paidUsdMillis > 0n) return 'underpaid'
  return 'unpaid'
}

/** An open invoice whose deadline has passed expires; anything else is unchanged. */
export function statusAtTime(facts: InvoiceFacts, now: Date): InvoiceStatus {
  if (isOpen(facts.status) && now.getTime() >= facts.expiresAt.getTime()) return 'expired'
  return facts.status
}

export type CancelDecision = { ok: true } | { ok: false; code: 'INVOICE_NOT_CANCELABLE'; message: string }

/** Only an untouched invoice can be canceled: once money arrived it must be paid or refunded. */
export function canCancel(facts: InvoiceFacts, now: Date): CancelDecision {
  const current = statusAtTime(facts, now)
  if (current === 'unpaid') return { ok: true }
  return {
    ok: false,
    code: 'INVOICE_NOT_CANCELABLE',
    message: `invoice is ${current}; only unpaid invoices can be canceled`,
  }
}

/** Whether a confirmed payment arriving now is late (after expiry or cancelation). */
export function isLatePayment(facts: InvoiceFacts, receivedAt: Date): boolean {
  if (facts.status === 'expired' || facts.status === 'canceled') return true
  return receivedAt.getTime() >= facts.expiresAt.getTime() && facts.status !== 'paid'
}

export function remainingUsdMillis(facts: Pick<InvoiceFacts, 'amountUsdMillis' | 'paidUsdMillis'>): bigint {
  const remaining = facts.amountUsdMillis - facts.paidUsdMillis
  return remaining > 0n ? remaining : 0n
}
