import { PepayError } from '../errors.ts'
import { listPromise, type ListPromise } from '../pagination.ts'
import type { AuthKind, QueryValue, RequestOptions } from '../request.ts'
import { sleep } from '../platform/runtime.ts'
import type {
  CreatedInvoice,
  CreateInvoiceParams,
  Invoice,
  InvoiceList,
  InvoiceStatus,
  InvoiceStatusResponse,
  InvoiceTotals,
  InvoiceTotalsParams,
  ListCustomerInvoicesParams,
  ListInvoicesParams,
  ManualVerificationParams,
  ManualVerificationResponse,
  RetrieveInvoiceParams,
} from '../wire.ts'
import type { Requester } from '../request.ts'
import { Resource, segment } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']
/** Statuses after which an invoice never changes status again. */
export const TERMINAL_INVOICE_STATUSES: readonly InvoiceStatus[] = ['paid', 'expired', 'canceled']

export interface WaitForStatusOptions {
  /** Give up after this long (default 5 minutes). */
  timeoutMs?: number
  /** Poll interval (default 2 s, at least 100 ms). */
  intervalMs?: number
  /** Resolve when the invoice reaches one of these (default: paid, expired, canceled). */
  statuses?: readonly InvoiceStatus[]
  signal?: AbortSignal
}

type Query = Record<string, QueryValue>

/**
 * `pepay.invoices.manualVerification`: asks the server to re-scan the invoice's payment address.
 * Payer routes: they take the payment-session credentials (sessionToken + signature).
 */
export class ManualVerifications extends Resource {
  /** Starts (or returns the running) verification job; answers 202 with the job. */
  trigger(
    invoiceId: string,
    params: ManualVerificationParams = {},
    options?: RequestOptions,
  ): Promise<ManualVerificationResponse> {
    return this.call({
      method: 'POST',
      path: `/api/v1/invoice/${segment(invoiceId)}/verify`,
      auth: ['session'],
      body: params,
      options,
    })
  }

  /** The latest verification job of the invoice. */
  retrieve(invoiceId: string, options?: RequestOptions): Promise<ManualVerificationResponse> {
    return this.call({
      method: 'GET',
      path: `/api/v1/invoice/${segment(invoiceId)}/verify`,
      auth: ['session'],
      options,
    })
  }
}

/** `pepay.invoices`: merchant invoices (x-api-key or Bearer). */
export class Invoices extends Resource {
  readonly manualVerification: ManualVerifications

  constructor(requester: Requester) {
    super(requester)
    this.manualVerification = new ManualVerifications(requester)
  }

  /** Creates an invoice. An Idempotency-Key is generated unless `options.idempotencyKey` is given. */
  create(params: CreateInvoiceParams, options?: RequestOptions): Promise<CreatedInvoice> {
    return this.call({
      method: 'POST',
      path: '/api/v1/invoices',
      auth: MERCHANT,
      body: params,
      options,
    })
  }

  /** Lists invoices newest first; the result is also async-iterable across all pages. */
  list(
    params: ListInvoicesParams = {},
    options?: RequestOptions,
  ): ListPromise<InvoiceList, Invoice> {
    const fetch = (extra: Query) =>
      this.call<InvoiceList>({
        method: 'GET',
        path: '/api/v1/invoices',
        auth: MERCHANT,
        query: { ...(params as Query), ...extra },
        options,
      })
    return invoicePages(fetch, params)
  }

  /** Lists one customer's invoices; async-iterable like `list`. */
  listByCustomer(
    customerId: string,
    params: ListCustomerInvoicesParams = {},
    options?: RequestOptions,
  ): ListPromise<InvoiceList, Invoice> {
    const path = `/api/v1/invoices/customer/${segment(customerId)}`
    const fetch = (extra: Query) =>
      this.call<InvoiceList>({
        method: 'GET',
        path,
        auth: MERCHANT,
        query: { ...(params as Query), ...extra },
        options,
      })
    return invoicePages(fetch, params)
  }

  retrieve(
    invoiceId: string,
    params: RetrieveInvoiceParams = {},
    options?: RequestOptions,
  ): Promise<Invoice> {
    return this.call({
      method: 'GET',
      path: `/api/v1/invoices/${segment(invoiceId)}`,
      auth: MERCHANT,
      query: params,
      options,
    })
  }

  status(invoiceId: string, options?: RequestOptions): Promise<InvoiceStatusResponse> {
    return this.call({
      method: 'GET',
      path: `/api/v1/invoices/${segment(invoiceId)}/status`,
      auth: MERCHANT,
      options,
    })
  }

  totals(params: InvoiceTotalsParams = {}, options?: RequestOptions): Promise<InvoiceTotals> {
    return this.call({
      method: 'GET',
      path: '/api/v1/invoices/totals',
      auth: MERCHANT,
      query: params,
      options,
    })
  }

  /** Cancels an unpaid invoice. */
  cancel(invoiceId: string, options?: RequestOptions): Promise<Invoice> {
    return this.call({
      method: 'POST',
      path: `/api/v1/invoices/${segment(invoiceId)}/cancel`,
      auth: MERCHANT,
      options,
    })
  }

  /**
   * Polls `status(id)` until the invoice reaches a terminal status (or one of `statuses`) and
   * returns that status object. Throws a PepayError `WAIT_TIMEOUT` when `timeoutMs` passes first.
   */
  async waitForStatus(
    invoiceId: string,
    options: WaitForStatusOptions = {},
  ): Promise<InvoiceStatusResponse> {
    const timeoutMs = options.timeoutMs ?? 5 * 60 * 1000
    const intervalMs = Math.max(100, options.intervalMs ?? 2000)
    const wanted = options.statuses ?? TERMINAL_INVOICE_STATUSES
    const deadline = Date.now() + timeoutMs
    let last: InvoiceStatusResponse | undefined
    // bounded by the deadline; each poll is bounded by the request timeout
    for (;;) {
      last = await this.status(invoiceId, options.signal ? { signal: options.signal } : undefined)
      if (wanted.includes(last.invoice.status)) return last
      const left = deadline - Date.now()
      if (left <= 0) break
      try {
        await sleep(Math.min(intervalMs, left), options.signal)
      } catch (cause) {
        throw new PepayError({
          code: 'REQUEST_ABORTED',
          message: 'waitForStatus was aborted',
          cause,
        })
      }
    }
    throw new PepayError({
      code: 'WAIT_TIMEOUT',
      message: `invoice ${invoiceId} is still ${last.invoice.status} after ${timeoutMs} ms`,
      details: last,
    })
  }
}

function invoicePages(
  fetch: (extra: Query) => Promise<InvoiceList>,
  params: { ending_before?: string | undefined; starting_after?: string | undefined },
): ListPromise<InvoiceList, Invoice> {
  return listPromise<InvoiceList, Invoice>(fetch({}), {
    items: (page) => page.data,
    hasMore: (page) => page.has_more,
    id: (invoice) => invoice.id,
    direction: params.ending_before !== undefined ? 'ending_before' : 'starting_after',
    fetch: (cursor) => fetch({ starting_after: undefined, ending_before: undefined, ...cursor }),
  })
}
