import { AppError } from '@pepay/core'
import {
  CreateInvoiceBody,
  CreateInvoiceResponse,
  CustomerIdParams,
  ErrorBody,
  Invoice as WireInvoice,
  InvoiceIdParams,
  InvoiceList,
  InvoiceStatusResponse,
  InvoiceTotals,
  ListInvoicesQuery,
  RetrieveInvoiceQuery,
  TotalsQuery,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { formatUsdMillis, millisToJson } from '@pepay/core'
import type { Executor } from '../../db/database.ts'
import type { Deps } from '../../deps.ts'
import { claimIdempotencyKey, IdempotencyHeaders } from '../../http/idempotency.ts'
import { requirePrincipal, type Principal } from '../../http/auth.ts'
import { requestContext, scopedEnvironment } from '../../http/context.ts'
import { fieldError, NotFoundError, statusForCode } from '../../http/errors.ts'
import { listPaymentsForInvoices } from '../payments/payment.repo.ts'
import { findInvoice, invoiceExists, invoiceTotals, listInvoices, type Invoice, type InvoiceFilter } from './invoice.repo.ts'
import { cancelInvoice, createInvoice, createInvoiceClaimed, getInvoiceStatus, visibleInvoice } from './invoice.service.ts'
import { emptyTotals, serializeInvoice } from './invoice.serialize.ts'

const MERCHANT_AUTH = { auth: ['merchant_key', 'bearer'] as ('merchant_key' | 'bearer')[] }
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

function parseInstant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value)
  if (Number.isNaN(date.getTime())) throw fieldError(field, 'not a valid date-time')
  return date
}

function filterFrom(principal: Principal, query: {
  environment?: 'devnet' | 'mainnet' | undefined
  status?: Invoice['status'][] | undefined
  invoice_type?: ('standard' | 'commerce')[] | undefined
  customer_id?: string | undefined
  created_gte?: string | undefined
  created_lte?: string | undefined
}): InvoiceFilter {
  return {
    merchantId: principal.merchantId,
    environment: scopedEnvironment(principal, query.environment),
    statuses: query.status,
    invoiceTypes: query.invoice_type,
    customerId: query.customer_id,
    createdGte: parseInstant(query.created_gte, 'created_gte'),
    createdLte: parseInstant(query.created_lte, 'created_lte'),
  }
}

/**
 * Runs a read that expands payments in one snapshot (a read-only repeatable-read transaction), so
 * an invoice and its payments are never seen on either side of a commit: a confirmed payment
 * always comes with the invoice it changed. Without an expansion it is one statement anyway.
 */
async function snapshot<T>(deps: Deps, expand: string[] | undefined, read: (db: Executor) => Promise<T>): Promise<T> {
  if (!expand?.length) return read(deps.db)
  return deps.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read)
}

async function expanded(db: Executor, invoices: Invoice[], expand: string[] | undefined, paymentsLimit: number) {
  const wantsLatest = expand?.includes('latest_payment') ?? false
  const wantsPayments = expand?.includes('payments') ?? false
  if (!wantsLatest && !wantsPayments) return invoices.map((i) => serializeInvoice(i))
  const payments = await listPaymentsForInvoices(db, invoices.map((i) => i.id), Math.max(paymentsLimit, 1))
  return invoices.map((invoice) => {
    const list = payments.get(invoice.id) ?? []
    return serializeInvoice(invoice, {
      ...(wantsLatest && { latestPayment: list[0] ?? null }),
      ...(wantsPayments && { payments: list.slice(0, paymentsLimit) }),
    })
  })
}

async function checkCursor(deps: Deps, merchantId: bigint, id: string | undefined, field: string) {
  if (id !== undefined && !(await invoiceExists(deps.db, merchantId, id))) {
    throw fieldError(field, 'no such invoice for this merchant')
  }
}

