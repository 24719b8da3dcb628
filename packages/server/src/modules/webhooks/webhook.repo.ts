import type { Environment } from '@pepay/contracts'
import { parseEventSeq } from '@pepay/core'
import { sql, type Selectable } from 'kysely'
import { prepared, type Executor } from '../../db/database.ts'
import { toStoredEvent, WEBHOOK_DELIVERIES_CHANNEL, type StoredEvent } from '../events/event.repo.ts'
import type {
  AttemptOutcome,
  DeliveryStatus,
  WebhookAttemptTable,
  WebhookDeliveryTable,
  WebhookEndpointTable,
} from './webhooks.table.ts'

export interface WebhookEndpointRecord {
  id: string
  merchantId: bigint
  url: string
  description: string | null
  enabledEvents: string[]
  environment: Environment | null
  status: 'enabled' | 'disabled'
  disabledReason: string | null
  secret: string
  previousSecret: string | null
  previousSecretExpiresAt: Date | null
  failingSince: Date | null
  createdAt: Date
  updatedAt: Date
}

function toEndpoint(row: Selectable<WebhookEndpointTable>): WebhookEndpointRecord {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    url: row.url,
    description: row.description,
    enabledEvents: row.enabled_events,
    environment: row.environment,
    status: row.status,
    disabledReason: row.disabled_reason,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    failingSince: row.failing_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** Which endpoints a credential sees: all of its merchant's, or only those of its environment. */
export interface EndpointScope {
  merchantId: bigint
  environment: Environment | undefined
}

export async function insertEndpoint(
  db: Executor,
  input: {
    id: string
    merchantId: bigint
    url: string
    description: string | null
    enabledEvents: string[]
    environment: Environment | null
    secret: string
    now: Date
  },
): Promise<WebhookEndpointRecord> {
  const row = await db
    .insertInto('webhook_endpoint')
    .values({
      id: input.id,
      merchant_id: input.merchantId.toString(),
      url: input.url,
      description: input.description,
      enabled_events: input.enabledEvents,
      environment: input.environment,
      secret: input.secret,
      previous_secret: null,
      previous_secret_expires_at: null,
      failing_since: null,
      disabled_reason: null,
      deleted_at: null,
      created_at: input.now,
      updated_at: input.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toEndpoint(row)
}

export async function countEndpoints(db: Executor, merchantId: bigint): Promise<number> {
  const row = await db
    .selectFrom('webhook_endpoint')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('merchant_id', '=', merchantId.toString())
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return Number(row?.n ?? 0)
}

export async function listEndpoints(
  db: Executor,
  scope: EndpointScope,
  limit: number,
): Promise<WebhookEndpointRecord[]> {
  let query = db
    .selectFrom('webhook_endpoint')
    .selectAll()
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('deleted_at', 'is', null)
  if (scope.environment) query = query.where('environment', '=', scope.environment)
  const rows = await query.orderBy('id', 'desc').limit(limit).execute()
  return rows.map(toEndpoint)
}

export async function findEndpoint(
  db: Executor,
  scope: EndpointScope,
  id: string,
  lock = false,
): Promise<WebhookEndpointRecord | undefined> {
  let query = db
    .selectFrom('webhook_endpoint')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('deleted_at', 'is', null)
  if (scope.environment) query = query.where('environment', '=', scope.environment)
  if (lock) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row ? toEndpoint(row) : undefined
}

export async function updateEndpoint(
  db: Executor,
  id: string,
  patch: Partial<
    Pick<
      Selectable<WebhookEndpointTable>,
      | 'url'
      | 'description'
      | 'enabled_events'
      | 'environment'
      | 'status'
      | 'disabled_reason'
      | 'secret'
      | 'previous_secret'
      | 'previous_secret_expires_at'
      | 'failing_since'
      | 'deleted_at'
    >
  > & { updated_at: Date },
): Promise<WebhookEndpointRecord> {
  const row = await db
    .updateTable('webhook_endpoint')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toEndpoint(row)
}

/** A disabled endpoint's pending deliveries wait without a schedule until it is enabled again. */
export async function pauseDeliveries(db: Executor, endpointId: string, now: Date): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set({ next_attempt_at: null, lease_id: null, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute()
}

/** Re-enabling makes paused deliveries due now with a fresh retry window. */
export async function resumeDeliveries(db: Executor, endpointId: string, now: Date): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set({ next_attempt_at: now, window_started_at: now, updated_at: now })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute()
}

export async function cancelDeliveries(
  db: Executor,
  endpointId: string,
  now: Date,
  reason: string,
): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set({
      status: 'canceled',
      next_attempt_at: null,
      lease_id: null,
      last_error: reason,
      completed_at: now,
      updated_at: now,
    })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute()
}

// ---------------------------------------------------------------------------------------------
// Deliveries

export interface DeliveryRecord {
  id: string
  endpointId: string
  merchantId: bigint
  eventSeq: bigint
  eventId: string
  eventType: string
  status: DeliveryStatus
  attemptCount: number
  nextAttemptAt: Date | null
  windowStartedAt: Date
  leaseId: string | null
  lastAttemptAt: Date | null
  lastStatusCode: number | null
  lastError: string | null
  createdAt: Date
  completedAt: Date | null
}

function toDelivery(row: Selectable<WebhookDeliveryTable>): DeliveryRecord {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    merchantId: BigInt(row.merchant_id),
    eventSeq: BigInt(row.event_seq),
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attemptCount: row.attempt_count,
    nextAttemptAt: row.next_attempt_at,
    windowStartedAt: row.window_started_at ?? row.created_at,
    leaseId: row.lease_id,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  }
}

export interface AttemptRecord {
  deliveryId: string
  attempt: number
  startedAt: Date
  durationMs: number
  outcome: AttemptOutcome
  statusCode: number | null
  error: string | null
  responseExcerpt: string | null
}

function toAttempt(row: Selectable<WebhookAttemptTable>): AttemptRecord {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    outcome: row.outcome,
    statusCode: row.status_code,
    error: row.error,
    responseExcerpt: row.response_excerpt,
  }
}

