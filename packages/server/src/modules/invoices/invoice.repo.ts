import type { Environment, InvoiceStatus } from '@pepay/contracts'
import { sql, type Selectable } from 'kysely'
import type { Executor } from '../../db/database.ts'
import type { InvoiceTable } from '../../db/schema.ts'

export interface Question {
  id: string
  question: string
  type: 'email' | 'text' | 'number' | 'boolean'
  validation?: { required: boolean } | undefined
}

export interface Invoice {
  id: string
  merchantId: bigint
  environment: Environment
  invoiceType: 'standard' | 'commerce'
  status: InvoiceStatus
  amountUsdMillis: bigint
  paidUsdMillis: bigint
  description: string | null
  customerId: string | null
  customerEmail: string | null
  metadata: Record<string, unknown>
  invoiceTitle: string | null
  invoiceFooter: string | null
  paymentReturnUrl: string | null
  paymentReturnUrlEnabled: boolean | null
  receiverOverrideEnable: boolean
  receiverOverrideAddress: string | null
  questions: { questions: Question[] } | null
  formResponses: { question_id: string; response: string | number | boolean }[] | null
  sessionIssuedAtMs: bigint
  payerWalletAddress: string | null
  payerWalletNetwork: string | null
  commerceOrderId: string | null
  lockedNetwork: string | null
  lockedTokenId: number | null
  lockedPaymentAddress: string | null
  isOverpaid: boolean
  hasLatePayment: boolean
  expiresAt: Date
  createdAt: Date
  updatedAt: Date
  paidAt: Date | null
  lastPaymentAt: Date | null
  canceledAt: Date | null
  expiredAt: Date | null
}

type Row = Selectable<InvoiceTable>

export function toInvoice(row: Row): Invoice {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    invoiceType: row.invoice_type,
    status: row.status,
    amountUsdMillis: BigInt(row.amount_usd_millis),
    paidUsdMillis: BigInt(row.amount_paid_usd_millis),
    description: row.description,
    customerId: row.customer_id,
    customerEmail: row.customer_email,
    metadata: row.metadata,
    invoiceTitle: row.invoice_title,
    invoiceFooter: row.invoice_footer,
    paymentReturnUrl: row.payment_return_url,
    paymentReturnUrlEnabled: row.payment_return_url_enabled,
    receiverOverrideEnable: row.receiver_override_enable,
    receiverOverrideAddress: row.receiver_override_address,
    questions: row.questions as Invoice['questions'],
    formResponses: row.form_responses as Invoice['formResponses'],
    sessionIssuedAtMs: BigInt(row.session_issued_at_ms),
    payerWalletAddress: row.payer_wallet_address,
    payerWalletNetwork: row.payer_wallet_network,
    commerceOrderId: row.commerce_order_id,
    lockedNetwork: row.locked_network,
    lockedTokenId: row.locked_token_id,
    lockedPaymentAddress: row.locked_payment_address,
    isOverpaid: row.is_overpaid,
    hasLatePayment: row.has_late_payment,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    paidAt: row.paid_at,
    lastPaymentAt: row.last_payment_at,
    canceledAt: row.canceled_at,
    expiredAt: row.expired_at,
  }
}

export interface NewInvoice {
  id: string
  merchantId: bigint
  environment: Environment
  invoiceType: 'standard' | 'commerce'
  amountUsdMillis: bigint
  description: string | null
  customerId: string | null
  customerEmail: string | null
  metadata: Record<string, unknown>
  invoiceTitle: string | null
  invoiceFooter: string | null
  paymentReturnUrl: string | null
  paymentReturnUrlEnabled: boolean | null
  receiverOverrideEnable: boolean
  receiverOverrideAddress: string | null
  questions: { questions: Question[] } | null
  sessionTokenHash: Uint8Array
  sessionIssuedAtMs: number
  commerceOrderId: string | null
  payerWalletAddress: string | null
  payerWalletNetwork: string | null
  expiresAt: Date
  createdAt: Date
}

