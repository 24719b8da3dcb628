import { createHash } from 'node:crypto'
import { AppError } from '@pepay/core'
import type { SimulateTransition } from '@pepay/contracts'
import type { Executor } from '../../../db/database.ts'
import type { InvoiceStatusChange, RequestContext } from '../../../deps.ts'
import type { PlaceOrderRequest } from '../../../providers/retail/retail-provider.ts'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { appendEvent } from '../../events/event.repo.ts'
import { lockInvoice, updateInvoice } from '../../invoices/invoice.repo.ts'
import { invoiceEvent } from '../../invoices/invoice.service.ts'
import type { Commerce, Tenant } from '../shared/context.ts'
import { normalizeWalletAddress } from '../shared/identity.ts'
import { centsText } from '../shared/money.ts'
import {
  appendTimeline,
  findOrder,
  findTokenSymbol,
  insertRefund,
  insertShipment,
  loadOrderView,
  lockOrder,
  markShipmentsDelivered,
  updateOrder,
  updateRefund,
  type Order,
  type OrderPatch,
  type OrderView,
} from './order.repo.ts'
import { orderEvent } from './order.events.ts'
import { refundDestination, refundStatusOf } from './order.serialize.ts'
import { owesRefund, transition, type OrderEvent } from './order.state.ts'

/** Refunds and settlement move on BSC (pepay-api.md §8: refundDestinationWalletAddressBsc). */
export const REFUND_NETWORK = 'bsc'

/** Appends `commerce.order.updated` for `view`, naming what changed since `previous`, in the caller's transaction. */
export async function emitOrderUpdated(
  trx: Executor,
  view: OrderView,
  previous: Order,
  ctx: RequestContext | undefined,
  now: Date,
): Promise<void> {
  const changed = { status: previous.status, substatus: previous.substatus }
  await appendEvent(trx, orderEvent(view, 'commerce.order.updated', changed, ctx), now)
}

/** What the retailer is asked to ship for an order (our order id is its idempotency key). */
export function placementRequest(order: Order): PlaceOrderRequest {
  return {
    orderId: order.id,
    retailer: order.retailer,
    items: order.lineItems.map((l) => ({
      productId: l.productId,
      offerId: l.offerId,
      quantity: l.quantity,
      priceUsdMillis: BigInt(l.priceUsdMillis),
    })),
    shippingAddress: order.shippingAddress ?? {
      firstName: '',
      lastName: '',
      addressLine1: '',
      addressLine2: '',
      city: '',
      state: '',
      zipCode: '',
      country: 'US',
    },
  }
}

/**
 * Applies one state-machine event inside the caller's transaction: the order row, its timeline
 * entry and `commerce.order.updated` commit together. Throws the machine's refusal as a 400.
 */
export async function applyOrderEvent(
  commerce: Commerce,
  trx: Executor,
  order: Order,
  event: OrderEvent,
  patch: OrderPatch,
  ctx: RequestContext | undefined,
): Promise<OrderView> {
  const next = transition(order.status, event)
  if (!next.ok) throw new AppError(next.code, next.message)
  const now = commerce.deps.clock.now()
  const updated = await updateOrder(
    trx,
    order.id,
    { ...patch, status: next.status, substatus: next.substatus },
    now,
  )
  await appendTimeline(trx, order.id, next.status, next.message, now)
  const view = await loadOrderView(trx, updated)
  await emitOrderUpdated(trx, view, order, ctx, now)
  return view
}

/**
 * Creates the pending refund of a paid order that ended without delivery (persist first; the
 * refund worker then calls the chain with `refund:<orderId>` as idempotency key). Without a
 * known BSC destination nothing is created and the order says so in its substatus.
 */
