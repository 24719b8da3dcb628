import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Clock } from '@pepay/core'
import type { Kysely } from 'kysely'
import type { DB } from '../../../db/schema.ts'
import { WebhookSignatureError, type KycDecision, type KycProvider, type KycProviderEvent } from '../kyc-provider.ts'
import {
  claimDueSandboxWebhooks,
  enqueueSandboxWebhook,
  findSandboxSession,
  lockSandboxSession,
  markSandboxWebhook,
  updateSandboxSession,
  upsertSandboxSession,
  type SandboxKycSession,
} from './sandbox-kyc.repo.ts'

export const SANDBOX_KYC_PROVIDER_ID = 'kyc:sandbox'
export const SANDBOX_KYC_SIGNATURE_HEADER = 'x-sandbox-kyc-signature'
/** Signed timestamps older or newer than this are refused (replay window). */
export const SANDBOX_KYC_TOLERANCE_MS = 5 * 60_000
const DELIVERY_TIMEOUT_MS = 5_000
const MAX_DELIVERY_ATTEMPTS = 20

/**
 * Deterministic test identities: the document number typed on the hosted page decides the outcome.
 * Anything else is approved.
 */
export const SANDBOX_KYC_IDENTITIES = {
  '000000001': { decision: 'rejected', reason: 'document_invalid' },
  '000000002': { decision: 'needs_review', reason: 'manual_review_required' },
  '000000003': { decision: 'needs_review_then_approved', reason: 'manual_review_passed' },
} as const satisfies Record<string, { decision: string; reason: string }>

type Outcome = { decision: KycDecision | 'needs_review_then_approved'; reason: string | null }

export function sandboxOutcome(documentNumber: string): Outcome {
  const known = (SANDBOX_KYC_IDENTITIES as Record<string, Outcome>)[documentNumber.trim()]
  return known ?? { decision: 'approved', reason: null }
}

// Vendor payload → our event (the sandbox's "mapping"); an unknown type stays `unknown`, never guessed.
function mapPayload(payload: { id?: unknown; type?: unknown; data?: { reference?: unknown; reason?: unknown }; created?: unknown }): KycProviderEvent {
  const eventId = typeof payload.id === 'string' ? payload.id : null
  const type = typeof payload.type === 'string' ? payload.type : null
  const ref = typeof payload.data?.reference === 'string' ? payload.data.reference : null
  const at = new Date(typeof payload.created === 'number' ? payload.created : 0)
  const reason = typeof payload.data?.reason === 'string' ? payload.data.reason : null
  if (eventId === null || ref === null) return { type: 'unknown', eventId, providerType: type }
  switch (type) {
    case 'verification.submitted':
      return { type: 'kyc.submitted', eventId, providerRef: ref, occurredAt: at }
    case 'verification.approved':
      return { type: 'kyc.decided', eventId, providerRef: ref, decision: 'approved', reason, occurredAt: at }
    case 'verification.rejected':
      return { type: 'kyc.decided', eventId, providerRef: ref, decision: 'rejected', reason, occurredAt: at }
    case 'verification.needs_review':
      return { type: 'kyc.decided', eventId, providerRef: ref, decision: 'needs_review', reason, occurredAt: at }
    default:
      return { type: 'unknown', eventId, providerType: type }
  }
}

