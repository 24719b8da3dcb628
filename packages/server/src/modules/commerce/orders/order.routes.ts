import {
  BulkStatusBody,
  BulkStatusResponse,
  CancelOrderBody,
  CancelOrderResponse,
  CommerceInvoiceParams,
  CommerceInvoiceStatusResponse,
  ErrorBody,
  ListOrdersQuery,
  ListOrdersResponse,
  OrderParams,
  OrderResponse,
  PaymentStatusResponse,
  SimulateBody,
  SimulateResponse,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { requestContext } from '../../../http/context.ts'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import { IdempotencyHeaders } from '../../../http/idempotency.ts'
import { findInvoice } from '../../invoices/invoice.repo.ts'
import { epochSeconds } from '../carts/cart.serialize.ts'
import type { Commerce } from '../shared/context.ts'
import {
  COMMERCE_AUTH,
  COMMERCE_OR_DASHBOARD_AUTH,
  commerceErrors,
  tenantOf,
} from '../shared/http.ts'
import { normalizeWalletAddress } from '../shared/identity.ts'
import { usd } from '../shared/money.ts'
import { processRefunds } from './fulfilment.service.ts'
import {
  findOrder,
  findOrderByInvoice,
  findOrders,
  invoiceStatuses,
  listOrders,
  loadOrderView,
} from './order.repo.ts'
import { serializeOrder, serializeOrderListItem } from './order.serialize.ts'
import { cancelOrder, getOrderView, simulateTransition } from './order.service.ts'
import { canCancel } from './order.state.ts'

const tags = ['Commerce orders']

function parseInstant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value)
  if (Number.isNaN(date.getTime())) throw fieldError(field, 'not a valid date-time')
  return date
}

