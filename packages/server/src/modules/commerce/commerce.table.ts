/** Kysely table types of this module; merged into the database type in db/schema.ts. */
import type { ColumnType, Generated, JSONColumnType } from 'kysely'

type Int8 = ColumnType<string, string | bigint | number, string | bigint | number>
type GeneratedInt8 = ColumnType<
  string,
  string | bigint | number | undefined,
  string | bigint | number
>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type Numeric = ColumnType<string, string | bigint, string | bigint>
type Json<T extends object | null> = JSONColumnType<T>
type Env = 'devnet' | 'mainnet'

export type RetailerName = 'amazon' | 'walmart' | 'target' | 'ebay' | 'bestbuy' | 'other'

export interface CommerceProductTable {
  id: GeneratedInt8
  product_id: string
  merchant_id: Int8 | null
  environment: Env | null
  retailer: RetailerName
  title: string
  brand: Generated<string>
  category: Generated<string>
  description: Generated<string>
  image_url: string | null
  product_url: string | null
  rating_tenths: Generated<number>
  review_count: Generated<number>
  price_usd_millis: Int8
  list_price_usd_millis: Int8 | null
  is_prime: Generated<boolean>
  is_active: Generated<boolean>
  search_vector: ColumnType<string, string, string>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface CommerceOfferTable {
  id: GeneratedInt8
  product_pk: Int8
  offer_id: string
  seller_id: string
  seller_name: string
  price_usd_millis: Int8
  shipping_usd_millis: Int8
  is_prime: boolean
  is_prime_only: Generated<boolean>
  fulfillment: 'prime' | 'marketplace' | 'seller'
  condition: 'New' | 'Used' | 'Refurbished'
  handling_days_min: number
  handling_days_max: number
  transit_days: number
  is_international: Generated<boolean>
  is_available: Generated<boolean>
}

export interface CommerceSearchWordTable {
  scope: string
  word: string
}

export interface CommerceCatalogStateTable {
  name: string
  seed_version: number
  target_size: number
  seeded_count: Generated<number>
  status: 'seeding' | 'ready'
  lease_owner: string | null
  lease_until: Timestamp | null
  started_at: Timestamp
  completed_at: Timestamp | null
}

export interface CommerceCartTable {
  id: string
  merchant_id: Int8
  environment: Env
  identity_key: string
  customer_id: string | null
  wallet_address: string | null
  wallet_network: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface CommerceCartItemTable {
  id: string
  cart_id: string
  product_id: string
  retailer: RetailerName
  title: string
  price_usd_millis: Int8
  quantity: number
  image_url: string | null
  product_url: string | null
  num_reviews: number | null
  rating_tenths: number | null
  created_at: Timestamp
  updated_at: Timestamp
}

/** A priced line as stored on an estimate and copied onto the order. Millis as decimal strings. */
export interface StoredLine {
  productId: string
  retailer: RetailerName
  title: string
  imageUrl: string | null
  quantity: number
  priceUsdMillis: string
  shippingUsdMillis: string
  offerId: string
  sellerName: string
  deliveryDaysMin: number
  deliveryDaysMax: number
  requestedPriceUsdMillis: string | null
}

export interface StoredInvalidLine {
  productId: string
  retailer: string
  error: string
}

export interface CommerceEstimateTable {
  id: string
  merchant_id: Int8
  environment: Env
  identity_key: string
  customer_id: string | null
  wallet_address: string | null
  wallet_network: string | null
  retailer: RetailerName | null
  valid_items: Json<StoredLine[]>
  invalid_items: Json<StoredInvalidLine[]>
  subtotal_usd_millis: Int8
  shipping_usd_millis: Int8
  fee_fixed_usd_millis: Int8
  fee_percentage_usd_millis: Int8
  delivery_days_min: number
  delivery_days_max: number
  expires_at: Timestamp
  created_at: Timestamp
}

export interface CommerceAddressTable {
  id: string
  merchant_id: Int8
  environment: Env
  identity_key: string
  customer_id: string | null
  wallet_address: string | null
  wallet_network: string | null
  first_name: string
  last_name: string
  address_line1: string
  address_line2: Generated<string>
  city: string
  state: string
  zip_code: string
  country: string
  phone: string | null
  email: string | null
  fingerprint: string
  is_validated: boolean
  validated_at: Timestamp | null
  created_at: Timestamp
}

export type OrderStatusColumn =
  | 'pending_payment'
  | 'processing'
  | 'placed'
  | 'shipped'
  | 'delivered'
  | 'cancelled'
  | 'failed'
  | 'refunded'

export type PlacementStatusColumn =
  'none' | 'awaiting_settlement' | 'queued' | 'submitting' | 'submitted' | 'simulated' | 'failed'

export interface StoredShippingAddress {
  firstName: string
  lastName: string
  addressLine1: string
  addressLine2: string
  city: string
  state: string
  zipCode: string
  country: string
  phoneNumber: string | null
  email: string | null
}

export interface CommerceOrderTable {
  id: string
  merchant_id: Int8
  environment: Env
  invoice_id: string
  estimate_id: string
  retailer: RetailerName
  customer_id: string | null
  wallet_address: string | null
  wallet_network: string | null
  status: OrderStatusColumn
  substatus: string | null
  line_items: Json<StoredLine[]>
  shipping_address: Json<StoredShippingAddress> | null
  subtotal_usd_millis: Int8
  shipping_usd_millis: Int8
  tax_usd_millis: Int8
  fee_usd_millis: Int8
  total_usd_millis: Int8
  refund_destination_bsc: string | null
  payment_network: string | null
  payment_token_id: number | null
  payment_token_symbol: string | null
  payment_tx_hash: string | null
  payment_wallet_address: string | null
  paid_at: Timestamp | null
  settlement_status: Generated<'pending' | 'settled'>
  settlement_tx_hash: string | null
  settlement_network: string | null
  placement_status: Generated<PlacementStatusColumn>
  placement_attempts: Generated<number>
  placement_next_at: Timestamp | null
  placement_error: string | null
  provider_order_ref: string | null
  cancellation_status: Generated<'none' | 'cancelled'>
  created_at: Timestamp
  updated_at: Timestamp
}

export interface CommerceOrderTimelineTable {
  order_id: string
  seq: number
  status: string
  message: string
  at: Timestamp
}

export interface CommerceShipmentTable {
  id: string
  order_id: string
  carrier: string
  tracking_number: string
  carrier_tracking_url: string | null
  delivery_status: string
  retailer_tracking_number: string | null
  retailer_tracking_url: string | null
  obtained_at: Timestamp
  updated_at: Timestamp
}

export type RefundStatusColumn = 'pending' | 'sending' | 'sent' | 'failed'

export interface CommerceRefundTable {
  order_id: string
  merchant_id: Int8
  environment: Env
  status: RefundStatusColumn
  amount_usd_millis: Int8
  fee_usd_millis: Int8
  destination_address: string
  network: string
  token_id: number | null
  amount_units: Numeric | null
  tx_hash: string | null
  attempts: Generated<number>
  next_attempt_at: Timestamp
  last_error: string | null
  created_at: Timestamp
  updated_at: Timestamp
  sent_at: Timestamp | null
}

export interface CommerceTables {
  commerce_product: CommerceProductTable
  commerce_offer: CommerceOfferTable
  commerce_search_word: CommerceSearchWordTable
  commerce_catalog_state: CommerceCatalogStateTable
  commerce_cart: CommerceCartTable
  commerce_cart_item: CommerceCartItemTable
  commerce_estimate: CommerceEstimateTable
  commerce_address: CommerceAddressTable
  commerce_order: CommerceOrderTable
  commerce_order_timeline: CommerceOrderTimelineTable
  commerce_shipment: CommerceShipmentTable
  commerce_refund: CommerceRefundTable
}
