import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { Database } from '../../../src/db/database.ts'
import { createLogger } from '../../../src/logger.ts'
import { maintainTables, startEmbeddedVacuum } from '../../../src/workers/embedded-vacuum.ts'
import { openTestDatabase, TEST_DB } from '../../helpers/server.ts'
import { until } from '../../helpers/wait.ts'

interface TableStats {
  n_dead_tup: string
  last_vacuum: Date | null
  last_analyze: Date | null
}

// the embedded database has no autovacuum daemon; on Postgres the server leaves the job to it
describe('embedded database maintenance', { skip: TEST_DB !== 'pglite' && 'Postgres runs autovacuum itself' }, () => {
  let database: Database
  let close: () => Promise<void>

  const stats = async (table: string): Promise<TableStats | undefined> => {
    const result = await sql<TableStats>`
      SELECT n_dead_tup::text, last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = ${table}`.execute(database.db)
    return result.rows[0]
  }

  /** Rows updated twice over: dead versions well past autovacuum's threshold. */
  const churn = async (table: string, rows: number): Promise<void> => {
    await sql`CREATE TABLE ${sql.table(table)} (id int PRIMARY KEY, v int NOT NULL)`.execute(database.db)
    await sql`INSERT INTO ${sql.table(table)} SELECT g, 0 FROM generate_series(1, ${rows}::int) g`.execute(database.db)
    await sql`UPDATE ${sql.table(table)} SET v = v + 1`.execute(database.db)
    await sql`UPDATE ${sql.table(table)} SET v = v + 1`.execute(database.db)
    // statistics reach the shared counters at most once a second, unless a flush is asked for
    await sql`SELECT pg_stat_force_next_flush()`.execute(database.db)
    await until(async () => Number((await stats(table))?.n_dead_tup ?? 0) > 0, 5_000, `dead rows of ${table} counted`)
  }

  before(async () => {
    ;({ database, close } = await openTestDatabase())
  })
  after(() => close())

  it('vacuums and analyzes a table whose dead rows pass the threshold, and leaves a quiet one alone', async () => {
    await churn('vacuum_busy', 2_000)
    await sql`CREATE TABLE vacuum_quiet (id int PRIMARY KEY)`.execute(database.db)
    await sql`INSERT INTO vacuum_quiet SELECT generate_series(1, 10)`.execute(database.db)
    await sql`SELECT pg_stat_force_next_flush()`.execute(database.db)

    const done = await maintainTables(database.db)
    assert.deepEqual(
      done.find((t) => t.table === 'vacuum_busy'),
      { table: 'vacuum_busy', vacuumed: true, analyzed: true },
    )
    assert.equal(done.find((t) => t.table === 'vacuum_quiet'), undefined)

    const busy = await stats('vacuum_busy')
    assert.equal(busy?.n_dead_tup, '0')
    assert.ok(busy?.last_vacuum instanceof Date)
    assert.ok(busy?.last_analyze instanceof Date)
    const quiet = await stats('vacuum_quiet')
    assert.equal(quiet?.last_vacuum, null)
    assert.equal(quiet?.last_analyze, null)
  })

  it('has nothing to do for a table it just maintained', async () => {
    const again = await maintainTables(database.db)
    assert.equal(again.find((t) => t.table === 'vacuum_busy'), undefined)
  })

  it('runs as a worker that waits one interval before its first look', async () => {
    await churn('vacuum_worker', 1_000)
    const loop = startEmbeddedVacuum({ db: database.db, log: createLogger('silent') }, 150)
    try {
      // nothing is looked at before one interval has passed
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.equal((await stats('vacuum_worker'))?.last_vacuum, null)
      await until(async () => (await stats('vacuum_worker'))?.last_vacuum ?? false, 5_000, 'worker vacuumed the table')
    } finally {
      await loop.stop()
    }
  })
})
