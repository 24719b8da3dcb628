import { AppError, ID_PREFIX, randomToken, uuidv7 } from '@pepay/core'
import type {
  CreateWebhookEndpointBody,
  Environment,
  UpdateWebhookEndpointBody,
} from '@pepay/contracts'
import type { Deps, RequestContext } from '../../deps.ts'
import type { Principal } from '../../http/auth.ts'
import { fieldError, NotFoundError } from '../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../http/idempotency.ts'
import { appendEvent } from '../events/event.repo.ts'
import { findMerchant } from '../merchants/merchant.repo.ts'
import { SEALED_PREFIX } from '../platform/sealer.ts'
import {
  checkWebhookUrl,
  isStrict,
  resolveDestination,
  type Resolver,
} from './webhook-destination.service.ts'
import {
  cancelDeliveries,
  countEndpoints,
  findEndpoint,
  insertDelivery,
  insertEndpoint,
  pauseDeliveries,
  resumeDeliveries,
  updateEndpoint,
  type EndpointScope,
  type WebhookEndpointRecord,
} from './webhook.repo.ts'
import { serializeEndpoint, serializeEndpointWithSecret } from './webhook.serialize.ts'

export const MAX_ENDPOINTS_PER_MERCHANT = 20
/** After a rotation the previous secret keeps signing (X-Pepay-Signature-Previous) for a day. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3600 * 1000

export interface WebhookRuntime {
  resolve: Resolver
  /** Wakes this process's delivery worker (a new delivery is due now). */
  kick: () => void
}

/** An API key manages the endpoints of its environment; a dashboard token manages all of them. */
export function endpointScope(principal: Principal): EndpointScope {
  return {
    merchantId: principal.merchantId,
    environment: principal.kind === 'bearer' ? undefined : principal.environment,
  }
}

function newSecret(): string {
  return `${ID_PREFIX.webhookSecret}${randomToken(24)}`
}

function resolveEnvironment(
  principal: Principal,
  requested: Environment | null | undefined,
): Environment | null {
  if (principal.kind !== 'bearer') {
    if (requested === undefined || requested === principal.environment) return principal.environment
    throw fieldError(
      'environment',
      `an API key manages ${principal.environment} endpoints only; use a dashboard token for ${requested ?? 'both environments'}`,
    )
  }
  return requested === undefined ? null : requested
}

/** URL rules for the endpoint's environment, including DNS: a mainnet host may not resolve to a private address. */
async function checkUrl(
  runtime: WebhookRuntime,
  url: string,
  environment: Environment | null,
): Promise<string> {
  const strict = isStrict(environment)
  const check = checkWebhookUrl(url, strict)
  if (!check.ok) throw fieldError('url', check.message)
  if (strict) {
    const destination = await resolveDestination(check.url, true, runtime.resolve)
    // an unresolvable host is accepted (DNS may come later) and checked again at every send
    if (!destination.ok && destination.reason === 'blocked')
      throw fieldError('url', destination.message)
  }
  return check.url.toString()
}

async function requireMainnetAccess(
  deps: Deps,
  merchantId: bigint,
  environment: Environment | null,
): Promise<void> {
  if (environment !== 'mainnet') return
  const merchant = await findMerchant(deps.db, merchantId)
  if (!merchant?.hasMainnetAccess)
    throw new AppError('MAINNET_ACCESS_REQUIRED', 'Mainnet access is not enabled for this merchant')
}

export async function createEndpoint(
  deps: Deps,
  runtime: WebhookRuntime,
  principal: Principal,
  body: CreateWebhookEndpointBody,
  claim: IdempotencyClaim | undefined,
) {
  const environment = resolveEnvironment(principal, body.environment)
  await requireMainnetAccess(deps, principal.merchantId, environment)
  const url = await checkUrl(runtime, body.url, environment)
  const now = deps.clock.now()
  return deps.db.transaction().execute(async (trx) => {
    if ((await countEndpoints(trx, principal.merchantId)) >= MAX_ENDPOINTS_PER_MERCHANT) {
      throw new AppError(
        'WEBHOOK_ENDPOINT_LIMIT',
        `At most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints per merchant`,
      )
    }
    const id = `${ID_PREFIX.webhookEndpoint}${uuidv7(now.getTime()).replaceAll('-', '')}`
    const secret = newSecret()
    const endpoint = await insertEndpoint(trx, {
      id,
      merchantId: principal.merchantId,
      url,
      description: body.description ?? null,
      enabledEvents: [...new Set(body.enabled_events)],
      environment,
      secret: deps.sealer.seal(secret, id),
      now,
    })
    const response = { success: true as const, data: serializeEndpointWithSecret(endpoint, secret, now) }
    await completeIdempotencyKey(trx, claim, 201, response)
    return response
  })
}

export async function getEndpoint(
  deps: Deps,
  principal: Principal,
  id: string,
): Promise<WebhookEndpointRecord> {
  const endpoint = await findEndpoint(deps.db, endpointScope(principal), id)
  if (!endpoint) throw new NotFoundError('webhook endpoint')
  return endpoint
}

