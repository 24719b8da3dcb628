import { sql } from 'kysely'
import type { Executor } from '../db/database.ts'
import type { Deps } from '../deps.ts'
import { runEvery, type Loop } from './loop.ts'

/** How often the tables are looked at: autovacuum's own default nap. */
export const EMBEDDED_VACUUM_INTERVAL_MS = 60_000

export interface TableMaintenance {
  table: string
  vacuumed: boolean
  analyzed: boolean
}

/**
 * The tables autovacuum would work on now, by its own rule and settings: a vacuum once the dead
 * rows pass `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × rows`, or the rows
 * inserted since the last one pass the insert threshold (which keeps the visibility map, and so
 * index-only scans, current), or the table's oldest unfrozen transaction id is older than
 * `autovacuum_freeze_max_age` (wraparound); an analyze once the rows changed since the last one
 * pass `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × rows`.
 */
const dueTables = sql<{ table: string; vacuum: boolean; analyze: boolean }>`
  SELECT s.relname AS "table", v.vacuum, v.analyze
  FROM pg_stat_user_tables s
  JOIN pg_class c ON c.oid = s.relid
  CROSS JOIN LATERAL (SELECT greatest(c.reltuples, 0) AS rows) r
  CROSS JOIN LATERAL (
    SELECT
      s.n_dead_tup > current_setting('autovacuum_vacuum_threshold')::float8 + current_setting('autovacuum_vacuum_scale_factor')::float8 * r.rows
        OR s.n_ins_since_vacuum > current_setting('autovacuum_vacuum_insert_threshold')::float8 + current_setting('autovacuum_vacuum_insert_scale_factor')::float8 * r.rows
        OR age(c.relfrozenxid) > current_setting('autovacuum_freeze_max_age')::float8 AS vacuum,
      s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float8 + current_setting('autovacuum_analyze_scale_factor')::float8 * r.rows AS analyze
  ) v
  WHERE s.schemaname = 'public' AND (v.vacuum OR v.analyze)
  ORDER BY s.relname`

/**
 * Vacuums and analyzes the tables that need it, one statement per table, so that the requests
 * waiting on the embedded database's single connection run between them.
 */
export async function maintainTables(db: Executor): Promise<TableMaintenance[]> {
  const due = await dueTables.execute(db)
  const done: TableMaintenance[] = []
  for (const { table, vacuum, analyze } of due.rows) {
    const command = vacuum && analyze ? 'VACUUM (ANALYZE)' : vacuum ? 'VACUUM' : 'ANALYZE'
    await sql`${sql.raw(command)} ${sql.table(table)}`.execute(db)
    done.push({ table, vacuumed: vacuum, analyzed: analyze })
  }
  return done
}

/**
 * PGlite runs Postgres as a single in-process backend, without the autovacuum daemon a server
 * starts. Without it the rows that updates and deletes leave behind (invoice status changes,
 * webhook attempts, pruned events and idempotency keys) would never be reclaimed, the planner
 * would never get statistics, and after two billion transactions the database would stop
 * accepting writes to protect itself from transaction-id wraparound. This worker does
 * autovacuum's job on the embedded database: every minute, the tables its rule picks. The first
 * look comes a minute after start, not during it.
 */
export function startEmbeddedVacuum(deps: Pick<Deps, 'db' | 'log'>, intervalMs = EMBEDDED_VACUUM_INTERVAL_MS): Loop {
  return runEvery('embedded-vacuum', intervalMs, async () => {
    const done = await maintainTables(deps.db)
    if (done.length > 0) deps.log.debug({ tables: done }, 'embedded database maintained')
  }, deps.log, { firstAfterMs: intervalMs })
}
