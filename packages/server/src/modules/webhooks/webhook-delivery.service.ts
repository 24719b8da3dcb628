import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { randomUUID } from 'node:crypto'
import { AppError, monotonicMs } from '@pepay/core'
import type { ListDeliveriesQuery } from '@pepay/contracts'
import type { Deps } from '../../deps.ts'
import type { Principal } from '../../http/auth.ts'
import { NotFoundError } from '../../http/errors.ts'
import { appendEvent, type StoredEvent } from '../events/event.repo.ts'
import { serializeEvent } from '../events/event.serialize.ts'
import { hmacHex } from '../platform/secrets.ts'
import {
  checkWebhookUrl,
  isStrict,
  resolveDestination,
  type Resolver,
} from './webhook-destination.service.ts'
import { endpointScope, type WebhookRuntime } from './webhook-endpoint.service.ts'
import { planRetry, shouldDisable } from './webhook-retry.state.ts'
import {
  attemptsFor,
  findDelivery,
  loadEvents,
  findEndpoint,
  insertAttempt,
  listDeliveries,
  lockEndpointById,
  pauseDeliveries,
  scheduleNow,
  settleDelivery,
  settleSuccesses,
  updateEndpoint,
  claimDueDeliveries,
  type AttemptRecord,
  type SuccessfulAttempt,
  type ClaimedDelivery,
} from './webhook.repo.ts'
import { serializeDelivery, serializeEndpoint } from './webhook.serialize.ts'
import type { AttemptOutcome } from './webhooks.table.ts'

export interface DeliveryOptions {
  /** Per-attempt deadline (connect, send and response headers). */
  timeoutMs: number
  /** Rows claimed per run; they are sent concurrently. */
  batchSize: number
  resolve: Resolver
  /** Source of jitter in [0, 1) (fixed in tests). */
  random: () => number
}

const EXCERPT_BYTES = 1024
// keep-alive: a busy endpoint is not paid a TCP (and TLS) handshake per delivery; a pooled
// socket was checked against the SSRF rules when it connected
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 })
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 })
const USER_AGENT = 'Pepay-Webhooks/1.0'

/** Hex HMAC-SHA256 over `${timestamp_ms}.${raw_body}`, as receivers verify it. */
export function signPayload(secret: string, timestampMs: number, rawBody: string): string {
  return hmacHex(Buffer.from(secret, 'utf8'), `${timestampMs}.${rawBody}`)
}

interface PostResult {
  outcome: AttemptOutcome
  statusCode: number | null
  error: string | null
  excerpt: string | null
}

/** POSTs to the already-checked address (the DNS answer cannot change between check and connect). */
function post(
  url: URL,
  address: { address: string; family: 4 | 6 },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<PostResult> {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: address.address, family: address.family }])
    else callback(null, address.address, address.family)
  }
  const secure = url.protocol === 'https:'
  const send = secure ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: PostResult): void => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const req = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        agent: secure ? httpsAgent : httpAgent,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          if (size < EXCERPT_BYTES) chunks.push(chunk)
          size += chunk.length
          if (size > 64 * 1024) res.destroy()
        })
        const done = (): void => {
          const status = res.statusCode ?? 0
          const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8')
          finish({
            outcome: status >= 200 && status < 300 ? 'succeeded' : 'http_error',
            statusCode: status,
            error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
            excerpt: excerpt.length > 0 ? excerpt : null,
          })
        }
        res.on('end', done)
        res.on('close', done)
        res.on('error', done)
      },
    )
    req.on('error', (error: Error & { code?: string }) => {
      const timedOut =
        error.name === 'AbortError' || error.name === 'TimeoutError' || error.code === 'ABORT_ERR'
      finish({
        outcome: timedOut ? 'timeout' : 'network_error',
        statusCode: null,
        error: timedOut
          ? `no response within ${timeoutMs} ms`
          : `${error.code ?? error.name}: ${error.message}`,
        excerpt: null,
      })
    })
    req.end(body)
  })
}

/** Claims due deliveries and sends them; returns how many were attempted. */
export async function deliverDue(deps: Deps, options: DeliveryOptions): Promise<number> {
  const now = deps.clock.now()
  const leaseId = randomUUID()
  // the lease outlives the attempt's own deadline, so a live worker never loses its row
  const leaseUntil = new Date(now.getTime() + options.timeoutMs * 2 + 30_000)
  const claimed = await claimDueDeliveries(deps.db, {
    now,
    leaseUntil,
    leaseId,
    limit: options.batchSize,
  })
  if (claimed.length === 0) return 0
  const events = await loadEvents(
    deps.db,
    claimed.map((c) => c.delivery.eventId),
  )
  const successes: SuccessfulAttempt[] = []
  await Promise.all(
    claimed.map((c) =>
      attempt(deps, options, c, leaseId, events.get(c.delivery.eventId), successes),
    ),
  )
  // successes are written together (one statement); failures were recorded one by one
  await settleSuccesses(deps.db, leaseId, successes, deps.clock.now())
  return claimed.length
}

