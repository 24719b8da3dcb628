import { z } from 'zod'
import { Environment, EpochSeconds, QueryBoolean, Uuid } from './common.ts'

/**
 * Commerce wire contract (pepay-api.md §3.5, §4.9): camelCase payloads, snake_case identity
 * fields, envelope `{success, data}`, USD as JSON numbers (produced from integer millis) except
 * the order snapshot's decimal strings, instants as epoch seconds.
 */

export const Retailer = z.enum(['amazon', 'walmart', 'target', 'ebay', 'bestbuy', 'other'])
export type Retailer = z.infer<typeof Retailer>

/** Wallet networks accepted as a cart/checkout identity. */
export const CartWalletNetwork = z.enum(['ethereum', 'bsc', 'base', 'solana'])
/** Wallet networks accepted by the saved-address routes (the platform's network list). */
export const AddressWalletNetwork = z.enum([
  'ethereum',
  'base',
  'solana',
  'avalanche',
  'ton',
  'bsc',
  'arbitrum',
  'optimism',
  'cardano',
  'sui',
])

export const CommerceOrderStatus = z.enum([
  'pending_payment',
  'processing',
  'placed',
  'shipped',
  'delivered',
  'cancelled',
  'failed',
  'refunded',
])
export type CommerceOrderStatus = z.infer<typeof CommerceOrderStatus>

const CustomerId = z.string().min(1).max(255)
const WalletAddress = z
  .string()
  .min(1)
  .max(128)
  .meta({ description: 'Checked per network: 0x + 40 hex for EVM networks, base58 for solana' })

/** Customer identity: `customer_id`, or `wallet_address` + `wallet_network` together. */
export const CartIdentity = z.object({
  customer_id: CustomerId.optional(),
  wallet_address: WalletAddress.optional(),
  wallet_network: CartWalletNetwork.optional(),
})
export const AddressIdentity = z.object({
  customer_id: CustomerId.optional(),
  wallet_address: WalletAddress.optional(),
  wallet_network: AddressWalletNetwork.optional(),
})

/** A USD price as a JSON number with at most two decimals (parsed exactly into millis). */
const UsdPrice = z
  .number()
  .min(0.01)
  .max(100_000)
  .meta({ description: 'USD, at least 0.01, at most two decimals' })
const Quantity = z.number().int().min(1).max(99)
const Rating = z.number().min(0).max(5)
const ProductId = z.string().min(1).max(64)
const Usd = z.number().meta({ description: 'USD amount (exact cents)' })
const UsdText = z.string().meta({ description: 'USD amount as a decimal string with two decimals' })

export function commerceEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data })
}
export function commerceMessageEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), message: z.string(), data })
}

// ---------------------------------------------------------------- service

export const CommerceStatus = commerceEnvelope(
  z.object({
    status: z.enum(['available', 'unavailable']),
    escrowBalance: z.number(),
    minimumRequired: z.number(),
    features: z.object({
      search: z.boolean(),
      cart: z.boolean(),
      checkout: z.boolean(),
      orders: z.boolean(),
    }),
    catalog: z.object({
      status: z.enum(['not_started', 'seeding', 'ready']),
      seeded: z.number().int(),
      target: z.number().int(),
      percent: z.number().int(),
    }),
  }),
).meta({ id: 'CommerceStatus' })

export const CommerceInfo = commerceEnvelope(
  z.object({
    retailers: z.array(Retailer),
    provider: z.string(),
    networkEnvironment: Environment,
    features: z.record(z.string(), z.boolean()),
    categories: z.array(z.string()),
    limits: z.object({
      maxOrderUsd: z.number(),
      minItemPriceUsd: z.number(),
      maxItemQuantity: z.number().int(),
      maxBulkStatusOrders: z.number().int(),
      estimateTtlSeconds: z.number().int(),
      invoiceTtlSeconds: z.number().int(),
      maxDeliveryDays: z.number().int(),
      maxSearchLimit: z.number().int(),
    }),
    eligibility: z.object({
      condition: z.string(),
      fulfillment: z.array(z.string()),
      maxDeliveryDays: z.number().int(),
    }),
    fees: z.object({ fixed: z.number(), percentage: z.number(), description: z.string() }),
    tax: z.object({ basis: z.string(), source: z.string(), taxed: z.array(z.string()) }),
    refunds: z.object({ network: z.string(), destinationField: z.string() }),
  }),
).meta({ id: 'CommerceInfo' })

