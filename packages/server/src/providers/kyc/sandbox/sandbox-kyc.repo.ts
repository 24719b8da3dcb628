import { randomUUID } from 'node:crypto'
import type { Executor } from '../../../db/database.ts'

export interface SandboxKycSession {
  providerRef: string
  verificationId: string
  level: string
  status: 'created' | 'submitted' | 'approved' | 'rejected' | 'needs_review'
  documentNumber: string | null
  reason: string | null
  createdAt: Date
  submittedAt: Date | null
  decideAt: Date | null
}

type Row = {
  provider_ref: string
  verification_id: string
  level: string
  status: SandboxKycSession['status']
  document_number: string | null
  reason: string | null
  created_at: Date
  submitted_at: Date | null
  decide_at: Date | null
}

function toSession(row: Row): SandboxKycSession {
  return {
    providerRef: row.provider_ref,
    verificationId: row.verification_id,
    level: row.level,
    status: row.status,
    documentNumber: row.document_number,
    reason: row.reason,
    createdAt: row.created_at,
    submittedAt: row.submitted_at,
    decideAt: row.decide_at,
  }
}

/** Inserts the session unless one exists for the verification; returns the stored one either way. */
export async function upsertSandboxSession(db: Executor, input: { providerRef: string; verificationId: string; level: string; now: Date }): Promise<SandboxKycSession> {
  await db
    .insertInto('ramp_sandbox_kyc')
    .values({ provider_ref: input.providerRef, verification_id: input.verificationId, level: input.level, status: 'created', created_at: input.now })
    .onConflict((oc) => oc.column('verification_id').doNothing())
    .execute()
  const row = await db.selectFrom('ramp_sandbox_kyc').selectAll().where('verification_id', '=', input.verificationId).executeTakeFirstOrThrow()
  return toSession(row)
}

export async function findSandboxSession(db: Executor, providerRef: string): Promise<SandboxKycSession | undefined> {
  const row = await db.selectFrom('ramp_sandbox_kyc').selectAll().where('provider_ref', '=', providerRef).executeTakeFirst()
  return row ? toSession(row) : undefined
}

export async function lockSandboxSession(db: Executor, providerRef: string): Promise<SandboxKycSession | undefined> {
  const row = await db.selectFrom('ramp_sandbox_kyc').selectAll().where('provider_ref', '=', providerRef).forUpdate().executeTakeFirst()
  return row ? toSession(row) : undefined
}

export async function updateSandboxSession(
  db: Executor,
  providerRef: string,
  patch: { status: SandboxKycSession['status']; document_number?: string; reason?: string | null; submitted_at?: Date; decide_at?: Date | null },
): Promise<void> {
  await db.updateTable('ramp_sandbox_kyc').set(patch).where('provider_ref', '=', providerRef).execute()
}

export async function enqueueSandboxWebhook(
  db: Executor,
  input: { providerRef: string; eventType: string; payload: Record<string, unknown>; dueAt: Date; now: Date },
): Promise<void> {
  await db
    .insertInto('ramp_sandbox_kyc_outbox')
    .values({
      id: randomUUID(),
      provider_ref: input.providerRef,
      event_type: input.eventType,
      payload: JSON.stringify(input.payload),
      status: 'pending',
      next_attempt_at: input.dueAt,
      created_at: input.now,
    })
    .execute()
}

export interface OutboxItem {
  id: string
  providerRef: string
  eventType: string
  payload: Record<string, unknown>
  attempts: number
}

/** Claims due deliveries for `leaseMs` so a crashed sender's items come back. */
export async function claimDueSandboxWebhooks(db: Executor, now: Date, limit: number, leaseMs: number): Promise<OutboxItem[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('ramp_sandbox_kyc_outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute()
    if (rows.length === 0) return []
    await trx
      .updateTable('ramp_sandbox_kyc_outbox')
      .set((eb) => ({ next_attempt_at: new Date(now.getTime() + leaseMs), attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', rows.map((r) => r.id))
      .execute()
    return rows.map((r) => ({ id: r.id, providerRef: r.provider_ref, eventType: r.event_type, payload: r.payload, attempts: r.attempts + 1 }))
  })
}

export async function markSandboxWebhook(db: Executor, id: string, outcome: { delivered: true } | { delivered: false; retryAt: Date }): Promise<void> {
  if (outcome.delivered) {
    await db.updateTable('ramp_sandbox_kyc_outbox').set({ status: 'delivered' }).where('id', '=', id).execute()
  } else {
    await db.updateTable('ramp_sandbox_kyc_outbox').set({ next_attempt_at: outcome.retryAt }).where('id', '=', id).execute()
  }
}
