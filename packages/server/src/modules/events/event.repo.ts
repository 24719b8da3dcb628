import type { Environment } from '@pepay/contracts'
import { sql, type Expression, type Selectable, type SqlBool } from 'kysely'
import type { EventTable } from '../../db/schema.ts'
import type { Executor } from '../../db/database.ts'

export const EVENTS_CHANNEL = 'pepay_events'

export interface NewEvent {
  merchantId: bigint
  environment: Environment
  type: string
  object: Record<string, unknown>
  previousAttributes?: Record<string, unknown> | undefined
  invoiceId?: string | null
  invoiceType?: string | null
  customerId?: string | null
  orderId?: string | null
  walletAddress?: string | null
  walletNetwork?: string | null
  request?: { id: string | null; idempotencyKey: string | null } | null
}

export interface StoredEvent {
  seq: bigint
  id: string
  merchantId: bigint
  environment: Environment
  type: string
  isCommerce: boolean
  invoiceId: string | null
  invoiceType: string | null
  customerId: string | null
  orderId: string | null
  walletAddress: string | null
  walletNetwork: string | null
  createdAt: Date
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> }
  request: { id: string | null; idempotency_key: string | null } | null
  pendingWebhooks: number
}

/**
 * Appends an event in the caller's transaction (the outbox): the state change and its event
 * commit together or not at all. The id embeds the sequence number: `evt_<ms>-<seq>`.
 * NOTIFY is delivered at commit, waking every process's realtime hub.
 */
export async function appendEvent(db: Executor, event: NewEvent, now: Date): Promise<{ seq: bigint; id: string }> {
  const isCommerce = event.type.startsWith('commerce.') || event.invoiceType === 'commerce'
  const data = event.previousAttributes
    ? { object: event.object, previous_attributes: event.previousAttributes }
    : { object: event.object }
  const request = event.request ? { id: event.request.id, idempotency_key: event.request.idempotencyKey } : null
  const result = await sql<{ seq: string; id: string }>`
    INSERT INTO event (seq, id, merchant_id, environment, type, is_commerce, invoice_id, invoice_type,
                       customer_id, order_id, wallet_address, wallet_network, created_at, data, request)
    SELECT s.seq, 'evt_' || ${now.getTime()}::text || '-' || s.seq::text, ${event.merchantId.toString()}::bigint,
           ${event.environment}, ${event.type}, ${isCommerce}, ${event.invoiceId ?? null}::uuid, ${event.invoiceType ?? null},
           ${event.customerId ?? null}, ${event.orderId ?? null}::uuid, ${event.walletAddress ?? null}, ${event.walletNetwork ?? null},
           ${now}, ${JSON.stringify(data)}::json, ${request === null ? null : JSON.stringify(request)}::json
    FROM (SELECT nextval(pg_get_serial_sequence('event', 'seq')) AS seq) s
    RETURNING seq, id`.execute(db)
  const row = result.rows[0]
  if (!row) throw new Error('event insert returned no row')
  await sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${row.seq})`.execute(db)
  return { seq: BigInt(row.seq), id: row.id }
}

type Row = Selectable<EventTable> & { pending_webhooks?: string | number | null }

export function toStoredEvent(row: Row): StoredEvent {
  return {
    seq: BigInt(row.seq),
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    type: row.type,
    isCommerce: row.is_commerce,
    invoiceId: row.invoice_id,
    invoiceType: row.invoice_type,
    customerId: row.customer_id,
    orderId: row.order_id,
    walletAddress: row.wallet_address,
    walletNetwork: row.wallet_network,
    createdAt: row.created_at,
    data: row.data,
    request: row.request,
    pendingWebhooks: Number(row.pending_webhooks ?? 0),
  }
}

export interface EventFilter {
  merchantId?: bigint | undefined
  environment?: Environment | undefined
  commerceOnly?: boolean | undefined
  typePatterns?: string[] | undefined
  createdGteSeconds?: number | undefined
  createdLteSeconds?: number | undefined
  invoiceId?: string | undefined
  orderId?: string | undefined
  customerId?: string | undefined
  invoiceType?: string[] | undefined
  walletAddress?: string | undefined
  walletNetwork?: string | undefined
}

/** SQL form of a type pattern list: exact types and `prefix.*` wildcards. */
function typeCondition(patterns: string[]): Expression<SqlBool> {
  const parts = patterns.map((p) => {
    if (p === '*') return sql<SqlBool>`true`
    if (p.endsWith('.*')) return sql<SqlBool>`starts_with(type, ${p.slice(0, -1)})`
    return sql<SqlBool>`type = ${p}`
  })
  return sql<SqlBool>`(${sql.join(parts, sql` OR `)})`
}

function pendingWebhooksExpr() {
  return sql<string>`0`
}

export async function listEvents(
  db: Executor,
  filter: EventFilter,
  page: { limit: number; afterSeq?: bigint | undefined; beforeSeq?: bigint | undefined; order: 'asc' | 'desc' },
): Promise<StoredEvent[]> {
  let query = db.selectFrom('event').selectAll().select(pendingWebhooksExpr().as('pending_webhooks'))
  if (filter.merchantId !== undefined) query = query.where('merchant_id', '=', filter.merchantId.toString())
  if (filter.environment) query = query.where('environment', '=', filter.environment)
  if (filter.commerceOnly) query = query.where('is_commerce', '=', true)
  if (filter.typePatterns?.length) query = query.where(typeCondition(filter.typePatterns))
  if (filter.createdGteSeconds !== undefined) query = query.where('created_at', '>=', new Date(filter.createdGteSeconds * 1000))
  if (filter.createdLteSeconds !== undefined) query = query.where('created_at', '<', new Date((filter.createdLteSeconds + 1) * 1000))
  if (filter.invoiceId) query = query.where('invoice_id', '=', filter.invoiceId)
  if (filter.orderId) query = query.where('order_id', '=', filter.orderId)
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId)
  if (filter.invoiceType?.length) query = query.where('invoice_type', 'in', filter.invoiceType)
  if (filter.walletAddress) query = query.where(sql`lower(wallet_address)`, '=', filter.walletAddress.toLowerCase())
  if (filter.walletNetwork) query = query.where('wallet_network', '=', filter.walletNetwork)
  if (page.afterSeq !== undefined) query = query.where('seq', '>', page.afterSeq.toString())
  if (page.beforeSeq !== undefined) query = query.where('seq', '<', page.beforeSeq.toString())
  const rows = await query.orderBy('seq', page.order).limit(page.limit).execute()
  return rows.map(toStoredEvent)
}

export async function findEvent(db: Executor, id: string): Promise<StoredEvent | undefined> {
  const row = await db
    .selectFrom('event')
    .selectAll()
    .select(pendingWebhooksExpr().as('pending_webhooks'))
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toStoredEvent(row) : undefined
}

/** The smallest sequence still kept (events older than retention are pruned). */
export async function oldestEventSeq(db: Executor): Promise<bigint | undefined> {
  const row = await db.selectFrom('event').select((eb) => eb.fn.min('seq').as('min')).executeTakeFirst()
  return row?.min ? BigInt(row.min) : undefined
}
