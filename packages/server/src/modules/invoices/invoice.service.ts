import { AppError, parseUsdToMillis, uuidv7 } from '@pepay/core'
import type { CreateInvoiceBody, Environment, InvoiceStatus } from '@pepay/contracts'
import { BatchLoader } from '../../db/batch.ts'
import type { Executor } from '../../db/database.ts'
import type { InvoicePaymentRecord } from '../payments/payment.repo.ts'
import type { Deps, InvoiceStatusChange, RequestContext } from '../../deps.ts'
import { fieldError, NotFoundError } from '../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../http/idempotency.ts'
import { appendEvent } from '../events/event.repo.ts'
import { findMerchant } from '../merchants/merchant.repo.ts'
import { mintSessionCredentials } from '../payment-sessions/session-credentials.ts'
import {
  claimExpiredInvoices,
  createInvoicesOnce,
  findInvoicesWithLatestPayment,
  insertInvoice,
  lockInvoice,
  newInvoiceRecord,
  updateInvoice,
  type CreateOnceInput,
  type CreateOnceResult,
  type InlineClaim,
  type Invoice,
  type NewInvoice,
} from './invoice.repo.ts'
import { canCancel, statusAtTime } from './invoice.state.ts'
import { previousAttributes, serializeCreatedInvoice, serializeInvoice } from './invoice.serialize.ts'

export const DEFAULT_EXPIRES_IN_MS = 12 * 3600 * 1000
export const MIN_AMOUNT_USD_MILLIS = 10n
export const MAX_AMOUNT_USD_MILLIS = 1_000_000_000n

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/
const SOLANA_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/

/** `amount_usd` as the client wrote it: a JSON number's shortest text is its decimal text for ≤15 digits. */
export function parseAmountUsd(value: number | string): bigint {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'invalid') : value.trim()
  let millis: bigint
  try {
    millis = parseUsdToMillis(text, 2)
  } catch (error) {
    if (error instanceof AppError) {
      throw new AppError('VALIDATION_ERROR', `amount_usd: ${error.message}`, [
        { field: 'amount_usd', message: error.message, code: 'INVALID_AMOUNT_FORMAT' },
      ])
    }
    throw error
  }
  if (millis < MIN_AMOUNT_USD_MILLIS || millis > MAX_AMOUNT_USD_MILLIS) {
    throw new AppError('VALIDATION_ERROR', 'amount_usd: must be between 0.01 and 1000000', [
      { field: 'amount_usd', message: 'must be between 0.01 and 1000000', code: 'INVALID_AMOUNT_RANGE' },
    ])
  }
  return millis
}

export function paymentUrl(publicBase: string, sessionToken: string, signature: string): string {
  const params = new URLSearchParams({ session: sessionToken, signature })
  return `${publicBase}/pay?${params.toString()}`
}

export interface CreateInvoiceInput {
  merchantId: bigint
  environment: Environment
  invoiceType: 'standard' | 'commerce'
  amountUsdMillis: bigint
  body: Omit<CreateInvoiceBody, 'amount_usd'>
  commerceOrderId?: string | null
  payerWalletAddress?: string | null
  payerWalletNetwork?: string | null
}

