import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import type { Environment } from '@pepay/contracts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { insertInvoiceWithEvent } from '../../../src/modules/invoices/invoice.service.ts'

interface WireEvent {
  id: string
  type: string
  created: number
  livemode: boolean
  data: { object: { id: string; invoice_type: string; status: string } }
}

const EVENT_KEYS = [
  'api_version',
  'created',
  'data',
  'id',
  'livemode',
  'object',
  'pending_webhooks',
  'request',
  'type',
]

describe('GET /api/v1/events', () => {
  const clock = new FakeClock(Date.UTC(2026, 6, 1))
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>
  /** Every devnet event of the merchant, newest first, as the API lists them. */
  let all: WireEvent[]
  const invoices: { id: string; at: number }[] = []
  let canceledId: string
  let commerceDevnetId: string
  let commerceMainnetId: string

  async function commerceInvoice(environment: Environment): Promise<string> {
    const deps = t.server.deps
    const created = await deps.db.transaction().execute((trx) =>
      insertInvoiceWithEvent(
        deps,
        trx,
        {
          merchantId: merchant.merchant.id,
          environment,
          invoiceType: 'commerce',
          amountUsdMillis: 25_000n,
          body: {},
        },
        { requestId: null, idempotencyKey: null },
      ),
    )
    return created.invoice.id
  }

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
    merchant = await t.onboard('Events Merchant', { grantMainnet: true })
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
    for (let i = 0; i < 6; i += 1) {
      clock.advance(10_000)
      const res = await api('POST', '/api/v1/invoices', {
        headers: { 'idempotency-key': randomUUID() },
        body: { amount_usd: i + 1, customer_id: `cust_${i}` },
      })
      assert.equal(res.status, 201)
      invoices.push({ id: res.body.invoice_id, at: Math.floor(clock.now().getTime() / 1000) })
    }
    clock.advance(10_000)
    canceledId = invoices[1]?.id ?? ''
    assert.equal((await api('POST', `/api/v1/invoices/${canceledId}/cancel`)).status, 200)
    clock.advance(10_000)
    commerceDevnetId = await commerceInvoice('devnet')
    clock.advance(10_000)
    commerceMainnetId = await commerceInvoice('mainnet')
    const res = await api('GET', '/api/v1/events?limit=100')
    all = res.body.data.data
  })
  after(async () => t.close())

  it('lists the envelope newest first with the full event shape', async () => {
    const res = await api('GET', '/api/v1/events')
    assert.equal(res.status, 200)
    assert.equal(res.body.success, true)
    assert.equal(res.body.data.object, 'list')
    assert.equal(res.body.data.has_more, false)
    // six creates, one cancel, one devnet commerce invoice; the mainnet one is not the key's
    assert.equal(all.length, 8)
    assert.deepEqual(res.body.data.data, all)
    const seqs = all.map((e) => BigInt(e.id.split('-')[1] ?? '0'))
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => (x > y ? -1 : x < y ? 1 : 0)),
    )
    for (const event of all) {
      assert.deepEqual(Object.keys(event).sort(), EVENT_KEYS)
      assert.match(event.id, /^evt_\d+-\d+$/)
      assert.equal(event.livemode, false)
      // the id embeds the creation instant in milliseconds
      assert.equal(Math.floor(Number(event.id.slice(4).split('-')[0]) / 1000), event.created)
    }
    const first = all.at(-1)
    assert.ok(first)
    assert.equal(first.type, 'invoice.created')
    assert.equal(first.data.object.id, invoices[0]?.id)
    assert.equal(first.created, invoices[0]?.at)
  })

  const typeCases: [string, (e: WireEvent) => boolean][] = [
    ['invoice.*', (e) => e.type.startsWith('invoice.')],
    ['invoice.updated', (e) => e.type === 'invoice.updated'],
    [
      'invoice.created,invoice.updated',
      (e) => e.type === 'invoice.created' || e.type === 'invoice.updated',
    ],
    ['*', () => true],
    ['commerce.*', () => false],
    ['invoice_payment.*', () => false],
  ]
  for (const [type, keep] of typeCases) {
    it(`filters by type=${type}`, async () => {
      const res = await api('GET', `/api/v1/events?limit=100&type=${encodeURIComponent(type)}`)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.deepEqual(
        res.body.data.data.map((e: WireEvent) => e.id),
        all.filter(keep).map((e) => e.id),
      )
    })
  }

  it('filters by created[gte] and created[lte] inclusively, in epoch seconds', async () => {
    const from = invoices[2]?.at ?? 0
    const to = invoices[4]?.at ?? 0
    const res = await api('GET', `/api/v1/events?limit=100&created[gte]=${from}&created[lte]=${to}`)
    assert.equal(res.status, 200)
    assert.deepEqual(
      res.body.data.data.map((e: WireEvent) => e.data.object.id),
      [invoices[4]?.id, invoices[3]?.id, invoices[2]?.id],
    )
    const encoded = await api('GET', `/api/v1/events?limit=100&created%5Bgte%5D=${to}`)
    assert.equal(encoded.status, 200)
    assert.ok(encoded.body.data.data.every((e: WireEvent) => e.created >= to))
    // invoices 4 and 5 created, one cancel, the devnet commerce invoice
    assert.equal(encoded.body.data.data.length, 4)
  })

  it('filters by invoice_id', async () => {
    const res = await api('GET', `/api/v1/events?invoice_id=${canceledId}`)
    assert.deepEqual(
      res.body.data.data.map((e: WireEvent) => e.type),
      ['invoice.updated', 'invoice.created'],
    )
    const none = await api('GET', `/api/v1/events?invoice_id=${randomUUID()}`)
    assert.deepEqual(none.body.data.data, [])
  })

  it('pages with starting_after and ending_before and reports has_more exactly', async () => {
    const walked: string[] = []
    const hasMore: boolean[] = []
    let cursor: string | undefined
    for (let page = 0; page < 10; page += 1) {
      const res = await api(
        'GET',
        `/api/v1/events?limit=3${cursor ? `&starting_after=${cursor}` : ''}`,
      )
      const ids = res.body.data.data.map((e: WireEvent) => e.id)
      walked.push(...ids)
      hasMore.push(res.body.data.has_more)
      if (!res.body.data.has_more) break
      cursor = ids.at(-1)
    }
    assert.deepEqual(hasMore, [true, true, false])
    assert.deepEqual(
      walked,
      all.map((e) => e.id),
    )

    const back = await api('GET', `/api/v1/events?limit=3&ending_before=${all[6]?.id}`)
    assert.deepEqual(
      back.body.data.data.map((e: WireEvent) => e.id),
      all.slice(3, 6).map((e) => e.id),
    )
    assert.equal(back.body.data.has_more, true)
    const top = await api('GET', `/api/v1/events?limit=3&ending_before=${all[3]?.id}`)
    assert.deepEqual(
      top.body.data.data.map((e: WireEvent) => e.id),
      all.slice(0, 3).map((e) => e.id),
    )
    assert.equal(top.body.data.has_more, false)
  })

  it('retrieves one event by id in envelope B', async () => {
    const event = all[0]
    assert.ok(event)
    const res = await api('GET', `/api/v1/events/${event.id}`)
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { success: true, data: event })
  })

  it('answers 404 for an id that names a real sequence number with another timestamp', async () => {
    const event = all[0]
    assert.ok(event)
    const [ms, seq] = event.id.slice(4).split('-')
    const forged = `evt_${Number(ms) + 1}-${seq}`
    const res = await api('GET', `/api/v1/events/${forged}`)
    assert.equal(res.status, 404)
    assert.equal(res.body.error.code, 'NOT_FOUND')
  })

  it('answers 404 for an unknown event id and 400 for a malformed one', async () => {
    const unknown = await api('GET', '/api/v1/events/evt_1767225600000-987654')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.body.error.code, 'NOT_FOUND')
    for (const bad of ['evt_123', 'event_1-2', '1767225600000-1', 'evt_abc-1']) {
      const res = await api('GET', `/api/v1/events/${bad}`)
      assert.equal(res.status, 400, bad)
      assert.equal(res.body.error.details[0].field, 'eventId')
    }
  })

  describe('query validation', () => {
    const cases: [string, string, string][] = [
      ['limit 0', 'limit=0', 'limit'],
      ['limit 101', 'limit=101', 'limit'],
      ['limit abc', 'limit=abc', 'limit'],
      ['an unknown type', 'type=invoice.paid', 'type'],
      ['a malformed type pattern', 'type=invoice.**', 'type'],
      ['a negative created[gte]', 'created[gte]=-1', 'created[gte]'],
      ['a non-numeric created[lte]', 'created[lte]=yesterday', 'created[lte]'],
      ['a malformed starting_after', 'starting_after=evt_x', 'starting_after'],
      ['a malformed ending_before', 'ending_before=12', 'ending_before'],
      ['both cursors', `starting_after=evt_1-2&ending_before=evt_1-1`, 'ending_before'],
      ['a malformed invoice_id', 'invoice_id=abc', 'invoice_id'],
      ['an unknown environment', 'environment=staging', 'environment'],
      ['an unknown parameter', 'order=asc', 'order'],
    ]
    for (const [label, query, field] of cases) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label}`, async () => {
        const res = await api('GET', `/api/v1/events?${query}`)
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some(
            (d: { field: string }) => d.field === field || d.field.startsWith(`${field}.`),
          ),
          `expected ${field} in ${JSON.stringify(res.body.error.details)}`,
        )
      })
    }
  })

  describe('commerce-scoped keys', () => {
    const headerForms: [string, (key: string) => Record<string, string>][] = [
      ['x-commerce-api-key', (key) => ({ 'x-commerce-api-key': key })],
      ['x-api-key', (key) => keyHeaders(key)],
    ]
    for (const [header, headers] of headerForms) {
      it(`sees only commerce events of its environment via ${header}`, async () => {
        const res = await apiClient(t.url, headers(merchant.commerceKey))(
          'GET',
          '/api/v1/events?limit=100',
        )
        assert.equal(res.status, 200)
        assert.deepEqual(
          res.body.data.data.map((e: WireEvent) => e.data.object.id),
          [commerceDevnetId],
        )
        assert.equal(res.body.data.data[0].data.object.invoice_type, 'commerce')
      })
    }

    it('answers 404 for a standard event and 200 for a commerce event by id', async () => {
      const commerceApi = apiClient(t.url, { 'x-commerce-api-key': merchant.commerceKey })
      const standard = all.find((e) => e.data.object.invoice_type === 'standard')
      const commerce = all.find((e) => e.data.object.id === commerceDevnetId)
      assert.ok(standard && commerce)
      assert.equal((await commerceApi('GET', `/api/v1/events/${standard.id}`)).status, 404)
      const ok = await commerceApi('GET', `/api/v1/events/${commerce.id}`)
      assert.equal(ok.status, 200)
      assert.equal(ok.body.data.id, commerce.id)
    })

    it('refuses another environment', async () => {
      const res = await apiClient(t.url, { 'x-commerce-api-key': merchant.commerceKey })(
        'GET',
        '/api/v1/events?environment=mainnet',
      )
      assert.equal(res.status, 400)
      assert.equal(res.body.error.details[0].field, 'environment')
    })

    it('lets the merchant key see commerce invoices too, and the mainnet key only mainnet ones', async () => {
      assert.ok(all.some((e) => e.data.object.id === commerceDevnetId))
      assert.ok(merchant.mainnetMerchantKey)
      const mainnet = await apiClient(t.url, keyHeaders(merchant.mainnetMerchantKey))(
        'GET',
        '/api/v1/events',
      )
      assert.deepEqual(
        mainnet.body.data.data.map((e: WireEvent) => e.data.object.id),
        [commerceMainnetId],
      )
      assert.equal(mainnet.body.data.data[0].livemode, true)
    })

    it('lets the dashboard bearer choose the environment', async () => {
      const dashboard = apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })
      const both = await dashboard('GET', '/api/v1/events?limit=100')
      assert.equal(both.body.data.data.length, all.length + 1)
      const mainnet = await dashboard('GET', '/api/v1/events?environment=mainnet')
      assert.deepEqual(
        mainnet.body.data.data.map((e: WireEvent) => e.data.object.id),
        [commerceMainnetId],
      )
    })
  })
})
