import { uuidv7 } from '@pepay/core'
import type { Executor } from '../../db/database.ts'
import type { Deps } from '../../deps.ts'
import type { ObservedTransfer } from '../../providers/chain/chain-adapter.ts'
import { appendEvent, appendEvents } from '../events/event.repo.ts'
import { lockInvoice, updateInvoice, type Invoice } from '../invoices/invoice.repo.ts'
import { invoiceEvent, runStatusHooks } from '../invoices/invoice.service.ts'
import { isLatePayment, statusAfterPayments } from '../invoices/invoice.state.ts'
import {
  findPaymentsWithInvoice,
  lockPayment,
  recordPayments,
  updatePayment,
  type InvoicePaymentRecord,
  type PaymentInvoiceContext,
  type PaymentToRecord,
} from '../payments/payment.repo.ts'
import { serializePayment } from '../payments/payment.serialize.ts'
import { stablecoinPrice, tokenUnitsToUsdMillis } from '../quotes/quote.ts'
import type { ChainNetwork, ChainRuntime } from './chain.runtime.ts'
import { latestQuotes, type DepositAddressRecord } from './deposit.repo.ts'

function paymentEvent(payment: InvoicePaymentRecord, type: 'invoice_payment.created' | 'invoice_payment.updated', invoice: Invoice | PaymentInvoiceContext | undefined, previous?: Record<string, unknown>) {
  return {
    merchantId: payment.merchantId ?? 0n,
    environment: payment.environment,
    type,
    object: serializePayment(payment) as unknown as Record<string, unknown>,
    previousAttributes: previous,
    invoiceId: payment.invoiceId,
    invoiceType: invoice?.invoiceType ?? null,
    customerId: invoice?.customerId ?? null,
    orderId: invoice?.commerceOrderId ?? null,
    walletAddress: invoice?.payerWalletAddress ?? payment.fromAddress,
    walletNetwork: invoice?.payerWalletNetwork ?? payment.network,
  }
}

function paymentFacts(p: InvoicePaymentRecord) {
  return { network: p.network, tokenId: p.tokenId, txHash: p.txHash, fromAddress: p.fromAddress, amountUnits: p.amountUnits }
}

type Quote = NonNullable<ReturnType<Awaited<ReturnType<typeof latestQuotes>>['get']>>

/** USD value of a transfer: stablecoins at par; other tokens at the invoice's quoted rate (floor). */
function valueOf(
  runtime: ChainRuntime,
  deposit: DepositAddressRecord,
  transfer: ObservedTransfer,
  quote: Quote | undefined,
): { usdMillis: bigint; matched: boolean } {
  const token = runtime.tokenById(transfer.tokenId)
  if (!token) return { usdMillis: 0n, matched: false }
  // only a token the payer was quoted for this invoice is credited; anything else is reported
  const matched = deposit.ownerType !== 'invoice' || quote !== undefined
  if (token.isStable) {
    return { usdMillis: tokenUnitsToUsdMillis({ amountUnits: transfer.amountUnits, tokenDecimals: token.decimals, priceUsd: stablecoinPrice(token.decimals), rounding: 'floor' }), matched }
  }
  if (!quote) return { usdMillis: 0n, matched }
  return { usdMillis: (transfer.amountUnits * quote.usdMillis) / quote.tokenAmount, matched }
}

/** Transfers per statement: a block of several hundred transfers is recorded in two round trips. */
const RECORD_BATCH = 1_000

/**
 * Records newly seen transfers (one transaction with the cursor move). Each transfer becomes a
 * `pending` payment exactly once (the unique key; a second sighting records nothing); events are
 * written with it. Per batch: one statement for the rows and their events (`recordPayments`, which
 * also reads whether a stablecoin was quoted and builds the event data), after a quote lookup when
 * the batch holds tokens valued at a quoted rate.
 */
