import type { Tenant } from '../shared/context.ts'
import type { CustomerIdentity } from '../shared/identity.ts'
import { usd } from '../shared/money.ts'
import type { Cart } from './cart.repo.ts'

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}

/** The cart snapshot; an identity without a cart gets an empty one with null timestamps. */
export function serializeCart(cart: Cart | undefined, tenant: Tenant, identity: CustomerIdentity) {
  const items = cart?.items ?? []
  let subtotal = 0n
  let count = 0
  for (const item of items) {
    subtotal += item.priceUsdMillis * BigInt(item.quantity)
    count += item.quantity
  }
  return {
    merchantId: Number(tenant.merchantId),
    customerId: cart?.customerId ?? identity.customerId,
    walletAddress: cart?.walletAddress ?? identity.walletAddress,
    walletNetwork: cart?.walletNetwork ?? identity.walletNetwork,
    items: items.map((item) => ({
      itemId: item.id,
      productId: item.productId,
      retailer: item.retailer,
      quantity: item.quantity,
      price: usd(item.priceUsdMillis),
      title: item.title,
      imageUrl: item.imageUrl,
      productUrl: item.productUrl,
      numReviews: item.numReviews,
      rating: item.ratingTenths === null ? null : item.ratingTenths / 10,
    })),
    subtotal: usd(subtotal),
    itemCount: count,
    createdAt: cart ? epochSeconds(cart.createdAt) : null,
    updatedAt: cart ? epochSeconds(cart.updatedAt) : null,
  }
}