/** A delivery for one endpoint outside the fan-out (test pings); the id follows appendEvent's rule. */
export async function insertDelivery(
  db: Executor,
  input: {
    endpointId: string
    merchantId: bigint
    eventSeq: bigint
    eventId: string
    eventType: string
    now: Date
  },
): Promise<DeliveryRecord> {
  // the delivery workers of every process wake at commit, as for the deliveries of the fan-out
  const result = await sql<Selectable<WebhookDeliveryTable>>`
    INSERT INTO webhook_delivery (id, endpoint_id, merchant_id, event_seq, event_id, event_type, status, next_attempt_at, created_at, updated_at)
    VALUES ('wd_' || lpad(to_hex(${input.eventSeq.toString()}::bigint), 12, '0') || substr(md5(${input.endpointId}), 1, 12),
            ${input.endpointId}, ${input.merchantId.toString()}::bigint, ${input.eventSeq.toString()}::bigint, ${input.eventId},
            ${input.eventType}, 'pending', ${input.now}::timestamptz, ${input.now}::timestamptz, ${input.now}::timestamptz)
    RETURNING *, pg_notify(${WEBHOOK_DELIVERIES_CHANNEL}, '') AS notified`.execute(db)
  const row = result.rows[0]
  if (!row) throw new Error('delivery insert returned no row')
  return toDelivery(row)
}

export interface DeliveryFilter {
  merchantId: bigint
  environment: Environment | undefined
  endpointId?: string | undefined
  eventId?: string | undefined
  status?: DeliveryStatus | undefined
  startingAfter?: string | undefined
}

export async function listDeliveries(
  db: Executor,
  filter: DeliveryFilter,
  limit: number,
): Promise<DeliveryRecord[]> {
  let query = db
    .selectFrom('webhook_delivery as d')
    .innerJoin('webhook_endpoint as e', 'e.id', 'd.endpoint_id')
    .selectAll('d')
    .where('d.merchant_id', '=', filter.merchantId.toString())
  if (filter.environment) query = query.where('e.environment', '=', filter.environment)
  if (filter.endpointId) query = query.where('d.endpoint_id', '=', filter.endpointId)
  if (filter.eventId) query = query.where('d.event_id', '=', filter.eventId)
  if (filter.status) query = query.where('d.status', '=', filter.status)
  if (filter.startingAfter) query = query.where('d.id', '<', filter.startingAfter)
  const rows = await query.orderBy('d.id', 'desc').limit(limit).execute()
  return rows.map(toDelivery)
}

