import {
  AddressStepBody,
  AddressStepResponse,
  CheckoutInvoiceBody,
  CheckoutInvoiceResponse,
  EstimateBody,
  EstimateResponse,
  ErrorBody,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { requestContext } from '../../../http/context.ts'
import { IdempotencyHeaders } from '../../../http/idempotency.ts'
import { epochSeconds } from '../carts/cart.serialize.ts'
import type { Commerce } from '../shared/context.ts'
import { COMMERCE_AUTH, commerceErrors, tenantOf } from '../shared/http.ts'
import { usd } from '../shared/money.ts'
import { createCheckoutInvoice, createEstimate, setCheckoutAddress } from './checkout.service.ts'
import { ppmToPercent } from './pricing.ts'
import { serializeFees } from './pricing.serialize.ts'

const tags = ['Commerce checkout']

export function checkoutRoutes(commerce: Commerce) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.post(
      '/api/commerce/merchant/checkout/estimate',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Step 1: price items (direct, from the cart, or the cart with overrides)',
          body: EstimateBody,
          response: { 200: EstimateResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        const { estimate: e, pricing: p } = await createEstimate(commerce, tenant, request.body)
        return {
          success: true as const,
          data: {
            estimateId: e.id,
            merchantId: Number(tenant.merchantId),
            networkEnvironment: tenant.environment,
            customerId: e.customerId,
            walletAddress: e.walletAddress,
            walletNetwork: e.walletNetwork,
            validItems: e.validItems.map((l) => {
              const price = BigInt(l.priceUsdMillis)
              const requested =
                l.requestedPriceUsdMillis === null ? null : BigInt(l.requestedPriceUsdMillis)
              return {
                productId: l.productId,
                retailer: l.retailer,
                title: l.title,
                quantity: l.quantity,
                price: usd(price),
                totalPrice: usd(price * BigInt(l.quantity)),
                metadata: {
                  image: l.imageUrl,
                  offerId: l.offerId,
                  sellerName: l.sellerName,
                  shipping: usd(BigInt(l.shippingUsdMillis)),
                  deliveryDays: { min: l.deliveryDaysMin, max: l.deliveryDaysMax },
                  priceChanged: requested !== null && requested !== price,
                  requestedPrice: requested === null ? null : usd(requested),
                },
              }
            }),
            invalidItems: e.invalidItems,
            pricing: {
              subtotal: usd(p.subtotalUsdMillis),
              shipping: usd(p.shippingUsdMillis),
              tax: usd(p.taxUsdMillis),
              fees: serializeFees(p),
              total: usd(p.totalUsdMillis),
            },
            feeBreakdown: {
              shippingBase: usd(p.shippingUsdMillis),
              commerceFee: usd(p.feeTotalUsdMillis),
              totalFees: usd(p.shippingUsdMillis + p.feeTotalUsdMillis),
            },
            expiresAt: epochSeconds(e.expiresAt),
            createdAt: epochSeconds(e.createdAt),
          },
        }
      },
    )

    r.post(
      '/api/commerce/merchant/checkout/address',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Step 2: validate, standardize and save the shipping address',
          body: AddressStepBody,
          response: { 200: AddressStepResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const {
          address: a,
          estimate,
          pricing,
        } = await setCheckoutAddress(commerce, tenantOf(request), request.body)
        const days =
          estimate.deliveryDaysMin === estimate.deliveryDaysMax
            ? `${estimate.deliveryDaysMax}`
            : `${estimate.deliveryDaysMin}-${estimate.deliveryDaysMax}`
        return {
          success: true as const,
          data: {
            addressId: a.id,
            validated: a.isValidated,
            standardized: {
              first_name: a.firstName,
              last_name: a.lastName,
              street_address: a.addressLine1,
              address_line2: a.addressLine2,
              city: a.city,
              state: a.state,
              zip_code: a.zipCode,
              country: a.country,
              phone: a.phone,
              email: a.email,
            },
            shippingOptions: [
              {
                id: 'standard',
                name: 'Standard Shipping',
                price: usd(pricing.shippingUsdMillis),
                estimatedDays: `${days} business days`,
              },
            ],
            tax: {
              rate: ppmToPercent(pricing.taxRatePpm),
              amount: usd(pricing.taxUsdMillis),
              state: a.state,
            },
            total: usd(pricing.totalUsdMillis),
          },
        }
      },
    )

    r.post(
      '/api/commerce/merchant/checkout/invoice',
      {
        config: { ...COMMERCE_AUTH, idempotency: 'optional' },
        schema: {
          tags,
          summary: 'Step 3: create the order and its commerce invoice',
          headers: IdempotencyHeaders,
          body: CheckoutInvoiceBody,
          response: { 201: CheckoutInvoiceResponse, ...commerceErrors, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        const result = await createCheckoutInvoice(
          commerce,
          tenantOf(request),
          request.body,
          requestContext(request),
          request.idempotency,
        )
        return reply.status(201).send(result)
      },
    )
  }
}
