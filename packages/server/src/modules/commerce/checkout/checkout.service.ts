import { AppError, uuidv7 } from '@pepay/core'
import type { Retailer } from '@pepay/contracts'
import type { RequestContext } from '../../../deps.ts'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { appendEvent } from '../../events/event.repo.ts'
import { insertInvoiceWithEvent } from '../../invoices/invoice.service.ts'
import { saveAddress, findAddress } from '../addresses/address.repo.ts'
import { standardizeAddress } from '../addresses/address.service.ts'
import { assertCartNotEmpty } from '../carts/cart.service.ts'
import { findCart } from '../carts/cart.repo.ts'
import type { StoredLine, StoredShippingAddress } from '../commerce.table.ts'
import { insertOrder, loadOrderView } from '../orders/order.repo.ts'
import { orderEvent } from '../orders/order.events.ts'
import type { Commerce, Tenant } from '../shared/context.ts'
import { parseIdentity, type IdentityInput } from '../shared/identity.ts'
import { centsText, parseUsdPrice, usd } from '../shared/money.ts'
import { findEstimate, insertEstimate, type StoredEstimate } from './estimate.repo.ts'
import { selectOffers, type LineRequest } from './offer-selection.service.ts'
import {
  COMMERCE_INVOICE_TTL_MS,
  ESTIMATE_TTL_MS,
  MAX_ORDER_USD_MILLIS,
  priceLines,
  type Pricing,
} from './pricing.ts'

export interface EstimateInput extends IdentityInput {
  items?:
    | {
        productId?: string | undefined
        product_id?: string | undefined
        quantity: number
        price?: number | undefined
        title?: string | undefined
        retailer?: Retailer | undefined
      }[]
    | undefined
  useCart?: boolean | undefined
  itemOverrides?:
    { productId: string; retailer?: Retailer | undefined; quantity: number }[] | undefined
}

/** Resolves the three documented modes into line requests; the cart is only read. */
async function requestedLines(
  commerce: Commerce,
  tenant: Tenant,
  input: EstimateInput,
  identityKey: ReturnType<typeof parseIdentity>,
): Promise<LineRequest[]> {
  if (input.items !== undefined && input.useCart)
    throw fieldError('items', 'items cannot be combined with useCart: true')
  if (input.itemOverrides !== undefined && !input.useCart)
    throw fieldError('itemOverrides', 'itemOverrides requires useCart: true')
  if (input.items !== undefined) {
    const seen = new Set<string>()
    return input.items.map((item, index) => {
      const productId = item.productId ?? item.product_id
      if (productId === undefined) throw fieldError(`items.${index}.productId`, 'required')
      if (
        item.productId !== undefined &&
        item.product_id !== undefined &&
        item.productId !== item.product_id
      ) {
        throw fieldError(`items.${index}.product_id`, 'differs from productId')
      }
      const key = `${item.retailer ?? ''}:${productId}`
      if (seen.has(key))
        throw fieldError(`items.${index}.productId`, 'listed twice; use one line with a quantity')
      seen.add(key)
      return {
        productId,
        retailer: item.retailer,
        quantity: item.quantity,
        requestedPriceUsdMillis:
          item.price === undefined ? null : parseUsdPrice(item.price, `items.${index}.price`),
      }
    })
  }
  if (!input.useCart) throw fieldError('items', 'items are required unless useCart is true')
  const cart = assertCartNotEmpty(
    await findCart(commerce.deps.db, { ...tenant, identity: identityKey }),
  )
  const overrides = input.itemOverrides ?? []
  overrides.forEach((o, index) => {
    if (
      !cart.items.some(
        (i) =>
          i.productId === o.productId && (o.retailer === undefined || i.retailer === o.retailer),
      )
    ) {
      throw fieldError(`itemOverrides.${index}.productId`, 'not in the cart')
    }
  })
  const lines = cart.items
    .map((item) => {
      const override = overrides.find(
        (o) =>
          o.productId === item.productId &&
          (o.retailer === undefined || o.retailer === item.retailer),
      )
      return {
        productId: item.productId,
        retailer: item.retailer,
        quantity: override ? override.quantity : item.quantity,
        requestedPriceUsdMillis: item.priceUsdMillis,
      }
    })
    // quantity 0 leaves the item out of this estimate only
    .filter((line) => line.quantity > 0)
  if (lines.length === 0) throw fieldError('itemOverrides', 'every cart item is excluded')
  return lines
}

export function estimatePricing(
  estimate: Pick<StoredEstimate, 'validItems'>,
  state: string | null,
): Pricing {
  return priceLines(
    estimate.validItems.map((l) => ({
      priceUsdMillis: BigInt(l.priceUsdMillis),
      shippingUsdMillis: BigInt(l.shippingUsdMillis),
      quantity: l.quantity,
    })),
    state,
  )
}

