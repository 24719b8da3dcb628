import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { AppError, FakeClock } from '@pepay/core'
import {
  apiClient,
  keyHeaders,
  startTestServer,
  TEST_DB,
  type TestServer,
} from '../../helpers/server.ts'
import { sha256 } from '../../../src/modules/platform/secrets.ts'
import { EVENTS_CHANNEL } from '../../../src/modules/events/event.repo.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import type { ServerExtension } from '../../../src/server.ts'

/** A route that fails with a 500 on its first call and succeeds afterwards. */
function flakyRoute(): { extension: ServerExtension; calls: () => number } {
  let calls = 0
  const extension: ServerExtension = {
    start: async () => ({
      plugins: [
        async (app: FastifyInstance) => {
          app.post(
            '/test/flaky',
            { config: { auth: ['merchant_key'], idempotency: 'required' }, schema: { hide: true } },
            async () => {
              calls += 1
              if (calls === 1) throw new AppError('INTERNAL_SERVER_ERROR', 'transient failure')
              return { attempt: calls }
            },
          )
        },
      ],
    }),
  }
  return { extension, calls: () => calls }
}

describe('Idempotency-Key', () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 1))
  const flaky = flakyRoute()
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false, extensions: [flaky.extension] })
    merchant = await t.onboard('Idempotent Merchant')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  const create = (key: string, body: unknown) =>
    api('POST', '/api/v1/invoices', { headers: { 'idempotency-key': key }, body })

  it('replays a stored 400 from the service with Idempotency-Replayed', async () => {
    const key = randomUUID()
    const body = { amount_usd: 5, receiver_override_enable: true }
    const first = await create(key, body)
    assert.equal(first.status, 400)
    assert.equal(first.body.error.details[0].field, 'receiver_override_address')
    const second = await create(key, body)
    assert.equal(second.status, 400)
    assert.equal(second.headers.get('idempotency-replayed'), 'true')
    assert.deepEqual(second.body, first.body)
    const changed = await create(key, { amount_usd: 5 })
    assert.equal(changed.status, 400)
    assert.equal(changed.body.error.code, 'IDEMPOTENCY_KEY_REUSED')
  })

  it('does not store a request refused by schema validation, so the key stays usable', async () => {
    const key = randomUUID()
    const refused = await create(key, { amount_usd: true })
    assert.equal(refused.status, 400)
    const accepted = await create(key, { amount_usd: 10 })
    assert.equal(accepted.status, 201)
    assert.equal(accepted.headers.get('idempotency-replayed'), null)
  })

  it('never replays a 5xx: the retry runs the handler again', async () => {
    const key = randomUUID()
    const first = await api('POST', '/test/flaky', {
      headers: { 'idempotency-key': key },
      body: { n: 1 },
    })
    assert.equal(first.status, 500)
    assert.equal(first.body.error.code, 'INTERNAL_SERVER_ERROR')
    const retry = await api('POST', '/test/flaky', {
      headers: { 'idempotency-key': key },
      body: { n: 1 },
    })
    assert.equal(retry.status, 200)
    assert.deepEqual(retry.body, { attempt: 2 })
    assert.equal(retry.headers.get('idempotency-replayed'), null)
    const replay = await api('POST', '/test/flaky', {
      headers: { 'idempotency-key': key },
      body: { n: 1 },
    })
    assert.equal(replay.headers.get('idempotency-replayed'), 'true')
    assert.deepEqual(replay.body, { attempt: 2 })
    assert.equal(flaky.calls(), 2)
  })

  it('treats the same key on another route as a different request', async () => {
    const key = randomUUID()
    const created = await create(key, { amount_usd: 3 })
    assert.equal(created.status, 201)
    const cancel = await api('POST', `/api/v1/invoices/${created.body.invoice_id}/cancel`, {
      headers: { 'idempotency-key': key },
    })
    assert.equal(cancel.status, 400)
    assert.equal(cancel.body.error.code, 'IDEMPOTENCY_KEY_REUSED')
  })

  it('frees a key after 24 hours', async () => {
    const key = randomUUID()
    const first = await create(key, { amount_usd: 1 })
    assert.equal(first.status, 201)
    clock.advance(24 * 3600 * 1000 - 1)
    const stillHeld = await create(key, { amount_usd: 2 })
    assert.equal(stillHeld.body.error?.code, 'IDEMPOTENCY_KEY_REUSED')
    clock.advance(1)
    const reused = await create(key, { amount_usd: 2 })
    assert.equal(reused.status, 201)
    assert.notEqual(reused.body.invoice_id, first.body.invoice_id)
  })

  /** An in-flight claim as the general claim step writes it (a process that died mid-request). */
  async function abandonedClaim(key: string, body: unknown, lockedUntil: Date): Promise<void> {
    const now = clock.now()
    await t.server.deps.db
      .insertInto('idempotency_key')
      .values({
        merchant_id: merchant.merchant.id.toString(),
        environment: 'devnet',
        key,
        request_method: 'POST',
        request_path: '/api/v1/invoices',
        request_hash: sha256(`POST /api/v1/invoices\n${JSON.stringify(body)}`),
        state: 'in_flight',
        created_at: now,
        locked_until: lockedUntil,
        expires_at: new Date(now.getTime() + 24 * 3600 * 1000),
      })
      .execute()
  }

  it('answers 409 while a claim of the key is in flight, and takes over a claim whose process died', async () => {
    const key = randomUUID()
    const body = { amount_usd: 4, customer_id: `abandoned_${key}` }
    await abandonedClaim(key, body, new Date(clock.now().getTime() + 60_000))
    const held = await create(key, body)
    assert.equal(held.status, 409)
    assert.equal(held.body.error.code, 'IDEMPOTENCY_CONFLICT')
    clock.advance(60_001)
    const takenOver = await create(key, body)
    assert.equal(takenOver.status, 201)
    assert.equal(takenOver.headers.get('idempotency-replayed'), null)
    const replay = await create(key, body)
    assert.equal(replay.headers.get('idempotency-replayed'), 'true')
    assert.deepEqual(replay.body, takenOver.body)
    const list = await api('GET', `/api/v1/invoices/customer/${body.customer_id}`)
    assert.equal(list.body.data.length, 1)
  })

  it(
    'answers 409 while another connection creates with the same key, then replays its invoice',
    { skip: TEST_DB !== 'postgres' && 'PGlite has one connection' },
    async () => {
      const key = randomUUID()
      const body = { amount_usd: 6, customer_id: `inflight_${key}` }
      // hold the key's in-flight lock as a concurrent create does for the length of its statement
      const other = new pg.Client({ connectionString: t.db.url })
      await other.connect()
      try {
        await other.query('BEGIN')
        await other.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          0x1de0,
          `${merchant.merchant.id}:devnet:${key}`,
        ])
        const held = await create(key, body)
        assert.equal(held.status, 409)
        assert.equal(held.body.error.code, 'IDEMPOTENCY_CONFLICT')
        await other.query('COMMIT')
      } finally {
        await other.end()
      }
      const created = await create(key, body)
      assert.equal(created.status, 201)
      const replay = await create(key, body)
      assert.equal(replay.headers.get('idempotency-replayed'), 'true')
      assert.deepEqual(replay.body, created.body)
    },
  )

  it('stores the create response that GET and the invoice.created event agree with', async () => {
    const key = randomUUID()
    const body = {
      amount_usd: '12.34',
      metadata: { zeta: 1, a: { nested: [1, 'two'] }, mid: null },
      expires_in: 3_600_000,
    }
    const created = await create(key, body)
    assert.equal(created.status, 201)
    const invoice = await api('GET', `/api/v1/invoices/${created.body.invoice_id}`)
    assert.equal(invoice.status, 200)
    assert.equal(invoice.body.amount, 12_340)
    assert.equal(invoice.body.expires_at, created.body.expires_at)
    assert.deepEqual(invoice.body.metadata, body.metadata)
    const events = await api('GET', `/api/v1/events?invoice_id=${created.body.invoice_id}`)
    assert.deepEqual(events.body.data.data[0].data.object, invoice.body)
    const session = await fetch(`${t.url}/api/v1/payments/payment-status`, {
      headers: {
        'x-session-token': created.body.session_token,
        'x-signature': created.body.signature,
      },
    })
    assert.equal(session.status, 200)
  })

  it('wakes other processes with a NOTIFY on the events channel when it commits an invoice', async () => {
    const payloads: string[] = []
    const unlisten = await t.server.deps.database.listen(EVENTS_CHANNEL, (payload) =>
      payloads.push(payload),
    )
    try {
      const created = await create(randomUUID(), { amount_usd: 3 })
      assert.equal(created.status, 201)
      const deadline = Date.now() + 5_000
      while (payloads.length === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10))
      assert.ok(payloads.length > 0, 'no NOTIFY arrived')
      const events = await api('GET', `/api/v1/events?invoice_id=${created.body.invoice_id}`)
      const seq = String(events.body.data.data[0].id).split('-')[1]
      assert.ok(
        payloads.includes(seq ?? ''),
        `NOTIFY payloads ${payloads.join(',')} miss seq ${seq}`,
      )
    } finally {
      await unlisten()
    }
  })

  it('treats keys that read as SQL words or carry punctuation like any other key', async () => {
    for (const key of ['NULL', `k:${randomUUID()}.a-b_c`]) {
      const first = await create(key, { amount_usd: 2 })
      assert.equal(first.status, 201, key)
      const replay = await create(key, { amount_usd: 2 })
      assert.equal(replay.headers.get('idempotency-replayed'), 'true', key)
      assert.deepEqual(replay.body, first.body)
    }
  })

  const malformed: [string, string][] = [
    ['spaces', 'has spaces'],
    ['256 characters', 'k'.repeat(256)],
    ['a slash', 'a/b'],
  ]
  for (const [label, key] of malformed) {
    it(`answers 400 naming Idempotency-Key for a key with ${label} and creates nothing`, async () => {
      const before = await api('GET', '/api/v1/invoices/totals')
      const res = await create(key, { amount_usd: 1 })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.equal(res.body.error.details[0].field, 'Idempotency-Key')
      const afterTotals = await api('GET', '/api/v1/invoices/totals')
      assert.deepEqual(afterTotals.body.totals.all, before.body.totals.all)
    })
  }
})
