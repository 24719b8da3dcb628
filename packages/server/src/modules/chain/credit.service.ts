import { uuidv7 } from '@pepay/core'
import type { Executor } from '../../db/database.ts'
import type { Deps, InvoiceStatusChange } from '../../deps.ts'
import type { ObservedTransfer } from '../../providers/chain/chain-adapter.ts'
import { appendEvent } from '../events/event.repo.ts'
import { lockInvoice, updateInvoice, type Invoice } from '../invoices/invoice.repo.ts'
import { invoiceEvent } from '../invoices/invoice.service.ts'
import { isLatePayment, statusAfterPayments } from '../invoices/invoice.state.ts'
import { lockPayment, recordPayment, updatePayment, type InvoicePaymentRecord } from '../payments/payment.repo.ts'
import { serializePayment } from '../payments/payment.serialize.ts'
import { stablecoinPrice, tokenUnitsToUsdMillis } from '../quotes/quote.ts'
import type { ChainNetwork, ChainRuntime } from './chain.runtime.ts'
import { latestQuote, type DepositAddressRecord } from './deposit.repo.ts'

function paymentEvent(payment: InvoicePaymentRecord, type: 'invoice_payment.created' | 'invoice_payment.updated', invoice: Invoice | undefined, previous?: Record<string, unknown>) {
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

/** USD value of a transfer: stablecoins at par; other tokens at the invoice's quoted rate (floor). */
async function valueOf(
  trx: Executor,
  runtime: ChainRuntime,
  deposit: DepositAddressRecord,
  transfer: ObservedTransfer,
): Promise<{ usdMillis: bigint; matched: boolean }> {
  const token = runtime.tokenById(transfer.tokenId)
  if (!token) return { usdMillis: 0n, matched: false }
  const quote = deposit.invoiceId ? await latestQuote(trx, deposit.invoiceId, deposit.network, token.id) : undefined
  // only a token the payer was quoted for this invoice is credited; anything else is reported
  const matched = deposit.ownerType !== 'invoice' || quote !== undefined
  if (token.isStable) {
    return { usdMillis: tokenUnitsToUsdMillis({ amountUnits: transfer.amountUnits, tokenDecimals: token.decimals, priceUsd: stablecoinPrice(token.decimals), rounding: 'floor' }), matched }
  }
  if (!quote) return { usdMillis: 0n, matched }
  return { usdMillis: (transfer.amountUnits * quote.usdMillis) / quote.tokenAmount, matched }
}

/**
 * Records newly seen transfers (one transaction with the cursor move). Each transfer becomes a
 * `pending` payment exactly once; events are written with it.
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
  let recorded = 0
  for (const { transfer, deposit } of transfers) {
    const value = await valueOf(trx, runtime, deposit, transfer)
    const result = await recordPayment(trx, {
      id: uuidv7(now.getTime()),
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
      isUnmatched: !value.matched,
      detectedAt: now,
    })
    if (!result) continue
    recorded += 1
    if (deposit.ownerType !== 'invoice') continue
    const invoice = deposit.invoiceId ? await lockInvoice(trx, deposit.invoiceId) : undefined
    await appendEvent(
      trx,
      paymentEvent(result.record, result.revived ? 'invoice_payment.updated' : 'invoice_payment.created', invoice, result.revived ? { status: 'orphaned' } : undefined),
      now,
    )
  }
  return recorded
}

function statusChange(invoice: Invoice, previous: Invoice, payment: InvoicePaymentRecord | null, at: Date): InvoiceStatusChange {
  return {
    invoiceId: invoice.id,
    merchantId: invoice.merchantId,
    environment: invoice.environment,
    invoiceType: invoice.invoiceType,
    commerceOrderId: invoice.commerceOrderId,
    previousStatus: previous.status,
    status: invoice.status,
    payment: payment
      ? { network: payment.network, tokenId: payment.tokenId, txHash: payment.txHash, fromAddress: payment.fromAddress, amountUnits: payment.amountUnits }
      : null,
    at,
  }
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
  if (updated.status !== invoice.status) {
    for (const hook of deps.hooks.invoiceStatusChanged) await hook(trx, statusChange(updated, invoice, confirmed, now))
  }
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
  if (updated.status !== invoice.status) {
    for (const hook of deps.hooks.invoiceStatusChanged) await hook(trx, statusChange(updated, invoice, null, now))
  }
}
