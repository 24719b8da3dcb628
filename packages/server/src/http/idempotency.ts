import { AppError } from '@pepay/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { sql } from 'kysely'
import { z } from 'zod'
import type { Environment } from '@pepay/contracts'
import type { Executor } from '../db/database.ts'
import type { InlineClaim } from '../modules/invoices/invoice.repo.ts'
import type { Deps } from '../deps.ts'
import { sha256 } from '../modules/platform/secrets.ts'

/** Keys live for 24 hours, like Stripe's. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000
/** An in-flight claim older than this belongs to a crashed process and may be taken over. */
const IN_FLIGHT_LOCK_MS = 60_000
const KEY_PATTERN = /^[A-Za-z0-9_\-:.]{1,255}$/

/** Documents the header in OpenAPI; presence and format are checked by the claim step. */
export const IdempotencyHeaders = z.looseObject({
  'idempotency-key': z.string().optional().meta({
    description: 'Client-generated key (UUID v4 recommended); same key + same body replays the first response for 24 h',
  }),
})

export interface IdempotencyClaim {
  merchantId: bigint
  environment: Environment
  key: string
  completed: boolean
  /** Set for `inline` routes until their handler resolves the key: nothing is stored yet. */
  inline?: InlineClaim | undefined
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyClaim | undefined
  }
}

function requestHash(request: FastifyRequest): Buffer {
  const path = request.url.split('?')[0] ?? ''
  return sha256(`${request.method} ${path}\n${JSON.stringify(request.body ?? null)}`)
}

/** The request's Idempotency-Key, checked for presence (when required) and format. */
function idempotencyKeyOf(request: FastifyRequest, mode: 'required'): string
function idempotencyKeyOf(request: FastifyRequest, mode: 'required' | 'optional'): string | undefined
function idempotencyKeyOf(request: FastifyRequest, mode: 'required' | 'optional'): string | undefined {
  const raw = request.headers['idempotency-key']
  const key = typeof raw === 'string' ? raw.trim() : undefined
  if (!key) {
    if (mode === 'required') {
      throw new AppError('IDEMPOTENCY_KEY_MISSING', 'Idempotency-Key header is required for this request', [
        { field: 'Idempotency-Key', message: 'required', code: 'missing' },
      ])
    }
    return undefined
  }
  if (!KEY_PATTERN.test(key)) {
    throw new AppError('VALIDATION_ERROR', 'Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ - : .', [
      { field: 'Idempotency-Key', message: 'invalid format', code: 'invalid' },
    ])
  }
  return key
}

/**
 * For `inline` routes: checks the key and describes the claim the handler makes in its own
 * statement. Nothing is written here.
 */
export function prepareInlineClaim(request: FastifyRequest): void {
  const key = idempotencyKeyOf(request, 'required')
  const principal = request.principal
  if (!principal) throw new AppError('AUTHENTICATION_REQUIRED', 'Missing credentials')
  const inline: InlineClaim = {
    merchantId: principal.merchantId,
    environment: principal.environment,
    key,
    method: request.method,
    path: request.url.split('?')[0] ?? '',
    requestHash: requestHash(request),
    ttlMs: IDEMPOTENCY_TTL_MS,
  }
  request.idempotency = { merchantId: principal.merchantId, environment: principal.environment, key, completed: false, inline }
}

/**
 * Claims the request's Idempotency-Key before the handler runs. Returns true when the reply was
 * already sent (a replay or a conflict) and the handler must not run.
 */