export async function recordTransfers(
  deps: Deps,
  trx: Executor,
  runtime: ChainRuntime,
  network: ChainNetwork,
  transfers: { transfer: ObservedTransfer; deposit: DepositAddressRecord }[],
  head: bigint,
): Promise<number> {
  const now = deps.clock.now()
  // one row per (tx_hash, log_index): a multi-row upsert may not touch a row twice
  const seen = new Set<string>()
  const unique = transfers.filter(({ transfer }) => {
    const key = `${transfer.txHash}:${transfer.logIndex}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  let recorded = 0
  for (let i = 0; i < unique.length; i += RECORD_BATCH) {
    recorded += await recordBatch(deps, trx, runtime, network, unique.slice(i, i + RECORD_BATCH), head, now)
  }
  return recorded
}

async function recordBatch(
  deps: Deps,
  trx: Executor,
  runtime: ChainRuntime,
  network: ChainNetwork,
  batch: { transfer: ObservedTransfer; deposit: DepositAddressRecord }[],
  head: bigint,
  now: Date,
): Promise<number> {
  const quoteKey = (invoiceId: string, transfer: ObservedTransfer, deposit: DepositAddressRecord) => `${invoiceId}:${deposit.network}:${transfer.tokenId}`
  // a stablecoin is valued at par: whether its invoice quoted it is read in the recording
  // statement; only other tokens need their quoted rate here
  const quotedInStatement = (transfer: ObservedTransfer, deposit: DepositAddressRecord) =>
    deposit.ownerType === 'invoice' && deposit.invoiceId !== null && runtime.tokenById(transfer.tokenId)?.isStable === true
  const quotes = await latestQuotes(
    trx,
    batch.flatMap(({ transfer, deposit }) =>
      deposit.invoiceId && !quotedInStatement(transfer, deposit) ? [{ invoiceId: deposit.invoiceId, network: deposit.network, tokenId: transfer.tokenId }] : [],
    ),
  )
  const nowMs = now.getTime()
  const payments: PaymentToRecord[] = batch.map(({ transfer, deposit }) => {
    const inStatement = quotedInStatement(transfer, deposit)
    const value = valueOf(runtime, deposit, transfer, !inStatement && deposit.invoiceId ? quotes.get(quoteKey(deposit.invoiceId, transfer, deposit)) : undefined)
    return {
      payment: {
        id: uuidv7(nowMs),
        invoiceId: deposit.invoiceId,
        merchantId: deposit.merchantId,
        environment: deposit.environment,
        network: network.def.network,
        depositAddressId: deposit.id,
        tokenId: transfer.tokenId,
        txHash: transfer.txHash,
        logIndex: transfer.logIndex,
        blockNumber: transfer.blockNumber,
        blockHash: transfer.blockHash,
        fromAddress: transfer.from,
        toAddress: transfer.to,
        amountUnits: transfer.amountUnits,
        usdMillis: value.usdMillis,
        confirmations: Number(head - transfer.blockNumber + 1n),
        confirmationsRequired: network.def.confirmations,
        isUnmatched: inStatement ? null : !value.matched,
        detectedAt: now,
      },
      // only an invoice's deposit gets payment events
      emitsEvent: deposit.ownerType === 'invoice',
    }
  })
  const { recorded, withoutEvents } = await recordPayments(trx, payments, now)
  if (withoutEvents) await appendEventsAfterRevival(trx, batch, payments, withoutEvents, now)
  return recorded
}

/**
 * A batch that brought back a payment orphaned by a reorg was recorded without events: append
 * them from the stored rows, in the order the transfers happened on chain (`created` for a new
 * row, `updated` from `orphaned` for a revived one).
 */
async function appendEventsAfterRevival(
  trx: Executor,
  batch: { transfer: ObservedTransfer; deposit: DepositAddressRecord }[],
  payments: PaymentToRecord[],
  ids: string[],
  now: Date,
): Promise<void> {
  const ours = new Set(payments.map(({ payment }) => payment.id))
  const order = new Map(batch.map(({ transfer, deposit }, index) => [`${transfer.txHash}:${transfer.logIndex}`, { index, deposit }]))
  const at = (record: InvoicePaymentRecord) => order.get(`${record.txHash}:${record.logIndex}`)
  const rows = (await findPaymentsWithInvoice(trx, ids))
    .filter(({ record }) => at(record)?.deposit.ownerType === 'invoice')
    .sort((a, b) => (at(a.record)?.index ?? 0) - (at(b.record)?.index ?? 0))
  await appendEvents(
    trx,
    rows.map(({ record, invoice }) => {
      const revived = !ours.has(record.id)
      return paymentEvent(record, revived ? 'invoice_payment.updated' : 'invoice_payment.created', invoice, revived ? { status: 'orphaned' } : undefined)
    }),
    now,
  )
}

/**
 * A payment reached its confirmations on a block that is still canonical: credit it to the
 * invoice (or hand it to the deposit's owner module), all in one transaction with its events.
 */
export async function confirmPayment(deps: Deps, trx: Executor, paymentId: string, confirmations: number): Promise<void> {
  const now = deps.clock.now()
  const payment = await lockPayment(trx, paymentId)
  if (!payment || (payment.status !== 'pending' && payment.status !== 'manual_retry')) return
  if (!payment.invoiceId) {
    await updatePayment(trx, payment.id, { status: 'confirmed', confirmations, confirmedAt: now, settlementStatus: 'manual' }, now)
    const deposit = payment.depositAddressId ? await trx.selectFrom('deposit_address').select(['owner_type', 'owner_id', 'address']).where('id', '=', payment.depositAddressId).executeTakeFirst() : undefined
    if (deposit) {
      for (const hook of deps.hooks.depositObserved) {
        await hook(trx, {
          ownerType: deposit.owner_type,
          ownerId: deposit.owner_id,
          merchantId: payment.merchantId ?? 0n,
          environment: payment.environment,
          network: payment.network,
          address: deposit.address,
          tokenId: payment.tokenId,
          amountUnits: payment.amountUnits,
          txHash: payment.txHash,
          logIndex: payment.logIndex,
          fromAddress: payment.fromAddress,
          status: 'confirmed',
          at: now,
        })
      }
    }
    return
  }
  const invoice = await lockInvoice(trx, payment.invoiceId)
  if (!invoice) return
  const facts = { status: invoice.status, amountUsdMillis: invoice.amountUsdMillis, paidUsdMillis: invoice.paidUsdMillis, expiresAt: invoice.expiresAt }
  const late = isLatePayment(facts, payment.detectedAt)
  const credit = payment.isUnmatched || late ? 0n : payment.usdMillis
  await updatePayment(
    trx,
    payment.id,
    { status: 'confirmed', confirmations, confirmedAt: now, creditedUsdMillis: credit, isLate: late, settlementStatus: 'pending', settlementNextAttemptAt: now },
    now,
  )
  const confirmed = { ...payment, status: 'confirmed' as const, confirmations, confirmedAt: now, isLate: late, creditedUsdMillis: credit }
  await appendEvent(trx, paymentEvent(confirmed, 'invoice_payment.updated', invoice, { status: payment.status, confirmations: payment.confirmations }), now)

  if (credit === 0n && !late) return
  const paid = invoice.paidUsdMillis + credit
  const next = statusAfterPayments({ ...facts, paidUsdMillis: paid }, deps.config.paymentToleranceUsdMillis)
  const tolerance = deps.config.paymentToleranceUsdMillis
  const overpaid = credit > 0n && paid > invoice.amountUsdMillis + tolerance
  const patch: Parameters<typeof updateInvoice>[2] = {
    amount_paid_usd_millis: paid.toString(),
    last_payment_at: now,
    updated_at: now,
    ...(late && { has_late_payment: true }),
    ...(overpaid && { is_overpaid: true }),
    ...(invoice.payerWalletAddress === null && payment.fromAddress !== null && { payer_wallet_address: payment.fromAddress, payer_wallet_network: payment.network }),
  }
  if (next !== invoice.status) {
    patch.status = next
    if (next === 'paid') patch.paid_at = now
  }
  if (next === 'underpaid' && invoice.lockedNetwork === null) {
    // the first partial payment fixes how the rest must be paid
    patch.locked_network = payment.network
    patch.locked_token_id = payment.tokenId
    patch.locked_payment_address = payment.toAddress
  }
  const updated = await updateInvoice(trx, invoice.id, patch)
  await appendEvent(trx, invoiceEvent(updated, 'invoice.updated', invoice, undefined), now)
  await runStatusHooks(deps, trx, updated, invoice, paymentFacts(confirmed), now)
}

/** A reorg removed the payment's block: undo its credit and say so. */
export async function orphanPayment(deps: Deps, trx: Executor, paymentId: string): Promise<void> {
  const now = deps.clock.now()
  const payment = await lockPayment(trx, paymentId)
  if (!payment || payment.status === 'orphaned') return
  await updatePayment(trx, payment.id, { status: 'orphaned', creditedUsdMillis: 0n, confirmedAt: null }, now)
  if (!payment.invoiceId) {
    if (payment.status !== 'confirmed') return
    const deposit = payment.depositAddressId ? await trx.selectFrom('deposit_address').select(['owner_type', 'owner_id', 'address']).where('id', '=', payment.depositAddressId).executeTakeFirst() : undefined
    if (!deposit) return
    for (const hook of deps.hooks.depositObserved) {
      await hook(trx, {
        ownerType: deposit.owner_type, ownerId: deposit.owner_id, merchantId: payment.merchantId ?? 0n, environment: payment.environment,
        network: payment.network, address: deposit.address, tokenId: payment.tokenId, amountUnits: payment.amountUnits,
        txHash: payment.txHash, logIndex: payment.logIndex, fromAddress: payment.fromAddress, status: 'orphaned', at: now,
      })
    }
    return
  }
  const invoice = await lockInvoice(trx, payment.invoiceId)
  await appendEvent(trx, paymentEvent({ ...payment, status: 'orphaned', creditedUsdMillis: 0n }, 'invoice_payment.updated', invoice, { status: payment.status }), now)
  if (!invoice || payment.creditedUsdMillis === 0n) return
  const paid = invoice.paidUsdMillis - payment.creditedUsdMillis
  const facts = { status: invoice.status, amountUsdMillis: invoice.amountUsdMillis, paidUsdMillis: paid < 0n ? 0n : paid, expiresAt: invoice.expiresAt }
  const next = statusAfterPayments(facts, deps.config.paymentToleranceUsdMillis, { allowReopen: true })
  const updated = await updateInvoice(trx, invoice.id, {
    amount_paid_usd_millis: facts.paidUsdMillis.toString(),
    status: next,
    ...(next !== 'paid' && { paid_at: null }),
    ...(facts.paidUsdMillis <= invoice.amountUsdMillis + deps.config.paymentToleranceUsdMillis && { is_overpaid: false }),
    ...(next === 'unpaid' && { locked_network: null, locked_token_id: null, locked_payment_address: null }),
    updated_at: now,
  })
  await appendEvent(trx, invoiceEvent(updated, 'invoice.updated', invoice, undefined), now)
  await runStatusHooks(deps, trx, updated, invoice, null, now)
}
