import { AppError } from '@pepay/core'
import { stablecoinPrice, usdMillisToTokenUnits } from '../../quotes/quote.ts'
import type { ProviderOrderStatus } from '../../../providers/retail/retail-provider.ts'
import type { Commerce } from '../shared/context.ts'
import {
  claimDuePlacements,
  claimDueRefunds,
  findOrdersBehindInvoice,
  findPaymentTokenId,
  findSettledAwaitingOrders,
  findStableToken,
  loadOrderView,
  lockOrder,
  updateOrder,
  updateRefund,
  type Refund,
} from './order.repo.ts'
import { applyOrderEvent, emitOrderUpdated, openRefund, placementRequest } from './order.service.ts'
import { transition } from './order.state.ts'

/** A call to the chain or the retailer never waits longer than this. */
export const EXTERNAL_CALL_TIMEOUT_MS = 60_000
/** Claimed work is leased this long; a crashed worker's lease expires and the work is retried. */
const LEASE_MS = 2 * EXTERNAL_CALL_TIMEOUT_MS
const MAX_REFUND_ATTEMPTS = 12
const MAX_PLACEMENT_ATTEMPTS = 8
const BATCH = 20

/** Exponential backoff with a ceiling: 5 s, 10 s, 20 s … 15 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(15 * 60_000, 5_000 * 2 ** Math.max(0, Math.min(attempts - 1, 10)))
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new AppError('SERVICE_UNAVAILABLE', `${what} timed out after ${ms} ms`)),
      ms,
    )
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500)
}

// ------------------------------------------------------------------ refunds

/**
 * Sends due refunds: persist → call the chain with `refund:<orderId>` as idempotency key →
 * record the tx hash and move the order to `refunded`. With no chain layer running the refunds
 * stay `pending` (their `lastError` says why) and are retried when it runs.
 */
export async function processRefunds(
  commerce: Commerce,
  options: { orderId?: string } = {},
): Promise<number> {
  const deps = commerce.deps
  const chain = deps.chain
  if (!chain) return 0
  const now = deps.clock.now()
  const claimed = await deps.db
    .transaction()
    .execute((trx) =>
      claimDueRefunds(trx, now, new Date(now.getTime() + LEASE_MS), BATCH, options.orderId),
    )
  for (const refund of claimed) await sendRefund(commerce, refund)
  return claimed.length
}

async function sendRefund(commerce: Commerce, refund: Refund): Promise<void> {
  const deps = commerce.deps
  const chain = deps.chain
  if (!chain) return
  try {
    const network = chain.listNetworks(refund.environment).find((n) => n.network === refund.network)
    if (!network)
      throw new AppError(
        'UNKNOWN_NETWORK',
        `no ${refund.network} network is configured for ${refund.environment}`,
      )
    const paidWith = await findPaymentTokenId(deps.db, refund.orderId)
    const token = await findStableToken(
      deps.db,
      refund.environment,
      refund.network,
      network.tokens.map((t) => t.id),
      paidWith,
    )
    if (!token)
      throw new AppError('UNKNOWN_TOKEN', `no stablecoin is configured on ${refund.network}`)
    // par for stablecoins; floor so the platform never sends more than the USD owed
    const amountUnits = usdMillisToTokenUnits({
      usdMillis: refund.amountUsdMillis,
      tokenDecimals: token.decimals,
      priceUsd: stablecoinPrice(token.decimals),
      rounding: 'floor',
    })
    await updateRefund(
      deps.db,
      refund.orderId,
      { token_id: token.id, amount_units: amountUnits.toString() },
      deps.clock.now(),
    )
    const sent = await withTimeout(
      chain.sendFromTreasury({
        environment: refund.environment,
        network: refund.network,
        tokenId: token.id,
        to: refund.destinationAddress,
        amountUnits,
        idempotencyKey: `refund:${refund.orderId}`,
      }),
      EXTERNAL_CALL_TIMEOUT_MS,
      'refund transfer',
    )
    await deps.db.transaction().execute(async (trx) => {
      const now = deps.clock.now()
      await updateRefund(
        trx,
        refund.orderId,
        { status: 'sent', tx_hash: sent.txHash, sent_at: now, last_error: null },
        now,
      )
      const order = await lockOrder(trx, refund.orderId)
      if (order && transition(order.status, { type: 'refund_sent' }).ok) {
        await applyOrderEvent(commerce, trx, order, { type: 'refund_sent' }, {}, undefined)
      }
    })
  } catch (error) {
    const now = deps.clock.now()
    const failed = refund.attempts >= MAX_REFUND_ATTEMPTS
    deps.log.warn(
      { err: error, orderId: refund.orderId, attempts: refund.attempts },
      'refund transfer failed',
    )
    await deps.db.transaction().execute(async (trx) => {
      await updateRefund(
        trx,
        refund.orderId,
        {
          status: failed ? 'failed' : 'pending',
          last_error: errorText(error),
          next_attempt_at: new Date(now.getTime() + retryDelayMs(refund.attempts)),
        },
        now,
      )
      if (failed) {
        const order = await lockOrder(trx, refund.orderId)
        if (order)
          await emitOrderUpdated(trx, await loadOrderView(trx, order), order, undefined, now)
      }
    })
  }
}