function assertWithinOrderLimit(totalUsdMillis: bigint, field: string): void {
  if (totalUsdMillis > MAX_ORDER_USD_MILLIS) {
    throw new AppError(
      'VALIDATION_ERROR',
      `${field}: order total ${centsText(totalUsdMillis)} exceeds the ${centsText(MAX_ORDER_USD_MILLIS)} maximum`,
      [
        {
          field,
          message: `order total must not exceed ${centsText(MAX_ORDER_USD_MILLIS)} USD`,
          code: 'ORDER_LIMIT_EXCEEDED',
        },
      ],
    )
  }
}

/**
 * Step 1: prices the requested items at current offers, splits them into valid and invalid (with
 * reasons) and stores the estimate for 15 minutes. One order buys from one retailer: lines from
 * other retailers than the first valid one are reported invalid.
 */
export async function createEstimate(
  commerce: Commerce,
  tenant: Tenant,
  input: EstimateInput,
): Promise<{ estimate: StoredEstimate; pricing: Pricing }> {
  const identity = parseIdentity(input)
  const lines = await requestedLines(commerce, tenant, input, identity)
  const selected = await selectOffers(commerce, tenant, lines)
  const retailer = selected.valid[0]?.retailer ?? null
  const valid: StoredLine[] = []
  const invalid = selected.invalid.map(({ ref: _ref, ...line }) => line)
  for (const { ref: _ref, ...line } of selected.valid) {
    if (line.retailer !== retailer)
      invalid.push({
        productId: line.productId,
        retailer: line.retailer,
        error: `Items from ${line.retailer} cannot share an order with ${retailer}; check out separately`,
      })
    else valid.push(line)
  }
  const pricing = estimatePricing({ validItems: valid }, null)
  assertWithinOrderLimit(pricing.totalUsdMillis, input.items !== undefined ? 'items' : 'useCart')
  const now = commerce.deps.clock.now()
  const estimate: StoredEstimate = {
    id: uuidv7(now.getTime()),
    merchantId: tenant.merchantId,
    environment: tenant.environment,
    identityKey: identity.key,
    customerId: identity.customerId,
    walletAddress: identity.walletAddress,
    walletNetwork: identity.walletNetwork,
    retailer,
    validItems: valid,
    invalidItems: invalid,
    subtotalUsdMillis: pricing.subtotalUsdMillis,
    shippingUsdMillis: pricing.shippingUsdMillis,
    feeFixedUsdMillis: pricing.feeFixedUsdMillis,
    feePercentUsdMillis: pricing.feePercentUsdMillis,
    deliveryDaysMin: valid.reduce((m, l) => Math.max(m, l.deliveryDaysMin), 0),
    deliveryDaysMax: valid.reduce((m, l) => Math.max(m, l.deliveryDaysMax), 0),
    expiresAt: new Date(now.getTime() + ESTIMATE_TTL_MS),
    createdAt: now,
  }
  await insertEstimate(commerce.deps.db, { ...estimate, identity })
  return { estimate, pricing }
}

/** An unexpired estimate of this identity, or 404 (not theirs) / 400 ESTIMATE_EXPIRED. */
async function usableEstimate(
  commerce: Commerce,
  tenant: Tenant,
  identityKey: string,
  estimateId: string,
): Promise<StoredEstimate> {
  const estimate = await findEstimate(commerce.deps.db, { ...tenant, identityKey }, estimateId)
  if (!estimate) throw new NotFoundError('estimate')
  if (estimate.expiresAt.getTime() <= commerce.deps.clock.now().getTime()) {
    throw new AppError('ESTIMATE_EXPIRED', 'the estimate has expired; create a new estimate', [
      { field: 'estimateId', message: 'expired', code: 'ESTIMATE_EXPIRED' },
    ])
  }
  return estimate
}

export interface AddressStepInput extends IdentityInput {
  estimateId: string
  address: Parameters<typeof standardizeAddress>[0]
}

/** Step 2: validates and saves the shipping address for the identity; prices tax for it. */
export async function setCheckoutAddress(
  commerce: Commerce,
  tenant: Tenant,
  input: AddressStepInput,
) {
  const identity = parseIdentity(input)
  const estimate = await usableEstimate(commerce, tenant, identity.key, input.estimateId)
  const now = commerce.deps.clock.now()
  const { fields, fingerprint } = standardizeAddress(input.address, now)
  const pricing = estimatePricing(estimate, fields.state)
  const saved = await saveAddress(
    commerce.deps.db,
    { ...tenant, identity },
    uuidv7(now.getTime()),
    fingerprint,
    fields,
    now,
  )
  return { address: saved, estimate, pricing }
}

