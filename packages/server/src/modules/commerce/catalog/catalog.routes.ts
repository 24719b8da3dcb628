import {
  CatalogImportBody,
  CatalogImportResponse,
  CommerceInfo,
  CommerceSearchQuery,
  CommerceSearchResponse,
  CommerceStatus,
  OffersQuery,
  OffersResponse,
  ProductDetailsResponse,
  ProductParams,
  ProductQuery,
  Retailer,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { listCategories } from '../../../providers/retail/catalog/catalog.repo.ts'
import {
  deliveryDaysMax,
  MAX_DELIVERY_DAYS,
  offerEligibility,
  type Offer,
  type ProductSummary,
} from '../../../providers/retail/retail-provider.ts'
import { catalogProgress } from '../../../providers/retail/sandbox/seed.ts'
import { epochSeconds } from '../carts/cart.serialize.ts'
import {
  ESTIMATE_TTL_MS,
  COMMERCE_INVOICE_TTL_MS,
  FEE_FIXED_USD_MILLIS,
  FEE_PERCENT_BPS,
  MAX_ORDER_USD_MILLIS,
  bpsToPercent,
} from '../checkout/pricing.ts'
import { catalogScope, type Commerce } from '../shared/context.ts'
import {
  COMMERCE_AUTH,
  COMMERCE_OR_DASHBOARD_AUTH,
  commerceErrors,
  tenantOf,
} from '../shared/http.ts'
import { usd } from '../shared/money.ts'
import {
  availability,
  importCatalog,
  productDetails,
  productOffers,
  searchCatalog,
} from './catalog.service.ts'

const tags = ['Commerce catalog']

function summary(p: ProductSummary) {
  return {
    productId: p.productId,
    title: p.title,
    price: usd(p.priceUsdMillis),
    listPrice: p.listPriceUsdMillis === null ? null : usd(p.listPriceUsdMillis),
    image: p.imageUrl,
    retailer: p.retailer,
    brand: p.brand,
    category: p.category,
    rating: p.ratingTenths / 10,
    numReviews: p.reviewCount,
    prime: p.isPrime,
    isMerchantProduct: p.isMerchantProduct,
  }
}

function offer(o: Offer) {
  const eligibility = offerEligibility(o)
  return {
    offerId: o.offerId,
    sellerId: o.sellerId,
    sellerName: o.sellerName,
    price: usd(o.priceUsdMillis),
    shipping: usd(o.shippingUsdMillis),
    totalCost: usd(o.priceUsdMillis + o.shippingUsdMillis),
    prime: o.isPrime,
    primeOnly: o.isPrimeOnly,
    condition: o.condition,
    handlingDays: { min: o.handlingDaysMin, max: o.handlingDaysMax },
    deliveryDays: { min: o.handlingDaysMin + o.transitDays, max: deliveryDaysMax(o) },
    international: o.isInternational,
    available: o.isAvailable,
    eligible: eligibility.eligible,
    ineligibleReason: eligibility.eligible ? null : eligibility.reason,
  }
}

export function catalogRoutes(commerce: Commerce) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.get(
      '/api/commerce/status',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags: ['Commerce'],
          summary: 'Service status, catalog seeding progress',
          response: { 200: CommerceStatus, ...commerceErrors },
        },
      },
      async () => {
        const progress = await catalogProgress(commerce.deps.db)
        const target = Math.max(progress.target, commerce.catalogSize)
        return {
          success: true as const,
          data: {
            status: 'available' as const,
            // self-hosted: the sandbox retailer needs no prefunded escrow
            escrowBalance: 0,
            minimumRequired: 0,
            features: { search: true, cart: true, checkout: true, orders: true },
            catalog: {
              status: progress.status,
              seeded: progress.seeded,
              target,
              percent:
                target === 0 ? 100 : Math.min(100, Math.floor((progress.seeded * 100) / target)),
            },
          },
        }
      },
    )

    r.get(
      '/api/commerce/info',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags: ['Commerce'],
          summary: 'Retailers, limits, eligibility rules, fees and tax basis',
          response: { 200: CommerceInfo, ...commerceErrors },
        },
      },
      async (request) => {
        const tenant = tenantOf(request)
        return {
          success: true as const,
          data: {
            retailers: [...Retailer.options],
            provider: commerce.provider.id,
            networkEnvironment: tenant.environment,
            features: {
              search: true,
              typoTolerance: true,
              cart: true,
              checkout: true,
              orders: true,
              refunds: true,
              catalogImport: true,
              devnetSimulator: tenant.environment === 'devnet',
            },
            categories: await listCategories(commerce.deps.db, catalogScope(tenant)),
            limits: {
              maxOrderUsd: usd(MAX_ORDER_USD_MILLIS),
              minItemPriceUsd: 0.01,
              maxItemQuantity: 99,
              maxBulkStatusOrders: 50,
              estimateTtlSeconds: ESTIMATE_TTL_MS / 1000,
              invoiceTtlSeconds: COMMERCE_INVOICE_TTL_MS / 1000,
              maxDeliveryDays: MAX_DELIVERY_DAYS,
              maxSearchLimit: 50,
            },
            eligibility: {
              condition: 'New',
              fulfillment: ['prime', 'marketplace'],
              maxDeliveryDays: MAX_DELIVERY_DAYS,
            },
            fees: {
              fixed: usd(FEE_FIXED_USD_MILLIS),
              percentage: bpsToPercent(FEE_PERCENT_BPS),
              description:
                'Per order: a fixed fee plus a percentage of the item subtotal, rounded up to the cent',
            },
            tax: {
              basis: 'US state sales tax by the ZIP code’s state',
              source: 'State base rates, 2025 (state revenue departments)',
              taxed: ['subtotal'],
            },
            refunds: { network: 'bsc', destinationField: 'refundDestinationWalletAddressBsc' },
          },
        }
      },
    )

    r.get(
      '/api/commerce/search',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Search products (full text, typo tolerant, filters, pagination)',
          querystring: CommerceSearchQuery,
          response: { 200: CommerceSearchResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const q = request.query
        const page = await searchCatalog(commerce, tenantOf(request), q)
        return {
          success: true as const,
          data: {
            products: page.products.map(summary),
            pagination: { limit: q.limit, offset: q.offset, hasMore: page.hasMore },
            corrections: page.corrections,
          },
        }
      },
    )

    r.get(
      '/api/commerce/products/:productId',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Product details',
          params: ProductParams,
          querystring: ProductQuery,
          response: { 200: ProductDetailsResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const { product, offers } = await productDetails(
          commerce,
          tenantOf(request),
          request.params.productId,
          request.query.retailer,
        )
        const avail = availability(offers)
        return {
          success: true as const,
          data: {
            ...summary(product),
            description: product.description,
            productUrl: product.productUrl,
            images: product.images,
            specifications: product.specifications,
            pricing: {
              price: usd(product.priceUsdMillis),
              listPrice:
                product.listPriceUsdMillis === null ? null : usd(product.listPriceUsdMillis),
              currency: 'USD' as const,
              shipping: avail.best ? usd(avail.best.shippingUsdMillis) : null,
            },
            availability: {
              inStock: avail.inStock,
              eligibleForCheckout: avail.eligibleForCheckout,
              offerCount: avail.offerCount,
              reason: avail.reason,
            },
            reviews: product.reviews,
          },
        }
      },
    )

    r.get(
      '/api/commerce/products/:productId/offers',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Offers for a product, best value first',
          params: ProductParams,
          querystring: OffersQuery,
          response: { 200: OffersResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const found = await productOffers(commerce, tenantOf(request), request.params.productId, {
          retailer: request.query.retailer,
          zipCode: request.query.zip_code,
        })
        return {
          success: true as const,
          data: {
            productId: found.product.productId,
            retailer: found.product.retailer,
            offers: found.offers.map(offer),
          },
          meta: { timestamp: epochSeconds(commerce.deps.clock.now()) },
        }
      },
    )

    r.post(
      '/api/commerce/merchant/catalog/import',
      {
        config: COMMERCE_OR_DASHBOARD_AUTH,
        schema: {
          tags,
          summary: "Import the merchant's own products (JSON or CSV), validated row by row",
          body: CatalogImportBody,
          response: { 200: CatalogImportResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const body = request.body
        const result = await importCatalog(commerce, tenantOf(request), body)
        return {
          success: true as const,
          data: { format: body.format, dryRun: body.dryRun, ...result },
        }
      },
    )
  }
}
