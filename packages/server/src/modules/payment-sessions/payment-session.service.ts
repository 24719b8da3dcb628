import { AppError, millisToUsdNumber } from '@pepay/core'
import { z } from 'zod'
import type { Deps } from '../../deps.ts'
import { fieldError, NotFoundError } from '../../http/errors.ts'
import { findMerchant } from '../merchants/merchant.repo.ts'
import { findInvoice, updateInvoice, type Invoice } from '../invoices/invoice.repo.ts'
import { remainingUsdMillis, statusAtTime } from '../invoices/invoice.state.ts'

export interface Session {
  merchantId: bigint
  invoiceId: string
}

export async function sessionInvoice(deps: Deps, session: Session, queryInvoiceId?: string): Promise<Invoice> {
  if (queryInvoiceId !== undefined && queryInvoiceId !== session.invoiceId) {
    throw new AppError('SESSION_MISMATCH', 'invoice_id does not belong to this payment session')
  }
  const invoice = await findInvoice(deps.db, session.merchantId, session.invoiceId)
  if (!invoice) throw new NotFoundError('payment session')
  return invoice
}

/** The status a payer sees now: an open invoice past its deadline is expired even before the worker runs. */
export function currentStatus(invoice: Invoice, now: Date) {
  return statusAtTime(
    { status: invoice.status, amountUsdMillis: invoice.amountUsdMillis, paidUsdMillis: invoice.paidUsdMillis, expiresAt: invoice.expiresAt },
    now,
  )
}

export async function sessionDetails(deps: Deps, invoice: Invoice) {
  const merchant = await findMerchant(deps.db, invoice.merchantId)
  if (!merchant) throw new NotFoundError('merchant')
  const now = deps.clock.now()
  const status = currentStatus(invoice, now)
  const remainingMs = Math.max(0, invoice.expiresAt.getTime() - now.getTime())
  const underpaid = status === 'underpaid'
  const returnUrl = invoice.paymentReturnUrl ?? merchant.paymentReturnUrl
  const returnEnabled = invoice.paymentReturnUrlEnabled ?? (invoice.paymentReturnUrl !== null || merchant.paymentReturnUrlEnabled)
  return {
    invoice_id: invoice.id,
    amount_usd: millisToUsdNumber(invoice.amountUsdMillis),
    amount_remaining_usd: millisToUsdNumber(remainingUsdMillis(invoice)),
    description: invoice.description,
    invoice_title: invoice.invoiceTitle,
    invoice_footer: invoice.invoiceFooter,
    expires_at: Math.floor(invoice.expiresAt.getTime() / 1000),
    invoice_status: status,
    remaining_time: remainingMs,
    remaining_seconds: Math.floor(remainingMs / 1000),
    merchant_name: merchant.name,
    merchant_email: merchant.email,
    network_environment: invoice.environment,
    locked_network: underpaid ? invoice.lockedNetwork : null,
    locked_token_id: underpaid ? invoice.lockedTokenId : null,
    locked_payment_address: underpaid ? invoice.lockedPaymentAddress : null,
    payment_return_url: returnEnabled ? returnUrl : null,
    payment_return_url_enabled: returnEnabled && returnUrl !== null,
  }
}

export async function setCustomerEmail(deps: Deps, invoice: Invoice, email: string) {
  const status = currentStatus(invoice, deps.clock.now())
  if (status === 'expired') throw new AppError('INVOICE_EXPIRED', 'Invoice has expired')
  if (status === 'paid') throw new AppError('INVOICE_ALREADY_PAID', 'Invoice is already paid')
  if (status === 'canceled') throw new AppError('INVOICE_NOT_PAYABLE', 'Invoice was canceled')
  const normalised = email.trim().toLowerCase()
  await updateInvoice(deps.db, invoice.id, { customer_email: normalised, updated_at: deps.clock.now() })
  return { success: true as const, email: normalised, message: 'Email added successfully' }
}

const emailCheck = z.email()

export async function submitForm(
  deps: Deps,
  invoice: Invoice,
  responses: { question_id: string; response: string | number | boolean }[],
) {
  const questions = invoice.questions?.questions ?? []
  if (questions.length === 0) throw fieldError('responses', 'this invoice has no questions')
  const byId = new Map(questions.map((q) => [q.id, q]))
  const seen = new Set<string>()
  responses.forEach((answer, index) => {
    const question = byId.get(answer.question_id)
    if (!question) throw fieldError(`responses.${index}.question_id`, `unknown question "${answer.question_id}"`)
    if (seen.has(answer.question_id)) throw fieldError(`responses.${index}.question_id`, 'answered twice')
    seen.add(answer.question_id)
    const value = answer.response
    const ok =
      question.type === 'email'
        ? typeof value === 'string' && emailCheck.safeParse(value).success
        : question.type === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : question.type === 'boolean'
            ? typeof value === 'boolean'
            : typeof value === 'string' && value.trim().length > 0
    if (!ok) throw fieldError(`responses.${index}.response`, `must be a valid ${question.type}`)
  })
  for (const question of questions) {
    if (question.validation?.required && !seen.has(question.id)) {
      throw fieldError('responses', `required question "${question.id}" is missing`)
    }
  }
  const status = currentStatus(invoice, deps.clock.now())
  if (status === 'expired') throw new AppError('INVOICE_EXPIRED', 'Invoice has expired')
  const emailAnswer = responses.find((r) => byId.get(r.question_id)?.type === 'email')
  await updateInvoice(deps.db, invoice.id, {
    form_responses: JSON.stringify(responses),
    ...(emailAnswer && !invoice.customerEmail && { customer_email: String(emailAnswer.response).toLowerCase() }),
    updated_at: deps.clock.now(),
  })
  return { success: true as const }
}
