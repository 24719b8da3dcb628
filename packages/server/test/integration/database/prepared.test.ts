import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { compiledOnce, prepared, type Database } from '../../../src/db/database.ts'
import { openTestDatabase } from '../../helpers/server.ts'

describe('prepared statements', () => {
  let database: Database
  let close: () => Promise<void>

  before(async () => {
    ;({ database, close } = await openTestDatabase())
  })
  after(() => close())

  it('answers a marked statement like the plain one, with its parameters', async () => {
    const ids = [1, 2, 3]
    const plain = await sql<{
      n: number
    }>`SELECT n FROM unnest(${ids}::int[]) AS n WHERE n > ${1}`.execute(database.db)
    const marked = await prepared(
      'test_unnest',
      sql<{ n: number }>`SELECT n FROM unnest(${ids}::int[]) AS n WHERE n > ${1}`,
    ).execute(database.db)
    assert.deepEqual(marked.rows, plain.rows)
    const again = await prepared(
      'test_unnest',
      sql<{ n: number }>`SELECT n FROM unnest(${[7, 8]}::int[]) AS n WHERE n > ${7}`,
    ).execute(database.db)
    assert.deepEqual(again.rows, [{ n: 8 }])
  })

  it(
    'keeps the statement prepared on the connection between executions',
    async () => {
      await database.db.connection().execute(async (conn) => {
        await prepared('test_kept', sql<{ x: number }>`SELECT ${5}::int AS x`).execute(conn)
        await prepared('test_kept', sql<{ x: number }>`SELECT ${6}::int AS x`).execute(conn)
        const found = await sql<{
          name: string
        }>`SELECT name FROM pg_prepared_statements WHERE name = 'test_kept'`.execute(conn)
        assert.equal(found.rows.length, 1)
      })
    },
  )

  it(
    'prepares again after a migration changes the result type under the cached plan',
    async () => {
      await database.db.connection().execute(async (conn) => {
        await sql`CREATE TABLE prepared_probe (a int)`.execute(conn)
        await sql`INSERT INTO prepared_probe VALUES (1)`.execute(conn)
        const first = await prepared(
          'test_probe',
          sql<Record<string, number>>`SELECT * FROM prepared_probe WHERE a = ${1}`,
        ).execute(conn)
        assert.deepEqual(first.rows, [{ a: 1 }])
        await sql`ALTER TABLE prepared_probe ADD COLUMN b int DEFAULT 2`.execute(conn)
        const second = await prepared(
          'test_probe',
          sql<Record<string, number>>`SELECT * FROM prepared_probe WHERE a = ${1}`,
        ).execute(conn)
        assert.deepEqual(second.rows, [{ a: 1, b: 2 }])
      })
    },
  )

  // the embedded database gets each exchange in one call: an error skips to its Sync there
  for (const [name, failing] of [
    ['a statement that fails to parse', sql`SELEC ${1}`],
    ['a statement that fails while it runs', sql`SELECT 1 / ${0}::int`],
    ['a prepared statement that fails while it runs', prepared('test_fails', sql`SELECT 1 / ${0}::int`)],
    ['a parameter the statement cannot take', sql`SELECT ${'not a number'}::int`],
  ] as const) {
    it(`keeps the connection usable after ${name}`, async () => {
      await assert.rejects(failing.execute(database.db))
      const next = await sql<{ x: number }>`SELECT ${3}::int AS x`.execute(database.db)
      assert.deepEqual(next.rows, [{ x: 3 }])
      const again = await prepared('test_after_error', sql<{ x: number }>`SELECT ${4}::int AS x`).execute(database.db)
      assert.deepEqual(again.rows, [{ x: 4 }])
    })
  }

  it('rolls back a transaction whose statement failed and runs the next one', async () => {
    await sql`CREATE TABLE IF NOT EXISTS prepared_tx (a int PRIMARY KEY)`.execute(database.db)
    await assert.rejects(
      database.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO prepared_tx VALUES (${1})`.execute(trx)
        await sql`INSERT INTO prepared_tx VALUES (${1})`.execute(trx)
      }),
      /duplicate key/,
    )
    await database.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO prepared_tx VALUES (${2})`.execute(trx)
    })
    const rows = await sql<{ a: number }>`SELECT a FROM prepared_tx ORDER BY a`.execute(database.db)
    assert.deepEqual(rows.rows, [{ a: 2 }])
  })

  it('returns every row while subscriptions start and stop at the same time', async () => {
    const counts: number[] = []
    const reads = (async () => {
      for (let i = 1; i <= 200; i++) {
        const result = await sql<{ n: number }>`SELECT n FROM generate_series(1, ${i}::int) AS n`.execute(database.db)
        counts.push(result.rows.length)
      }
    })()
    // 100 subscriptions, 10 at a time: on Postgres each holds a connection of its own while it
    // lasts, and the server's max_connections is shared with the suites running alongside
    const subscriptions = Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        for (let i = lane; i < 100; i += 10) {
          const stop = await database.listen(`probe_${i}`, () => undefined)
          await stop()
        }
      }),
    )
    await Promise.all([reads, subscriptions])
    assert.deepEqual(
      counts,
      Array.from({ length: 200 }, (_, i) => i + 1),
    )
  })

  it('compiles a statement once and runs it with each call’s parameters', async () => {
    let builds = 0
    const between = compiledOnce('test_between', (low: number, high: number) => {
      builds += 1
      return sql<{ n: number }>`SELECT n FROM generate_series(${low}::int, ${high}::int) AS n`
    })
    assert.deepEqual((await between(database.db, 1, 3)).rows, [{ n: 1 }, { n: 2 }, { n: 3 }])
    assert.deepEqual((await between(database.db, 7, 8)).rows, [{ n: 7 }, { n: 8 }])
    assert.equal(builds, 1)
  })

  it('binds a parameter used twice, or out of order, in every place it stands', async () => {
    const twice = compiledOnce('test_twice', (x: number) => sql<{ n: number }>`SELECT ${x}::int + ${x}::int AS n`)
    assert.deepEqual((await twice(database.db, 1)).rows, [{ n: 2 }])
    assert.deepEqual((await twice(database.db, 5)).rows, [{ n: 10 }])
    const swapped = compiledOnce('test_swapped', (a: number, b: number) => sql<{ n: number }>`SELECT ${b}::int - ${a}::int AS n`)
    assert.deepEqual((await swapped(database.db, 1, 2)).rows, [{ n: 1 }])
    assert.deepEqual((await swapped(database.db, 10, 3)).rows, [{ n: -7 }])
  })

  it('refuses to compile once a statement with a value that is not one of its parameters', async () => {
    // a value computed from a parameter would be frozen at its first call's value
    const derived = compiledOnce('test_derived', (x: Date) => sql`SELECT ${String(x)}::text`)
    await assert.rejects(derived(database.db, new Date()), /every value of the query must be a parameter/)
    const constant = compiledOnce('test_constant', (x: number) => sql`SELECT ${x}::int + ${7}::int`)
    await assert.rejects(constant(database.db, 1), /every value of the query must be a parameter/)
  })

  it('refuses a name that is not a plain identifier', () => {
    assert.throws(() => prepared('bad name; DROP', sql`SELECT 1`), /must be \[a-z0-9_\]\+/)
  })
})