/** A validated new invoice with its freshly minted payment-session credentials. */
function prepareInvoice(deps: Deps, input: CreateInvoiceInput, now: Date) {
  const body = input.body
  if (body.receiver_override_enable && !body.receiver_override_address) {
    throw fieldError('receiver_override_address', 'required when receiver_override_enable is true')
  }
  if (
    body.receiver_override_address !== undefined &&
    !EVM_ADDRESS.test(body.receiver_override_address) &&
    !SOLANA_ADDRESS.test(body.receiver_override_address)
  ) {
    throw fieldError('receiver_override_address', 'not a valid EVM or Solana address')
  }
  const session = mintSessionCredentials(deps.secrets.sessionKey, now.getTime())
  const newInvoice: NewInvoice = {
    id: uuidv7(now.getTime()),
    merchantId: input.merchantId,
    environment: input.environment,
    invoiceType: input.invoiceType,
    amountUsdMillis: input.amountUsdMillis,
    description: body.description ?? null,
    customerId: body.customer_id ?? null,
    customerEmail: body.customer_email?.toLowerCase() ?? null,
    metadata: body.metadata ?? {},
    invoiceTitle: body.invoice_title ?? null,
    invoiceFooter: body.invoice_footer ?? null,
    paymentReturnUrl: body.payment_return_url ?? null,
    paymentReturnUrlEnabled: body.payment_return_url_enabled ?? null,
    receiverOverrideEnable: body.receiver_override_enable ?? false,
    receiverOverrideAddress: body.receiver_override_address ?? null,
    questions: body.questions ? { questions: body.questions.questions.map((q) => ({ ...q })) } : null,
    sessionTokenHash: session.tokenHash,
    sessionIssuedAtMs: session.issuedAtMs,
    commerceOrderId: input.commerceOrderId ?? null,
    payerWalletAddress: input.payerWalletAddress ?? null,
    payerWalletNetwork: input.payerWalletNetwork ?? null,
    expiresAt: new Date(now.getTime() + (body.expires_in ?? DEFAULT_EXPIRES_IN_MS)),
    createdAt: now,
  }
  return {
    newInvoice,
    sessionToken: session.sessionToken,
    signature: session.signature,
    paymentUrl: paymentUrl(deps.urls.publicBase, session.sessionToken, session.signature),
  }
}

/**
 * Creates an invoice with its payment session and `invoice.created` event inside the caller's
 * transaction. Commerce checkout reuses this with its own order row in the same transaction.
 */
export async function insertInvoiceWithEvent(
  deps: Deps,
  trx: Executor,
  input: CreateInvoiceInput,
  ctx: RequestContext,
): Promise<{ invoice: Invoice; sessionToken: string; signature: string; paymentUrl: string }> {
  const now = deps.clock.now()
  const { newInvoice, ...credentials } = prepareInvoice(deps, input, now)
  const invoice = await insertInvoice(trx, newInvoice)
  await appendEvent(trx, invoiceEvent(invoice, 'invoice.created', undefined, ctx), now)
  return { invoice, ...credentials }
}

export function invoiceEvent(
  invoice: Invoice,
  type: 'invoice.created' | 'invoice.updated',
  before: Invoice | undefined,
  ctx: RequestContext | undefined,
) {
  const object = serializeInvoice(invoice) as unknown as Record<string, unknown>
  return {
    merchantId: invoice.merchantId,
    environment: invoice.environment,
    type,
    object,
    previousAttributes: before ? previousAttributes(serializeInvoice(before) as unknown as Record<string, unknown>, object) : undefined,
    invoiceId: invoice.id,
    invoiceType: invoice.invoiceType,
    customerId: invoice.customerId,
    orderId: invoice.commerceOrderId,
    walletAddress: invoice.payerWalletAddress,
    walletNetwork: invoice.payerWalletNetwork,
    request: ctx ? { id: ctx.requestId, idempotencyKey: ctx.idempotencyKey } : null,
  }
}

/** A standard invoice as the API's create route asks for it (`amount_usd` parsed exactly). */
function apiCreateInput(principal: { merchantId: bigint; environment: Environment }, body: CreateInvoiceBody): CreateInvoiceInput {
  const { amount_usd: amountUsd, ...rest } = body
  return { merchantId: principal.merchantId, environment: principal.environment, invoiceType: 'standard', amountUsdMillis: parseAmountUsd(amountUsd), body: rest }
}