export interface InvoiceStepInput extends IdentityInput {
  estimateId: string
  addressId: string
  refundDestinationWalletAddressBsc?: string | undefined
}

/**
 * Step 3: the order (`pending_payment`) and its commerce invoice (30 minutes) in one transaction
 * with `commerce.order.created` and `invoice.created`. Only the estimate's valid items are
 * ordered; the cart is left as it is. The idempotency key completes in the same commit.
 */
export async function createCheckoutInvoice(
  commerce: Commerce,
  tenant: Tenant,
  input: InvoiceStepInput,
  ctx: RequestContext,
  claim: IdempotencyClaim | undefined,
) {
  const deps = commerce.deps
  const identity = parseIdentity(input)
  const estimate = await usableEstimate(commerce, tenant, identity.key, input.estimateId)
  const address = await findAddress(
    deps.db,
    { ...tenant, identityKey: identity.key },
    input.addressId,
  )
  if (!address) throw new NotFoundError('address')
  if (estimate.validItems.length === 0 || estimate.retailer === null)
    throw fieldError('estimateId', 'the estimate has no valid items')
  const pricing = estimatePricing(estimate, address.state)
  assertWithinOrderLimit(pricing.totalUsdMillis, 'estimateId')
  const shippingAddress: StoredShippingAddress = {
    firstName: address.firstName,
    lastName: address.lastName,
    addressLine1: address.addressLine1,
    addressLine2: address.addressLine2,
    city: address.city,
    state: address.state,
    zipCode: address.zipCode,
    country: address.country,
    phoneNumber: address.phone,
    email: address.email,
  }
  const refundDestination = input.refundDestinationWalletAddressBsc?.toLowerCase() ?? null
  const result = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const orderId = uuidv7(now.getTime())
    const created = await insertInvoiceWithEvent(
      deps,
      trx,
      {
        merchantId: tenant.merchantId,
        environment: tenant.environment,
        invoiceType: 'commerce',
        amountUsdMillis: pricing.totalUsdMillis,
        body: {
          description: `Order ${orderId}`.slice(0, 255),
          ...(identity.customerId !== null && { customer_id: identity.customerId }),
          expires_in: COMMERCE_INVOICE_TTL_MS,
          metadata: {
            order_id: orderId,
            estimate_id: estimate.id,
            retailer: estimate.retailer,
            items: estimate.validItems.map((l) => ({
              product_id: l.productId,
              quantity: l.quantity,
              price: centsText(BigInt(l.priceUsdMillis)),
            })),
          },
          ...(address.email !== null && { customer_email: address.email }),
        },
        commerceOrderId: orderId,
        payerWalletAddress: identity.walletAddress,
        payerWalletNetwork: identity.walletNetwork,
      },
      ctx,
    )
    const order = await insertOrder(trx, {
      id: orderId,
      merchantId: tenant.merchantId,
      environment: tenant.environment,
      invoiceId: created.invoice.id,
      estimateId: estimate.id,
      retailer: estimate.retailer as Retailer,
      customerId: identity.customerId,
      walletAddress: identity.walletAddress,
      walletNetwork: identity.walletNetwork,
      lineItems: estimate.validItems,
      shippingAddress,
      subtotalUsdMillis: pricing.subtotalUsdMillis,
      shippingUsdMillis: pricing.shippingUsdMillis,
      taxUsdMillis: pricing.taxUsdMillis,
      feeUsdMillis: pricing.feeTotalUsdMillis,
      totalUsdMillis: pricing.totalUsdMillis,
      refundDestinationBsc: refundDestination,
      now,
    })
    const view = await loadOrderView(trx, order)
    await appendEvent(trx, orderEvent(view, 'commerce.order.created', undefined, ctx), now)
    const response = {
      success: true as const,
      data: {
        orderId,
        invoiceId: created.invoice.id,
        invoiceUrl: created.paymentUrl,
        session: created.sessionToken,
        signature: created.signature,
        payment_session_headers: {
          'x-session-token': created.sessionToken,
          'x-signature': created.signature,
        },
        merchantId: Number(tenant.merchantId),
        networkEnvironment: tenant.environment,
        customerId: identity.customerId,
        amount: usd(pricing.totalUsdMillis),
        status: 'unpaid' as const,
        expiresAt: Math.floor(created.invoice.expiresAt.getTime() / 1000),
        endpoints: {
          checkOrder: `/api/commerce/merchant/orders/${orderId}`,
          checkPayment: `/api/commerce/merchant/payments/${orderId}/status`,
          cancelOrder: `/api/commerce/merchant/orders/${orderId}/cancel`,
        },
      },
    }
    await completeIdempotencyKey(trx, claim, 201, response)
    return response
  })
  return result
}
