import type { AuthKind, Requester, RequestOptions } from '../request.ts'
import type {
  AddCartItemParams,
  AddCartItemResult,
  AddressIdentity,
  ApiKey,
  BulkStatusParams,
  BulkStatusResult,
  CancelOrderParams,
  CancelOrderResult,
  CartIdentity,
  CartResponse,
  CartTotals,
  CartTotalsParams,
  CatalogImportParams,
  CatalogImportResult,
  CheckoutAddressParams,
  CheckoutAddressResult,
  CheckoutInvoiceParams,
  CheckoutInvoiceResult,
  ClearCartResult,
  CommerceInfo,
  CommerceInvoiceStatus,
  CommercePaymentStatus,
  CommerceSearchParams,
  CommerceSearchResult,
  CommerceStatus,
  CreateCartParams,
  CreateCartResult,
  CreatedApiKey,
  DeleteAddressResult,
  EstimateParams,
  EstimateResult,
  ListAddressesParams,
  ListAddressesResult,
  ListOrdersParams,
  ListOrdersResult,
  MessageResponse,
  OffersParams,
  OrderResponse,
  ProductDetails,
  ProductOffers,
  ProductParams,
  RemoveCartItemResult,
  SimulateOrderParams,
  SimulateOrderResult,
  UpdateCartItemParams,
  UpdateCartItemResult,
  ValidateCartResult,
} from '../wire.ts'
import { Resource, segment } from './resource.ts'

/** Commerce key (x-commerce-api-key), else a commerce-scoped key given as apiKey (x-api-key). */
const COMMERCE: readonly AuthKind[] = ['commerceApiKey', 'apiKey']
/** Orders, payments and linked invoices also take the dashboard token. */
const COMMERCE_OR_DASHBOARD: readonly AuthKind[] = ['commerceApiKey', 'bearer', 'apiKey']

class Products extends Resource {
  retrieve(
    productId: string,
    params: ProductParams = {},
    options?: RequestOptions,
  ): Promise<ProductDetails> {
    return this.call({
      method: 'GET',
      path: `/api/commerce/products/${segment(productId)}`,
      auth: COMMERCE,
      query: params,
      options,
    })
  }

  /** Offers sorted by best value; `zip_code` prices shipping for a US location. */
  offers(
    productId: string,
    params: OffersParams = {},
    options?: RequestOptions,
  ): Promise<ProductOffers> {
    return this.call({
      method: 'GET',
      path: `/api/commerce/products/${segment(productId)}/offers`,
      auth: COMMERCE,
      query: params,
      options,
    })
  }
}

class Catalog extends Resource {
  /** Imports the merchant's own products (JSON rows or CSV text); `dryRun` validates only. */
  import(params: CatalogImportParams, options?: RequestOptions): Promise<CatalogImportResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/catalog/import',
      auth: COMMERCE,
      body: params,
      options,
    })
  }
}

/** One cart per customer identity: `customer_id`, or `wallet_address` + `wallet_network`. */
class MerchantCart extends Resource {
  get(identity: CartIdentity, options?: RequestOptions): Promise<CartResponse> {
    return this.call({
      method: 'GET',
      path: '/api/commerce/merchant/carts',
      auth: COMMERCE,
      query: identity,
      options,
    })
  }

