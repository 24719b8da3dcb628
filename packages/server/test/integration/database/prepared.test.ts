import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { openDatabase, prepared, type Database } from '../../../src/db/database.ts'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../../helpers/server.ts'

describe('prepared statements', () => {
  let testDb: TestDatabase
  let database: Database

  before(async () => {
    testDb = await createTestDatabase()
    database = await openDatabase({ databaseUrl: testDb.url, dataDir: testDb.dataDir, poolSize: 2 })
  })
  after(async () => {
    await database.close()
    await testDb.drop()
  })

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
    { skip: TEST_DB !== 'postgres' && 'PGlite runs the text each time' },
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
    { skip: TEST_DB !== 'postgres' && 'PGlite runs the text each time' },
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

  it('refuses a name that is not a plain identifier', () => {
    assert.throws(() => prepared('bad name; DROP', sql`SELECT 1`), /must be \[a-z0-9_\]\+/)
  })
})