// ---------------------------------------------------------------- catalog

const PriceText = z
  .string()
  .regex(/^\d{1,7}(\.\d{1,2})?$/, 'must be a USD amount with at most two decimals')

export const CommerceSearchQuery = z
  .object({
    q: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(50).default(10),
    offset: z.coerce.number().int().min(0).max(1000).default(0),
    retailer: Retailer.optional(),
    category: z.string().min(1).max(100).optional(),
    minPrice: PriceText.optional(),
    maxPrice: PriceText.optional(),
    prime: QueryBoolean.optional(),
    minRating: z.coerce.number().min(0).max(5).optional(),
    sort: z.enum(['relevance', 'price_asc', 'price_desc', 'rating']).default('relevance'),
  })
  .strict()

export const CommerceProductSummary = z
  .object({
    productId: z.string(),
    title: z.string(),
    price: Usd,
    listPrice: Usd.nullable(),
    image: z.string(),
    retailer: Retailer,
    brand: z.string(),
    category: z.string(),
    rating: z.number(),
    numReviews: z.number().int(),
    prime: z.boolean(),
    isMerchantProduct: z.boolean(),
  })
  .meta({ id: 'CommerceProductSummary' })

export const CommerceSearchResponse = commerceEnvelope(
  z.object({
    products: z.array(CommerceProductSummary),
    pagination: z.object({
      limit: z.number().int(),
      offset: z.number().int(),
      hasMore: z.boolean(),
    }),
    corrections: z.array(z.object({ from: z.string(), to: z.string() })),
  }),
).meta({ id: 'CommerceSearch' })

export const ProductParams = z.object({ productId: ProductId }).strict()
export const ProductQuery = z.object({ retailer: Retailer.optional() }).strict()

export const ProductDetailsResponse = commerceEnvelope(
  CommerceProductSummary.extend({
    description: z.string(),
    productUrl: z.string().nullable(),
    images: z.array(z.string()),
    specifications: z.record(z.string(), z.string()),
    pricing: z.object({
      price: Usd,
      listPrice: Usd.nullable(),
      currency: z.literal('USD'),
      shipping: Usd.nullable(),
    }),
    availability: z.object({
      inStock: z.boolean(),
      eligibleForCheckout: z.boolean(),
      offerCount: z.number().int(),
      reason: z.string().nullable(),
    }),
    reviews: z.array(
      z.object({ author: z.string(), rating: z.number(), title: z.string(), body: z.string() }),
    ),
  }),
).meta({ id: 'CommerceProduct' })

export const OffersQuery = z
  .object({
    zip_code: z
      .string()
      .regex(/^\d{5}(-\d{4})?$/, 'must be a US ZIP code (12345 or 12345-6789)')
      .optional(),
    retailer: Retailer.optional(),
  })
  .strict()

export const CommerceProductOffer = z
  .object({
    offerId: z.string(),
    sellerId: z.string(),
    sellerName: z.string(),
    price: Usd,
    shipping: Usd,
    totalCost: Usd,
    prime: z.boolean(),
    primeOnly: z.boolean(),
    condition: z.enum(['New', 'Used', 'Refurbished']),
    handlingDays: z.object({ min: z.number().int(), max: z.number().int() }),
    deliveryDays: z.object({ min: z.number().int(), max: z.number().int() }),
    international: z.boolean(),
    available: z.boolean(),
    eligible: z.boolean(),
    ineligibleReason: z.string().nullable(),
  })
  .meta({ id: 'CommerceOffer' })

export const OffersResponse = z
  .object({
    success: z.literal(true),
    data: z.object({
      productId: z.string(),
      retailer: Retailer,
      offers: z.array(CommerceProductOffer),
    }),
    meta: z.object({ timestamp: EpochSeconds }),
  })
  .meta({ id: 'CommerceOffers' })

// ---------------------------------------------------------------- merchant catalog import