export async function openRefund(
  commerce: Commerce,
  trx: Executor,
  view: OrderView,
  ctx: RequestContext | undefined,
): Promise<OrderView> {
  const order = view.order
  if (!owesRefund(order.status, order.paidAt !== null) || view.refund) return view
  const destination = refundDestination(order)
  const now = commerce.deps.clock.now()
  if (destination === null) {
    const updated = await updateOrder(
      trx,
      order.id,
      { substatus: 'REFUND_DESTINATION_REQUIRED' },
      now,
    )
    const next = await loadOrderView(trx, updated)
    await emitOrderUpdated(trx, next, order, ctx, now)
    return next
  }
  await insertRefund(trx, {
    orderId: order.id,
    merchantId: order.merchantId,
    environment: order.environment,
    // the whole amount paid goes back: the order never reached the shopper
    amountUsdMillis: order.totalUsdMillis,
    feeUsdMillis: 0n,
    destinationAddress: destination,
    network: REFUND_NETWORK,
    now,
  })
  if (!commerce.deps.chain) {
    // persisted and visible: the refund worker sends it once the chain layer runs
    await updateRefund(
      trx,
      order.id,
      { last_error: 'chain services are not running; the refund is sent when they are' },
      now,
    )
  }
  await appendTimeline(
    trx,
    order.id,
    order.status,
    `Refund of ${centsText(order.totalUsdMillis)} USD to ${destination} on BSC requested`,
    now,
  )
  const next = await loadOrderView(trx, order)
  await emitOrderUpdated(trx, next, order, ctx, now)
  return next
}

// ------------------------------------------------------------------ invoice status hook

/**
 * The `invoiceStatusChanged` hook: runs inside the transaction that changes a commerce invoice,
 * so the order moves in the same commit as the payment (chain layer, expiry worker, simulator).
 */
export function invoiceStatusHook(commerce: Commerce) {
  return async (trx: Executor, change: InvoiceStatusChange): Promise<void> => {
    if (change.invoiceType !== 'commerce' || change.commerceOrderId === null) return
    const order = await lockOrder(trx, change.commerceOrderId)
    if (!order || order.merchantId !== change.merchantId || order.invoiceId !== change.invoiceId)
      return
    if (change.status === 'paid' && order.status === 'pending_payment') {
      const payment = change.payment
      const tokenSymbol =
        payment?.tokenId != null ? await findTokenSymbol(trx, payment.tokenId) : null
      await applyOrderEvent(
        commerce,
        trx,
        order,
        { type: 'payment_confirmed' },
        {
          payment_network: payment?.network ?? null,
          payment_token_id: payment?.tokenId ?? null,
          payment_token_symbol: tokenSymbol,
          payment_tx_hash: payment?.txHash ?? null,
          payment_wallet_address: payment?.fromAddress?.toLowerCase() ?? null,
          paid_at: change.at,
          // settlement unlocks placement with the retailer
          placement_status: 'awaiting_settlement',
          placement_next_at: change.at,
        },
        undefined,
      )
      return
    }
    if (
      (change.status === 'expired' || change.status === 'canceled') &&
      order.status === 'pending_payment'
    ) {
      await applyOrderEvent(
        commerce,
        trx,
        order,
        { type: 'payment_voided', reason: change.status },
        {},
        undefined,
      )
      return
    }
    if (
      change.previousStatus === 'paid' &&
      change.status !== 'paid' &&
      order.status === 'processing'
    ) {
      await applyOrderEvent(
        commerce,
        trx,
        order,
        { type: 'payment_reverted' },
        { paid_at: null, placement_status: 'none', placement_next_at: null },
        undefined,
      )
      return
    }
    if (change.previousStatus === 'paid' && change.status !== 'paid') {
      commerce.deps.log.warn(
        { orderId: order.id, status: order.status },
        'invoice payment reverted after the order left processing',
      )
    }
  }
}

// ------------------------------------------------------------------ reads

export async function getOrderView(
  commerce: Commerce,
  tenant: Tenant,
  orderId: string,
): Promise<OrderView> {
  const order = await findOrder(commerce.deps.db, tenant.merchantId, tenant.environment, orderId)
  if (!order) throw new NotFoundError('order')
  return loadOrderView(commerce.deps.db, order)
}

// ------------------------------------------------------------------ merchant cancellation

/**
 * Cancels an order where the machine allows it. Before payment the invoice is canceled with it;
 * after payment the retailer order (if any) is cancelled first, then the order and its pending
 * refund commit together with the idempotent response, and the refund worker sends the money.
 */
