import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { WsControlFrame } from '@pepay/contracts'
import { keyHeaders, startTestServer, TEST_DB, type TestServer } from '../../helpers/server.ts'
import { pruneExpiredEvents, realtimeExtension } from '../../../src/realtime/index.ts'
import { appendEvent } from '../../../src/modules/events/event.repo.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { seqOf, WsProbe, wsUrl } from './ws-probe.ts'

describe('realtime replay from since', () => {
  let t: TestServer
  const probes: WsProbe[] = []

  before(async () => {
    t = await startTestServer({
      extensions: [realtimeExtension({ limits: { snapshotLimit: 5, replayPageSize: 200 } })],
    })
  })
  after(async () => {
    await Promise.all(probes.map((p) => p.close()))
    await t.close()
  })

  async function connect(merchant: OnboardedMerchant, query: Record<string, string> = {}) {
    const probe = await WsProbe.connect(
      wsUrl(t.url, '/ws/merchant/events', query),
      keyHeaders(merchant.merchantKey),
    )
    probes.push(probe)
    return probe
  }

  /** Appends `count` events in one transaction; `rollback` aborts it (a permanent hole in seq). */
  async function write(
    merchant: OnboardedMerchant,
    count: number,
    options: { rollback?: boolean; at?: Date } = {},
  ) {
    const ids: string[] = []
    await t.server.deps.db
      .transaction()
      .execute(async (trx) => {
        for (let i = 0; i < count; i += 1) {
          const { id } = await appendEvent(
            trx,
            {
              merchantId: merchant.merchant.id,
              environment: 'devnet',
              type: i % 2 === 0 ? 'invoice.updated' : 'invoice_payment.updated',
              object: { object: 'invoice', id: randomUUID(), n: i },
            },
            options.at ?? new Date(),
          )
          ids.push(id)
        }
        if (options.rollback) throw new Error('rollback')
      })
      .catch((error: unknown) => {
        if (!options.rollback) throw error
      })
    return options.rollback ? [] : ids
  }

  async function committedAfter(merchant: OnboardedMerchant, sinceSeq: bigint): Promise<string[]> {
    const rows = await t.server.deps.db
      .selectFrom('event')
      .select('id')
      .where('merchant_id', '=', merchant.merchant.id.toString())
      .where('seq', '>', sinceSeq.toString())
      .orderBy('seq', 'asc')
      .execute()
    return rows.map((r) => r.id)
  }

  function assertStrictlyIncreasing(ids: string[]) {
    for (let i = 1; i < ids.length; i += 1) {
      assert.ok(
        seqOf(ids[i] ?? '') > seqOf(ids[i - 1] ?? ''),
        `out of order or duplicate at ${i}: ${ids[i - 1]} then ${ids[i]}`,
      )
    }
  }

  it('replays then goes live with no gap and no duplicate while thousands of events are written concurrently', async () => {
    const m = await t.onboard()
    const [first] = await write(m, 1)
    assert.ok(first)
    await write(m, 300)
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let batch = 0; batch < 60; batch += 1) {
        // every seventh transaction rolls back: holes in the sequence the tail must step over
        await write(m, 1 + ((batch + w) % 5), { rollback: (batch + w) % 7 === 3 })
      }
    })
    // connect mid-stream: part of the history is replayed, the rest arrives live
    await new Promise((resolve) => setTimeout(resolve, 50))
    const probe = await connect(m, { since: first })
    await Promise.all(writers)
    const expected = await committedAfter(m, seqOf(first))
    assert.ok(expected.length > 800, `wrote ${expected.length}`)
    await probe.waitFor(
      (f) => f.filter((x) => x.object === 'event').length >= expected.length,
      30_000,
      `${expected.length} events`,
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    const received = probe.events().map((e) => e.id)
    assertStrictlyIncreasing(received)
    assert.deepEqual(received, expected)
    const controls = probe.frames.filter((f) => f.object === 'ws_control')
    assert.equal(controls.length, 1)
    WsControlFrame.parse(controls[0])
    assert.equal(controls[0].type, 'replay_complete')
    assert.equal(controls[0].since, first)
  })

  it('resumes after a disconnect from the last received id with exactly the missed events', async () => {
    const m = await t.onboard()
    const live = await connect(m)
    await write(m, 5)
    await live.waitFor((f) => f.length >= 5, 5000, 'first five')
    await live.close()
    const last = live.events().at(-1).id as string
    const missed = await write(m, 7)
    const resumed = await connect(m, { since: last })
    await resumed.waitFor((f) => f.some((x) => x.type === 'replay_complete'), 5000, 'replay')
    const more = await write(m, 2)
    await resumed.waitFor(
      (f) => f.filter((x) => x.object === 'event').length >= 9,
      5000,
      'live after replay',
    )
    assert.deepEqual(
      resumed.events().map((e) => e.id),
      [...missed, ...more],
    )
    // events the hub had not tailed yet when the replay read arrive live, after replay_complete
    const controls = resumed.frames.filter((f) => f.object === 'ws_control')
    assert.equal(controls.length, 1)
    assert.ok(controls[0].count <= 7)
  })

  it('replays only events matching the filter', async () => {
    const m = await t.onboard()
    const [first] = await write(m, 1)
    await write(m, 6)
    const probe = await connect(m, { since: first ?? '', types: 'invoice_payment.*' })
    await probe.waitFor((f) => f.some((x) => x.type === 'replay_complete'), 5000, 'replay')
    assert.equal(probe.events().length, 3)
    assert.ok(probe.events().every((e) => e.type === 'invoice_payment.updated'))
  })

  it(
    'holds a later commit until an earlier open transaction ends, then emits both in order',
    { skip: TEST_DB === 'pglite' && 'PGlite runs one transaction at a time' },
    async () => {
      const m = await t.onboard()
      const probe = await connect(m)
      let releaseSlow!: () => void
      const gate = new Promise<void>((resolve) => {
        releaseSlow = resolve
      })
      let slowId = ''
      let slowAppended!: () => void
      const appended = new Promise<void>((resolve) => {
        slowAppended = resolve
      })
      const slow = t.server.deps.db.transaction().execute(async (trx) => {
        slowId = (
          await appendEvent(
            trx,
            {
              merchantId: m.merchant.id,
              environment: 'devnet',
              type: 'invoice.updated',
              object: { object: 'invoice', id: 'slow' },
            },
            new Date(),
          )
        ).id
        slowAppended()
        await gate
      })
      await appended
      const [fastId] = await write(m, 1)
      assert.ok(seqOf(fastId ?? '') > seqOf(slowId))
      // the later sequence is committed and visible, yet must wait behind the hole
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.equal(probe.events().length, 0)
      releaseSlow()
      await slow
      await probe.waitFor((f) => f.length >= 2, 5000, 'both events')
      assert.deepEqual(
        probe.events().map((e) => e.id),
        [slowId, fastId],
      )
    },
  )

  it(
    'steps over a hole left by a rolled-back transaction once it has ended',
    { skip: TEST_DB === 'pglite' && 'PGlite runs one transaction at a time' },
    async () => {
      const m = await t.onboard()
      const probe = await connect(m)
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let appended!: () => void
      const ready = new Promise<void>((resolve) => {
        appended = resolve
      })
      const doomed = t.server.deps.db
        .transaction()
        .execute(async (trx) => {
          await appendEvent(
            trx,
            {
              merchantId: m.merchant.id,
              environment: 'devnet',
              type: 'invoice.updated',
              object: { object: 'invoice', id: 'doomed' },
            },
            new Date(),
          )
          appended()
          await gate
          throw new Error('rollback')
        })
        .catch(() => undefined)
      await ready
      const [after] = await write(m, 1)
      await new Promise((resolve) => setTimeout(resolve, 200))
      assert.equal(probe.events().length, 0)
      release()
      await doomed
      await probe.waitFor((f) => f.length >= 1, 5000, 'event after the hole')
      assert.deepEqual(
        probe.events().map((e) => e.id),
        [after],
      )
    },
  )

  it(
    'is not held up by a long transaction in another database of the cluster',
    { skip: TEST_DB === 'pglite' && 'needs a Postgres cluster' },
    async () => {
      const m = await t.onboard()
      const probe = await connect(m)
      const elsewhere = new pg.Client({
        connectionString:
          process.env['PEPAY_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      })
      await elsewhere.connect()
      try {
        await elsewhere.query('BEGIN')
        await elsewhere.query('SELECT pg_current_xact_id()')
        // a rolled-back append leaves a hole; only this database's writers may hold it open
        await write(m, 1, { rollback: true })
        const [after] = await write(m, 1)
        await probe.waitFor((f) => f.length >= 1, 3000, 'event after the hole')
        assert.deepEqual(
          probe.events().map((e) => e.id),
          [after],
        )
      } finally {
        await elsewhere.query('ROLLBACK')
        await elsewhere.end()
      }
    },
  )

  it('sends replay_truncated and a bounded snapshot when since is older than retention, then live events', async () => {
    const m = await t.onboard()
    const old = new Date(Date.now() - 40 * 86_400_000)
    const [gone] = await write(m, 3, { at: old })
    const kept = await write(m, 8)
    const removed = await pruneExpiredEvents(t.server.deps, 30)
    assert.ok(removed >= 3)
    const probe = await connect(m, { since: gone ?? '' })
    await probe.waitFor((f) => f.some((x) => x.type === 'replay_complete'), 5000, 'snapshot')
    const [truncated] = probe.frames
    WsControlFrame.parse(truncated)
    assert.equal(truncated.type, 'replay_truncated')
    assert.equal(truncated.since, gone)
    assert.ok(truncated.oldest_event_id)
    assert.equal(truncated.retention_days, 30)
    // the snapshot: the newest five matching events in order
    assert.deepEqual(
      probe.events().map((e) => e.id),
      kept.slice(-5),
    )
    const live = await write(m, 1)
    await probe.waitFor(
      (f) => f.filter((x) => x.object === 'event').length >= 6,
      5000,
      'live event',
    )
    assert.equal(probe.events().at(-1).id, live[0])
  })

  it('closes every stream with ws_control server_shutdown and code 1012 when the server stops', async () => {
    const m = await t.onboard()
    const probe = await connect(m)
    await write(m, 1)
    await probe.waitFor((f) => f.length >= 1, 5000, 'one event')
    await t.stopServer()
    const closed = await probe.closed
    assert.equal(closed.code, 1012)
    const control = probe.frames.at(-1)
    WsControlFrame.parse(control)
    assert.equal(control.type, 'server_shutdown')
    assert.equal(control.last_event_id, probe.events()[0].id)
  })
})
