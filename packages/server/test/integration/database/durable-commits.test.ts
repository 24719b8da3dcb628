import { after, before, describe, it, mock } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { sql } from 'kysely'
import type { Database } from '../../../src/db/database.ts'
import { openTestDatabase, TEST_DB } from '../../helpers/server.ts'

// a Postgres server flushes its commits by its own settings; the embedded one is set up by us
describe('embedded database commits', { skip: TEST_DB !== 'pglite' && 'Postgres flushes its own commits' }, () => {
  let database: Database
  let close: () => Promise<void>

  before(async () => {
    ;({ database, close } = await openTestDatabase())
    await sql`CREATE TABLE durable_probe (id int PRIMARY KEY)`.execute(database.db)
  })
  after(() => close())

  it('runs with fsync on, through the one sync call that reaches the host file system', async () => {
    const settings = await sql<{ fsync: string; method: string }>`
      SELECT current_setting('fsync') AS fsync, current_setting('wal_sync_method') AS method`.execute(database.db)
    assert.deepEqual(settings.rows[0], { fsync: 'on', method: 'fsync' })
  })

  it('flushes each commit to disk before answering it', async () => {
    const fsync = mock.method(fs, 'fsyncSync')
    try {
      await sql`INSERT INTO durable_probe VALUES (1)`.execute(database.db)
      const afterFirst = fsync.mock.callCount()
      assert.ok(afterFirst >= 1, 'a commit called fsync on the host')
      await sql`INSERT INTO durable_probe VALUES (2)`.execute(database.db)
      assert.ok(fsync.mock.callCount() > afterFirst, 'the next commit flushed again')
    } finally {
      fsync.mock.restore()
    }
  })

  it('does not flush for a read', async () => {
    const fsync = mock.method(fs, 'fsyncSync')
    try {
      await sql`SELECT count(*) FROM durable_probe`.execute(database.db)
      assert.equal(fsync.mock.callCount(), 0)
    } finally {
      fsync.mock.restore()
    }
  })
})
