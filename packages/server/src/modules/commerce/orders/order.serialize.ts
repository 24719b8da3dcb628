import type { CommerceOrderSnapshot } from '@pepay/contracts'
import type { RefundStatusColumn } from '../commerce.table.ts'
import { epochSeconds } from '../carts/cart.serialize.ts'
import { centsText, usd } from '../shared/money.ts'
import type { Order, OrderListRow, OrderView, Refund } from './order.repo.ts'
import { canCancel } from './order.state.ts'

export type WireRefundStatus = 'NONE' | 'PENDING' | 'PROCESSING' | 'REFUNDED' | 'FAILED'

const REFUND_STATUS: Record<RefundStatusColumn, WireRefundStatus> = {
  pending: 'PENDING',
  sending: 'PROCESSING',
  sent: 'REFUNDED',
  failed: 'FAILED',
}

export function refundStatusOf(refund: Refund | undefined): WireRefundStatus {
  return refund ? REFUND_STATUS[refund.status] : 'NONE'
}

/** Where a refund goes: the checkout/cancel destination, else the payer's BSC wallet. */
export function refundDestination(order: Order): string | null {
  if (order.refundDestinationBsc) return order.refundDestinationBsc
  if (order.paymentNetwork === 'bsc' && order.paymentWalletAddress)
    return order.paymentWalletAddress
  if (order.walletNetwork === 'bsc' && order.walletAddress) return order.walletAddress
  return null
}

export function serializeOrder(view: OrderView): CommerceOrderSnapshot {
  const { order, refund } = view
  return {
    orderId: order.id,
    invoiceId: order.invoiceId,
    merchantId: Number(order.merchantId),
    networkEnvironment: order.environment,
    retailer: order.retailer,
    createdAt: epochSeconds(order.createdAt),
    updatedAt: epochSeconds(order.updatedAt),
    customerId: order.customerId,
    walletAddress: order.walletAddress,
    walletNetwork: order.walletNetwork,
    status: order.status,
    substatus: order.substatus,
    actions: { canCancel: canCancel(order.status) },
    timeline: view.timeline.map((t) => ({
      status: t.status,
      timestamp: epochSeconds(t.at),
      message: t.message,
    })),
    payment: {
      status: view.invoiceStatus,
      txHash: order.paymentTxHash,
      network: order.paymentNetwork,
      paidAt: order.paidAt ? epochSeconds(order.paidAt) : null,
      settlement: {
        status: order.settlementStatus,
        txHash: order.settlementTxHash,
        network: order.settlementNetwork,
      },
    },
    fulfillment: {
      shipments: view.shipments.map((s) => ({
        shipmentId: s.id,
        carrier: s.carrier,
        trackingNumber: s.trackingNumber,
        carrierTrackingUrl: s.carrierTrackingUrl,
        deliveryStatus: s.deliveryStatus,
        retailerTrackingNumber: s.retailerTrackingNumber,
        retailerTrackingUrl: s.retailerTrackingUrl,
        obtainedAt: epochSeconds(s.obtainedAt),
      })),
    },
    lineItems: order.lineItems.map((line) => ({
      productId: line.productId,
      title: line.title,
      imageUrl: line.imageUrl,
      quantity: line.quantity,
      price: centsText(BigInt(line.priceUsdMillis)),
      status: order.status,
    })),
    shippingAddress: order.shippingAddress,
    cancellationStatus: order.cancellationStatus,
    refundStatus: refundStatusOf(refund),
    subtotalUsd: centsText(order.subtotalUsdMillis),
    shippingUsd: centsText(order.shippingUsdMillis),
    taxUsd: centsText(order.taxUsdMillis),
    totalAmountUsd: centsText(order.totalUsdMillis),
    commerceFeeUsd: centsText(order.feeUsdMillis),
    refund: {
      status: refundStatusOf(refund),
      amountUsd: refund ? centsText(refund.amountUsdMillis) : null,
      feeUsd: refund ? centsText(refund.feeUsdMillis) : null,
      destinationWalletAddressBsc: refund?.destinationAddress ?? refundDestination(order),
      txHash: refund?.txHash ?? null,
      network: refund?.network ?? null,
      tokenAmount: refund?.amountUnits?.toString() ?? null,
      lastError: refund?.lastError ?? null,
    },
  }
}

export function serializeOrderListItem(row: OrderListRow) {
  const o = row.order
  return {
    orderId: o.id,
    invoiceId: o.invoiceId,
    networkEnvironment: o.environment,
    status: o.status,
    substatus: o.substatus,
    actions: { canCancel: canCancel(o.status) },
    shipmentsSummary: {
      shipmentCount: row.shipmentCount,
      hasTracking: row.shipmentCount > 0,
      lastTrackingAt: row.lastTrackingAt ? epochSeconds(row.lastTrackingAt) : null,
      isDelivered: o.status === 'delivered',
    },
    retailer: o.retailer,
    walletAddress: o.walletAddress,
    walletNetwork: o.walletNetwork,
    customerId: o.customerId,
    total: usd(o.totalUsdMillis),
    createdAt: epochSeconds(o.createdAt),
    updatedAt: epochSeconds(o.updatedAt),
    itemCount: o.lineItems.reduce((n, l) => n + l.quantity, 0),
  }
}