// ------------------------------------------------------------------ invoice outcomes

/**
 * Moves orders whose invoice reached an outcome without them (the hook runs for chain payments;
 * the expiry worker and invoice cancel do not call it): paid → processing, expired or canceled →
 * cancelled. Each in its own transaction with its event.
 */
export async function reconcileInvoiceOutcomes(commerce: Commerce): Promise<number> {
  const deps = commerce.deps
  const behind = await findOrdersBehindInvoice(deps.db, BATCH)
  for (const item of behind) {
    await deps.db.transaction().execute(async (trx) => {
      const order = await lockOrder(trx, item.orderId)
      if (!order || order.status !== 'pending_payment') return
      if (item.invoiceStatus === 'paid') {
        const at = item.paidAt ?? deps.clock.now()
        await applyOrderEvent(
          commerce,
          trx,
          order,
          { type: 'payment_confirmed' },
          { paid_at: at, placement_status: 'awaiting_settlement', placement_next_at: at },
          undefined,
        )
      } else if (item.invoiceStatus === 'expired' || item.invoiceStatus === 'canceled') {
        await applyOrderEvent(
          commerce,
          trx,
          order,
          { type: 'payment_voided', reason: item.invoiceStatus },
          {},
          undefined,
        )
      }
    })
  }
  return behind.length
}

// ------------------------------------------------------------------ placement with the retailer

/**
 * Moves paid orders to the retailer: orders whose payment settled are queued, then each queued
 * order is placed (persist → call with our order id as idempotency key → record). A rejection
 * fails the order and opens its refund; transient errors retry with backoff.
 */
export async function processPlacements(commerce: Commerce): Promise<number> {
  const deps = commerce.deps
  const settled = await findSettledAwaitingOrders(deps.db, BATCH)
  for (const s of settled) {
    await deps.db.transaction().execute(async (trx) => {
      const order = await lockOrder(trx, s.orderId)
      if (
        !order ||
        order.status !== 'processing' ||
        order.placementStatus !== 'awaiting_settlement'
      )
        return
      await applyOrderEvent(
        commerce,
        trx,
        order,
        { type: 'payment_settled' },
        {
          settlement_status: 'settled',
          settlement_tx_hash: s.settlementTxHash,
          settlement_network: s.network,
          placement_status: 'queued',
          placement_next_at: deps.clock.now(),
        },
        undefined,
      )
    })
  }
  const now = deps.clock.now()
  const claimed = await deps.db
    .transaction()
    .execute((trx) => claimDuePlacements(trx, now, new Date(now.getTime() + LEASE_MS), BATCH))
  for (const order of claimed) {
    let answer: ProviderOrderStatus
    try {
      answer = await withTimeout(
        commerce.provider.placeOrder(placementRequest(order)),
        EXTERNAL_CALL_TIMEOUT_MS,
        'retailer order placement',
      )
    } catch (error) {
      const giveUp = order.placementAttempts >= MAX_PLACEMENT_ATTEMPTS
      await deps.db.transaction().execute(async (trx) => {
        const locked = await lockOrder(trx, order.id)
        if (!locked || locked.status !== 'processing') return
        if (giveUp) {
          const failed = await applyOrderEvent(
            commerce,
            trx,
            locked,
            { type: 'failed', reason: `retailer unreachable: ${errorText(error)}` },
            { placement_status: 'failed', placement_error: errorText(error) },
            undefined,
          )
          await openRefund(commerce, trx, failed, undefined)
        } else {
          await updateOrder(
            trx,
            order.id,
            {
              placement_status: 'queued',
              placement_error: errorText(error),
              placement_next_at: new Date(
                deps.clock.now().getTime() + retryDelayMs(order.placementAttempts),
              ),
            },
            deps.clock.now(),
          )
        }
      })
      continue
    }
    await deps.db.transaction().execute(async (trx) => {
      const locked = await lockOrder(trx, order.id)
      if (!locked || locked.status !== 'processing' || locked.placementStatus !== 'submitting')
        return
      if (answer.status === 'rejected' || answer.status === 'cancelled') {
        const failed = await applyOrderEvent(
          commerce,
          trx,
          locked,
          { type: 'failed', reason: answer.reason },
          {
            placement_status: 'failed',
            placement_error: answer.reason,
            provider_order_ref: answer.providerOrderRef,
          },
          undefined,
        )
        await openRefund(commerce, trx, failed, undefined)
        return
      }
      await applyOrderEvent(
        commerce,
        trx,
        locked,
        { type: 'placed' },
        {
          placement_status: 'submitted',
          placement_next_at: null,
          placement_error: null,
          provider_order_ref: answer.providerOrderRef,
        },
        undefined,
      )
    })
  }
  return settled.length + claimed.length
}