export async function findDelivery(
  db: Executor,
  filter: DeliveryFilter,
  id: string,
  lock = false,
): Promise<DeliveryRecord | undefined> {
  let query = db
    .selectFrom('webhook_delivery as d')
    .innerJoin('webhook_endpoint as e', 'e.id', 'd.endpoint_id')
    .selectAll('d')
    .where('d.id', '=', id)
    .where('d.merchant_id', '=', filter.merchantId.toString())
  if (filter.environment) query = query.where('e.environment', '=', filter.environment)
  if (lock) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  return row ? toDelivery(row) : undefined
}

/** The newest attempts of each delivery (at most `perDelivery`), oldest first. */
export async function attemptsFor(
  db: Executor,
  deliveryIds: string[],
  perDelivery: number,
): Promise<Map<string, AttemptRecord[]>> {
  const out = new Map<string, AttemptRecord[]>()
  if (deliveryIds.length === 0) return out
  const rows = await db
    .selectFrom('webhook_attempt')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('delivery_id')
    .orderBy('attempt', 'desc')
    .execute()
  for (const row of rows) {
    const list = out.get(row.delivery_id) ?? []
    if (list.length < perDelivery) list.push(toAttempt(row))
    out.set(row.delivery_id, list)
  }
  for (const list of out.values()) list.reverse()
  return out
}