export function orderRoutes(commerce: Commerce) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.get(
      '/api/commerce/merchant/orders',
      {
        config: COMMERCE_OR_DASHBOARD_AUTH,
        schema: {
          tags,
          summary: 'List orders (filters, offset pagination)',
          querystring: ListOrdersQuery,
          response: { 200: ListOrdersResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const q = request.query
        if (q.wallet !== undefined && q.walletNetwork === undefined)
          throw fieldError('walletNetwork', 'required with wallet')
        if (q.walletNetwork !== undefined && q.wallet === undefined)
          throw fieldError('wallet', 'required with walletNetwork')
        let wallet: string | undefined
        if (q.wallet !== undefined && q.walletNetwork !== undefined) {
          const checked = normalizeWalletAddress(q.walletNetwork, q.wallet)
          if (!checked.ok) throw fieldError('wallet', checked.message)
          wallet = checked.address
        }
        const createdFrom = parseInstant(q.createdFrom, 'createdFrom')
        const createdTo = parseInstant(q.createdTo, 'createdTo')
        if (createdFrom && createdTo && createdTo < createdFrom)
          throw fieldError('createdTo', 'must not be before createdFrom')
        const page = await listOrders(
          commerce.deps.db,
          {
            ...tenant,
            customerId: q.customer_id,
            walletAddress: wallet,
            walletNetwork: q.walletNetwork,
            status: q.status,
            retailer: q.retailer,
            createdFrom,
            createdTo,
          },
          { limit: q.limit, offset: q.offset },
        )
        return {
          success: true as const,
          data: {
            orders: page.rows.map(serializeOrderListItem),
            pagination: { limit: q.limit, offset: q.offset, count: page.count },
          },
        }
      },
    )

    r.get(
      '/api/commerce/merchant/orders/:orderId',
      {
        config: COMMERCE_OR_DASHBOARD_AUTH,
        schema: {
          tags,
          summary: 'The canonical order snapshot',
          params: OrderParams,
          response: { 200: OrderResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const view = await getOrderView(commerce, tenantOf(request), request.params.orderId)
        return { success: true as const, data: serializeOrder(view) }
      },
    )

    r.post(
      '/api/commerce/merchant/orders/:orderId/cancel',
      {
        config: { ...COMMERCE_OR_DASHBOARD_AUTH, idempotency: 'required' },
        schema: {
          tags,
          summary: 'Cancel an order (refunds a paid order on BSC)',
          headers: IdempotencyHeaders,
          params: OrderParams,
          body: CancelOrderBody.optional(),
          response: { 200: CancelOrderResponse, ...commerceErrors, 409: ErrorBody },
        },
      },
      async (request) => {
        return cancelOrder(
          commerce,
          tenantOf(request),
          request.params.orderId,
          request.body ?? {},
          requestContext(request),
          request.idempotency,
        )
      },
    )

    r.get(
      '/api/commerce/merchant/payments/:orderId/status',
      {
        config: COMMERCE_OR_DASHBOARD_AUTH,
        schema: {
          tags: ['Commerce payments'],
          summary: "Payment status of an order's invoice",
          params: OrderParams,
          response: { 200: PaymentStatusResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const view = await getOrderView(commerce, tenantOf(request), request.params.orderId)
        const o = view.order
        return {
          success: true as const,
          data: {
            orderId: o.id,
            invoiceId: o.invoiceId,
            status: view.invoiceStatus,
            orderStatus: o.status,
            customerId: o.customerId,
            amount: usd(o.totalUsdMillis),
            paidAt: o.paidAt ? epochSeconds(o.paidAt) : null,
            paymentDetails: o.paidAt
              ? {
                  network: o.paymentNetwork,
                  token: o.paymentTokenSymbol,
                  amount: usd(o.totalUsdMillis),
                  txHash: o.paymentTxHash,
                  walletAddress: o.paymentWalletAddress,
                }
              : null,
          },
        }
      },
    )

    r.post(
      '/api/commerce/merchant/payments/bulk-status',
      {
        config: COMMERCE_OR_DASHBOARD_AUTH,
        schema: {
          tags: ['Commerce payments'],
          summary: 'Payment status of up to 50 orders',
          body: BulkStatusBody,
          response: { 200: BulkStatusResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const orders = await findOrders(commerce.deps.db, tenant.merchantId, tenant.environment, [
          ...new Set(request.body.orderIds),
        ])
        const statuses = await invoiceStatuses(
          commerce.deps.db,
          orders.map((o) => o.invoiceId),
        )
        const byId = new Map(orders.map((o) => [o.id, o]))
        return {
          success: true as const,
          data: request.body.orderIds.map((id) => {
            const o = byId.get(id)
            if (!o)
              return {
                orderId: id,
                invoiceId: null,
                status: null,
                orderStatus: null,
                error: 'Order not found',
              }
            return {
              orderId: id,
              invoiceId: o.invoiceId,
              status: statuses.get(o.invoiceId) ?? null,
              orderStatus: o.status,
              error: null,
            }
          }),
        }
      },
    )

    r.get(
      '/api/commerce/merchant/invoices/:invoiceId/status',
      {
        config: { auth: ['commerce_key', 'merchant_key', 'bearer'] },
        schema: {
          tags: ['Commerce payments'],
          summary: 'Resolve the order of a commerce invoice',
          params: CommerceInvoiceParams,
          response: { 200: CommerceInvoiceStatusResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const invoice = await findInvoice(
          commerce.deps.db,
          tenant.merchantId,
          request.params.invoiceId,
        )
        if (
          !invoice ||
          invoice.environment !== tenant.environment ||
          invoice.invoiceType !== 'commerce'
        )
          throw new NotFoundError('commerce invoice')
        const order = await findOrderByInvoice(
          commerce.deps.db,
          tenant.merchantId,
          tenant.environment,
          invoice.id,
        )
        if (!order) throw new NotFoundError('commerce invoice')
        return {
          success: true as const,
          data: {
            invoiceId: invoice.id,
            orderId: order.id,
            payment: {
              status: invoice.status,
              amount: usd(invoice.amountUsdMillis),
              amountPaid: usd(invoice.paidUsdMillis),
              paidAt: invoice.paidAt ? epochSeconds(invoice.paidAt) : null,
              expiresAt: epochSeconds(invoice.expiresAt),
              txHash: order.paymentTxHash,
              network: order.paymentNetwork,
            },
            order: {
              orderId: order.id,
              status: order.status,
              substatus: order.substatus,
              customerId: order.customerId,
              actions: { canCancel: canCancel(order.status) },
            },
          },
        }
      },
    )

    r.post(
      '/api/commerce/devnet/orders/:orderId/simulate',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags: ['Commerce devnet'],
          summary: 'Simulate an order transition (devnet only)',
          params: OrderParams,
          body: SimulateBody,
          response: { 200: SimulateResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        let view = await simulateTransition(
          commerce,
          tenant,
          request.params.orderId,
          request.body,
          requestContext(request),
        )
        if (view.refund && (view.refund.status === 'pending' || view.refund.status === 'sending')) {
          // devnet: send the refund now (the worker retries it if the chain is not ready)
          await processRefunds(commerce, { orderId: view.order.id })
          const order = await findOrder(
            commerce.deps.db,
            tenant.merchantId,
            tenant.environment,
            view.order.id,
          )
          if (order) view = await loadOrderView(commerce.deps.db, order)
        }
        return { success: true as const, data: { order: serializeOrder(view) } }
      },
    )
  }
}