/** One product of a merchant's own catalog (JSON import; CSV columns carry the same names). */
export const ImportProductRow = z
  .object({
    productId: z.unknown(),
    title: z.unknown(),
    price: z.unknown(),
    brand: z.unknown().optional(),
    category: z.unknown().optional(),
    description: z.unknown().optional(),
    imageUrl: z.unknown().optional(),
    productUrl: z.unknown().optional(),
    listPrice: z.unknown().optional(),
    shipping: z.unknown().optional(),
    rating: z.unknown().optional(),
    numReviews: z.unknown().optional(),
    prime: z.unknown().optional(),
    condition: z.unknown().optional(),
    handlingDaysMin: z.unknown().optional(),
    handlingDaysMax: z.unknown().optional(),
    transitDays: z.unknown().optional(),
    available: z.unknown().optional(),
  })
  .meta({
    description: 'Validated row by row on the server; bad rows are reported, good rows imported',
  })

export const CatalogImportBody = z
  .object({
    format: z.enum(['json', 'csv']),
    products: z.array(z.record(z.string(), z.unknown())).max(5000).optional(),
    csv: z
      .string()
      .max(900_000)
      .optional()
      .meta({ description: 'CSV text with a header row (productId,title,price,…)' }),
    dryRun: z.boolean().default(false),
  })
  .strict()

export const CatalogImportResponse = commerceEnvelope(
  z.object({
    format: z.enum(['json', 'csv']),
    dryRun: z.boolean(),
    totalRows: z.number().int(),
    accepted: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    rejected: z.array(
      z.object({
        row: z.number().int().meta({ description: '1-based data row (CSV: excluding the header)' }),
        productId: z.string().nullable(),
        errors: z.array(z.object({ field: z.string(), message: z.string() })),
      }),
    ),
  }),
).meta({ id: 'CommerceCatalogImport' })

// ---------------------------------------------------------------- carts

export const CommerceCartItem = z
  .object({
    itemId: Uuid,
    productId: z.string(),
    retailer: Retailer,
    quantity: z.number().int(),
    price: Usd,
    title: z.string(),
    imageUrl: z.string().nullable(),
    productUrl: z.string().nullable(),
    numReviews: z.number().int().nullable(),
    rating: z.number().nullable(),
  })
  .meta({ id: 'CommerceCartItem' })

export const CommerceCart = z
  .object({
    merchantId: z.number().int(),
    customerId: z.string().nullable(),
    walletAddress: z.string().nullable(),
    walletNetwork: z.string().nullable(),
    items: z.array(CommerceCartItem),
    subtotal: Usd,
    itemCount: z.number().int(),
    createdAt: EpochSeconds.nullable(),
    updatedAt: EpochSeconds.nullable(),
  })
  .meta({ id: 'CommerceCart' })

export const CartQuery = CartIdentity.strict()
export const CartResponse = commerceEnvelope(CommerceCart)

const NewCartItem = z.object({
  productId: ProductId,
  retailer: Retailer,
  title: z.string().min(1).max(500),
  price: UsdPrice,
  quantity: Quantity.default(1),
  imageUrl: z.string().max(4096).optional(),
  productUrl: z.string().max(2048).optional(),
  numReviews: z.number().int().min(0).optional(),
  rating: Rating.optional(),
})

export const CreateCartBody = CartIdentity.extend({
  item: NewCartItem.strict().optional(),
}).strict()
export const CreateCartResponse = commerceMessageEnvelope(CommerceCart)

export const AddCartItemBody = CartIdentity.extend(NewCartItem.shape).strict()
export const AddCartItemResponse = commerceMessageEnvelope(
  z.object({ itemId: Uuid, quantity: z.number().int(), updated: z.boolean() }),
)

export const CartItemParams = z.object({ itemId: Uuid }).strict()
export const UpdateCartItemBody = CartIdentity.extend({
  quantity: z.number().int().min(0).max(99),
}).strict()
export const UpdateCartItemResponse = commerceMessageEnvelope(
  z.object({
    itemId: Uuid,
    quantity: z.number().int(),
    updatedAt: EpochSeconds,
    removed: z.boolean(),
  }),
)
export const RemoveCartItemResponse = commerceMessageEnvelope(
  z.object({ itemId: Uuid, title: z.string() }),
)
export const ClearCartResponse = commerceMessageEnvelope(
  z.object({ itemsRemoved: z.number().int() }),
)