export function signSandboxPayload(secret: Uint8Array, body: string, timestampMs: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampMs}.${body}`).digest('hex')
  return `t=${timestampMs},v1=${mac}`
}

export interface SandboxKycProvider extends KycProvider {
  /** The hosted page's form submission: records the document and schedules the decision webhooks. */
  submit(providerRef: string, documentNumber: string): Promise<'submitted' | 'already_submitted' | 'not_found'>
  findSession(providerRef: string): Promise<SandboxKycSession | undefined>
  /** Sends due webhooks to the platform's inbound route; returns how many were delivered. */
  deliverDueWebhooks(limit?: number): Promise<number>
}

export function createSandboxKycProvider(options: {
  db: Kysely<DB>
  clock: Clock
  secret: Uint8Array
  publicBase: () => string
  reviewDelaySeconds: number
  webhookPath: string
}): SandboxKycProvider {
  const { db, clock, secret } = options
  const delayMs = options.reviewDelaySeconds * 1000

  return {
    id: SANDBOX_KYC_PROVIDER_ID,

    async startVerification(req) {
      const session = await upsertSandboxSession(db, {
        providerRef: `kyc_sbx_${randomUUID().replaceAll('-', '')}`,
        verificationId: req.verificationId,
        level: req.level,
        now: clock.now(),
      })
      return { providerRef: session.providerRef, hostedUrl: `${options.publicBase()}/ramps/sandbox/kyc/${session.providerRef}` }
    },

    async getStatus(providerRef) {
      const session = await findSandboxSession(db, providerRef)
      if (!session) throw new Error(`sandbox KYC session ${providerRef} not found`)
      if (session.status === 'created' || session.decideAt === null) return { status: 'created', reason: null }
      const now = clock.now().getTime()
      if (now < session.decideAt.getTime()) return { status: 'submitted', reason: null }
      const outcome = sandboxOutcome(session.documentNumber ?? '')
      if (outcome.decision === 'needs_review_then_approved') {
        return now < session.decideAt.getTime() + delayMs ? { status: 'needs_review', reason: 'manual_review_required' } : { status: 'approved', reason: outcome.reason }
      }
      return { status: outcome.decision, reason: outcome.reason }
    },

    parseWebhook(raw, headers) {
      const header = headers[SANDBOX_KYC_SIGNATURE_HEADER] ?? ''
      const match = /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(header)
      if (!match?.[1] || !match[2]) throw new WebhookSignatureError('missing or malformed signature header')
      const timestampMs = Number(match[1])
      if (Math.abs(clock.now().getTime() - timestampMs) > SANDBOX_KYC_TOLERANCE_MS) throw new WebhookSignatureError('signature timestamp outside the tolerance')
      const expected = createHmac('sha256', secret).update(`${timestampMs}.`).update(raw).digest()
      const given = Buffer.from(match[2], 'hex')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookSignatureError('signature does not match')
      let payload: unknown
      try {
        payload = JSON.parse(Buffer.from(raw).toString('utf8'))
      } catch {
        return { type: 'unknown', eventId: null, providerType: null }
      }
      return mapPayload(payload as Parameters<typeof mapPayload>[0])
    },

    async submit(providerRef, documentNumber) {
      return db.transaction().execute(async (trx) => {
        const session = await lockSandboxSession(trx, providerRef)
        if (!session) return 'not_found' as const
        if (session.status !== 'created') return 'already_submitted' as const
        const now = clock.now()
        const decideAt = new Date(now.getTime() + delayMs)
        const outcome = sandboxOutcome(documentNumber)
        const final: SandboxKycSession['status'] = outcome.decision === 'needs_review_then_approved' ? 'approved' : outcome.decision
        await updateSandboxSession(trx, providerRef, { status: final, document_number: documentNumber.trim(), reason: outcome.reason, submitted_at: now, decide_at: decideAt })
        const event = (type: string, reason: string | null, at: Date) =>
          enqueueSandboxWebhook(trx, {
            providerRef,
            eventType: type,
            payload: { id: `evt_sbx_${randomUUID().replaceAll('-', '')}`, type, created: at.getTime(), data: { reference: providerRef, reason } },
            dueAt: at,
            now,
          })
        await event('verification.submitted', null, now)
        if (outcome.decision === 'needs_review_then_approved') {
          await event('verification.needs_review', 'manual_review_required', decideAt)
          await event('verification.approved', outcome.reason, new Date(decideAt.getTime() + delayMs))
        } else {
          await event(`verification.${outcome.decision}`, outcome.reason, decideAt)
        }
        return 'submitted' as const
      })
    },

    findSession: (providerRef) => findSandboxSession(db, providerRef),

    async deliverDueWebhooks(limit = 50) {
      const now = clock.now()
      const due = await claimDueSandboxWebhooks(db, now, limit, 60_000)
      let delivered = 0
      for (const item of due) {
        const body = JSON.stringify(item.payload)
        const timestampMs = clock.now().getTime()
        let ok = false
        try {
          const response = await fetch(`${options.publicBase()}${options.webhookPath}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [SANDBOX_KYC_SIGNATURE_HEADER]: signSandboxPayload(secret, body, timestampMs) },
            body,
            signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
          })
          ok = response.ok
          await response.body?.cancel()
        } catch {
          ok = false
        }
        if (ok || item.attempts >= MAX_DELIVERY_ATTEMPTS) {
          await markSandboxWebhook(db, item.id, { delivered: true })
          if (ok) delivered += 1
        } else {
          const backoffMs = Math.min(3600_000, 1000 * 2 ** Math.min(item.attempts, 12))
          await markSandboxWebhook(db, item.id, { delivered: false, retryAt: new Date(now.getTime() + backoffMs) })
        }
      }
      return delivered
    },
  }
}
