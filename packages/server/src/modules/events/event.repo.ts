import type { Environment } from '@pepay/contracts'
import { parseEventSeq } from '@pepay/core'
import { sql, type Expression, type RawBuilder, type Selectable, type SqlBool } from 'kysely'
import type { EventTable } from '../../db/schema.ts'
import type { Executor } from '../../db/database.ts'
import { pgArray } from '../../db/pg-array.ts'

export const EVENTS_CHANNEL = 'pepay_events'
/**
 * Notified (empty payload, at commit) by a statement that wrote webhook deliveries: the delivery
 * workers of every process wake on it, and not on events that no endpoint receives.
 */
export const WEBHOOK_DELIVERIES_CHANNEL = 'pepay_webhook_deliveries'

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
 * The common tail of every event insert, as two CTEs to follow the caller's own `s` CTE:
 * `ev` inserts the events and `d` fans each one out to the merchant's enabled webhook
 * endpoints whose `enabled_events` match (test.ping goes only to the endpoint tested). Each
 * delivery it writes notifies `WEBHOOK_DELIVERIES_CHANNEL` (Postgres folds a transaction's
 * identical notifications into one, sent at commit); a statement that wrote none notifies nothing.
 *
 * `s` must provide: seq (drawn with nextval after the transaction's xid was taken, so that the
 * realtime tail's gap check covers the insert), merchant_id, environment, type, is_commerce,
 * invoice_id, invoice_type, customer_id, order_id, wallet_address, wallet_network, data (json
 * text) and request (json text or null). `ev` returns seq, id, merchant_id, environment, type.
 */
export function eventInsertCtes(now: Date, nowMs: string = String(now.getTime())): RawBuilder<unknown> {
  return sql`
    ev AS (
      INSERT INTO event (seq, id, merchant_id, environment, type, is_commerce, invoice_id, invoice_type,
                         customer_id, order_id, wallet_address, wallet_network, created_at, data, request)
      SELECT s.seq, 'evt_' || ${nowMs}::text || '-' || s.seq::text, s.merchant_id, s.environment, s.type, s.is_commerce,
             s.invoice_id, s.invoice_type, s.customer_id, s.order_id, s.wallet_address, s.wallet_network, ${now}::timestamptz,
             s.data::json, s.request::json
      FROM s
      RETURNING seq, id, merchant_id, environment, type
    ),
    d AS (
      INSERT INTO webhook_delivery (id, endpoint_id, merchant_id, event_seq, event_id, event_type, status,
                                    next_attempt_at, created_at, updated_at)
      SELECT 'wd_' || lpad(to_hex(ev.seq), 12, '0') || substr(md5(e.id), 1, 12), e.id, ev.merchant_id, ev.seq, ev.id,
             ev.type, 'pending', ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz
      FROM ev JOIN webhook_endpoint e ON e.merchant_id = ev.merchant_id
      WHERE e.status = 'enabled' AND e.deleted_at IS NULL AND ev.type <> 'test.ping'
        AND (e.environment IS NULL OR e.environment = ev.environment)
        AND EXISTS (SELECT 1 FROM unnest(e.enabled_events) p
                    WHERE p = '*' OR p = ev.type OR (right(p, 2) = '.*' AND starts_with(ev.type, left(p, -1))))
      RETURNING pg_notify(${sql.lit(WEBHOOK_DELIVERIES_CHANNEL)}, '')
    )`
}

/**
 * The sequence behind `event.seq` (its `bigserial`), named as a constant: Postgres resolves a
 * `regclass` literal from its catalog cache while it parses the statement, where
 * `pg_get_serial_sequence` searched `pg_depend` on every execution (about 0.09 ms of a
 * one-invoice create statement's 0.3–0.4 ms, by auto_explain).
 */
const EVENT_SEQUENCE = sql`${sql.lit('event_seq_seq')}::regclass`

/**
 * The CTEs that append the rows of `input` as events, to follow the caller's own CTEs in one
 * statement (the outbox: the state change and its events commit together or not at all).
 *
 * `input` is a query with the columns merchant_id (bigint), environment, type, is_commerce,
 * invoice_id (uuid), invoice_type, customer_id, order_id (uuid), wallet_address, wallet_network,
 * data (json), request (json or null) and ord: sequence numbers follow `ord`. The xid is taken
 * before nextval so that the realtime tail's gap check (which waits for transactions in flight
 * when a hole is seen) covers this insert. Defines, besides `eventInsertCtes`' `ev` (the events;
 * the id embeds the sequence number: `evt_<ms>-<seq>`) and `d` (the webhook fan-out):
 * - `n`: one NOTIFY on `EVENTS_CHANNEL` carrying the highest seq, delivered at commit (a
 *   realtime hub that already read that far skips it), and no row when no event was written. A
 *   CTE that only reads runs only when the statement references it: select
 *   `(SELECT count(*) FROM n)`.
 *
 * `nowMs` is `now` in epoch milliseconds, as text: a statement compiled once passes it as a
 * parameter of its own.
 */
export function appendEventsFrom(input: RawBuilder<unknown>, now: Date, nowMs: string = String(now.getTime())): RawBuilder<unknown> {
  return sql`
    x AS MATERIALIZED (SELECT pg_current_xact_id() AS xid),
    input AS (${input}),
    s AS MATERIALIZED (
      SELECT i.*, nextval(${EVENT_SEQUENCE}) AS seq
      FROM x CROSS JOIN (SELECT * FROM input ORDER BY ord OFFSET 0) i
    ),
    ${eventInsertCtes(now, nowMs)},
    n AS (SELECT pg_notify(${sql.lit(EVENTS_CHANNEL)}, max(ev.seq)::text) FROM ev HAVING count(*) > 0)`
}

/** Whether an event belongs to commerce (what a commerce key reads). */
export const isCommerceEvent = (event: NewEvent) => event.type.startsWith('commerce.') || event.invoiceType === 'commerce'

/** The `data` column of an event: its object, and the attributes it changed when it is an update. */
export function eventData(object: Record<string, unknown>, previousAttributes?: Record<string, unknown>): string {
  return JSON.stringify(previousAttributes ? { object, previous_attributes: previousAttributes } : { object })
}

/** The `request` column of an event: the API request that caused it, if any. */
export const requestJson = (event: NewEvent) =>
  event.request ? JSON.stringify({ id: event.request.id, idempotency_key: event.request.idempotencyKey }) : null

/**
 * Appends an event in the caller's transaction (the outbox: the state change and its event commit
 * together or not at all), its columns as plain parameters; the same insert and webhook fan-out
 * as `appendEvents` (`eventInsertCtes`). NOTIFY is delivered at commit, waking every process's
 * realtime hub.
 */
export async function appendEvent(db: Executor, event: NewEvent, now: Date): Promise<{ seq: bigint; id: string }> {
  // the xid is taken before nextval (see appendEventsFrom)
  const result = await sql<{ seq: string; id: string }>`
    WITH x AS MATERIALIZED (SELECT pg_current_xact_id() AS xid),
    s AS MATERIALIZED (
      SELECT nextval(${EVENT_SEQUENCE}) AS seq, ${event.merchantId.toString()}::bigint AS merchant_id,
             ${event.environment}::text AS environment, ${event.type}::text AS type, ${isCommerceEvent(event)}::boolean AS is_commerce,
             ${event.invoiceId ?? null}::uuid AS invoice_id, ${event.invoiceType ?? null}::text AS invoice_type, ${event.customerId ?? null}::text AS customer_id,
             ${event.orderId ?? null}::uuid AS order_id, ${event.walletAddress ?? null}::text AS wallet_address, ${event.walletNetwork ?? null}::text AS wallet_network,
             ${eventData(event.object, event.previousAttributes)}::text AS data, ${requestJson(event)}::text AS request
      FROM x
    ),
    ${eventInsertCtes(now)}
    SELECT ev.seq, ev.id, pg_notify(${EVENTS_CHANNEL}, ev.seq::text) FROM ev`.execute(db)
  const row = result.rows[0]
  if (!row) throw new Error('event insert returned no row')
  return { seq: BigInt(row.seq), id: row.id }
}

/**
 * Appends events in the caller's transaction, in one statement (the chain watcher records
 * hundreds of transfers per block). Sequence numbers follow the order of `events`. Columns
 * travel as one array literal each (`pgArray`), the data documents as one JSON array.
 */
export async function appendEvents(db: Executor, events: NewEvent[], now: Date): Promise<{ seq: bigint; id: string }[]> {
  if (events.length === 0) return []
  const [single] = events
  if (events.length === 1 && single) return [await appendEvent(db, single, now)]
  const col = (pick: (e: NewEvent) => string | boolean | null) => pgArray(events.map(pick))
  const documents = events.map((e) => (e.previousAttributes ? { object: e.object, previous_attributes: e.previousAttributes } : { object: e.object }))
  const input = sql`
    SELECT u.merchant_id, u.environment, u.type, u.is_commerce, u.invoice_id, u.invoice_type, u.customer_id, u.order_id,
           u.wallet_address, u.wallet_network, j.data, u.request::json AS request, u.ord
    FROM unnest(${col((e) => e.merchantId.toString())}::bigint[], ${col((e) => e.environment)}::text[], ${col((e) => e.type)}::text[],
                ${col(isCommerceEvent)}::boolean[], ${col((e) => e.invoiceId ?? null)}::uuid[], ${col((e) => e.invoiceType ?? null)}::text[],
                ${col((e) => e.customerId ?? null)}::text[], ${col((e) => e.orderId ?? null)}::uuid[], ${col((e) => e.walletAddress ?? null)}::text[],
                ${col((e) => e.walletNetwork ?? null)}::text[], ${col(requestJson)}::text[])
      WITH ORDINALITY AS u(merchant_id, environment, type, is_commerce, invoice_id, invoice_type, customer_id, order_id,
                           wallet_address, wallet_network, request, ord)
    JOIN json_array_elements(${JSON.stringify(documents)}::json) WITH ORDINALITY AS j(data, ord) ON j.ord = u.ord`
  const result = await sql<{ seq: string; id: string }>`
    WITH ${appendEventsFrom(input, now)}
    SELECT ev.seq, ev.id, (SELECT count(*) FROM n) AS notified FROM ev ORDER BY ev.seq`.execute(db)
  if (result.rows.length !== events.length) throw new Error(`event insert returned ${result.rows.length} rows for ${events.length} events`)
  return result.rows.map((row) => ({ seq: BigInt(row.seq), id: row.id }))
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

/** Deliveries of the event not (yet) accepted by their endpoint: pending retries and given-up ones. */
export function pendingWebhooksExpr() {
  return sql<string>`(SELECT count(*) FROM webhook_delivery d WHERE d.event_seq = event.seq AND d.status IN ('pending', 'failed'))`
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

/**
 * An event by its id. The id embeds the sequence number (`evt_<ms>-<seq>`), so the read goes
 * through the primary key; the whole id must still match.
 */
export async function findEvent(db: Executor, id: string): Promise<StoredEvent | undefined> {
  const seq = parseEventSeq(id)
  if (seq === undefined) return undefined
  const row = await db
    .selectFrom('event')
    .selectAll()
    .select(pendingWebhooksExpr().as('pending_webhooks'))
    .where('seq', '=', seq.toString())
    .where('id', '=', id)
    .executeTakeFirst()
  return row ? toStoredEvent(row) : undefined
}

/** The smallest sequence still kept (events older than retention are pruned). */
export async function oldestEventSeq(db: Executor): Promise<bigint | undefined> {
  const row = await db.selectFrom('event').select((eb) => eb.fn.min('seq').as('min')).executeTakeFirst()
  return row?.min ? BigInt(row.min) : undefined
}