export async function cancelOrder(
  commerce: Commerce,
  tenant: Tenant,
  orderId: string,
  body: { refundDestinationWalletAddressBsc?: string | undefined },
  ctx: RequestContext,
  claim: IdempotencyClaim | undefined,
) {
  const deps = commerce.deps
  const current = await findOrder(deps.db, tenant.merchantId, tenant.environment, orderId)
  if (!current) throw new NotFoundError('order')
  const check = transition(current.status, { type: 'cancel', by: 'merchant' })
  if (!check.ok) throw new AppError(check.code, check.message)
  const isPaid = current.paidAt !== null
  const destination =
    body.refundDestinationWalletAddressBsc?.toLowerCase() ?? refundDestination(current)
  if (isPaid && destination === null) {
    throw fieldError(
      'refundDestinationWalletAddressBsc',
      'required: no BSC refund destination is known for this order',
    )
  }
  if (current.status === 'placed' && current.providerOrderRef) {
    // the retailer is called outside any transaction, before we commit the cancellation
    const answer = await commerce.provider.cancelOrder(current.providerOrderRef)
    if (!answer.accepted)
      throw new AppError(
        'ORDER_NOT_CANCELLABLE',
        `the retailer refused the cancellation: ${answer.reason ?? 'no reason given'}`,
      )
  }
  const response = await deps.db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, orderId)
    if (!order) throw new NotFoundError('order')
    const now = deps.clock.now()
    if (order.status === 'pending_payment') {
      const invoice = await lockInvoice(trx, order.invoiceId)
      if (invoice && (invoice.status === 'unpaid' || invoice.status === 'underpaid')) {
        if (invoice.status === 'underpaid')
          throw new AppError(
            'ORDER_NOT_CANCELLABLE',
            'a partial payment has arrived; wait for the invoice to settle',
          )
        const updated = await updateInvoice(trx, invoice.id, {
          status: 'canceled',
          canceled_at: now,
          updated_at: now,
        })
        await appendEvent(trx, invoiceEvent(updated, 'invoice.updated', invoice, ctx), now)
      }
    }
    let view = await applyOrderEvent(
      commerce,
      trx,
      order,
      { type: 'cancel', by: 'merchant' },
      {
        cancellation_status: 'cancelled',
        placement_status:
          order.placementStatus === 'submitted' || order.placementStatus === 'simulated'
            ? order.placementStatus
            : 'none',
        placement_next_at: null,
        ...(body.refundDestinationWalletAddressBsc !== undefined && {
          refund_destination_bsc: body.refundDestinationWalletAddressBsc.toLowerCase(),
        }),
      },
      ctx,
    )
    view = await openRefund(commerce, trx, view, ctx)
    const o = view.order
    const result = {
      success: true as const,
      data: {
        orderId: o.id,
        status: o.status,
        substatus: o.substatus,
        customerId: o.customerId,
        refundQuote: {
          status: refundStatusOf(view.refund),
          amountUsd: view.refund ? centsText(view.refund.amountUsdMillis) : null,
          feeUsd: view.refund ? centsText(view.refund.feeUsdMillis) : null,
          network: view.refund?.network ?? null,
          destinationWalletAddressBsc: view.refund?.destinationAddress ?? null,
        },
      },
    }
    await completeIdempotencyKey(trx, claim, 200, result)
    return result
  })
  commerce.kick()
  return response
}

// ------------------------------------------------------------------ devnet simulator

function simulatedHash(kind: string, orderId: string): string {
  return `0x${createHash('sha256').update(`pepay-devnet-simulator:${kind}:${orderId}`).digest('hex')}`
}

/**
 * Devnet only: drives an order through a documented transition as the chain and the retailer
 * would. `payment_confirmed` marks the linked invoice paid with its `invoice.updated` event and
 * runs the same invoice hooks as a real payment, in one transaction.
 */