export const ValidateCartBody = CartIdentity.strict()
export const ValidateCartResponse = z
  .object({
    success: z.literal(true),
    valid: z.boolean(),
    items: z.array(
      z.object({
        itemId: Uuid,
        productId: z.string(),
        retailer: Retailer,
        available: z.boolean(),
        currentPrice: Usd.nullable(),
        savedPrice: Usd,
        priceChanged: z.boolean(),
        reason: z.string().nullable(),
      }),
    ),
    summary: z.object({
      itemCount: z.number().int(),
      availableCount: z.number().int(),
      unavailableCount: z.number().int(),
      priceChangedCount: z.number().int(),
      savedSubtotal: Usd,
      currentSubtotal: Usd,
    }),
  })
  .meta({ id: 'CommerceCartValidation' })

const ZipCode = z.string().regex(/^\d{5}(-\d{4})?$/, 'must be a US ZIP code (12345 or 12345-6789)')
export const CartTotalsQuery = CartIdentity.extend({ zip_code: ZipCode }).strict()

const Fees = z.object({
  fixed: Usd,
  percentage: z.number().meta({ description: 'Percent of the subtotal, e.g. 2.5' }),
  percentageAmount: Usd,
  total: Usd,
})
export const CartTotalsResponse = commerceEnvelope(
  z.object({
    subtotal: Usd,
    shipping: Usd,
    tax: Usd,
    taxRate: z.number().meta({ description: 'Percent applied to the subtotal for this ZIP' }),
    fees: Fees,
    total: Usd,
    itemCount: z.number().int(),
    zipCode: z.string(),
    state: z.string(),
    unavailableItems: z.array(
      z.object({ itemId: Uuid, productId: z.string(), reason: z.string() }),
    ),
  }),
).meta({ id: 'CommerceCartTotals' })

// ---------------------------------------------------------------- checkout

const EstimateItem = z
  .object({
    productId: ProductId.optional(),
    product_id: ProductId.optional().meta({
      description: 'Alias of productId (commerce guide spelling)',
    }),
    quantity: Quantity.default(1),
    price: UsdPrice.optional().meta({
      description: 'The price the shopper saw; the current offer price is charged',
    }),
    title: z.string().max(500).optional(),
    retailer: Retailer.optional(),
  })
  .strict()

export const EstimateBody = CartIdentity.extend({
  items: z.array(EstimateItem).min(1).max(50).optional(),
  useCart: z.boolean().optional(),
  itemOverrides: z
    .array(
      z
        .object({
          productId: ProductId,
          retailer: Retailer.optional(),
          quantity: z.number().int().min(0).max(99),
        })
        .strict(),
    )
    .max(50)
    .optional(),
  shippingAddress: z
    .unknown()
    .optional()
    .meta({ description: 'Reserved for future shipping estimates; currently ignored' }),
  zipCode: z
    .unknown()
    .optional()
    .meta({ description: 'Reserved for future shipping estimates; currently ignored' }),
}).strict()

export const EstimateValidItem = z.object({
  productId: z.string(),
  retailer: Retailer,
  title: z.string(),
  quantity: z.number().int(),
  price: Usd,
  totalPrice: Usd,
  metadata: z.object({
    image: z.string().nullable(),
    offerId: z.string(),
    sellerName: z.string(),
    shipping: Usd,
    deliveryDays: z.object({ min: z.number().int(), max: z.number().int() }),
    priceChanged: z.boolean(),
    requestedPrice: Usd.nullable(),
  }),
})

export const CommerceEstimate = z
  .object({
    estimateId: Uuid,
    merchantId: z.number().int(),
    networkEnvironment: Environment,
    customerId: z.string().nullable(),
    walletAddress: z.string().nullable(),
    walletNetwork: z.string().nullable(),
    validItems: z.array(EstimateValidItem),
    invalidItems: z.array(
      z.object({ productId: z.string(), retailer: z.string(), error: z.string() }),
    ),
    pricing: z.object({
      subtotal: Usd,
      shipping: Usd,
      tax: Usd,
      fees: z.object({ fixed: Usd, percentage: z.number(), percentageAmount: Usd, total: Usd }),
      total: Usd,
    }),
    feeBreakdown: z.object({ shippingBase: Usd, commerceFee: Usd, totalFees: Usd }),
    expiresAt: EpochSeconds,
    createdAt: EpochSeconds,
  })
  .meta({ id: 'CommerceEstimate' })
export const EstimateResponse = commerceEnvelope(CommerceEstimate)