export async function updateEndpointSettings(
  deps: Deps,
  runtime: WebhookRuntime,
  principal: Principal,
  id: string,
  body: UpdateWebhookEndpointBody,
) {
  if (Object.keys(body).length === 0) throw fieldError('body', 'name at least one field to change')
  const current = await getEndpoint(deps, principal, id)
  const environment =
    body.environment === undefined
      ? current.environment
      : resolveEnvironment(principal, body.environment)
  if (environment !== current.environment)
    await requireMainnetAccess(deps, principal.merchantId, environment)
  const url =
    body.url !== undefined || environment !== current.environment
      ? await checkUrl(runtime, body.url ?? current.url, environment)
      : current.url
  const updated = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const locked = await findEndpoint(trx, endpointScope(principal), id, true)
    if (!locked) throw new NotFoundError('webhook endpoint')
    const enabling = body.status === 'enabled' && locked.status === 'disabled'
    const disabling = body.status === 'disabled' && locked.status === 'enabled'
    const result = await updateEndpoint(trx, id, {
      url,
      environment,
      ...(body.enabled_events !== undefined && {
        enabled_events: [...new Set(body.enabled_events)],
      }),
      ...(body.description !== undefined && { description: body.description }),
      ...(body.status !== undefined && { status: body.status }),
      ...(enabling && { disabled_reason: null, failing_since: null }),
      ...(disabling && { disabled_reason: 'disabled by the merchant' }),
      updated_at: now,
    })
    if (enabling) await resumeDeliveries(trx, id, now)
    if (disabling) await pauseDeliveries(trx, id, now)
    return result
  })
  if (body.status === 'enabled') runtime.kick()
  return serializeEndpoint(updated, deps.clock.now())
}

export async function deleteEndpoint(deps: Deps, principal: Principal, id: string) {
  await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const endpoint = await findEndpoint(trx, endpointScope(principal), id, true)
    if (!endpoint) throw new NotFoundError('webhook endpoint')
    await updateEndpoint(trx, id, {
      deleted_at: now,
      status: 'disabled',
      disabled_reason: 'deleted',
      updated_at: now,
    })
    await cancelDeliveries(trx, id, now, 'endpoint deleted')
  })
  return { object: 'webhook_endpoint' as const, id, deleted: true as const }
}

export async function rotateSecret(deps: Deps, principal: Principal, id: string) {
  return deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const endpoint = await findEndpoint(trx, endpointScope(principal), id, true)
    if (!endpoint) throw new NotFoundError('webhook endpoint')
    const secret = newSecret()
    const rotated = await updateEndpoint(trx, id, {
      secret: deps.sealer.seal(secret, id),
      // still sealed for this endpoint (an unsealed legacy value gets sealed on the way)
      previous_secret: deps.sealer.seal(deps.sealer.open(endpoint.secret, id), id),
      previous_secret_expires_at: new Date(now.getTime() + PREVIOUS_SECRET_TTL_MS),
      updated_at: now,
    })
    return serializeEndpointWithSecret(rotated, secret, now)
  })
}

/**
 * Sends `test.ping` to one endpoint: a real event (so the body is the usual envelope) whose only
 * delivery is to the endpoint tested; the fan-out never sends test pings to other endpoints.
 */
export async function sendTestPing(
  deps: Deps,
  runtime: WebhookRuntime,
  principal: Principal,
  id: string,
  ctx: RequestContext,
) {
  const delivery = await deps.db.transaction().execute(async (trx) => {
    const now = deps.clock.now()
    const endpoint = await findEndpoint(trx, endpointScope(principal), id, true)
    if (!endpoint) throw new NotFoundError('webhook endpoint')
    if (endpoint.status !== 'enabled')
      throw new AppError('WEBHOOK_ENDPOINT_DISABLED', 'Enable the endpoint before sending a test')
    const event = await appendEvent(
      trx,
      {
        merchantId: principal.merchantId,
        environment: endpoint.environment ?? principal.environment,
        type: 'test.ping',
        object: { object: 'ping', status: 'ok', webhook_endpoint_id: endpoint.id },
        request: { id: ctx.requestId, idempotencyKey: ctx.idempotencyKey },
      },
      now,
    )
    return insertDelivery(trx, {
      endpointId: endpoint.id,
      merchantId: principal.merchantId,
      eventSeq: event.seq,
      eventId: event.id,
      eventType: 'test.ping',
      now,
    })
  })
  runtime.kick()
  return delivery
}

/**
 * Seals the signing secrets of endpoints stored before secrets were sealed (run at start; cheap
 * when there is nothing to do). A row changed meanwhile (a rotation) is left to its new values.
 */
export async function sealStoredSecrets(deps: Deps): Promise<number> {
  const rows = await deps.db
    .selectFrom('webhook_endpoint')
    .select(['id', 'secret', 'previous_secret'])
    .where((eb) =>
      eb.or([
        eb('secret', 'not like', `${SEALED_PREFIX}%`),
        eb.and([eb('previous_secret', 'is not', null), eb('previous_secret', 'not like', `${SEALED_PREFIX}%`)]),
      ]),
    )
    .execute()
  let sealed = 0
  for (const row of rows) {
    const result = await deps.db
      .updateTable('webhook_endpoint')
      .set({
        secret: deps.sealer.isSealed(row.secret) ? row.secret : deps.sealer.seal(row.secret, row.id),
        previous_secret:
          row.previous_secret === null || deps.sealer.isSealed(row.previous_secret)
            ? row.previous_secret
            : deps.sealer.seal(row.previous_secret, row.id),
      })
      .where('id', '=', row.id)
      .where('secret', '=', row.secret)
      .executeTakeFirst()
    sealed += Number(result.numUpdatedRows)
  }
  return sealed
}
