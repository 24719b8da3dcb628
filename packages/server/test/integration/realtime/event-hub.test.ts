import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { eventually } from '../../helpers/chain.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { sql } from 'kysely'
import { until } from '../../helpers/wait.ts'
import { appendEvents, EVENTS_CHANNEL, type StoredEvent } from '../../../src/modules/events/event.repo.ts'
import { EventHub, type HubEvent, type HubSubscriber } from '../../../src/realtime/event-hub.ts'
import { readEventsAfter } from '../../../src/realtime/realtime.repo.ts'

function subscriber(merchantId: bigint, onEvent?: (event: StoredEvent) => void): HubSubscriber & { seen: string[] } {
  const seen: string[] = []
  return {
    merchantId,
    seen,
    deliver(event: HubEvent) {
      seen.push((event.event.data.object as { name: string }).name)
      onEvent?.(event.event)
    },
  }
}

describe('realtime event hub', () => {
  let t: TestServer
  let a: bigint
  let b: bigint

  before(async () => {
    t = await startTestServer({ runWorkers: false })
    a = (await t.onboard('Hub A')).merchant.id
    b = (await t.onboard('Hub B')).merchant.id
  })
  after(async () => t.close())

  /** A hub of its own for one test (its poll out of the way), stopped whatever happens. */
  async function withHub(run: (hub: EventHub) => Promise<void>) {
    const hub = new EventHub(t.server.deps, { pollMs: 60_000 })
    await hub.start()
    try {
      await run(hub)
    } finally {
      await hub.stop()
    }
  }

  /** Events in one transaction, so one tail read sees them all. */
  async function append(...events: [bigint, string][]) {
    await t.server.deps.db.transaction().execute((trx) =>
      appendEvents(trx, events.map(([merchantId, name]) => ({ merchantId, environment: 'devnet' as const, type: 'test.hub', object: { name } })), new Date()),
    )
  }

  it('reads whole only the events of the merchants asked for, and the place of the others', async () => {
    const from = (await t.server.deps.db.selectFrom('event').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst())?.m
    await append([a, 'a1'], [b, 'b1'], [a, 'a2'])
    const rows = await readEventsAfter(t.server.deps.db, BigInt(from ?? 0), 10, [a])
    assert.deepEqual(rows.map((r) => [r.merchantId, r.event ? (r.event.data.object as { name: string }).name : null]), [[a, 'a1'], [b, null], [a, 'a2']])
    assert.deepEqual(rows.map((r) => r.seq), [...rows.map((r) => r.seq)].sort((x, y) => (x < y ? -1 : 1)))
    assert.equal(rows[0]?.event?.pendingWebhooks, 0)
    assert.equal(rows[0]?.event?.merchantId, a)
    // nobody subscribed: the same places, no event whole
    const places = await readEventsAfter(t.server.deps.db, BigInt(from ?? 0), 10, [])
    assert.deepEqual(places.map((r) => [r.seq, r.merchantId, r.event]), rows.map((r) => [r.seq, r.merchantId, undefined]))
  })

  it('reads the table for a notification above its cursor and not for one at or below it', async () => {
    await withHub(async (hub) => {
      const toA = subscriber(a)
      hub.add(toA)
      // the read start() began is over before counting
      await new Promise((resolve) => setTimeout(resolve, 100))
      // appendEvents notifies at commit: the hub reads once, woken by that notification alone
      let reads = hub.reads
      await append([a, 'n1'])
      await until(() => toA.seen.length === 1, 5_000, 'the announced event')
      await until(() => hub.reads === reads + 1 || undefined, 1_000, 'one read')
      // what another process's commit would announce, for seqs this hub has passed already
      reads = hub.reads
      const notify = (seq: bigint) => sql`SELECT pg_notify(${EVENTS_CHANNEL}, ${seq.toString()})`.execute(t.server.deps.db)
      await notify(hub.cursor)
      await notify(hub.cursor - 1n)
      await new Promise((resolve) => setTimeout(resolve, 150))
      assert.equal(hub.reads, reads)
      // above the cursor: read, even with nothing there yet
      await notify(hub.cursor + 1n)
      await until(() => hub.reads === reads + 1 || undefined, 1_000, 'a read for the higher seq')
      assert.deepEqual(toA.seen, ['n1'])
    })
  })

  it('does not read for a notification while nobody is subscribed, and catches up when someone is', async () => {
    await withHub(async (hub) => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      const reads = hub.reads
      const from = hub.cursor
      await append([a, 'p1'], [b, 'p2'])
      const last = BigInt((await t.server.deps.db.selectFrom('event').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst())?.m ?? 0)
      await until(() => hub.announced === last || undefined, 2_000, 'the notification')
      assert.equal(hub.reads, reads)
      if (t.server.deps.database.kind === 'pglite') {
        // PGlite commits one transaction at a time: the notification settles every seq below it
        assert.equal(hub.cursor, last)
        return
      }
      // on Postgres a lower seq may still commit: the cursor waits for a read
      assert.equal(hub.cursor, from)
      const toA = subscriber(a)
      hub.add(toA)
      await until(() => hub.cursor === last || undefined, 2_000, 'the cursor at the last event')
      assert.equal(hub.reads, reads + 1)
      // the newcomer is handed what is past the cursor it found
      assert.deepEqual(toA.seen, ['p1'])
    })
  })

  it('settles: brings its cursor up to every seq announced before the call', async () => {
    await withHub(async (hub) => {
      await append([a, 's1'], [b, 's2'])
      await append([b, 's3'])
      const last = BigInt((await t.server.deps.db.selectFrom('event').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst())?.m ?? 0)
      await until(() => hub.announced === last || undefined, 2_000, 'the notifications')
      await hub.settle()
      assert.equal(hub.cursor, last)
      // nothing announced past the cursor: no read
      const reads = hub.reads
      await hub.settle()
      assert.equal(hub.reads, reads)
    })
  })

  it('hands each subscriber its merchant’s events in sequence order and no other merchant’s', async () => {
    await withHub(async (hub) => {
      const toA = subscriber(a)
      hub.add(toA)
      await append([a, 'a1'], [b, 'b1'], [a, 'a2'], [b, 'b2'], [a, 'a3'])
      hub.wake()
      await eventually(async () => toA.seen.length, (n) => n === 3, 5_000, 'merchant A’s events')
      assert.deepEqual(toA.seen, ['a1', 'a2', 'a3'])
    })
  })

  it('gives a merchant that subscribes in the middle of a batch every event after the cursor it saw', async () => {
    await withHub(async (hub) => {
      const toB = subscriber(b)
      let cursorSeenByB: bigint | undefined
      // B subscribes while A's first event is being handed out: the batch was read without B's data
      const toA = subscriber(a, () => {
        if (cursorSeenByB !== undefined) return
        hub.add(toB)
        cursorSeenByB = hub.cursor
    })
    hub.add(toA)
    await append([a, 'a1'], [b, 'b1'], [a, 'a2'], [b, 'b2'])
    hub.wake()
    await eventually(async () => [toA.seen.length, toB.seen.length], ([na, nb]) => na === 2 && nb === 2, 5_000, 'both merchants’ events')
    assert.deepEqual(toA.seen, ['a1', 'a2'])
    assert.deepEqual(toB.seen, ['b1', 'b2'])
    })
  })
})