export const CheckoutAddress = z
  .object({
    first_name: z.string().trim().min(1).max(100),
    last_name: z.string().trim().min(1).max(100),
    street_address: z.string().trim().min(1).max(200),
    address_line2: z.string().trim().max(200).optional(),
    city: z.string().trim().min(1).max(100),
    state: z.string().trim().min(2).max(50),
    zip_code: z.string().trim().min(5).max(10),
    country: z.string().trim().min(2).max(60).default('US'),
    phone: z.string().trim().min(7).max(25).optional(),
    email: z.email().max(320).optional(),
  })
  .strict()

export const AddressStepBody = CartIdentity.extend({
  estimateId: Uuid,
  address: CheckoutAddress,
}).strict()

export const StandardizedAddress = z.object({
  first_name: z.string(),
  last_name: z.string(),
  street_address: z.string(),
  address_line2: z.string(),
  city: z.string(),
  state: z.string(),
  zip_code: z.string(),
  country: z.string(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
})

export const AddressStepResponse = commerceEnvelope(
  z.object({
    addressId: Uuid,
    validated: z.boolean(),
    standardized: StandardizedAddress,
    shippingOptions: z.array(
      z.object({ id: z.string(), name: z.string(), price: Usd, estimatedDays: z.string() }),
    ),
    tax: z.object({ rate: z.number(), amount: Usd, state: z.string() }),
    total: Usd,
  }),
).meta({ id: 'CommerceCheckoutAddress' })

const EvmAddress = z.string().regex(/^0x[a-fA-F0-9]{40}$/, 'must be an EVM address (0x + 40 hex)')

export const CheckoutInvoiceBody = CartIdentity.extend({
  estimateId: Uuid,
  addressId: Uuid,
  refundDestinationWalletAddressBsc: EvmAddress.optional(),
  webhookUrl: z
    .string()
    .max(2048)
    .nullable()
    .optional()
    .meta({ description: 'Deprecated and ignored; configure webhook endpoints instead' }),
}).strict()

export const CheckoutInvoice = z
  .object({
    orderId: Uuid,
    invoiceId: Uuid,
    invoiceUrl: z.string(),
    session: z.string(),
    signature: z.string(),
    payment_session_headers: z.object({ 'x-session-token': z.string(), 'x-signature': z.string() }),
    merchantId: z.number().int(),
    networkEnvironment: Environment,
    customerId: z.string().nullable(),
    amount: Usd,
    status: z.literal('unpaid'),
    expiresAt: EpochSeconds,
    endpoints: z.object({
      checkOrder: z.string(),
      checkPayment: z.string(),
      cancelOrder: z.string(),
    }),
  })
  .meta({ id: 'CommerceCheckoutInvoice' })
export const CheckoutInvoiceResponse = commerceEnvelope(CheckoutInvoice)

// ---------------------------------------------------------------- orders

export const CommerceOrderActions = z.object({ canCancel: z.boolean() })

export const CommerceShipment = z.object({
  shipmentId: z.string(),
  carrier: z.string(),
  trackingNumber: z.string(),
  carrierTrackingUrl: z.string().nullable(),
  deliveryStatus: z.string(),
  retailerTrackingNumber: z.string().nullable(),
  retailerTrackingUrl: z.string().nullable(),
  obtainedAt: EpochSeconds,
})

export const CommerceOrderRefund = z.object({
  status: z.enum(['NONE', 'PENDING', 'PROCESSING', 'REFUNDED', 'FAILED']),
  amountUsd: UsdText.nullable(),
  feeUsd: UsdText.nullable(),
  destinationWalletAddressBsc: z.string().nullable(),
  txHash: z.string().nullable(),
  network: z.string().nullable(),
  tokenAmount: z
    .string()
    .nullable()
    .meta({ description: 'Token base units sent, as a decimal string' }),
  lastError: z.string().nullable(),
})

export const CommerceOrderSnapshot = z
  .object({
    orderId: Uuid,
    invoiceId: Uuid,
    merchantId: z.number().int(),
    networkEnvironment: Environment,
    retailer: Retailer,
    createdAt: EpochSeconds,
    updatedAt: EpochSeconds,
    customerId: z.string().nullable(),
    walletAddress: z.string().nullable(),
    walletNetwork: z.string().nullable(),
    status: CommerceOrderStatus,
    substatus: z.string().nullable(),
    actions: CommerceOrderActions,
    timeline: z.array(
      z.object({ status: z.string(), timestamp: EpochSeconds, message: z.string() }),
    ),
    payment: z.object({
      status: z.enum(['unpaid', 'underpaid', 'paid', 'expired', 'canceled']),
      txHash: z.string().nullable(),
      network: z.string().nullable(),
      paidAt: EpochSeconds.nullable(),
      settlement: z.object({
        status: z.enum(['pending', 'settled']),
        txHash: z.string().nullable(),
        network: z.string().nullable(),
      }),
    }),
    fulfillment: z.object({ shipments: z.array(CommerceShipment) }),
    lineItems: z.array(
      z.object({
        productId: z.string(),
        title: z.string(),
        imageUrl: z.string().nullable(),
        quantity: z.number().int(),
        price: UsdText,
        status: z.string(),
      }),
    ),
    shippingAddress: z
      .object({
        firstName: z.string(),
        lastName: z.string(),
        addressLine1: z.string(),
        addressLine2: z.string(),
        city: z.string(),
        state: z.string(),
        zipCode: z.string(),
        country: z.string(),
        phoneNumber: z.string().nullable(),
        email: z.string().nullable(),
      })
      .nullable(),
    cancellationStatus: z.enum(['none', 'cancelled']),
    refundStatus: z.enum(['NONE', 'PENDING', 'PROCESSING', 'REFUNDED', 'FAILED']),
    subtotalUsd: UsdText,
    shippingUsd: UsdText,
    taxUsd: UsdText,
    totalAmountUsd: UsdText,
    commerceFeeUsd: UsdText,
    refund: CommerceOrderRefund,
  })
  .meta({ id: 'CommerceOrder' })
export type CommerceOrderSnapshot = z.infer<typeof CommerceOrderSnapshot>

export const OrderResponse = commerceEnvelope(CommerceOrderSnapshot)

const InstantQuery = z
  .string()
  .refine(
    (v) => /^\d{1,12}$/.test(v) || !Number.isNaN(Date.parse(v)),
    'must be epoch seconds or an ISO-8601 date-time',
  )

export const ListOrdersQuery = z
  .object({
    wallet: z.string().min(1).max(128).optional(),
    walletNetwork: AddressWalletNetwork.optional(),
    customer_id: CustomerId.optional(),
    status: CommerceOrderStatus.optional(),
    retailer: Retailer.optional(),
    createdFrom: InstantQuery.optional(),
    createdTo: InstantQuery.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()

export const OrderListItem = z.object({
  orderId: Uuid,
  invoiceId: Uuid,
  networkEnvironment: Environment,
  status: CommerceOrderStatus,
  substatus: z.string().nullable(),
  actions: CommerceOrderActions,
  shipmentsSummary: z.object({
    shipmentCount: z.number().int(),
    hasTracking: z.boolean(),
    lastTrackingAt: EpochSeconds.nullable(),
    isDelivered: z.boolean(),
  }),
  retailer: Retailer,
  walletAddress: z.string().nullable(),
  walletNetwork: z.string().nullable(),
  customerId: z.string().nullable(),
  total: Usd,
  createdAt: EpochSeconds,
  updatedAt: EpochSeconds,
  itemCount: z.number().int(),
})

export const ListOrdersResponse = commerceEnvelope(
  z.object({
    orders: z.array(OrderListItem),
    pagination: z.object({
      limit: z.number().int(),
      offset: z.number().int(),
      count: z.number().int().meta({ description: 'Orders matching the filters' }),
    }),
  }),
).meta({ id: 'CommerceOrderList' })

export const OrderParams = z.object({ orderId: Uuid }).strict()

export const CancelOrderBody = z
  .object({ refundDestinationWalletAddressBsc: EvmAddress.optional() })
  .strict()
export const CancelOrderResponse = commerceEnvelope(
  z.object({
    orderId: Uuid,
    status: CommerceOrderStatus,
    substatus: z.string().nullable(),
    customerId: z.string().nullable(),
    refundQuote: z.object({
      status: z.enum(['NONE', 'PENDING', 'PROCESSING', 'REFUNDED', 'FAILED']),
      amountUsd: UsdText.nullable(),
      feeUsd: UsdText.nullable(),
      network: z.string().nullable(),
      destinationWalletAddressBsc: z.string().nullable(),
    }),
  }),
).meta({ id: 'CommerceOrderCancellation' })

const PaymentDetails = z.object({
  network: z.string().nullable(),
  token: z.string().nullable(),
  amount: Usd,
  txHash: z.string().nullable(),
  walletAddress: z.string().nullable(),
})

export const PaymentStatusResponse = commerceEnvelope(
  z.object({
    orderId: Uuid,
    invoiceId: Uuid,
    status: z.enum(['unpaid', 'underpaid', 'paid', 'expired', 'canceled']),
    orderStatus: CommerceOrderStatus,
    customerId: z.string().nullable(),
    amount: Usd,
    paidAt: EpochSeconds.nullable(),
    paymentDetails: PaymentDetails.nullable(),
  }),
).meta({ id: 'CommercePaymentStatus' })

export const BulkStatusBody = z.object({ orderIds: z.array(Uuid).min(1).max(50) }).strict()
export const BulkStatusResponse = commerceEnvelope(
  z.array(
    z.object({
      orderId: z.string(),
      invoiceId: z.string().nullable(),
      status: z.string().nullable(),
      orderStatus: CommerceOrderStatus.nullable(),
      error: z.string().nullable(),
    }),
  ),
).meta({ id: 'CommerceBulkPaymentStatus' })

export const CommerceInvoiceParams = z.object({ invoiceId: Uuid }).strict()
export const CommerceInvoiceStatusResponse = commerceEnvelope(
  z.object({
    invoiceId: Uuid,
    orderId: Uuid,
    payment: z.object({
      status: z.enum(['unpaid', 'underpaid', 'paid', 'expired', 'canceled']),
      amount: Usd,
      amountPaid: Usd,
      paidAt: EpochSeconds.nullable(),
      expiresAt: EpochSeconds,
      txHash: z.string().nullable(),
      network: z.string().nullable(),
    }),
    order: z.object({
      orderId: Uuid,
      status: CommerceOrderStatus,
      substatus: z.string().nullable(),
      customerId: z.string().nullable(),
      actions: CommerceOrderActions,
    }),
  }),
).meta({ id: 'CommerceInvoiceStatus' })

// ---------------------------------------------------------------- saved addresses

export const CommerceSavedAddress = z
  .object({
    addressId: Uuid,
    customerId: z.string().nullable(),
    walletAddress: z.string().nullable(),
    walletNetwork: z.string().nullable(),
    firstName: z.string(),
    lastName: z.string(),
    addressLine1: z.string(),
    addressLine2: z.string(),
    city: z.string(),
    state: z.string(),
    zipCode: z.string(),
    country: z.string(),
    phoneNumber: z.string().nullable(),
    email: z.string().nullable(),
    isValidated: z.boolean(),
    validatedAt: EpochSeconds.nullable(),
    createdAt: EpochSeconds,
  })
  .meta({ id: 'CommerceSavedAddress' })

export const ListAddressesQuery = AddressIdentity.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
}).strict()
export const ListAddressesResponse = commerceEnvelope(
  z.object({ addresses: z.array(CommerceSavedAddress) }),
).meta({ id: 'CommerceSavedAddresses' })
export const AddressParams = z.object({ addressId: Uuid }).strict()
export const DeleteAddressQuery = AddressIdentity.strict()
export const DeleteAddressResponse = commerceEnvelope(
  z.object({ addressId: Uuid, deleted: z.literal(true) }),
)

// ---------------------------------------------------------------- devnet simulator

export const SimulateTransition = z.enum([
  'payment_confirmed',
  'payment_settled',
  'placed',
  'shipped',
  'delivery_confirmed',
  'failed',
  'cancelled',
  'refunded',
])
export type SimulateTransition = z.infer<typeof SimulateTransition>

export const SimulateBody = z
  .object({
    transitionTo: SimulateTransition,
    tracking: z
      .object({
        carrier: z.string().min(1).max(50).optional(),
        trackingNumber: z.string().min(1).max(100).optional(),
        carrierTrackingUrl: z.url().max(2048).optional(),
        deliveryStatus: z.string().min(1).max(100).optional(),
        retailerTrackingNumber: z.string().min(1).max(100).optional(),
        retailerTrackingUrl: z.url().max(2048).optional(),
      })
      .strict()
      .optional(),
    walletNetwork: CartWalletNetwork.optional(),
    walletAddress: WalletAddress.optional(),
    reason: z.string().max(500).optional(),
  })
  .strict()

export const SimulateResponse = commerceEnvelope(z.object({ order: CommerceOrderSnapshot })).meta({
  id: 'CommerceSimulation',
})
