/**
 * The retail provider interface: where products, offers and order placement come from. Written in
 * our domain types (integer usd_millis, our order id as the idempotency key). The sandbox provider
 * serves a seeded catalog from the database plus each merchant's own imported goods.
 */

export const RETAILERS = ['amazon', 'walmart', 'target', 'ebay', 'bestbuy', 'other'] as const
export type Retailer = (typeof RETAILERS)[number]

/** Whose catalog a request sees: the shared sandbox catalog plus this merchant's own goods. */
export interface CatalogScope {
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
}

export interface ProductSummary {
  productId: string
  retailer: Retailer
  title: string
  brand: string
  category: string
  imageUrl: string
  priceUsdMillis: bigint
  listPriceUsdMillis: bigint | null
  ratingTenths: number
  reviewCount: number
  isPrime: boolean
  /** True for a merchant's own imported product. */
  isMerchantProduct: boolean
}

export interface ProductDetails extends ProductSummary {
  description: string
  productUrl: string | null
  images: string[]
  specifications: Record<string, string>
  reviews: { author: string; rating: number; title: string; body: string }[]
}

export type OfferCondition = 'New' | 'Used' | 'Refurbished'

export interface Offer {
  offerId: string
  sellerId: string
  sellerName: string
  priceUsdMillis: bigint
  shippingUsdMillis: bigint
  isPrime: boolean
  isPrimeOnly: boolean
  fulfillment: 'prime' | 'marketplace' | 'seller'
  condition: OfferCondition
  handlingDaysMin: number
  handlingDaysMax: number
  transitDays: number
  isInternational: boolean
  isAvailable: boolean
}

export interface SearchQuery {
  q: string | undefined
  limit: number
  offset: number
  retailer?: Retailer | undefined
  category?: string | undefined
  minPriceUsdMillis?: bigint | undefined
  maxPriceUsdMillis?: bigint | undefined
  isPrime?: boolean | undefined
  minRatingTenths?: number | undefined
  sort: 'relevance' | 'price_asc' | 'price_desc' | 'rating'
}

export interface SearchPage {
  products: ProductSummary[]
  hasMore: boolean
  /** Query words replaced by their nearest catalog word (typo tolerance). */
  corrections: { from: string; to: string }[]
}

export interface PlaceOrderRequest {
  /** Our order id: the provider's idempotency key, so a retried call never orders twice. */
  orderId: string
  retailer: Retailer
  items: { productId: string; offerId: string; quantity: number; priceUsdMillis: bigint }[]
  shippingAddress: {
    firstName: string
    lastName: string
    addressLine1: string
    addressLine2: string
    city: string
    state: string
    zipCode: string
    country: string
  }
}

export type ProviderOrderStatus =
  | { status: 'submitted' | 'placed'; providerOrderRef: string }
  | { status: 'shipped'; providerOrderRef: string; tracking: ProviderTracking }
  | { status: 'delivered'; providerOrderRef: string; tracking: ProviderTracking }
  | { status: 'cancelled' | 'rejected'; providerOrderRef: string; reason: string }

export interface ProviderTracking {
  carrier: string
  trackingNumber: string
  carrierTrackingUrl: string | null
  retailerTrackingNumber: string | null
  retailerTrackingUrl: string | null
}

export interface RetailProvider {
  readonly id: string
  search(scope: CatalogScope, query: SearchQuery): Promise<SearchPage>
  getProduct(
    scope: CatalogScope,
    productId: string,
    retailer?: Retailer,
  ): Promise<ProductDetails | undefined>
  /** Offers sorted by best value (total cost, then Prime, then faster delivery). */
  getOffers(
    scope: CatalogScope,
    productId: string,
    options: { retailer?: Retailer | undefined; zipCode?: string | undefined },
  ): Promise<{ product: ProductSummary; offers: Offer[] } | undefined>
  placeOrder(request: PlaceOrderRequest): Promise<ProviderOrderStatus>
  getOrderStatus(providerOrderRef: string): Promise<ProviderOrderStatus>
  cancelOrder(providerOrderRef: string): Promise<{ accepted: boolean; reason: string | null }>
}

/** Checkout eligibility: New, Prime or marketplace-fulfilled, delivered within the window. */
export const MAX_DELIVERY_DAYS = 10

export type Eligibility = { eligible: true } | { eligible: false; reason: string }

export function deliveryDaysMax(offer: Offer): number {
  return offer.handlingDaysMax + offer.transitDays
}

export function offerEligibility(offer: Offer): Eligibility {
  if (!offer.isAvailable) return { eligible: false, reason: 'offer is unavailable' }
  if (offer.condition !== 'New')
    return { eligible: false, reason: `condition is ${offer.condition}` }
  if (offer.fulfillment === 'seller')
    return { eligible: false, reason: 'not Prime or marketplace fulfilled' }
  if (offer.isInternational) return { eligible: false, reason: 'ships internationally' }
  if (deliveryDaysMax(offer) > MAX_DELIVERY_DAYS)
    return { eligible: false, reason: `delivery takes up to ${deliveryDaysMax(offer)} days` }
  return { eligible: true }
}

export const NO_ELIGIBLE_OFFER_MESSAGE = `No eligible offers (must be New, Prime/marketplace fulfilled, delivery within ${MAX_DELIVERY_DAYS} days)`

/** Best value first: lowest total cost, then Prime, then the fastest delivery, then a stable id. */
export function compareOffers(a: Offer, b: Offer): number {
  const costA = a.priceUsdMillis + a.shippingUsdMillis
  const costB = b.priceUsdMillis + b.shippingUsdMillis
  if (costA !== costB) return costA < costB ? -1 : 1
  if (a.isPrime !== b.isPrime) return a.isPrime ? -1 : 1
  const daysA = deliveryDaysMax(a)
  const daysB = deliveryDaysMax(b)
  if (daysA !== daysB) return daysA - daysB
  return a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0
}

/** The offer checkout buys: the best-value eligible one. */
export function bestEligibleOffer(offers: Offer[]): Offer | undefined {
  return [...offers].sort(compareOffers).find((o) => offerEligibility(o).eligible)
}