export async function createInvoice(
  deps: Deps,
  principal: { merchantId: bigint; environment: Environment },
  body: CreateInvoiceBody,
  ctx: RequestContext,
  claim: IdempotencyClaim | undefined,
) {
  const input = apiCreateInput(principal, body)
  const result = await deps.db.transaction().execute(async (trx) => {
    const created = await insertInvoiceWithEvent(deps, trx, input, ctx)
    const response = serializeCreatedInvoice(created.invoice, created, created.paymentUrl)
    await completeIdempotencyKey(trx, claim, 201, response)
    return response
  })
  return result
}

/** One create batcher per database handle: concurrent creates share one statement and commit. */
const createBatchers = new WeakMap<Executor, BatchLoader<CreateOnceInput, CreateOnceResult>>()

function createBatcher(deps: Deps): BatchLoader<CreateOnceInput, CreateOnceResult> {
  let batcher = createBatchers.get(deps.db)
  if (!batcher) {
    const db = deps.db
    batcher = new BatchLoader(async (inputs: CreateOnceInput[]) => {
      // a key twice in one batch: the later requests are concurrent with the first
      const seen = new Set<string>()
      const distinct: CreateOnceInput[] = []
      const slots = inputs.map((input) => {
        const id = `${input.claim.merchantId}:${input.claim.environment}:${input.claim.key}`
        if (seen.has(id)) return -1
        seen.add(id)
        return distinct.push(input) - 1
      })
      const now = deps.clock.now()
      let outcomes: CreateOnceResult[]
      try {
        outcomes = await createInvoicesOnce(db, distinct, now)
      } catch (error) {
        if (distinct.length === 1) throw error
        // one input may have sunk the batch: each one alone, so the others still land
        outcomes = []
        for (const input of distinct) {
          try {
            outcomes.push(...(await createInvoicesOnce(db, [input], deps.clock.now())))
          } catch (single) {
            outcomes.push({ outcome: 'failed', error: single })
          }
        }
      }
      return slots.map((slot) => (slot < 0 ? { outcome: 'in_flight' as const } : (outcomes[slot] ?? { outcome: 'failed', error: new Error('missing outcome') })))
    }, { maxBatch: 64, maxInFlight: 1 })
    createBatchers.set(db, batcher)
  }
  return batcher
}

/**
 * The API's create path: the invoice, its event and the idempotency record with the response
 * commit together in one statement, shared with the creates other requests make at the same
 * moment (see `createInvoicesOnce`). Returns the response as JSON text, exactly the bytes a replay
 * of the key returns, or the reason nothing was created.
 */
export async function createInvoiceClaimed(
  deps: Deps,
  principal: { merchantId: bigint; environment: Environment },
  body: CreateInvoiceBody,
  ctx: RequestContext,
  claim: InlineClaim,
): Promise<{ outcome: 'created'; responseBody: string } | { outcome: 'in_flight' | 'taken' }> {
  const prepared = prepareInvoice(deps, apiCreateInput(principal, body), deps.clock.now())
  const invoice = newInvoiceRecord(prepared.newInvoice)
  const responseBody = JSON.stringify(serializeCreatedInvoice(invoice, prepared, prepared.paymentUrl))
  const result = await createBatcher(deps).load({
    claim,
    invoice,
    sessionTokenHash: prepared.newInvoice.sessionTokenHash,
    event: invoiceEvent(invoice, 'invoice.created', undefined, ctx),
    responseBody,
  })
  if (result.outcome === 'failed') throw result.error
  if (result.outcome !== 'created') return result
  return { outcome: 'created', responseBody }
}

/** The hook payload for a status change (commerce moves its order in the same transaction). */
export function invoiceStatusChange(
  invoice: Invoice,
  previous: Invoice,
  payment: InvoiceStatusChange['payment'],
  at: Date,
): InvoiceStatusChange {
  return {
    invoiceId: invoice.id,
    merchantId: invoice.merchantId,
    environment: invoice.environment,
    invoiceType: invoice.invoiceType,
    commerceOrderId: invoice.commerceOrderId,
    previousStatus: previous.status,
    status: invoice.status,
    payment,
    at,
  }
}

