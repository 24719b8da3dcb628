import { randomUUID } from 'node:crypto'
import { uuidv7 } from '@pepay/core'
import type { Executor } from '../../../db/database.ts'
import type { RequestContext } from '../../../deps.ts'
import { NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { WebhookSignatureError } from '../../../providers/kyc/kyc-provider.ts'
import { appendEvent } from '../../events/event.repo.ts'
import type { KycLevel } from '../countries/country.ts'
import { lockCustomer, updateCustomerKyc } from '../customers/customer.repo.ts'
import { serializeCustomer, customerDisplayName } from '../customers/customer.serialize.ts'
import { assertCustomerActive, getCustomer, type Scope } from '../customers/customer.service.ts'
import type { IdPage } from '../ramp-page.repo.ts'
import { rampEvent } from '../ramps.events.ts'
import { withTimeout, type RampRuntime } from '../ramp-runtime.ts'
import {
  claimExpiringVerifications,
  claimInboxItems,
  findStalePending,
  finishInboxItem,
  findVerification,
  insertInboxItem,
  insertVerification,
  listCustomerVerifications,
  lockVerification,
  lockVerificationByRef,
  updateVerification,
  type KycVerification,
} from './kyc.repo.ts'
import { serializeVerification } from './kyc.serialize.ts'
import { customerKyc, nextKycStatus, type KycInput } from './kyc.state.ts'

const MAX_INBOX_ATTEMPTS = 10
const lastStalePoll = new WeakMap<RampRuntime, number>()

/** Opens a hosted verification with the KYC provider for a customer at a level. */
export async function createVerification(rt: RampRuntime, scope: Scope, customerId: string, level: KycLevel, ctx: RequestContext, claim: IdempotencyClaim | undefined) {
  const customer = await getCustomer(rt, scope, customerId)
  assertCustomerActive(customer)
  const now = rt.deps.clock.now()
  const id = uuidv7(now.getTime())
  // the provider is idempotent by our id: a retry after a lost answer reuses the same session
  const session = await withTimeout('KYC provider', rt.settings.providerTimeoutMs, () =>
    rt.kyc.startVerification({
      verificationId: id,
      level,
      subject: { type: customer.type, name: customerDisplayName(customer), country: customer.country, email: customer.email },
    }),
  )
  const result = await rt.deps.db.transaction().execute(async (trx) => {
    const verification = await insertVerification(trx, {
      id,
      customerId,
      merchantId: scope.merchantId,
      environment: scope.environment,
      level,
      status: 'not_started',
      provider: rt.kyc.id,
      providerRef: session.providerRef,
      hostedUrl: session.hostedUrl,
      reason: null,
      linkExpiresAt: new Date(now.getTime() + rt.settings.kycLinkTtlSeconds * 1000),
      approvedUntil: null,
      createdAt: now,
      updatedAt: now,
      decidedAt: null,
    })
    await refreshCustomerKyc(rt, trx, customerId, now, ctx)
    const wire = serializeVerification(verification)
    await appendEvent(trx, rampEvent({ type: 'ramp.kyc.updated', merchantId: scope.merchantId, environment: scope.environment, customerId, object: wire, ctx }), now)
    await completeIdempotencyKey(trx, claim, 201, wire)
    return wire
  })
  return result
}

export async function getVerification(rt: RampRuntime, scope: Scope, id: string): Promise<KycVerification> {
  const verification = await findVerification(rt.deps.db, scope, id)
  if (!verification) throw new NotFoundError('KYC verification')
  return verification
}

export async function listVerifications(rt: RampRuntime, scope: Scope, customerId: string, page: IdPage) {
  await getCustomer(rt, scope, customerId)
  return listCustomerVerifications(rt.deps.db, customerId, page)
}

/**
 * Recomputes the customer's KYC summary from their verifications and emits ramp.customer.updated
 * when it changed. Runs in the caller's transaction, under the customer's row lock.
 */
async function refreshCustomerKyc(rt: RampRuntime, trx: Executor, customerId: string, now: Date, ctx: RequestContext | undefined): Promise<void> {
  const customer = await lockCustomer(trx, customerId)
  if (!customer) return
  const { verifications } = await listCustomerVerifications(trx, customerId)
  const summary = customerKyc(verifications, now)
  if (summary.status === customer.kycStatus && summary.level === customer.kycLevel && summary.approvedUntil?.getTime() === customer.kycApprovedUntil?.getTime()) return
  const updated = await updateCustomerKyc(trx, customerId, { kycStatus: summary.status, kycLevel: summary.level, kycApprovedUntil: summary.approvedUntil, now })
  await appendEvent(
    trx,
    rampEvent({ type: 'ramp.customer.updated', merchantId: updated.merchantId, environment: updated.environment, customerId, object: serializeCustomer(updated), before: serializeCustomer(customer), ctx }),
    now,
  )
}

/** Applies one lifecycle input to a locked verification, with its events, in the caller's transaction. */
async function applyKycInput(rt: RampRuntime, trx: Executor, verification: KycVerification, input: KycInput, reason: string | null, now: Date): Promise<'moved' | 'ignored' | 'invalid'> {
  const transition = nextKycStatus(verification.status, input)
  if (transition.kind === 'ignore') return 'ignored'
  if (transition.kind === 'invalid') {
    rt.deps.log.warn({ verificationId: verification.id, status: verification.status, input }, 'KYC event would reverse a final decision; not applied')
    return 'invalid'
  }
  const next = transition.next
  const isDecision = next === 'approved' || next === 'rejected' || next === 'needs_review'
  const updated = await updateVerification(trx, verification.id, {
    status: next,
    now,
    ...(isDecision && { reason, decidedAt: now }),
    ...(next === 'approved' && { approvedUntil: new Date(now.getTime() + rt.settings.kycApprovalDays * 86_400_000) }),
  })
  await appendEvent(
    trx,
    rampEvent({
      type: 'ramp.kyc.updated',
      merchantId: updated.merchantId,
      environment: updated.environment,
      customerId: updated.customerId,
      object: serializeVerification(updated),
      before: serializeVerification(verification),
    }),
    now,
  )
  await refreshCustomerKyc(rt, trx, updated.customerId, now, undefined)
  return 'moved'
}

/** The inbound webhook route's only job: keep the raw request. Parsing and effects happen in processKycInbox. */
export async function receiveProviderWebhook(rt: RampRuntime, provider: string, headers: Record<string, string>, rawBody: Uint8Array): Promise<string> {
  const id = randomUUID()
  await insertInboxItem(rt.deps.db, { id, provider, headers, rawBody, now: rt.deps.clock.now() })
  return id
}

/**
 * Processes received provider webhooks: verify (inside the provider), map, apply. A forged or stale
 * signature is `rejected` and kept for inspection; a failure is retried with backoff, bounded.
 */
export async function processKycInbox(rt: RampRuntime, limit = 50): Promise<number> {
  let processed = 0
  const now = rt.deps.clock.now()
  const items = await rt.deps.db.transaction().execute(async (trx) => {
    const claimed = await claimInboxItems(trx, now, limit)
    const work: typeof claimed = []
    for (const item of claimed) {
      if (item.provider !== rt.kyc.id) {
        await finishInboxItem(trx, item.id, { status: 'rejected', error: `no provider ${item.provider}`, now })
        continue
      }
      work.push(item)
    }
    return work
  })
  for (const item of items) {
    try {
      await rt.deps.db.transaction().execute(async (trx) => {
        let event
        try {
          event = rt.kyc.parseWebhook(item.rawBody, item.headers)
        } catch (error) {
          if (!(error instanceof WebhookSignatureError)) throw error
          await finishInboxItem(trx, item.id, { status: 'rejected', error: error.message, now })
          return
        }
        if (event.type === 'unknown') {
          await finishInboxItem(trx, item.id, { status: 'processed', error: `unknown event type ${event.providerType ?? '?'}`, now })
          return
        }
        const verification = await lockVerificationByRef(trx, rt.kyc.id, event.providerRef)
        if (!verification) {
          await finishInboxItem(trx, item.id, { status: 'rejected', error: 'unknown verification reference', now })
          return
        }
        const input: KycInput = event.type === 'kyc.submitted' ? 'submitted' : event.decision
        const outcome = await applyKycInput(rt, trx, verification, input, event.type === 'kyc.decided' ? event.reason : null, now)
        await finishInboxItem(trx, item.id, { status: 'processed', error: outcome === 'invalid' ? 'event would reverse a final decision' : null, now })
      })
      processed += 1
    } catch (error) {
      const attempts = item.attempts + 1
      const message = error instanceof Error ? error.message : String(error)
      rt.deps.log.error({ err: error, inboxId: item.id }, 'KYC webhook processing failed')
      await finishInboxItem(
        rt.deps.db,
        item.id,
        attempts >= MAX_INBOX_ATTEMPTS
          ? { status: 'failed', error: message, now }
          : { status: 'retry', error: message, retryAt: new Date(now.getTime() + 1000 * 2 ** attempts) },
      )
    }
  }
  return processed
}

/** Expires unused links and lapsed approvals; asks the provider about verifications left without news. */
export async function reconcileKyc(rt: RampRuntime, limit = 100): Promise<number> {
  const now = rt.deps.clock.now()
  const expired = await rt.deps.db.transaction().execute(async (trx) => {
    const due = await claimExpiringVerifications(trx, now, limit)
    for (const v of due) await applyKycInput(rt, trx, v, 'expire', null, now)
    return due.length
  })
  // a webhook can be lost: after an hour without news, the provider's own state is authoritative
  // (asked at most once a minute per process, not on every tick)
  const last = lastStalePoll.get(rt) ?? Number.NEGATIVE_INFINITY
  const stale = now.getTime() - last >= 60_000 ? await findStalePending(rt.deps.db, new Date(now.getTime() - 3600_000), limit) : []
  if (stale.length > 0 || now.getTime() - last >= 60_000) lastStalePoll.set(rt, now.getTime())
  let moved = 0
  for (const v of stale) {
    let status
    try {
      status = await withTimeout('KYC provider', rt.settings.providerTimeoutMs, () => rt.kyc.getStatus(v.providerRef))
    } catch (error) {
      rt.deps.log.warn({ err: error, verificationId: v.id }, 'KYC status poll failed')
      continue
    }
    if (status.status === 'created') continue
    const input: KycInput = status.status
    const changed = await rt.deps.db.transaction().execute(async (trx) => {
      const locked = await lockVerification(trx, v.id)
      if (!locked) return false
      let outcome = 'ignored'
      if (input !== 'submitted' && locked.status === 'not_started') outcome = await applyKycInput(rt, trx, locked, 'submitted', null, now)
      outcome = (await applyKycInput(rt, trx, (await lockVerification(trx, v.id)) ?? locked, input, status.reason, now)) === 'moved' ? 'moved' : outcome
      return outcome === 'moved'
    })
    if (changed) moved += 1
  }
  return expired + moved
}