export function invoiceRoutes(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.post('/api/v1/invoices', {
      config: { ...MERCHANT_AUTH, idempotency: 'inline' },
      schema: {
        tags: ['Invoices'],
        summary: 'Create an invoice',
        headers: IdempotencyHeaders,
        body: CreateInvoiceBody,
        response: { 201: CreateInvoiceResponse, ...errors, 409: ErrorBody },
      },
    }, async (request, reply) => {
      const principal = requirePrincipal(request)
      const claim = request.idempotency
      if (!claim?.inline) throw new AppError('INTERNAL_SERVER_ERROR', 'idempotency claim missing')
      let created: Awaited<ReturnType<typeof createInvoiceClaimed>>
      try {
        created = await createInvoiceClaimed(deps, principal, request.body, requestContext(request), claim.inline)
      } catch (error) {
        if (!(error instanceof AppError) || statusForCode(error.code) >= 500) throw error
        // refused before anything was written: an earlier request with this key decides the
        // answer (a replay, or a reuse with another body); otherwise the refusal is stored
        request.idempotency = undefined
        if (await claimIdempotencyKey(deps, request, reply, 'required')) return reply
        throw error
      }
      if (created.outcome === 'created') {
        claim.completed = true
        return reply.status(201).header('content-type', 'application/json; charset=utf-8').send(created.responseBody as never)
      }
      // not created: the key belongs to an earlier request; nothing of this one is stored
      request.idempotency = undefined
      if (created.outcome === 'in_flight') {
        throw new AppError('IDEMPOTENCY_CONFLICT', 'A request with this Idempotency-Key is still in progress; retry later')
      }
      // a replay, a reuse with another body or an in-flight claim of another route are answered
      // by the general claim; a claim abandoned by a crashed process is taken over
      if (await claimIdempotencyKey(deps, request, reply, 'required')) return reply
      const result = await createInvoice(deps, principal, request.body, requestContext(request), request.idempotency)
      return reply.status(201).send(result)
    })

    r.get('/api/v1/invoices', {
      config: MERCHANT_AUTH,
      schema: { tags: ['Invoices'], summary: 'List invoices (cursor pagination)', querystring: ListInvoicesQuery, response: { 200: InvoiceList, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const q = request.query
      if (q.starting_after && q.ending_before) throw fieldError('ending_before', 'cannot be combined with starting_after')
      await checkCursor(deps, principal.merchantId, q.starting_after, 'starting_after')
      await checkCursor(deps, principal.merchantId, q.ending_before, 'ending_before')
      const filter = filterFrom(principal, q)
      filter.payerWalletAddress = q.payer_wallet_address
      filter.payerWalletNetwork = q.payer_wallet_network
      return snapshot(deps, q.expand, async (db) => {
        const page = await listInvoices(db, filter, { limit: q.limit, startingAfter: q.starting_after, endingBefore: q.ending_before })
        return { object: 'list' as const, data: await expanded(db, page.invoices, q.expand, q.payments_limit), has_more: page.hasMore }
      })
    })

    r.get('/api/v1/invoices/totals', {
      config: MERCHANT_AUTH,
      schema: { tags: ['Invoices'], summary: 'Invoice totals by status (usd_millis)', querystring: TotalsQuery, response: { 200: InvoiceTotals, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const rows = await invoiceTotals(deps.db, filterFrom(principal, request.query))
      const totals = emptyTotals()
      let allAmount = 0n
      let allCount = 0n
      for (const row of rows) {
        totals[row.status] = { amount: millisToJson(row.amount), amount_decimal: formatUsdMillis(row.amount), count: Number(row.count) }
        allAmount += row.amount
        allCount += row.count
      }
      totals.all = { amount: millisToJson(allAmount), amount_decimal: formatUsdMillis(allAmount), count: Number(allCount) }
      return { object: 'invoice_totals' as const, currency: 'usd' as const, amount_unit: 'usd_millis' as const, totals }
    })

    r.get('/api/v1/invoices/customer/:customerId', {
      config: MERCHANT_AUTH,
      schema: {
        tags: ['Invoices'],
        summary: "List a customer's invoices",
        params: CustomerIdParams,
        querystring: ListInvoicesQuery.omit({ customer_id: true }),
        response: { 200: InvoiceList, ...errors },
      },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const q = request.query
      if (q.starting_after && q.ending_before) throw fieldError('ending_before', 'cannot be combined with starting_after')
      await checkCursor(deps, principal.merchantId, q.starting_after, 'starting_after')
      await checkCursor(deps, principal.merchantId, q.ending_before, 'ending_before')
      const filter = filterFrom(principal, { ...q, customer_id: request.params.customerId })
      return snapshot(deps, q.expand, async (db) => {
        const page = await listInvoices(db, filter, { limit: q.limit, startingAfter: q.starting_after, endingBefore: q.ending_before })
        return { object: 'list' as const, data: await expanded(db, page.invoices, q.expand, q.payments_limit), has_more: page.hasMore }
      })
    })

    r.get('/api/v1/invoices/:invoiceId', {
      config: MERCHANT_AUTH,
      schema: { tags: ['Invoices'], summary: 'Retrieve an invoice', params: InvoiceIdParams, querystring: RetrieveInvoiceQuery, response: { 200: WireInvoice, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const environment = scopedEnvironment(principal, undefined)
      return snapshot(deps, request.query.expand, async (db) => {
        const invoice = visibleInvoice(await findInvoice(db, principal.merchantId, request.params.invoiceId), principal.merchantId, environment)
        const [wire] = await expanded(db, [invoice], request.query.expand, request.query.payments_limit)
        if (!wire) throw new NotFoundError('invoice')
        return wire
      })
    })

    r.get('/api/v1/invoices/:invoiceId/status', {
      config: MERCHANT_AUTH,
      schema: { tags: ['Invoices'], summary: 'Poll invoice status', params: InvoiceIdParams, response: { 200: InvoiceStatusResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const { invoice, latestPayment } = await getInvoiceStatus(deps, principal.merchantId, request.params.invoiceId, scopedEnvironment(principal, undefined))
      const full = serializeInvoice(invoice, { latestPayment })
      const { latest_payment, payments: _p, ...subset } = full
      return { object: 'invoice_status' as const, invoice: subset, latest_payment: latest_payment ?? null }
    })

    r.post('/api/v1/invoices/:invoiceId/cancel', {
      config: { ...MERCHANT_AUTH, idempotency: 'optional' },
      schema: { tags: ['Invoices'], summary: 'Cancel an unpaid invoice', params: InvoiceIdParams, response: { 200: WireInvoice, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      if (request.body !== undefined && request.body !== null && typeof request.body === 'object' && Object.keys(request.body).length > 0) {
        throw new AppError('VALIDATION_ERROR', 'this request takes no body', [{ field: 'body', message: 'must be empty', code: 'invalid' }])
      }
      return serializeInvoice(await cancelInvoice(deps, principal, request.params.invoiceId, requestContext(request)))
    })
  }
}
