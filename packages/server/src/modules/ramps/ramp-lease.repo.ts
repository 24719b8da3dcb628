import type { Selectable } from 'kysely'
import type { Executor } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'

/** Worker tables with the lease columns: `status`, `next_attempt_at`, `attempts`. */
type LeasedTable = 'ramp_chain_send' | 'ramp_payout'

/**
 * Claims due rows in `statuses` for a lease: `next_attempt_at` moves past the lease so a crashed
 * worker's claim comes back by itself, and `attempts` counts each try. SKIP LOCKED: workers share
 * the table and never wait on each other.
 */
export async function claimDueRows<T extends LeasedTable>(
  db: Executor,
  table: T,
  statuses: readonly DB[T]['status'][],
  now: Date,
  limit: number,
  leaseMs: number,
): Promise<Selectable<DB[T]>[]> {
  // one statement for both tables; the rows come back as the table the caller named
  const from: LeasedTable = table
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom(from)
      .select('id')
      .where('status', 'in', statuses)
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute()
    if (rows.length === 0) return []
    const updated = await trx
      .updateTable(from)
      .set((eb) => ({ next_attempt_at: new Date(now.getTime() + leaseMs), attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', rows.map((r) => r.id))
      .returningAll()
      .execute()
    return updated as Selectable<DB[T]>[]
  })
}
