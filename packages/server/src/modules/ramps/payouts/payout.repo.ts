import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { claimDueRows } from '../ramp-lease.repo.ts'
import type { PayoutStatusColumn, RampPayoutTable } from '../ramps.table.ts'

export interface Payout {
  id: string
  offRampId: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  rail: string
  provider: string
  currency: string
  amountMinor: bigint
  status: PayoutStatusColumn
  providerRef: string | null
  failureCode: string | null
  attempts: number
  nextAttemptAt: Date
  deadlineAt: Date
  lastError: string | null
  createdAt: Date
  submittedAt: Date | null
  settledAt: Date | null
}

function toPayout(row: Selectable<RampPayoutTable>): Payout {
  return {
    id: row.id,
    offRampId: row.off_ramp_id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    rail: row.rail,
    provider: row.provider,
    currency: row.currency,
    amountMinor: BigInt(row.amount_minor),
    status: row.status,
    providerRef: row.provider_ref,
    failureCode: row.failure_code,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    deadlineAt: row.deadline_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    submittedAt: row.submitted_at,
    settledAt: row.settled_at,
  }
}

export async function insertPayout(db: Executor, p: Omit<Payout, 'attempts' | 'lastError' | 'submittedAt' | 'settledAt' | 'providerRef' | 'failureCode'>): Promise<Payout> {
  const row = await db
    .insertInto('ramp_payout')
    .values({
      id: p.id,
      off_ramp_id: p.offRampId,
      merchant_id: p.merchantId.toString(),
      environment: p.environment,
      rail: p.rail,
      provider: p.provider,
      currency: p.currency,
      amount_minor: p.amountMinor.toString(),
      status: p.status,
      next_attempt_at: p.nextAttemptAt,
      deadline_at: p.deadlineAt,
      created_at: p.createdAt,
      updated_at: p.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toPayout(row)
}

export async function findPayoutForOffRamp(db: Executor, offRampId: string): Promise<Payout | undefined> {
  const row = await db.selectFrom('ramp_payout').selectAll().where('off_ramp_id', '=', offRampId).executeTakeFirst()
  return row ? toPayout(row) : undefined
}

/** `findPayoutForOffRamp` for many off-ramps in one query (list pages). */
export async function findPayoutsForOffRamps(db: Executor, offRampIds: string[]): Promise<Map<string, Payout>> {
  if (offRampIds.length === 0) return new Map()
  const rows = await db.selectFrom('ramp_payout').selectAll().where('off_ramp_id', 'in', offRampIds).execute()
  return new Map(rows.map((row) => [row.off_ramp_id, toPayout(row)]))
}

export async function lockPayout(db: Executor, id: string): Promise<Payout | undefined> {
  const row = await db.selectFrom('ramp_payout').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toPayout(row) : undefined
}

/** Claims due payouts in `statuses` for a lease (see claimDueRows). */
export async function claimDuePayouts(db: Executor, statuses: PayoutStatusColumn[], now: Date, limit: number, leaseMs: number): Promise<Payout[]> {
  return (await claimDueRows(db, 'ramp_payout', statuses, now, limit, leaseMs)).map(toPayout)
}

export async function updatePayout(
  db: Executor,
  id: string,
  patch: Partial<{ status: PayoutStatusColumn; provider_ref: string | null; failure_code: string | null; next_attempt_at: Date; last_error: string | null; submitted_at: Date; settled_at: Date }>,
  now: Date,
): Promise<Payout> {
  const row = await db.updateTable('ramp_payout').set({ ...patch, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return toPayout(row)
}