/** Runs the invoice status hooks inside the caller's transaction. */
export async function runStatusHooks(deps: Deps, trx: Executor, invoice: Invoice, previous: Invoice, payment: InvoiceStatusChange['payment'], at: Date): Promise<void> {
  if (invoice.status === previous.status) return
  for (const hook of deps.hooks.invoiceStatusChanged) await hook(trx, invoiceStatusChange(invoice, previous, payment, at))
}

type StatusRead = { invoice: Invoice; latestPayment: InvoicePaymentRecord | null } | undefined

/** One status loader per database handle: concurrent status reads share one query. */
const statusLoaders = new WeakMap<Executor, BatchLoader<string, StatusRead>>()

/** An invoice with its latest payment (the status route): another merchant's or environment's is not found. */
export async function getInvoiceStatus(deps: Deps, merchantId: bigint, id: string, environment?: Environment) {
  let loader = statusLoaders.get(deps.db)
  if (!loader) {
    const db = deps.db
    loader = new BatchLoader(async (ids: string[]) => {
      const found = await findInvoicesWithLatestPayment(db, [...new Set(ids)])
      return ids.map((key) => found.get(key))
    })
    statusLoaders.set(db, loader)
  }
  const read = await loader.load(id)
  return { invoice: visibleInvoice(read?.invoice, merchantId, environment), latestPayment: read?.latestPayment ?? null }
}

/** The invoice when the caller may see it: another merchant's, or another environment's for a key, is not found. */
export function visibleInvoice(invoice: Invoice | undefined, merchantId: bigint, environment: Environment | undefined): Invoice {
  if (!invoice || invoice.merchantId !== merchantId || (environment !== undefined && invoice.environment !== environment)) {
    throw new NotFoundError('invoice')
  }
  return invoice
}

export async function cancelInvoice(
  deps: Deps,
  principal: { merchantId: bigint; environment: Environment },
  id: string,
  ctx: RequestContext,
): Promise<Invoice> {
  const result = await deps.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoice(trx, id)
    if (!invoice || invoice.merchantId !== principal.merchantId || invoice.environment !== principal.environment) {
      throw new NotFoundError('invoice')
    }
    const now = deps.clock.now()
    const facts = { status: invoice.status, amountUsdMillis: invoice.amountUsdMillis, paidUsdMillis: invoice.paidUsdMillis, expiresAt: invoice.expiresAt }
    const decision = canCancel(facts, now)
    if (!decision.ok) throw new AppError(decision.code, decision.message)
    const updated = await updateInvoice(trx, id, { status: 'canceled', canceled_at: now, updated_at: now })
    await appendEvent(trx, invoiceEvent(updated, 'invoice.updated', invoice, ctx), now)
    await runStatusHooks(deps, trx, updated, invoice, null, now)
    return updated
  })
  return result
}

/**
 * Expires every open invoice past its deadline (the invoice row is the persisted schedule).
 * Each invoice changes with its event in one transaction; returns how many expired.
 */
export async function expireDueInvoices(deps: Deps, limit = 100): Promise<number> {
  const count = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const due = await claimExpiredInvoices(trx, now, limit)
    for (const invoice of due) {
      const next: InvoiceStatus = statusAtTime(
        { status: invoice.status, amountUsdMillis: invoice.amountUsdMillis, paidUsdMillis: invoice.paidUsdMillis, expiresAt: invoice.expiresAt },
        now,
      )
      if (next !== 'expired') continue
      const updated = await updateInvoice(trx, invoice.id, { status: 'expired', expired_at: now, updated_at: now })
      await appendEvent(trx, invoiceEvent(updated, 'invoice.updated', invoice, undefined), now)
      await runStatusHooks(deps, trx, updated, invoice, null, now)
    }
    return due.length
  })
  return count
}

export async function merchantDisplay(deps: Deps, merchantId: bigint) {
  const merchant = await findMerchant(deps.db, merchantId)
  if (!merchant) throw new NotFoundError('merchant')
  return merchant
}
