import {
  AddCartItemBody,
  AddCartItemResponse,
  CartItemParams,
  CartQuery,
  CartResponse,
  CartTotalsQuery,
  CartTotalsResponse,
  ClearCartResponse,
  CreateCartBody,
  CreateCartResponse,
  RemoveCartItemResponse,
  UpdateCartItemBody,
  UpdateCartItemResponse,
  ValidateCartBody,
  ValidateCartResponse,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ppmToPercent } from '../checkout/pricing.ts'
import { serializeFees } from '../checkout/pricing.serialize.ts'
import type { Commerce } from '../shared/context.ts'
import { COMMERCE_AUTH, commerceErrors, tenantOf } from '../shared/http.ts'
import { parseIdentity } from '../shared/identity.ts'
import { usd } from '../shared/money.ts'
import {
  addCartItem,
  cartTotals,
  clearCart,
  createCart,
  getCart,
  removeCartItem,
  setCartItemQuantity,
  validateCart,
} from './cart.service.ts'
import { epochSeconds, serializeCart } from './cart.serialize.ts'

const tags = ['Commerce carts']

export function cartRoutes(commerce: Commerce) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.get(
      '/api/commerce/merchant/carts',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: "Get a customer's cart",
          querystring: CartQuery,
          response: { 200: CartResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const { cart, identity } = await getCart(commerce, tenant, request.query)
        return { success: true as const, data: serializeCart(cart, tenant, identity) }
      },
    )

    r.post(
      '/api/commerce/merchant/carts',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Create or initialize a cart',
          body: CreateCartBody,
          response: { 201: CreateCartResponse, ...commerceErrors },
        },
      },
      async (request, reply) => {
        const tenant = tenantOf(request)
        const cart = await createCart(commerce, tenant, request.body)
        return reply
          .status(201)
          .send({
            success: true as const,
            message: 'Cart initialized',
            data: serializeCart(cart, tenant, parseIdentity(request.body)),
          })
      },
    )

    r.post(
      '/api/commerce/merchant/carts/items',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Add an item (or increase its quantity)',
          body: AddCartItemBody,
          response: { 200: AddCartItemResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const result = await addCartItem(commerce, tenantOf(request), request.body)
        return {
          success: true as const,
          message: result.updated ? 'Item quantity updated' : 'Item added to cart',
          data: result,
        }
      },
    )

    r.put(
      '/api/commerce/merchant/carts/items/:itemId',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Set an item quantity (0 removes it)',
          params: CartItemParams,
          body: UpdateCartItemBody,
          response: { 200: UpdateCartItemResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const result = await setCartItemQuantity(
          commerce,
          tenantOf(request),
          request.params.itemId,
          request.body,
        )
        return {
          success: true as const,
          message: result.removed ? 'Item removed from cart' : 'Cart item updated',
          data: {
            itemId: result.itemId,
            quantity: result.quantity,
            updatedAt: epochSeconds(result.updatedAt),
            removed: result.removed,
          },
        }
      },
    )

    r.delete(
      '/api/commerce/merchant/carts/items/:itemId',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Remove an item',
          params: CartItemParams,
          querystring: CartQuery,
          response: { 200: RemoveCartItemResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const result = await removeCartItem(
          commerce,
          tenantOf(request),
          request.params.itemId,
          request.query,
        )
        return { success: true as const, message: 'Item removed from cart', data: result }
      },
    )

    r.delete(
      '/api/commerce/merchant/carts',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Clear the cart',
          querystring: CartQuery,
          response: { 200: ClearCartResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const itemsRemoved = await clearCart(commerce, tenantOf(request), request.query)
        return { success: true as const, message: 'Cart cleared', data: { itemsRemoved } }
      },
    )

    r.post(
      '/api/commerce/merchant/carts/validate',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Check availability and price changes against the retailer',
          body: ValidateCartBody,
          response: { 200: ValidateCartResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const result = await validateCart(commerce, tenantOf(request), request.body)
        let saved = 0n
        let current = 0n
        for (const r of result.items) {
          saved += r.item.priceUsdMillis * BigInt(r.item.quantity)
          if (r.currentPriceUsdMillis !== null)
            current += r.currentPriceUsdMillis * BigInt(r.item.quantity)
        }
        return {
          success: true as const,
          valid: result.valid,
          items: result.items.map((r) => ({
            itemId: r.item.id,
            productId: r.item.productId,
            retailer: r.item.retailer,
            available: r.available,
            currentPrice: r.currentPriceUsdMillis === null ? null : usd(r.currentPriceUsdMillis),
            savedPrice: usd(r.item.priceUsdMillis),
            priceChanged: r.priceChanged,
            reason: r.reason,
          })),
          summary: {
            itemCount: result.items.length,
            availableCount: result.items.filter((r) => r.available).length,
            unavailableCount: result.items.filter((r) => !r.available).length,
            priceChangedCount: result.items.filter((r) => r.priceChanged).length,
            savedSubtotal: usd(saved),
            currentSubtotal: usd(current),
          },
        }
      },
    )

    r.get(
      '/api/commerce/merchant/carts/totals',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Cart totals with shipping, US sales tax and fees',
          querystring: CartTotalsQuery,
          response: { 200: CartTotalsResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const totals = await cartTotals(commerce, tenantOf(request), request.query)
        const p = totals.pricing
        return {
          success: true as const,
          data: {
            subtotal: usd(p.subtotalUsdMillis),
            shipping: usd(p.shippingUsdMillis),
            tax: usd(p.taxUsdMillis),
            taxRate: ppmToPercent(p.taxRatePpm),
            fees: serializeFees(p),
            total: usd(p.totalUsdMillis),
            itemCount: totals.itemCount,
            zipCode: totals.zipCode,
            state: totals.state,
            unavailableItems: totals.unavailable,
          },
        }
      },
    )
  }
}