export async function scheduleNow(db: Executor, id: string, now: Date): Promise<DeliveryRecord> {
  const row = await db
    .updateTable('webhook_delivery')
    .set({
      status: 'pending',
      next_attempt_at: now,
      window_started_at: now,
      lease_id: null,
      completed_at: null,
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toDelivery(row)
}

export interface ClaimedDelivery {
  delivery: DeliveryRecord
  endpoint: {
    url: string
    environment: Environment | null
    secret: string
    previousSecret: string | null
    previousSecretExpiresAt: Date | null
  }
}

/**
 * Claims due deliveries of enabled endpoints. SKIP LOCKED lets many workers claim side by side;
 * moving next_attempt_at to the lease end (and tagging the row with the lease) keeps another
 * worker from taking the row while this one sends, without holding a transaction open.
 */
export async function claimDueDeliveries(
  db: Executor,
  input: { now: Date; leaseUntil: Date; leaseId: string; limit: number },
): Promise<ClaimedDelivery[]> {
  // prepared: every process's worker runs it at each poll and at each commit that wrote deliveries
  const result = await prepared('pepay_webhook_claim', sql<
    Selectable<WebhookDeliveryTable> & {
      url: string
      endpoint_environment: Environment | null
      secret: string
      previous_secret: string | null
      previous_secret_expires_at: Date | null
    }
  >`
    WITH due AS (
      SELECT d.id FROM webhook_delivery d
      JOIN webhook_endpoint e ON e.id = d.endpoint_id AND e.status = 'enabled' AND e.deleted_at IS NULL
      WHERE d.status = 'pending' AND d.next_attempt_at <= ${input.now}::timestamptz
      ORDER BY d.next_attempt_at
      LIMIT ${input.limit}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_delivery d
    SET next_attempt_at = ${input.leaseUntil}::timestamptz, lease_id = ${input.leaseId},
        attempt_count = d.attempt_count + 1, updated_at = ${input.now}::timestamptz
    FROM due, webhook_endpoint e
    WHERE d.id = due.id AND e.id = d.endpoint_id
    RETURNING d.*, e.url, e.environment AS endpoint_environment, e.secret, e.previous_secret, e.previous_secret_expires_at`).execute(db)
  return result.rows.map((row) => ({
    delivery: toDelivery(row),
    endpoint: {
      url: row.url,
      environment: row.endpoint_environment,
      secret: row.secret,
      previousSecret: row.previous_secret,
      previousSecretExpiresAt:
        row.previous_secret_expires_at === null ? null : new Date(row.previous_secret_expires_at),
    },
  }))
}

export async function insertAttempt(db: Executor, attempt: AttemptRecord): Promise<void> {
  await db
    .insertInto('webhook_attempt')
    .values({
      delivery_id: attempt.deliveryId,
      attempt: attempt.attempt,
      started_at: attempt.startedAt,
      duration_ms: attempt.durationMs,
      outcome: attempt.outcome,
      status_code: attempt.statusCode,
      error: attempt.error,
      response_excerpt: attempt.responseExcerpt,
    })
    .onConflict((oc) => oc.columns(['delivery_id', 'attempt']).doNothing())
    .execute()
}

/**
 * Records an attempt's result on the delivery, only if this worker still holds the lease (a
 * worker that overran its lease must not overwrite the row another worker now owns).
 */
export async function settleDelivery(
  db: Executor,
  input: {
    id: string
    leaseId: string
    status: DeliveryStatus
    nextAttemptAt: Date | null
    lastStatusCode: number | null
    lastError: string | null
    attemptedAt: Date
    now: Date
  },
): Promise<boolean> {
  const done = input.status !== 'pending'
  const result = await db
    .updateTable('webhook_delivery')
    .set({
      status: input.status,
      next_attempt_at: input.nextAttemptAt,
      lease_id: null,
      last_attempt_at: input.attemptedAt,
      last_status_code: input.lastStatusCode,
      last_error: input.lastError,
      completed_at: done ? input.now : null,
      updated_at: input.now,
    })
    .where('id', '=', input.id)
    .where('lease_id', '=', input.leaseId)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** The events of a claimed batch in one read, with their live pending_webhooks counts. */
export async function loadEvents(db: Executor, ids: string[]): Promise<Map<string, StoredEvent>> {
  const out = new Map<string, StoredEvent>()
  const wanted = new Set(ids)
  const seqs = [...new Set(ids.map(parseEventSeq).filter((seq) => seq !== undefined).map(String))]
  if (seqs.length === 0) return out
  const rows = await db
    .selectFrom('event')
    .selectAll()
    .select(
      sql<string>`(SELECT count(*) FROM webhook_delivery d WHERE d.event_seq = event.seq AND d.status IN ('pending', 'failed'))`.as(
        'pending_webhooks',
      ),
    )
    // by primary key: an event id embeds its sequence number (`evt_<ms>-<seq>`)
    .where('seq', 'in', seqs)
    .execute()
  for (const row of rows) if (wanted.has(row.id)) out.set(row.id, toStoredEvent(row))
  return out
}

export interface SuccessfulAttempt {
  deliveryId: string
  attempt: number
  startedAt: Date
  durationMs: number
  statusCode: number
  responseExcerpt: string | null
}

/**
 * Settles a batch of successful attempts in one statement: each delivery only if this worker
 * still holds its lease, its attempt logged, and its endpoint's failing streak cleared.
 */
export async function settleSuccesses(
  db: Executor,
  leaseId: string,
  attempts: SuccessfulAttempt[],
  now: Date,
): Promise<void> {
  if (attempts.length === 0) return
  const input = JSON.stringify(
    attempts.map((a) => ({
      id: a.deliveryId,
      attempt: a.attempt,
      started_at: a.startedAt.toISOString(),
      duration_ms: a.durationMs,
      status_code: a.statusCode,
      excerpt: a.responseExcerpt,
    })),
  )
  await sql`
    WITH input AS (
      SELECT * FROM json_to_recordset(${input}::json)
        AS t(id text, attempt int, started_at timestamptz, duration_ms int, status_code int, excerpt text)
    ), settled AS (
      UPDATE webhook_delivery d
      SET status = 'succeeded', next_attempt_at = NULL, lease_id = NULL, last_attempt_at = i.started_at,
          last_status_code = i.status_code, last_error = NULL, completed_at = ${now}::timestamptz, updated_at = ${now}::timestamptz
      FROM input i
      WHERE d.id = i.id AND d.lease_id = ${leaseId}
      RETURNING d.id, d.endpoint_id
    ), logged AS (
      INSERT INTO webhook_attempt (delivery_id, attempt, started_at, duration_ms, outcome, status_code, response_excerpt)
      SELECT i.id, i.attempt, i.started_at, i.duration_ms, 'succeeded', i.status_code, i.excerpt
      FROM input i JOIN settled s ON s.id = i.id
      ON CONFLICT (delivery_id, attempt) DO NOTHING
    )
    UPDATE webhook_endpoint e SET failing_since = NULL, updated_at = ${now}::timestamptz
    WHERE e.id IN (SELECT endpoint_id FROM settled) AND e.failing_since IS NOT NULL`.execute(db)
}

/** Locks the endpoint row for the failure bookkeeping of one attempt. */
export async function lockEndpointById(
  db: Executor,
  id: string,
): Promise<WebhookEndpointRecord | undefined> {
  const row = await db
    .selectFrom('webhook_endpoint')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  return row ? toEndpoint(row) : undefined
}
