import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openDatabase, type Database } from '../../../src/db/database.ts'
import { withAccountLock } from '../../../src/modules/chain/sender.ts'
import { createTestDatabase, TEST_DB, type TestDatabase } from '../../helpers/server.ts'

describe(
  'withAccountLock',
  { skip: TEST_DB !== 'postgres' && 'one process owns an embedded database' },
  () => {
    let testDb: TestDatabase
    let first: Database
    let second: Database

    before(async () => {
      testDb = await createTestDatabase()
      // two handles on one database, as two server processes have
      first = await openDatabase({ databaseUrl: testDb.url, poolSize: 2 })
      second = await openDatabase({ databaseUrl: testDb.url, poolSize: 2 })
    })
    after(async () => {
      await first.close()
      await second.close()
      await testDb.drop()
    })

    it('never lets two processes run a turn on the same account at once', async () => {
      let inside = 0
      let overlaps = 0
      const order: string[] = []
      const turn = (who: string) => async () => {
        inside += 1
        if (inside > 1) overlaps += 1
        order.push(`${who}:in`)
        await new Promise((resolve) => setTimeout(resolve, 30))
        order.push(`${who}:out`)
        inside -= 1
        return who
      }
      const results = await Promise.all([
        withAccountLock({ database: first }, 'pepay-send:test:acct', turn('a')),
        withAccountLock({ database: second }, 'pepay-send:test:acct', turn('b')),
        withAccountLock({ database: first }, 'pepay-send:test:acct', turn('c')),
      ])
      assert.deepEqual(results.sort(), ['a', 'b', 'c'])
      assert.equal(overlaps, 0, order.join(' '))
    })

    it('lets different accounts run side by side and frees the turn when the task fails', async () => {
      let concurrent = 0
      let peak = 0
      const turn = async () => {
        concurrent += 1
        peak = Math.max(peak, concurrent)
        await new Promise((resolve) => setTimeout(resolve, 30))
        concurrent -= 1
      }
      await Promise.all([
        withAccountLock({ database: first }, 'pepay-send:test:x', turn),
        withAccountLock({ database: second }, 'pepay-send:test:y', turn),
      ])
      assert.equal(peak, 2)
      await assert.rejects(
        withAccountLock({ database: first }, 'pepay-send:test:z', async () =>
          Promise.reject(new Error('boom')),
        ),
        /boom/,
      )
      assert.equal(
        await withAccountLock({ database: second }, 'pepay-send:test:z', async () => 'free'),
        'free',
      )
    })
  },
)
