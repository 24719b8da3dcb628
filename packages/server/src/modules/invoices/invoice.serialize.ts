import type { CreateInvoiceResponse, Invoice as WireInvoice, InvoiceStatus } from '@pepay/contracts'
import { formatUsdMillis, millisToJson } from '@pepay/core'
import type { InvoicePaymentRecord } from '../payments/payment.repo.ts'
import { serializePayment } from '../payments/payment.serialize.ts'
import type { Invoice } from './invoice.repo.ts'
import { remainingUsdMillis } from './invoice.state.ts'

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000)
const secondsOrNull = (d: Date | null): number | null => (d ? seconds(d) : null)

export interface InvoiceExpansion {
  latestPayment?: InvoicePaymentRecord | null | undefined
  payments?: InvoicePaymentRecord[] | undefined
}

/** The canonical invoice object (snake_case, usd_millis amounts, epoch-second instants). */
export function serializeInvoice(invoice: Invoice, expansion: InvoiceExpansion = {}): WireInvoice {
  const remaining = remainingUsdMillis({ amountUsdMillis: invoice.amountUsdMillis, paidUsdMillis: invoice.paidUsdMillis })
  const exceptions: WireInvoice['exceptions'] = []
  if (invoice.isOverpaid) exceptions.push('overpaid')
  if (invoice.hasLatePayment) exceptions.push('late_payment')
  const wire: WireInvoice = {
    object: 'invoice',
    id: invoice.id,
    merchant_id: Number(invoice.merchantId),
    status: invoice.status,
    invoice_type: invoice.invoiceType,
    currency: 'usd',
    amount: millisToJson(invoice.amountUsdMillis),
    amount_decimal: formatUsdMillis(invoice.amountUsdMillis),
    amount_paid: millisToJson(invoice.paidUsdMillis),
    amount_paid_decimal: formatUsdMillis(invoice.paidUsdMillis),
    amount_remaining: millisToJson(remaining),
    amount_remaining_decimal: formatUsdMillis(remaining),
    amount_unit: 'usd_millis',
    description: invoice.description,
    customer_id: invoice.customerId,
    payer_wallet_address: invoice.payerWalletAddress,
    payer_wallet_network: invoice.payerWalletNetwork,
    commerce_order_id: invoice.commerceOrderId,
    environment: invoice.environment,
    exceptions,
    expires_at: seconds(invoice.expiresAt),
    created_at: seconds(invoice.createdAt),
    paid_at: secondsOrNull(invoice.paidAt),
    last_payment_at: secondsOrNull(invoice.lastPaymentAt),
    canceled_at: secondsOrNull(invoice.canceledAt),
    metadata: invoice.metadata,
  }
  if (expansion.latestPayment !== undefined) {
    wire.latest_payment = expansion.latestPayment ? serializePayment(expansion.latestPayment) : null
  }
  if (expansion.payments !== undefined) wire.payments = expansion.payments.map(serializePayment)
  return wire
}

export function serializeCreatedInvoice(
  invoice: Invoice,
  session: { sessionToken: string; signature: string },
  paymentUrl: string,
): CreateInvoiceResponse {
  return {
    invoice_id: invoice.id,
    payment_url: paymentUrl,
    expires_at: seconds(invoice.expiresAt),
    session_token: session.sessionToken,
    signature: session.signature,
    payment_session_headers: { 'x-session-token': session.sessionToken, 'x-signature': session.signature },
  }
}

/** Stripe-style `previous_attributes`: the fields whose values changed, with their old values. */
export function previousAttributes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, unknown> {
  const changed: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(before)) {
    if (JSON.stringify(value) !== JSON.stringify(after[key])) changed[key] = value
  }
  return changed
}

export function emptyTotals(): Record<'all' | InvoiceStatus, { amount: number; amount_decimal: string; count: number }> {
  const bucket = () => ({ amount: 0, amount_decimal: '0.000', count: 0 })
  return { all: bucket(), paid: bucket(), unpaid: bucket(), underpaid: bucket(), expired: bucket(), canceled: bucket() }
}