export async function insertInvoice(db: Executor, input: NewInvoice): Promise<Invoice> {
  const row = await db
    .insertInto('invoice')
    .values({
      id: input.id,
      merchant_id: input.merchantId.toString(),
      environment: input.environment,
      invoice_type: input.invoiceType,
      status: 'unpaid',
      amount_usd_millis: input.amountUsdMillis.toString(),
      description: input.description,
      customer_id: input.customerId,
      customer_email: input.customerEmail,
      metadata: JSON.stringify(input.metadata),
      invoice_title: input.invoiceTitle,
      invoice_footer: input.invoiceFooter,
      payment_return_url: input.paymentReturnUrl,
      payment_return_url_enabled: input.paymentReturnUrlEnabled,
      receiver_override_enable: input.receiverOverrideEnable,
      receiver_override_address: input.receiverOverrideAddress,
      questions: input.questions ? JSON.stringify(input.questions) : null,
      session_token_hash: input.sessionTokenHash,
      session_issued_at_ms: input.sessionIssuedAtMs,
      commerce_order_id: input.commerceOrderId,
      payer_wallet_address: input.payerWalletAddress,
      payer_wallet_network: input.payerWalletNetwork,
      expires_at: input.expiresAt,
      created_at: input.createdAt,
      updated_at: input.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toInvoice(row)
}

/** Scoped lookup: another merchant's invoice is simply not found. */
export async function findInvoice(db: Executor, merchantId: bigint, id: string): Promise<Invoice | undefined> {
  const row = await db
    .selectFrom('invoice')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', merchantId.toString())
    .executeTakeFirst()
  return row ? toInvoice(row) : undefined
}

/** Row lock for a state change; the caller holds a transaction. */
export async function lockInvoice(db: Executor, id: string): Promise<Invoice | undefined> {
  const row = await db.selectFrom('invoice').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toInvoice(row) : undefined
}

export async function updateInvoice(
  db: Executor,
  id: string,
  patch: Partial<Omit<Row, 'id' | 'merchant_id' | 'metadata' | 'questions' | 'form_responses'>> & {
    form_responses?: string
  },
): Promise<Invoice> {
  const row = await db.updateTable('invoice').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return toInvoice(row)
}

export interface InvoiceFilter {
  merchantId: bigint
  environment?: Environment | undefined
  statuses?: InvoiceStatus[] | undefined
  invoiceTypes?: ('standard' | 'commerce')[] | undefined
  customerId?: string | undefined
  createdGte?: Date | undefined
  createdLte?: Date | undefined
  payerWalletAddress?: string | undefined
  payerWalletNetwork?: string | undefined
}

function filtered(db: Executor, filter: InvoiceFilter) {
  let query = db.selectFrom('invoice').where('merchant_id', '=', filter.merchantId.toString())
  if (filter.environment) query = query.where('environment', '=', filter.environment)
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses)
  if (filter.invoiceTypes?.length) query = query.where('invoice_type', 'in', filter.invoiceTypes)
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId)
  if (filter.createdGte) query = query.where('created_at', '>=', filter.createdGte)
  if (filter.createdLte) query = query.where('created_at', '<=', filter.createdLte)
  if (filter.payerWalletAddress) query = query.where(sql`lower(payer_wallet_address)`, '=', filter.payerWalletAddress.toLowerCase())
  if (filter.payerWalletNetwork) query = query.where('payer_wallet_network', '=', filter.payerWalletNetwork)
  return query
}

/**
 * Newest first by id (UUIDv7 orders by creation). `startingAfter` pages to older invoices,
 * `endingBefore` to newer ones; one extra row tells whether more exist.
 */
export async function listInvoices(
  db: Executor,
  filter: InvoiceFilter,
  page: { limit: number; startingAfter?: string | undefined; endingBefore?: string | undefined },
): Promise<{ invoices: Invoice[]; hasMore: boolean }> {
  let query = filtered(db, filter).selectAll()
  if (page.endingBefore) {
    const rows = await query.where('id', '>', page.endingBefore).orderBy('id', 'asc').limit(page.limit + 1).execute()
    const hasMore = rows.length > page.limit
    return { invoices: rows.slice(0, page.limit).reverse().map(toInvoice), hasMore }
  }
  if (page.startingAfter) query = query.where('id', '<', page.startingAfter)
  const rows = await query.orderBy('id', 'desc').limit(page.limit + 1).execute()
  return { invoices: rows.slice(0, page.limit).map(toInvoice), hasMore: rows.length > page.limit }
}

export async function invoiceExists(db: Executor, merchantId: bigint, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('invoice')
    .select('id')
    .where('id', '=', id)
    .where('merchant_id', '=', merchantId.toString())
    .executeTakeFirst()
  return row !== undefined
}

export async function invoiceTotals(
  db: Executor,
  filter: InvoiceFilter,
): Promise<{ status: InvoiceStatus; amount: bigint; count: bigint }[]> {
  const rows = await filtered(db, filter)
    .select((eb) => [
      'status',
      eb.fn.coalesce(eb.fn.sum<string>('amount_usd_millis'), sql<string>`0`).as('amount'),
      eb.fn.countAll<string>().as('count'),
    ])
    .groupBy('status')
    .execute()
  return rows.map((r) => ({ status: r.status, amount: BigInt(r.amount), count: BigInt(r.count) }))
}

/** Claims open invoices past their deadline; SKIP LOCKED lets many workers share the schedule. */
export async function claimExpiredInvoices(db: Executor, now: Date, limit: number): Promise<Invoice[]> {
  const rows = await db
    .selectFrom('invoice')
    .selectAll()
    .where('status', 'in', ['unpaid', 'underpaid'])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
  return rows.map(toInvoice)
}