/** The endpoint's signing secrets in clear; undefined when they do not open (another master key). */
function openSecrets(deps: Deps, claimed: ClaimedDelivery): { current: string; previous: string | null } | undefined {
  const id = claimed.delivery.endpointId
  try {
    const previous = claimed.endpoint.previousSecret
    return {
      current: deps.sealer.open(claimed.endpoint.secret, id),
      previous: previous === null ? null : deps.sealer.open(previous, id),
    }
  } catch (error) {
    deps.log.error({ endpointId: id, err: error }, 'webhook signing secret does not open: is PEPAY_MASTER_KEY the one it was sealed with?')
    return undefined
  }
}

async function attempt(
  deps: Deps,
  options: DeliveryOptions,
  claimed: ClaimedDelivery,
  leaseId: string,
  event: StoredEvent | undefined,
  successes: SuccessfulAttempt[],
): Promise<void> {
  const { delivery, endpoint } = claimed
  const startedAt = deps.clock.now()
  let result: PostResult
  const started = monotonicMs()
  const secrets = event ? openSecrets(deps, claimed) : undefined
  if (!event) {
    result = {
      outcome: 'network_error',
      statusCode: null,
      error: 'event no longer retained',
      excerpt: null,
    }
  } else if (!secrets) {
    // nothing is sent unsigned: the attempt fails (and is retried) until the key is right again
    result = {
      outcome: 'network_error',
      statusCode: null,
      error: 'signing secret cannot be opened with this master key',
      excerpt: null,
    }
  } else {
    const body = JSON.stringify(serializeEvent(event))
    const timestampMs = startedAt.getTime()
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'x-pepay-event': event.type,
      'x-pepay-event-id': event.id,
      'x-pepay-delivery-id': delivery.id,
      'x-pepay-timestamp': String(timestampMs),
      'x-pepay-signature': signPayload(secrets.current, timestampMs, body),
      'x-pepay-network-environment': event.environment,
    }
    if (
      secrets.previous !== null &&
      endpoint.previousSecretExpiresAt &&
      endpoint.previousSecretExpiresAt > startedAt
    ) {
      headers['x-pepay-signature-previous'] = signPayload(
        secrets.previous,
        timestampMs,
        body,
      )
    }
    const strict = isStrict(endpoint.environment)
    const check = checkWebhookUrl(endpoint.url, strict)
    const destination = check.ok
      ? await resolveDestination(check.url, strict, options.resolve)
      : undefined
    if (!check.ok) {
      result = { outcome: 'blocked', statusCode: null, error: check.message, excerpt: null }
    } else if (!destination?.ok) {
      result = {
        outcome: destination?.reason === 'blocked' ? 'blocked' : 'network_error',
        statusCode: null,
        error: destination?.message ?? 'unresolvable',
        excerpt: null,
      }
    } else {
      result = await post(check.url, destination, headers, body, options.timeoutMs)
    }
  }
  const durationMs = Math.max(0, Math.round(monotonicMs() - started))
  if (result.outcome === 'succeeded') {
    successes.push({
      deliveryId: delivery.id,
      attempt: delivery.attemptCount,
      startedAt,
      durationMs,
      statusCode: result.statusCode ?? 200,
      responseExcerpt: result.excerpt,
    })
    return
  }
  await recordAttempt(deps, options, claimed, leaseId, {
    startedAt,
    durationMs,
    result,
    eventMissing: !event,
    environment: event?.environment ?? 'devnet',
  })
}

