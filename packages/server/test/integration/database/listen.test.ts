import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { Database } from '../../../src/db/database.ts'
import { eventually } from '../../helpers/chain.ts'
import { openTestDatabase, TEST_DB } from '../../helpers/server.ts'

describe('Database.listen', () => {
  let database: Database
  let close: () => Promise<void>

  before(async () => {
    ;({ database, close } = await openTestDatabase())
  })
  after(() => close())

  const notify = (channel: string, payload: string) => sql`SELECT pg_notify(${channel}, ${payload})`.execute(database.db)

  it('delivers a committed NOTIFY to every listener of its channel, and only of its channel', async () => {
    const a: string[] = []
    const b: string[] = []
    const other: string[] = []
    const stopA = await database.listen('listen_probe', (payload) => a.push(payload))
    const stopB = await database.listen('listen_probe', (payload) => b.push(payload))
    const stopOther = await database.listen('listen_other', (payload) => other.push(payload))
    await notify('listen_probe', 'one')
    await eventually(async () => [a.length, b.length], ([x, y]) => x === 1 && y === 1, 5_000, 'both listeners notified')
    assert.deepEqual([a, b, other], [['one'], ['one'], []])
    await Promise.all([stopA(), stopB(), stopOther()])
  })

  it('delivers nothing from a transaction that rolled back', async () => {
    const got: string[] = []
    const stop = await database.listen('listen_rollback', (payload) => got.push(payload))
    await assert.rejects(
      database.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_notify('listen_rollback', 'lost')`.execute(trx)
        throw new Error('abort')
      }),
      /abort/,
    )
    await notify('listen_rollback', 'kept')
    await eventually(async () => got.length, (n) => n > 0, 5_000, 'notified')
    assert.deepEqual(got, ['kept'])
    await stop()
  })

  it('stops delivering to a listener once it unlistens, and keeps delivering to the others', async () => {
    const gone: string[] = []
    const kept: string[] = []
    const stopGone = await database.listen('listen_partial', (payload) => gone.push(payload))
    const stopKept = await database.listen('listen_partial', (payload) => kept.push(payload))
    await stopGone()
    await notify('listen_partial', 'after')
    await eventually(async () => kept.length, (n) => n > 0, 5_000, 'remaining listener notified')
    assert.deepEqual([gone, kept], [[], ['after']])
    await stopKept()
    // the last listener left the channel; listening again registers it anew
    const again = await database.listen('listen_partial', (payload) => kept.push(payload))
    await notify('listen_partial', 'relisten')
    await eventually(async () => kept.length, (n) => n > 1, 5_000, 'listener notified again')
    assert.deepEqual(kept, ['after', 'relisten'])
    await again()
  })

  /** The other backends of this database whose last statement was a LISTEN. */
  const listeningBackends = async () => {
    const result = await sql<{ pid: number }>`
      SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN %'`.execute(database.db)
    return result.rows.map((row) => row.pid)
  }

  it('listens on every channel through one connection, so a NOTIFY signals one backend', { skip: TEST_DB !== 'postgres' }, async () => {
    const stops = await Promise.all(['one_a', 'one_b', 'one_c'].map((channel) => database.listen(channel, () => undefined)))
    assert.equal((await listeningBackends()).length, 1)
    await Promise.all(stops.map((stop) => stop()))
  })

  it('opens a lost listening connection again, listens anew, and tells every listener to look', { skip: TEST_DB !== 'postgres' }, async () => {
    const a: string[] = []
    const b: string[] = []
    const stopA = await database.listen('lost_a', (payload) => a.push(payload))
    const stopB = await database.listen('lost_b', (payload) => b.push(payload))
    const [pid] = await listeningBackends()
    assert.ok(pid)
    await sql`SELECT pg_terminate_backend(${pid}::int)`.execute(database.db)
    // every listener hears an empty payload once the connection is back
    await eventually(async () => [a.length, b.length], ([x, y]) => x === 1 && y === 1, 10_000, 'both listeners told to look')
    assert.deepEqual([a, b], [[''], ['']])
    const [again] = await listeningBackends()
    assert.ok(again && again !== pid)
    await notify('lost_a', 'after')
    await notify('lost_b', 'after')
    await eventually(async () => [a.length, b.length], ([x, y]) => x === 2 && y === 2, 5_000, 'notified on the new connection')
    assert.deepEqual([a, b], [['', 'after'], ['', 'after']])
    await Promise.all([stopA(), stopB()])
  })
})
