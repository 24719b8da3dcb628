import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase } from '../../../src/db/database.ts'
import { createTestDatabase, TEST_DB } from '../../helpers/server.ts'

describe('embedded database directory', { skip: TEST_DB !== 'pglite' && 'Postgres guards its own data directory' }, () => {
  it('opens for one handle at a time, and again once that one is closed', async () => {
    const testDb = await createTestDatabase()
    try {
      const first = await openDatabase({ dataDir: testDb.dataDir })
      try {
        assert.ok(existsSync(join(testDb.dataDir, 'pgdata.lock')))
        await assert.rejects(openDatabase({ dataDir: testDb.dataDir }), /embedded database is in use/)
        // the first handle still works after the refused one
        const rows = await first.db.selectFrom('merchant').select('id').execute()
        assert.ok(Array.isArray(rows))
      } finally {
        await first.close()
      }
      assert.equal(existsSync(join(testDb.dataDir, 'pgdata.lock')), false)
      const again = await openDatabase({ dataDir: testDb.dataDir })
      await again.close()
    } finally {
      await testDb.drop()
    }
  })
})