  create(params: CreateCartParams, options?: RequestOptions): Promise<CreateCartResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/carts',
      auth: COMMERCE,
      body: params,
      options,
    })
  }

  /** Adds an item, or raises its quantity when the product is already in the cart. */
  addItem(params: AddCartItemParams, options?: RequestOptions): Promise<AddCartItemResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/carts/items',
      auth: COMMERCE,
      body: params,
      options,
    })
  }

  /** Sets an item's quantity (0 removes it). */
  updateItem(
    itemId: string,
    params: UpdateCartItemParams,
    options?: RequestOptions,
  ): Promise<UpdateCartItemResult> {
    return this.call({
      method: 'PUT',
      path: `/api/commerce/merchant/carts/items/${segment(itemId)}`,
      auth: COMMERCE,
      body: params,
      options,
    })
  }

  removeItem(
    itemId: string,
    identity: CartIdentity,
    options?: RequestOptions,
  ): Promise<RemoveCartItemResult> {
    return this.call({
      method: 'DELETE',
      path: `/api/commerce/merchant/carts/items/${segment(itemId)}`,
      auth: COMMERCE,
      query: identity,
      options,
    })
  }

  clear(identity: CartIdentity, options?: RequestOptions): Promise<ClearCartResult> {
    return this.call({
      method: 'DELETE',
      path: '/api/commerce/merchant/carts',
      auth: COMMERCE,
      query: identity,
      options,
    })
  }

  validate(identity: CartIdentity, options?: RequestOptions): Promise<ValidateCartResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/carts/validate',
      auth: COMMERCE,
      body: identity,
      options,
    })
  }

  totals(params: CartTotalsParams, options?: RequestOptions): Promise<CartTotals> {
    return this.call({
      method: 'GET',
      path: '/api/commerce/merchant/carts/totals',
      auth: COMMERCE,
      query: params,
      options,
    })
  }
}

/** The three checkout steps: estimate → address → invoice. */
class Checkout extends Resource {
  estimate(params: EstimateParams, options?: RequestOptions): Promise<EstimateResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/checkout/estimate',
      auth: COMMERCE,
      body: params,
      options,
    })
  }

  address(params: CheckoutAddressParams, options?: RequestOptions): Promise<CheckoutAddressResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/checkout/address',
      auth: COMMERCE,
      body: params,
      options,
    })
  }

  /** Creates the order and its invoice (Idempotency-Key generated unless given). */
  createInvoice(
    params: CheckoutInvoiceParams,
    options?: RequestOptions,
  ): Promise<CheckoutInvoiceResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/checkout/invoice',
      auth: COMMERCE,
      body: params,
      options,
    })
  }
}

class Orders extends Resource {
  /** Offset pagination (`limit`, `offset`). */
  list(params: ListOrdersParams = {}, options?: RequestOptions): Promise<ListOrdersResult> {
    return this.call({
      method: 'GET',
      path: '/api/commerce/merchant/orders',
      auth: COMMERCE_OR_DASHBOARD,
      query: params,
      options,
    })
  }

  retrieve(orderId: string, options?: RequestOptions): Promise<OrderResponse> {
    return this.call({
      method: 'GET',
      path: `/api/commerce/merchant/orders/${segment(orderId)}`,
      auth: COMMERCE_OR_DASHBOARD,
      options,
    })
  }

  /** Cancels an order (the route requires an Idempotency-Key: generated unless given). */
  cancel(
    orderId: string,
    params: CancelOrderParams = {},
    options?: RequestOptions,
  ): Promise<CancelOrderResult> {
    return this.call({
      method: 'POST',
      path: `/api/commerce/merchant/orders/${segment(orderId)}/cancel`,
      auth: COMMERCE_OR_DASHBOARD,
      body: params,
      options,
    })
  }
}

class CommercePayments extends Resource {
  status(orderId: string, options?: RequestOptions): Promise<CommercePaymentStatus> {
    return this.call({
      method: 'GET',
      path: `/api/commerce/merchant/payments/${segment(orderId)}/status`,
      auth: COMMERCE_OR_DASHBOARD,
      options,
    })
  }

  bulkStatus(params: BulkStatusParams, options?: RequestOptions): Promise<BulkStatusResult> {
    return this.call({
      method: 'POST',
      path: '/api/commerce/merchant/payments/bulk-status',
      auth: COMMERCE_OR_DASHBOARD,
      body: params,
      options,
    })
  }
}

class MerchantInvoices extends Resource {
  /** The order behind a commerce invoice and its payment. */
  status(invoiceId: string, options?: RequestOptions): Promise<CommerceInvoiceStatus> {
    return this.call({
      method: 'GET',
      path: `/api/commerce/merchant/invoices/${segment(invoiceId)}/status`,
      auth: COMMERCE_OR_DASHBOARD,
      options,
    })
  }
}

