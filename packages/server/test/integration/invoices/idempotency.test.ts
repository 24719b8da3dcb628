import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { AppError, FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
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