export async function claimIdempotencyKey(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  mode: 'required' | 'optional',
): Promise<boolean> {
  const key = idempotencyKeyOf(request, mode)
  if (key === undefined) return false
  const principal = request.principal
  if (!principal) throw new AppError('AUTHENTICATION_REQUIRED', 'Missing credentials')
  const now = deps.clock.now()
  const hash = requestHash(request)
  const merchantId = principal.merchantId.toString()
  const environment = principal.environment
  const path = request.url.split('?')[0] ?? ''
  const lockedUntil = new Date(now.getTime() + IN_FLIGHT_LOCK_MS)

  const inserted = await deps.db
    .insertInto('idempotency_key')
    .values({
      merchant_id: merchantId,
      environment,
      key,
      request_method: request.method,
      request_path: path,
      request_hash: hash,
      state: 'in_flight',
      created_at: now,
      locked_until: lockedUntil,
      expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
    })
    .onConflict((oc) =>
      // an expired key is free again: take it over in the same statement
      oc.columns(['merchant_id', 'environment', 'key']).doUpdateSet({
        request_method: request.method,
        request_path: path,
        request_hash: hash,
        state: 'in_flight',
        response_status: null,
        response_body: null,
        created_at: now,
        locked_until: lockedUntil,
        expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
      }).where('idempotency_key.expires_at', '<=', now),
    )
    .returning('key')
    .executeTakeFirst()
  if (inserted) {
    request.idempotency = { merchantId: principal.merchantId, environment, key, completed: false }
    return false
  }

  const existing = await deps.db
    .selectFrom('idempotency_key')
    .selectAll()
    .where('merchant_id', '=', merchantId)
    .where('environment', '=', environment)
    .where('key', '=', key)
    .executeTakeFirst()
  if (!existing) throw new AppError('IDEMPOTENCY_CONFLICT', 'Idempotency-Key is being reused concurrently; retry')
  if (!Buffer.from(existing.request_hash).equals(hash)) {
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'Idempotency-Key was already used with a different request (method, path or body)',
    )
  }
  if (existing.state === 'completed' && existing.response_status !== null) {
    void reply
      .status(existing.response_status)
      .header('idempotency-replayed', 'true')
      .header('content-type', 'application/json; charset=utf-8')
      .send(existing.response_body ?? '')
    return true
  }
  if (existing.locked_until > now) {
    throw new AppError('IDEMPOTENCY_CONFLICT', 'A request with this Idempotency-Key is still in progress; retry later')
  }
  // the first attempt died mid-flight (its transaction rolled back): take the key over
  const takenOver = await deps.db
    .updateTable('idempotency_key')
    .set({ locked_until: lockedUntil })
    .where('merchant_id', '=', merchantId)
    .where('environment', '=', environment)
    .where('key', '=', key)
    .where('state', '=', 'in_flight')
    .where('locked_until', '=', existing.locked_until)
    .returning('key')
    .executeTakeFirst()
  if (!takenOver) throw new AppError('IDEMPOTENCY_CONFLICT', 'A request with this Idempotency-Key is still in progress; retry later')
  request.idempotency = { merchantId: principal.merchantId, environment, key, completed: false }
  return false
}

/** Stores the final response inside the caller's transaction, so the effect and its replay commit together. */
export async function completeIdempotencyKey(
  db: Executor,
  claim: IdempotencyClaim | undefined,
  status: number,
  body: unknown,
): Promise<void> {
  if (!claim) return
  await db
    .updateTable('idempotency_key')
    .set({ state: 'completed', response_status: status, response_body: JSON.stringify(body) })
    .where('merchant_id', '=', claim.merchantId.toString())
    .where('environment', '=', claim.environment)
    .where('key', '=', claim.key)
    .execute()
  claim.completed = true
}

/** For handlers that did not complete the key themselves: store a 2xx/4xx, release on 5xx. */
export async function settleIdempotencyKey(deps: Deps, request: FastifyRequest, status: number, payload: unknown): Promise<void> {
  const claim = request.idempotency
  if (!claim || claim.completed) return
  claim.completed = true
  // an inline claim that never reached its statement stored nothing
  if (claim.inline) return
  const where = {
    merchant_id: claim.merchantId.toString(),
    environment: claim.environment,
    key: claim.key,
  }
  if (status >= 500) {
    await deps.db
      .deleteFrom('idempotency_key')
      .where('merchant_id', '=', where.merchant_id)
      .where('environment', '=', where.environment)
      .where('key', '=', where.key)
      .where('state', '=', 'in_flight')
      .execute()
    return
  }
  await deps.db
    .updateTable('idempotency_key')
    .set({ state: 'completed', response_status: status, response_body: typeof payload === 'string' ? payload : JSON.stringify(payload) })
    .where('merchant_id', '=', where.merchant_id)
    .where('environment', '=', where.environment)
    .where('key', '=', where.key)
    .execute()
}

export async function purgeExpiredIdempotencyKeys(db: Executor, now: Date): Promise<number> {
  const result = await sql`DELETE FROM idempotency_key WHERE ctid IN (SELECT ctid FROM idempotency_key WHERE expires_at <= ${now} LIMIT 1000)`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
