import type { Environment, InvoiceStatus } from '@pepay/contracts'
import { sql, type Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import type {
  CommerceOrderTable,
  CommerceRefundTable,
  PlacementStatusColumn,
  RefundStatusColumn,
  RetailerName,
  StoredLine,
  StoredShippingAddress,
} from '../commerce.table.ts'
import type { OrderStatus } from './order.state.ts'

export interface Order {
  id: string
  merchantId: bigint
  environment: Environment
  invoiceId: string
  estimateId: string
  retailer: RetailerName
  customerId: string | null
  walletAddress: string | null
  walletNetwork: string | null
  status: OrderStatus
  substatus: string | null
  lineItems: StoredLine[]
  shippingAddress: StoredShippingAddress | null
  subtotalUsdMillis: bigint
  shippingUsdMillis: bigint
  taxUsdMillis: bigint
  feeUsdMillis: bigint
  totalUsdMillis: bigint
  refundDestinationBsc: string | null
  paymentNetwork: string | null
  paymentTokenId: number | null
  paymentTokenSymbol: string | null
  paymentTxHash: string | null
  paymentWalletAddress: string | null
  paidAt: Date | null
  settlementStatus: 'pending' | 'settled'
  settlementTxHash: string | null
  settlementNetwork: string | null
  placementStatus: PlacementStatusColumn
  placementAttempts: number
  placementNextAt: Date | null
  placementError: string | null
  providerOrderRef: string | null
  cancellationStatus: 'none' | 'cancelled'
  createdAt: Date
  updatedAt: Date
}

export interface TimelineEntry {
  status: string
  message: string
  at: Date
}

export interface Shipment {
  id: string
  carrier: string
  trackingNumber: string
  carrierTrackingUrl: string | null
  deliveryStatus: string
  retailerTrackingNumber: string | null
  retailerTrackingUrl: string | null
  obtainedAt: Date
}

export interface Refund {
  orderId: string
  merchantId: bigint
  environment: Environment
  status: RefundStatusColumn
  amountUsdMillis: bigint
  feeUsdMillis: bigint
  destinationAddress: string
  network: string
  tokenId: number | null
  amountUnits: bigint | null
  txHash: string | null
  attempts: number
  nextAttemptAt: Date
  lastError: string | null
  sentAt: Date | null
}

/** Everything the order snapshot shows, read in one go. */
export interface OrderView {
  order: Order
  invoiceStatus: InvoiceStatus
  timeline: TimelineEntry[]
  shipments: Shipment[]
  refund: Refund | undefined
}

type OrderRow = Selectable<CommerceOrderTable>

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    invoiceId: row.invoice_id,
    estimateId: row.estimate_id,
    retailer: row.retailer,
    customerId: row.customer_id,
    walletAddress: row.wallet_address,
    walletNetwork: row.wallet_network,
    status: row.status,
    substatus: row.substatus,
    lineItems: row.line_items,
    shippingAddress: row.shipping_address,
    subtotalUsdMillis: BigInt(row.subtotal_usd_millis),
    shippingUsdMillis: BigInt(row.shipping_usd_millis),
    taxUsdMillis: BigInt(row.tax_usd_millis),
    feeUsdMillis: BigInt(row.fee_usd_millis),
    totalUsdMillis: BigInt(row.total_usd_millis),
    refundDestinationBsc: row.refund_destination_bsc,
    paymentNetwork: row.payment_network,
    paymentTokenId: row.payment_token_id,
    paymentTokenSymbol: row.payment_token_symbol,
    paymentTxHash: row.payment_tx_hash,
    paymentWalletAddress: row.payment_wallet_address,
    paidAt: row.paid_at,
    settlementStatus: row.settlement_status,
    settlementTxHash: row.settlement_tx_hash,
    settlementNetwork: row.settlement_network,
    placementStatus: row.placement_status,
    placementAttempts: row.placement_attempts,
    placementNextAt: row.placement_next_at,
    placementError: row.placement_error,
    providerOrderRef: row.provider_order_ref,
    cancellationStatus: row.cancellation_status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function toRefund(row: Selectable<CommerceRefundTable>): Refund {
  return {
    orderId: row.order_id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    status: row.status,
    amountUsdMillis: BigInt(row.amount_usd_millis),
    feeUsdMillis: BigInt(row.fee_usd_millis),
    destinationAddress: row.destination_address,
    network: row.network,
    tokenId: row.token_id,
    amountUnits: row.amount_units === null ? null : BigInt(row.amount_units),
    txHash: row.tx_hash,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    sentAt: row.sent_at,
  }
}

export interface NewOrder {
  id: string
  merchantId: bigint
  environment: Environment
  invoiceId: string
  estimateId: string
  retailer: RetailerName
  customerId: string | null
  walletAddress: string | null
  walletNetwork: string | null
  lineItems: StoredLine[]
  shippingAddress: StoredShippingAddress
  subtotalUsdMillis: bigint
  shippingUsdMillis: bigint
  taxUsdMillis: bigint
  feeUsdMillis: bigint
  totalUsdMillis: bigint
  refundDestinationBsc: string | null
  now: Date
}

export async function insertOrder(db: Executor, input: NewOrder): Promise<Order> {
  const row = await db
    .insertInto('commerce_order')
    .values({
      id: input.id,
      merchant_id: input.merchantId.toString(),
      environment: input.environment,
      invoice_id: input.invoiceId,
      estimate_id: input.estimateId,
      retailer: input.retailer,
      customer_id: input.customerId,
      wallet_address: input.walletAddress,
      wallet_network: input.walletNetwork,
      status: 'pending_payment',
      substatus: 'AWAITING_PAYMENT',
      line_items: JSON.stringify(input.lineItems),
      shipping_address: JSON.stringify(input.shippingAddress),
      subtotal_usd_millis: input.subtotalUsdMillis.toString(),
      shipping_usd_millis: input.shippingUsdMillis.toString(),
      tax_usd_millis: input.taxUsdMillis.toString(),
      fee_usd_millis: input.feeUsdMillis.toString(),
      total_usd_millis: input.totalUsdMillis.toString(),
      refund_destination_bsc: input.refundDestinationBsc,
      created_at: input.now,
      updated_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  await appendTimeline(
    db,
    input.id,
    'pending_payment',
    'Order created, awaiting payment',
    input.now,
  )
  return toOrder(row)
}

/** Scoped read: another merchant's or environment's order is simply not found. */
export async function findOrder(
  db: Executor,
  merchantId: bigint,
  environment: Environment,
  id: string,
): Promise<Order | undefined> {
  const row = await db
    .selectFrom('commerce_order')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', merchantId.toString())
    .where('environment', '=', environment)
    .executeTakeFirst()
  return row ? toOrder(row) : undefined
}

/** Row lock for a state change; the caller holds a transaction. */
export async function lockOrder(db: Executor, id: string): Promise<Order | undefined> {
  const row = await db
    .selectFrom('commerce_order')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  return row ? toOrder(row) : undefined
}

export async function findOrderByInvoice(
  db: Executor,
  merchantId: bigint,
  environment: Environment,
  invoiceId: string,
): Promise<Order | undefined> {
  const row = await db
    .selectFrom('commerce_order')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .where('merchant_id', '=', merchantId.toString())
    .where('environment', '=', environment)
    .executeTakeFirst()
  return row ? toOrder(row) : undefined
}

export type OrderPatch = Partial<
  Pick<
    OrderRow,
    | 'status'
    | 'substatus'
    | 'payment_network'
    | 'payment_token_id'
    | 'payment_token_symbol'
    | 'payment_tx_hash'
    | 'payment_wallet_address'
    | 'paid_at'
    | 'settlement_status'
    | 'settlement_tx_hash'
    | 'settlement_network'
    | 'placement_status'
    | 'placement_attempts'
    | 'placement_next_at'
    | 'placement_error'
    | 'provider_order_ref'
    | 'cancellation_status'
    | 'refund_destination_bsc'
  >
>

export async function updateOrder(
  db: Executor,
  id: string,
  patch: OrderPatch,
  now: Date,
): Promise<Order> {
  const row = await db
    .updateTable('commerce_order')
    .set({ ...patch, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toOrder(row)
}

export async function appendTimeline(
  db: Executor,
  orderId: string,
  status: string,
  message: string,
  at: Date,
): Promise<void> {
  await sql`
    INSERT INTO commerce_order_timeline (order_id, seq, status, message, at)
    SELECT ${orderId}::uuid, coalesce(max(seq), 0) + 1, ${status}, ${message}, ${at}
    FROM commerce_order_timeline WHERE order_id = ${orderId}::uuid`.execute(db)
}

export async function insertShipment(
  db: Executor,
  orderId: string,
  shipment: Shipment,
  now: Date,
): Promise<void> {
  await db
    .insertInto('commerce_shipment')
    .values({
      id: shipment.id,
      order_id: orderId,
      carrier: shipment.carrier,
      tracking_number: shipment.trackingNumber,
      carrier_tracking_url: shipment.carrierTrackingUrl,
      delivery_status: shipment.deliveryStatus,
      retailer_tracking_number: shipment.retailerTrackingNumber,
      retailer_tracking_url: shipment.retailerTrackingUrl,
      obtained_at: shipment.obtainedAt,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        delivery_status: shipment.deliveryStatus,
        updated_at: now,
      }),
    )
    .execute()
}

export async function markShipmentsDelivered(
  db: Executor,
  orderId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('commerce_shipment')
    .set({ delivery_status: 'Delivered', updated_at: now })
    .where('order_id', '=', orderId)
    .execute()
}

export async function loadOrderView(db: Executor, order: Order): Promise<OrderView> {
  const [invoice, timeline, shipments, refund] = await Promise.all([
    db.selectFrom('invoice').select('status').where('id', '=', order.invoiceId).executeTakeFirst(),
    db
      .selectFrom('commerce_order_timeline')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('seq')
      .execute(),
    db
      .selectFrom('commerce_shipment')
      .selectAll()
      .where('order_id', '=', order.id)
      .orderBy('obtained_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('commerce_refund')
      .selectAll()
      .where('order_id', '=', order.id)
      .executeTakeFirst(),
  ])
  return {
    order,
    invoiceStatus: invoice?.status ?? 'unpaid',
    timeline: timeline.map((t) => ({ status: t.status, message: t.message, at: t.at })),
    shipments: shipments.map((s) => ({
      id: s.id,
      carrier: s.carrier,
      trackingNumber: s.tracking_number,
      carrierTrackingUrl: s.carrier_tracking_url,
      deliveryStatus: s.delivery_status,
      retailerTrackingNumber: s.retailer_tracking_number,
      retailerTrackingUrl: s.retailer_tracking_url,
      obtainedAt: s.obtained_at,
    })),
    refund: refund ? toRefund(refund) : undefined,
  }
}

export interface OrderFilter {
  merchantId: bigint
  environment: Environment
  customerId?: string | undefined
  walletAddress?: string | undefined
  walletNetwork?: string | undefined
  status?: OrderStatus | undefined
  retailer?: RetailerName | undefined
  createdFrom?: Date | undefined
  createdTo?: Date | undefined
}

export interface OrderListRow {
  order: Order
  shipmentCount: number
  lastTrackingAt: Date | null
}

function filteredOrders(db: Executor, filter: OrderFilter) {
  let query = db
    .selectFrom('commerce_order')
    .where('merchant_id', '=', filter.merchantId.toString())
    .where('environment', '=', filter.environment)
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId)
  if (filter.walletAddress !== undefined)
    query = query.where('wallet_address', '=', filter.walletAddress)
  if (filter.walletNetwork !== undefined)
    query = query.where('wallet_network', '=', filter.walletNetwork)
  if (filter.status !== undefined) query = query.where('status', '=', filter.status)
  if (filter.retailer !== undefined) query = query.where('retailer', '=', filter.retailer)
  if (filter.createdFrom !== undefined) query = query.where('created_at', '>=', filter.createdFrom)
  if (filter.createdTo !== undefined) query = query.where('created_at', '<=', filter.createdTo)
  return query
}

/** Newest first with offset pagination, plus the number of orders matching. */
export async function listOrders(
  db: Executor,
  filter: OrderFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: OrderListRow[]; count: number }> {
  const rows = await filteredOrders(db, filter)
    .selectAll()
    .select([
      sql<string>`(SELECT count(*) FROM commerce_shipment s WHERE s.order_id = commerce_order.id)`.as(
        'shipment_count',
      ),
      sql<Date | null>`(SELECT max(s.obtained_at) FROM commerce_shipment s WHERE s.order_id = commerce_order.id)`.as(
        'last_tracking_at',
      ),
    ])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  const total = await filteredOrders(db, filter)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirst()
  return {
    rows: rows.map((row) => ({
      order: toOrder(row),
      shipmentCount: Number(row.shipment_count),
      lastTrackingAt: row.last_tracking_at === null ? null : new Date(row.last_tracking_at),
    })),
    count: Number(total?.n ?? 0),
  }
}

export async function findOrders(
  db: Executor,
  merchantId: bigint,
  environment: Environment,
  ids: string[],
): Promise<Order[]> {
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('commerce_order')
    .selectAll()
    .where('merchant_id', '=', merchantId.toString())
    .where('environment', '=', environment)
    .where('id', 'in', ids)
    .execute()
  return rows.map(toOrder)
}

export async function invoiceStatuses(
  db: Executor,
  invoiceIds: string[],
): Promise<Map<string, InvoiceStatus>> {
  if (invoiceIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('invoice')
    .select(['id', 'status'])
    .where('id', 'in', invoiceIds)
    .execute()
  return new Map(rows.map((r) => [r.id, r.status]))
}

// ------------------------------------------------------------------ placement schedule

/**
 * Paid orders waiting for settlement whose invoice payment the chain layer has settled: they
 * are due for placement with the retailer.
 */
export async function findSettledAwaitingOrders(
  db: Executor,
  limit: number,
): Promise<{ orderId: string; settlementTxHash: string | null; network: string }[]> {
  const rows = await sql<{ order_id: string; settlement_tx_hash: string | null; network: string }>`
    SELECT DISTINCT ON (c.id) c.id AS order_id, p.settlement_tx_hash, p.network
    FROM commerce_order c JOIN invoice_payment p ON p.invoice_id = c.invoice_id
    WHERE c.placement_status = 'awaiting_settlement' AND c.status = 'processing' AND p.settlement_status = 'settled'
    ORDER BY c.id, p.settled_at DESC NULLS LAST
    LIMIT ${limit}`.execute(db)
  return rows.rows.map((r) => ({
    orderId: r.order_id,
    settlementTxHash: r.settlement_tx_hash,
    network: r.network,
  }))
}

/**
 * Orders still awaiting payment whose invoice already reached an outcome (paid, expired,
 * canceled) without the order following: the reconciler moves them, so an invoice change that
 * did not run the commerce hook (expiry worker, merchant cancel) is never lost.
 */
export async function findOrdersBehindInvoice(
  db: Executor,
  limit: number,
): Promise<{ orderId: string; invoiceStatus: InvoiceStatus; paidAt: Date | null }[]> {
  const rows = await db
    .selectFrom('commerce_order as o')
    .innerJoin('invoice as i', 'i.id', 'o.invoice_id')
    .select(['o.id as order_id', 'i.status as invoice_status', 'i.paid_at as paid_at'])
    .where('o.status', '=', 'pending_payment')
    .where('i.status', 'in', ['paid', 'expired', 'canceled'])
    .orderBy('o.created_at')
    .limit(limit)
    .execute()
  return rows.map((r) => ({
    orderId: r.order_id,
    invoiceStatus: r.invoice_status,
    paidAt: r.paid_at,
  }))
}

/**
 * Claims orders due for the retailer call and leases them (`submitting` until `leaseUntil`):
 * the call happens outside any transaction, and a crashed caller's lease simply expires.
 */
export async function claimDuePlacements(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<Order[]> {
  const rows = await db
    .updateTable('commerce_order')
    .set({
      placement_status: 'submitting',
      placement_next_at: leaseUntil,
      placement_attempts: sql`placement_attempts + 1`,
      updated_at: now,
    })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('commerce_order')
        .select('id')
        .where('placement_status', 'in', ['queued', 'submitting'])
        .where('placement_next_at', '<=', now)
        .where('status', '=', 'processing')
        .orderBy('placement_next_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute()
  return rows.map(toOrder)
}

// ------------------------------------------------------------------ refunds

export interface NewRefund {
  orderId: string
  merchantId: bigint
  environment: Environment
  amountUsdMillis: bigint
  feeUsdMillis: bigint
  destinationAddress: string
  network: string
  now: Date
}

/** One refund per order (primary key): a second request finds the first. */
export async function insertRefund(db: Executor, input: NewRefund): Promise<Refund> {
  await db
    .insertInto('commerce_refund')
    .values({
      order_id: input.orderId,
      merchant_id: input.merchantId.toString(),
      environment: input.environment,
      status: 'pending',
      amount_usd_millis: input.amountUsdMillis.toString(),
      fee_usd_millis: input.feeUsdMillis.toString(),
      destination_address: input.destinationAddress,
      network: input.network,
      next_attempt_at: input.now,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) => oc.column('order_id').doNothing())
    .execute()
  const row = await db
    .selectFrom('commerce_refund')
    .selectAll()
    .where('order_id', '=', input.orderId)
    .executeTakeFirstOrThrow()
  return toRefund(row)
}

/** Claims refunds due for the chain call, leased like placements. */
export async function claimDueRefunds(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
  orderId?: string,
): Promise<Refund[]> {
  const rows = await db
    .updateTable('commerce_refund')
    .set({
      status: 'sending',
      next_attempt_at: leaseUntil,
      attempts: sql`attempts + 1`,
      updated_at: now,
    })
    .where('order_id', 'in', (eb) => {
      let q = eb
        .selectFrom('commerce_refund')
        .select('order_id')
        .where('status', 'in', ['pending', 'sending'])
        .where('next_attempt_at', '<=', now)
      if (orderId !== undefined) q = q.where('order_id', '=', orderId)
      return q.orderBy('next_attempt_at').limit(limit).forUpdate().skipLocked()
    })
    .returningAll()
    .execute()
  return rows.map(toRefund)
}

export async function updateRefund(
  db: Executor,
  orderId: string,
  patch: Partial<
    Pick<
      Selectable<CommerceRefundTable>,
      'status' | 'token_id' | 'tx_hash' | 'next_attempt_at' | 'last_error' | 'sent_at'
    >
  > & { amount_units?: string },
  now: Date,
): Promise<Refund> {
  const row = await db
    .updateTable('commerce_refund')
    .set({ ...patch, updated_at: now })
    .where('order_id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toRefund(row)
}

/** A stablecoin the platform can refund in on a network (the chain layer's token list). */
export async function findStableToken(
  db: Executor,
  environment: Environment,
  network: string,
  candidateIds: number[],
  preferredId: number | null,
): Promise<{ id: number; symbol: string; decimals: number } | undefined> {
  if (candidateIds.length === 0) return undefined
  const row = await db
    .selectFrom('token')
    .select(['id', 'symbol', 'decimals'])
    .where('environment', '=', environment)
    .where('network', '=', network)
    .where('is_stable', '=', true)
    .where('is_active', '=', true)
    .where('id', 'in', candidateIds)
    // the coin the payer paid with, when it is a stablecoin on this network; else the default
    .orderBy(sql`id = ${preferredId ?? -1}`, 'desc')
    .orderBy('is_default_settlement', 'desc')
    .orderBy('id')
    .executeTakeFirst()
  return row
}

export async function findPaymentTokenId(db: Executor, orderId: string): Promise<number | null> {
  const row = await db
    .selectFrom('commerce_order')
    .select('payment_token_id')
    .where('id', '=', orderId)
    .executeTakeFirst()
  return row?.payment_token_id ?? null
}

export async function findTokenSymbol(db: Executor, tokenId: number): Promise<string | null> {
  const row = await db
    .selectFrom('token')
    .select('symbol')
    .where('id', '=', tokenId)
    .executeTakeFirst()
  return row?.symbol ?? null
}
