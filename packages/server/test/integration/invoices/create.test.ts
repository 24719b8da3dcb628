import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

describe('POST /api/v1/invoices', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer()
    merchant = await t.onboard('Acme')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  it('creates an invoice in usd_millis and returns the documented create shape', async () => {
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: {
        amount_usd: 49.99,
        description: 'Starter plan',
        customer_id: 'cust_1',
        metadata: { order_id: 'ORD-1' },
      },
    })
    assert.equal(res.status, 201)
    assert.deepEqual(Object.keys(res.body).sort(), [
      'expires_at',
      'invoice_id',
      'payment_session_headers',
      'payment_url',
      'session_token',
      'signature',
    ])
    assert.match(res.body.session_token, /^pst_/)
    assert.match(res.body.signature, /^[0-9a-f]{64}\.\d{13}$/)
    assert.equal(res.body.payment_session_headers['x-session-token'], res.body.session_token)
    assert.ok(res.body.payment_url.startsWith(`${t.url}/pay?session=pst_`))
    const invoice = await api('GET', `/api/v1/invoices/${res.body.invoice_id}`)
    assert.equal(invoice.status, 200)
    assert.equal(invoice.body.amount, 49990)
    assert.equal(invoice.body.amount_decimal, '49.990')
    assert.equal(invoice.body.amount_remaining, 49990)
    assert.equal(invoice.body.status, 'unpaid')
    assert.equal(invoice.body.environment, 'devnet')
    assert.deepEqual(invoice.body.metadata, { order_id: 'ORD-1' })
    // default expiry: 12 hours
    assert.equal(invoice.body.expires_at - invoice.body.created_at, 12 * 3600)
  })

  it('replays the first response when the key is reused with the same body', async () => {
    const key = randomUUID()
    const body = { amount_usd: '10.50' }
    const first = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': key },
      body,
    })
    const second = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': key },
      body,
    })
    assert.equal(first.status, 201)
    assert.equal(second.status, 201)
    assert.equal(second.headers.get('idempotency-replayed'), 'true')
    assert.deepEqual(second.body, first.body)
  })

  it('refuses a reused key with a different body with IDEMPOTENCY_KEY_REUSED', async () => {
    const key = randomUUID()
    await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': key },
      body: { amount_usd: 1 },
    })
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': key },
      body: { amount_usd: 2 },
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'IDEMPOTENCY_KEY_REUSED')
  })

  it('creates exactly one invoice for fifty concurrent identical requests', async () => {
    const key = randomUUID()
    const customer = `concurrent_${randomUUID()}`
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        api('POST', '/api/v1/invoices', {
          headers: { 'idempotency-key': key },
          body: { amount_usd: 5, customer_id: customer },
        }),
      ),
    )
    const statuses = results.map((r) => r.status)
    assert.ok(
      statuses.every((s) => s === 201 || s === 409),
      `unexpected statuses ${statuses.join(',')}`,
    )
    const ids = new Set(results.filter((r) => r.status === 201).map((r) => r.body.invoice_id))
    assert.equal(ids.size, 1)
    const list = await api('GET', `/api/v1/invoices/customer/${customer}`)
    assert.equal(list.body.data.length, 1)
  })

  it('requires the Idempotency-Key header', async () => {
    const res = await api('POST', '/api/v1/invoices', { body: { amount_usd: 5 } })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'IDEMPOTENCY_KEY_MISSING')
  })

  const invalid: [string, unknown, string][] = [
    ['a missing amount', {}, 'amount_usd'],
    ['an amount below 0.01', { amount_usd: 0.001 }, 'amount_usd'],
    ['a zero amount', { amount_usd: 0 }, 'amount_usd'],
    ['an amount above 1,000,000', { amount_usd: 1000000.01 }, 'amount_usd'],
    ['a negative amount', { amount_usd: -5 }, 'amount_usd'],
    ['three decimals', { amount_usd: 1.005 }, 'amount_usd'],
    ['exponent text', { amount_usd: '1e3' }, 'amount_usd'],
    ['a boolean amount', { amount_usd: true }, 'amount_usd'],
    ['an unknown field', { amount_usd: 5, colour: 'red' }, 'colour'],
    ['a long description', { amount_usd: 5, description: 'x'.repeat(256) }, 'description'],
    [
      'expires_in above 30 days',
      { amount_usd: 5, expires_in: 31 * 24 * 3600 * 1000 },
      'expires_in',
    ],
    ['a fractional expires_in', { amount_usd: 5, expires_in: 100000.5 }, 'expires_in'],
    ['a bad e-mail', { amount_usd: 5, customer_email: 'nope' }, 'customer_email'],
    [
      'a non-URL return URL',
      { amount_usd: 5, payment_return_url: 'not a url' },
      'payment_return_url',
    ],
    [
      'override without address',
      { amount_usd: 5, receiver_override_enable: true },
      'receiver_override_address',
    ],
    [
      'a malformed override address',
      { amount_usd: 5, receiver_override_address: '0x123' },
      'receiver_override_address',
    ],
    ['metadata that is not an object', { amount_usd: 5, metadata: [1, 2] }, 'metadata'],
    [
      'a question of unknown type',
      { amount_usd: 5, questions: { questions: [{ id: 'q', question: 'Q', type: 'date' }] } },
      'questions.questions.0.type',
    ],
  ]
  for (const [label, body, field] of invalid) {
    it(`answers 400 VALIDATION_ERROR naming ${field} for ${label}`, async () => {
      const res = await api('POST', '/api/v1/invoices', {
        headers: { 'idempotency-key': randomUUID() },
        body,
      })
      assert.equal(res.status, 400)
      assert.equal(res.body.success, false)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.ok(
        (res.body.error.details as { field: string }[]).some((d) => d.field === field),
        `expected field ${field} in ${JSON.stringify(res.body.error.details)}`,
      )
    })
  }

  it('answers 400 for malformed JSON and writes nothing', async () => {
    const before = await api('GET', '/api/v1/invoices/totals')
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      rawBody: '{"amount_usd": 5,',
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    const afterTotals = await api('GET', '/api/v1/invoices/totals')
    assert.deepEqual(afterTotals.body.totals.all, before.body.totals.all)
  })

  it('emits invoice.created carrying the idempotency key in the same transaction', async () => {
    const key = randomUUID()
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': key },
      body: { amount_usd: 7 },
    })
    const events = await api('GET', `/api/v1/events?invoice_id=${res.body.invoice_id}`)
    assert.equal(events.status, 200)
    assert.equal(events.body.data.data.length, 1)
    const event = events.body.data.data[0]
    assert.equal(event.type, 'invoice.created')
    assert.equal(event.request.idempotency_key, key)
    assert.equal(event.data.object.id, res.body.invoice_id)
    assert.equal(event.livemode, false)
  })
})
