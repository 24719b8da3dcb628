import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { pageById, type IdPage } from '../ramp-page.repo.ts'
import type { KycLevelColumn, KycStatusColumn, RampKycVerificationTable } from '../ramps.table.ts'

export interface KycVerification {
  id: string
  customerId: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  level: KycLevelColumn
  status: KycStatusColumn
  provider: string
  providerRef: string
  hostedUrl: string
  reason: string | null
  linkExpiresAt: Date
  approvedUntil: Date | null
  createdAt: Date
  updatedAt: Date
  decidedAt: Date | null
}

type Row = Selectable<RampKycVerificationTable>

function toVerification(row: Row): KycVerification {
  return {
    id: row.id,
    customerId: row.customer_id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    level: row.level,
    status: row.status,
    provider: row.provider,
    providerRef: row.provider_ref,
    hostedUrl: row.hosted_url,
    reason: row.reason,
    linkExpiresAt: row.link_expires_at,
    approvedUntil: row.approved_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    decidedAt: row.decided_at,
  }
}

export async function insertVerification(db: Executor, v: KycVerification): Promise<KycVerification> {
  const row = await db
    .insertInto('ramp_kyc_verification')
    .values({
      id: v.id,
      customer_id: v.customerId,
      merchant_id: v.merchantId.toString(),
      environment: v.environment,
      level: v.level,
      status: v.status,
      provider: v.provider,
      provider_ref: v.providerRef,
      hosted_url: v.hostedUrl,
      reason: v.reason,
      link_expires_at: v.linkExpiresAt,
      approved_until: v.approvedUntil,
      created_at: v.createdAt,
      updated_at: v.updatedAt,
      decided_at: v.decidedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toVerification(row)
}

export async function findVerification(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, id: string): Promise<KycVerification | undefined> {
  const row = await db
    .selectFrom('ramp_kyc_verification')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .executeTakeFirst()
  return row ? toVerification(row) : undefined
}

export async function lockVerificationByRef(db: Executor, provider: string, providerRef: string): Promise<KycVerification | undefined> {
  const row = await db
    .selectFrom('ramp_kyc_verification')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_ref', '=', providerRef)
    .forUpdate()
    .executeTakeFirst()
  return row ? toVerification(row) : undefined
}

export async function lockVerification(db: Executor, id: string): Promise<KycVerification | undefined> {
  const row = await db.selectFrom('ramp_kyc_verification').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toVerification(row) : undefined
}

export async function updateVerification(
  db: Executor,
  id: string,
  patch: { status: KycStatusColumn; reason?: string | null; approvedUntil?: Date | null; decidedAt?: Date | null; now: Date },
): Promise<KycVerification> {
  const row = await db
    .updateTable('ramp_kyc_verification')
    .set({
      status: patch.status,
      updated_at: patch.now,
      ...(patch.reason !== undefined && { reason: patch.reason }),
      ...(patch.approvedUntil !== undefined && { approved_until: patch.approvedUntil }),
      ...(patch.decidedAt !== undefined && { decided_at: patch.decidedAt }),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toVerification(row)
}

export async function listCustomerVerifications(
  db: Executor,
  customerId: string,
  page?: IdPage,
): Promise<{ verifications: KycVerification[]; hasMore: boolean }> {
  const query = db.selectFrom('ramp_kyc_verification').selectAll().where('customer_id', '=', customerId)
  if (!page) {
    const rows = await query.orderBy('id', 'desc').limit(500).execute()
    return { verifications: rows.map(toVerification), hasMore: false }
  }
  const { rows, hasMore } = await pageById(query, page)
  return { verifications: rows.map(toVerification), hasMore }
}

/** Verifications whose clock ran out: unused links and lapsed approvals. */
export async function claimExpiringVerifications(db: Executor, now: Date, limit: number): Promise<KycVerification[]> {
  const rows = await db
    .selectFrom('ramp_kyc_verification')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'not_started'), eb('link_expires_at', '<=', now)]),
        eb.and([eb('status', '=', 'approved'), eb('approved_until', '<=', now)]),
      ]),
    )
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
  return rows.map(toVerification)
}

/** Pending verifications with no decision for a while: asked of the provider in case a webhook was lost. */
export async function findStalePending(db: Executor, before: Date, limit: number): Promise<KycVerification[]> {
  const rows = await db
    .selectFrom('ramp_kyc_verification')
    .selectAll()
    .where('status', 'in', ['pending', 'needs_review'])
    .where('updated_at', '<=', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute()
  return rows.map(toVerification)
}

// ---------- provider inbox ----------

export async function insertInboxItem(
  db: Executor,
  item: { id: string; provider: string; headers: Record<string, string>; rawBody: Uint8Array; now: Date },
): Promise<void> {
  await db
    .insertInto('ramp_provider_inbox')
    .values({
      id: item.id,
      provider: item.provider,
      received_at: item.now,
      headers: JSON.stringify(item.headers),
      raw_body: item.rawBody,
      status: 'received',
      next_attempt_at: item.now,
    })
    .execute()
}

export interface InboxItem {
  id: string
  provider: string
  headers: Record<string, string>
  rawBody: Uint8Array
  attempts: number
}

/** Claims due inbox items in the caller's transaction (SKIP LOCKED: many workers share the inbox). */
export async function claimInboxItems(db: Executor, now: Date, limit: number): Promise<InboxItem[]> {
  const rows = await db
    .selectFrom('ramp_provider_inbox')
    .selectAll()
    .where('status', '=', 'received')
    .where('next_attempt_at', '<=', now)
    .orderBy('received_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()
  if (rows.length > 0) {
    // a lease: another worker skips these until this one has finished or died
    await db.updateTable('ramp_provider_inbox').set({ next_attempt_at: new Date(now.getTime() + 60_000) }).where('id', 'in', rows.map((r) => r.id)).execute()
  }
  return rows.map((r) => ({ id: r.id, provider: r.provider, headers: r.headers, rawBody: r.raw_body, attempts: r.attempts }))
}

export async function finishInboxItem(
  db: Executor,
  id: string,
  outcome: { status: 'processed' | 'rejected' | 'failed'; error?: string | null; now: Date } | { status: 'retry'; error: string; retryAt: Date },
): Promise<void> {
  if (outcome.status === 'retry') {
    await db
      .updateTable('ramp_provider_inbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), next_attempt_at: outcome.retryAt, error: outcome.error }))
      .where('id', '=', id)
      .execute()
    return
  }
  await db
    .updateTable('ramp_provider_inbox')
    .set((eb) => ({ status: outcome.status, attempts: eb('attempts', '+', 1), processed_at: outcome.now, error: outcome.error ?? null }))
    .where('id', '=', id)
    .execute()
}

export async function inboxCounts(db: Executor): Promise<Record<string, number>> {
  const rows = await db.selectFrom('ramp_provider_inbox').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute()
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))
}