export async function simulateTransition(
  commerce: Commerce,
  tenant: Tenant,
  orderId: string,
  body: {
    transitionTo: SimulateTransition
    tracking?:
      | {
          carrier?: string | undefined
          trackingNumber?: string | undefined
          carrierTrackingUrl?: string | undefined
          deliveryStatus?: string | undefined
          retailerTrackingNumber?: string | undefined
          retailerTrackingUrl?: string | undefined
        }
      | undefined
    walletNetwork?: string | undefined
    walletAddress?: string | undefined
    reason?: string | undefined
  },
  ctx: RequestContext,
): Promise<OrderView> {
  const deps = commerce.deps
  if (tenant.environment !== 'devnet')
    throw new AppError('DEVNET_ONLY', 'the order simulator only runs with a devnet commerce key')
  const current = await findOrder(deps.db, tenant.merchantId, tenant.environment, orderId)
  if (!current) throw new NotFoundError('order')
  if ((body.walletAddress === undefined) !== (body.walletNetwork === undefined)) {
    throw fieldError(
      body.walletAddress === undefined ? 'walletAddress' : 'walletNetwork',
      'walletAddress and walletNetwork go together',
    )
  }
  let wallet: { network: string; address: string } | null = null
  if (body.walletAddress !== undefined && body.walletNetwork !== undefined) {
    const checked = normalizeWalletAddress(body.walletNetwork, body.walletAddress)
    if (!checked.ok) throw fieldError('walletAddress', checked.message)
    wallet = { network: body.walletNetwork, address: checked.address }
  }
  const providerRef =
    body.transitionTo === 'placed'
      ? await commerce.provider.placeOrder(placementRequest(current))
      : undefined

  const view = await deps.db.transaction().execute(async (trx) => {
    const order = await lockOrder(trx, orderId)
    if (!order) throw new NotFoundError('order')
    const now = deps.clock.now()
    switch (body.transitionTo) {
      case 'payment_confirmed': {
        const check = transition(order.status, { type: 'payment_confirmed' })
        if (!check.ok) throw new AppError(check.code, check.message)
        const invoice = await lockInvoice(trx, order.invoiceId)
        if (!invoice) throw new NotFoundError('invoice')
        if (invoice.status !== 'unpaid' && invoice.status !== 'underpaid') {
          throw new AppError('INVOICE_NOT_PAYABLE', `the order's invoice is ${invoice.status}`)
        }
        const paid = await updateInvoice(trx, invoice.id, {
          status: 'paid',
          amount_paid_usd_millis: invoice.amountUsdMillis.toString(),
          paid_at: now,
          last_payment_at: now,
          updated_at: now,
        })
        await appendEvent(trx, invoiceEvent(paid, 'invoice.updated', invoice, ctx), now)
        const change: InvoiceStatusChange = {
          invoiceId: invoice.id,
          merchantId: invoice.merchantId,
          environment: invoice.environment,
          invoiceType: invoice.invoiceType,
          commerceOrderId: invoice.commerceOrderId,
          previousStatus: invoice.status,
          status: 'paid',
          payment: {
            network: wallet?.network ?? REFUND_NETWORK,
            tokenId: null,
            txHash: simulatedHash('payment', order.id),
            fromAddress: wallet?.address ?? order.walletAddress,
            amountUnits: 0n,
          },
          at: now,
        }
        for (const hook of deps.hooks.invoiceStatusChanged) await hook(trx, change)
        const after = await lockOrder(trx, order.id)
        return loadOrderView(trx, after ?? order)
      }
      case 'payment_settled':
        return applyOrderEvent(
          commerce,
          trx,
          order,
          { type: 'payment_settled' },
          {
            settlement_status: 'settled',
            settlement_tx_hash: simulatedHash('settlement', order.id),
            settlement_network: REFUND_NETWORK,
            // from here the simulator, not the placement worker, moves the order
            placement_status: 'simulated',
            placement_next_at: null,
          },
          ctx,
        )
      case 'placed':
        if (providerRef && providerRef.status !== 'placed' && providerRef.status !== 'submitted') {
          throw new AppError(
            'ORDER_TRANSITION_NOT_ALLOWED',
            `the retailer did not accept the order (${providerRef.status})`,
          )
        }
        return applyOrderEvent(
          commerce,
          trx,
          order,
          { type: 'placed' },
          {
            provider_order_ref: providerRef?.providerOrderRef ?? null,
            placement_status: 'submitted',
            placement_next_at: null,
            ...(order.settlementStatus === 'pending' && {
              settlement_status: 'settled',
              settlement_tx_hash: simulatedHash('settlement', order.id),
              settlement_network: REFUND_NETWORK,
            }),
          },
          ctx,
        )
      case 'shipped': {
        const carrier = body.tracking?.carrier ?? 'UPS'
        const check = transition(order.status, { type: 'shipped', carrier })
        if (!check.ok) throw new AppError(check.code, check.message)
        const digest = createHash('sha256')
          .update(`${order.id}:${now.getTime()}`)
          .digest('hex')
          .toUpperCase()
        const trackingNumber = body.tracking?.trackingNumber ?? `1Z${digest.slice(0, 16)}`
        await insertShipment(
          trx,
          order.id,
          {
            id: `ship_${digest.slice(0, 20).toLowerCase()}`,
            carrier,
            trackingNumber,
            carrierTrackingUrl:
              body.tracking?.carrierTrackingUrl ??
              `https://t.17track.net/en#nums=${encodeURIComponent(trackingNumber)}`,
            deliveryStatus: body.tracking?.deliveryStatus ?? 'In Transit',
            retailerTrackingNumber:
              body.tracking?.retailerTrackingNumber ?? `TBA${digest.slice(16, 28)}`,
            retailerTrackingUrl: body.tracking?.retailerTrackingUrl ?? null,
            obtainedAt: now,
          },
          now,
        )
        return applyOrderEvent(commerce, trx, order, { type: 'shipped', carrier }, {}, ctx)
      }
      case 'delivery_confirmed': {
        const check = transition(order.status, { type: 'delivered' })
        if (!check.ok) throw new AppError(check.code, check.message)
        await markShipmentsDelivered(trx, order.id, now)
        return applyOrderEvent(commerce, trx, order, { type: 'delivered' }, {}, ctx)
      }
      case 'failed': {
        const failed = await applyOrderEvent(
          commerce,
          trx,
          order,
          { type: 'failed', reason: body.reason ?? 'the retailer could not fulfil the order' },
          {
            placement_status: 'failed',
            placement_next_at: null,
            ...(wallet?.network === 'bsc' && { refund_destination_bsc: wallet.address }),
          },
          ctx,
        )
        return openRefund(commerce, trx, failed, ctx)
      }
      case 'cancelled': {
        const cancelled = await applyOrderEvent(
          commerce,
          trx,
          order,
          { type: 'cancel', by: 'retailer' },
          {
            cancellation_status: 'cancelled',
            ...(wallet?.network === 'bsc' && { refund_destination_bsc: wallet.address }),
          },
          ctx,
        )
        return openRefund(commerce, trx, cancelled, ctx)
      }
      case 'refunded': {
        if (order.paidAt === null)
          throw new AppError('ORDER_NOT_PAID', 'only a paid order can be refunded')
        if (wallet !== null && wallet.network !== 'bsc')
          throw fieldError('walletNetwork', 'refunds are sent on bsc')
        const withDestination = wallet
          ? await updateOrder(trx, order.id, { refund_destination_bsc: wallet.address }, now)
          : order
        if (refundDestination(withDestination) === null) {
          throw fieldError(
            'walletAddress',
            'refunded requires a BSC refund destination: capture refundDestinationWalletAddressBsc at checkout or pass walletNetwork=bsc and walletAddress',
          )
        }
        let current = await loadOrderView(trx, withDestination)
        if (withDestination.status === 'processing' || withDestination.status === 'placed') {
          current = await applyOrderEvent(
            commerce,
            trx,
            withDestination,
            { type: 'cancel', by: 'merchant' },
            { cancellation_status: 'cancelled', placement_status: 'none', placement_next_at: null },
            ctx,
          )
        } else if (withDestination.status !== 'cancelled' && withDestination.status !== 'failed') {
          throw new AppError(
            'ORDER_TRANSITION_NOT_ALLOWED',
            `an order that is ${withDestination.status} cannot be refunded`,
          )
        }
        return openRefund(commerce, trx, current, ctx)
      }
    }
  })
  return view
}