class Addresses extends Resource {
  list(params: ListAddressesParams, options?: RequestOptions): Promise<ListAddressesResult> {
    return this.call({
      method: 'GET',
      path: '/api/v1/commerce/merchant/addresses',
      auth: COMMERCE,
      query: params,
      options,
    })
  }

  remove(
    addressId: string,
    identity: AddressIdentity = {},
    options?: RequestOptions,
  ): Promise<DeleteAddressResult> {
    return this.call({
      method: 'DELETE',
      path: `/api/v1/commerce/merchant/addresses/${segment(addressId)}`,
      auth: COMMERCE,
      query: identity,
      options,
    })
  }
}

class CommerceDevnet extends Resource {
  /** Moves a devnet order along its lifecycle (payment_confirmed, placed, shipped, …). */
  simulateOrder(
    orderId: string,
    params: SimulateOrderParams,
    options?: RequestOptions,
  ): Promise<SimulateOrderResult> {
    return this.call({
      method: 'POST',
      path: `/api/commerce/devnet/orders/${segment(orderId)}/simulate`,
      auth: COMMERCE,
      body: params,
      options,
    })
  }
}

/** Commerce-scoped API keys, managed with the dashboard token (`withAuth({ bearerToken })`). */
class CommerceApiKeys extends Resource {
  list(options?: RequestOptions): Promise<ApiKey[]> {
    return this.call({
      method: 'GET',
      path: '/api/v1/api-keys',
      auth: ['bearer'],
      query: { scope: 'commerce' },
      options,
    })
  }

  create(
    params: {
      name: string
      expiresAt?: string | number | null
      environment?: 'devnet' | 'mainnet'
    },
    options?: RequestOptions,
  ): Promise<CreatedApiKey> {
    const body = {
      name: params.name,
      scope: 'commerce' as const,
      ...(params.environment !== undefined && { environment: params.environment }),
      ...(params.expiresAt !== undefined &&
        params.expiresAt !== null && { expires_at: params.expiresAt }),
    }
    return this.call({ method: 'POST', path: '/api/v1/api-keys', auth: ['bearer'], body, options })
  }

  revoke(keyId: string, options?: RequestOptions): Promise<MessageResponse> {
    return this.call({
      method: 'POST',
      path: `/api/v1/api-keys/${segment(keyId)}/revoke`,
      auth: ['bearer'],
      options,
    })
  }
}

/** `pepay.commerce`: catalog, carts, checkout, orders, payments and saved addresses. */
export class Commerce extends Resource {
  readonly products: Products
  readonly catalog: Catalog
  readonly merchantCart: MerchantCart
  readonly checkout: Checkout
  readonly orders: Orders
  readonly payments: CommercePayments
  readonly merchantInvoices: MerchantInvoices
  readonly addresses: Addresses
  readonly devnet: CommerceDevnet
  readonly apiKeys: CommerceApiKeys

  constructor(requester: Requester) {
    super(requester)
    this.products = new Products(requester)
    this.catalog = new Catalog(requester)
    this.merchantCart = new MerchantCart(requester)
    this.checkout = new Checkout(requester)
    this.orders = new Orders(requester)
    this.payments = new CommercePayments(requester)
    this.merchantInvoices = new MerchantInvoices(requester)
    this.addresses = new Addresses(requester)
    this.devnet = new CommerceDevnet(requester)
    this.apiKeys = new CommerceApiKeys(requester)
  }

  status(options?: RequestOptions): Promise<CommerceStatus> {
    return this.call({ method: 'GET', path: '/api/commerce/status', auth: COMMERCE, options })
  }

  info(options?: RequestOptions): Promise<CommerceInfo> {
    return this.call({ method: 'GET', path: '/api/commerce/info', auth: COMMERCE, options })
  }

  /** Product search (`q`, `limit`, `offset`, filters). */
  search(
    params: CommerceSearchParams = {},
    options?: RequestOptions,
  ): Promise<CommerceSearchResult> {
    return this.call({
      method: 'GET',
      path: '/api/commerce/search',
      auth: COMMERCE,
      query: params,
      options,
    })
  }
}