/** A failed attempt: logged, rescheduled or given up, and counted against the endpoint. */
async function recordAttempt(
  deps: Deps,
  options: DeliveryOptions,
  claimed: ClaimedDelivery,
  leaseId: string,
  input: {
    startedAt: Date
    durationMs: number
    result: PostResult
    eventMissing: boolean
    environment: 'devnet' | 'mainnet'
  },
): Promise<void> {
  const { delivery } = claimed
  const { result } = input
  await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const record: AttemptRecord = {
      deliveryId: delivery.id,
      attempt: delivery.attemptCount,
      startedAt: input.startedAt,
      durationMs: input.durationMs,
      outcome: result.outcome,
      statusCode: result.statusCode,
      error: result.error,
      responseExcerpt: result.excerpt,
    }
    // failures lock the endpoint: the failing streak and the disable decision are per endpoint
    const endpoint = await lockEndpointById(trx, delivery.endpointId)
    const plan = input.eventMissing
      ? ({ kind: 'give_up' } as const)
      : planRetry({
          attempt: delivery.attemptCount,
          windowStartedAt: delivery.windowStartedAt,
          now,
          random: options.random(),
        })
    const settled = await settleDelivery(trx, {
      id: delivery.id,
      leaseId,
      status: plan.kind === 'retry' ? 'pending' : 'failed',
      nextAttemptAt: plan.kind === 'retry' ? plan.at : null,
      lastStatusCode: result.statusCode,
      lastError: result.error,
      attemptedAt: input.startedAt,
      now,
    })
    if (!settled) return
    await insertAttempt(trx, record)
    if (!endpoint || endpoint.status !== 'enabled') return
    const failingSince = endpoint.failingSince ?? input.startedAt
    if (!endpoint.failingSince)
      await updateEndpoint(trx, endpoint.id, { failing_since: failingSince, updated_at: now })
    if (shouldDisable(failingSince, now)) {
      // continuous failure for days: stop sending, keep the rows (paused) and tell the merchant
      const off = await updateEndpoint(trx, endpoint.id, {
        status: 'disabled',
        disabled_reason: 'failing continuously for 3 days',
        updated_at: now,
      })
      await pauseDeliveries(trx, endpoint.id, now)
      await appendEvent(
        trx,
        {
          merchantId: endpoint.merchantId,
          environment: endpoint.environment ?? input.environment,
          type: 'webhook_endpoint.disabled',
          object: serializeEndpoint(off, now),
          previousAttributes: { status: 'enabled', disabled_reason: null },
        },
        now,
      )
    }
  })
}

// ---------------------------------------------------------------------------------------------
// The deliveries API

const ATTEMPTS_SHOWN = 20

export async function listDeliveriesFor(
  deps: Deps,
  principal: Principal,
  query: ListDeliveriesQuery,
) {
  const scope = endpointScope(principal)
  const rows = await listDeliveries(
    deps.db,
    {
      ...scope,
      endpointId: query.endpoint_id,
      eventId: query.event_id,
      status: query.status,
      startingAfter: query.starting_after,
    },
    query.limit + 1,
  )
  const page = rows.slice(0, query.limit)
  const attempts = await attemptsFor(
    deps.db,
    page.map((d) => d.id),
    ATTEMPTS_SHOWN,
  )
  return {
    object: 'list' as const,
    data: page.map((d) => serializeDelivery(d, attempts.get(d.id) ?? [])),
    has_more: rows.length > query.limit,
  }
}

export async function getDelivery(deps: Deps, principal: Principal, id: string) {
  const delivery = await findDelivery(deps.db, endpointScope(principal), id)
  if (!delivery) throw new NotFoundError('webhook delivery')
  const attempts = await attemptsFor(deps.db, [id], ATTEMPTS_SHOWN)
  return serializeDelivery(delivery, attempts.get(id) ?? [])
}

/** Manual resend: the delivery becomes due now with a fresh retry window, whatever its status. */
export async function retryDelivery(
  deps: Deps,
  runtime: WebhookRuntime,
  principal: Principal,
  id: string,
) {
  const scope = endpointScope(principal)
  const delivery = await deps.db.transaction().execute(async (trx) => {
    const found = await findDelivery(trx, scope, id, true)
    if (!found) throw new NotFoundError('webhook delivery')
    const endpoint = await findEndpoint(
      trx,
      { merchantId: principal.merchantId, environment: undefined },
      found.endpointId,
    )
    if (!endpoint) throw new NotFoundError('webhook delivery')
    if (endpoint.status !== 'enabled')
      throw new AppError(
        'WEBHOOK_ENDPOINT_DISABLED',
        'Enable the endpoint before retrying its deliveries',
      )
    // a worker holds it right now: its attempt lands shortly; a second send would double-deliver
    if (
      found.leaseId !== null &&
      found.nextAttemptAt !== null &&
      found.nextAttemptAt > deps.clock.now()
    )
      return found
    return scheduleNow(trx, id, deps.clock.now())
  })
  runtime.kick()
  const attempts = await attemptsFor(deps.db, [id], ATTEMPTS_SHOWN)
  return serializeDelivery(delivery, attempts.get(id) ?? [])
}
