import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock, formatUsdMillis } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

const START = Date.UTC(2026, 2, 1, 12, 0, 0)

interface Created {
  id: string
  createdSeconds: number
  amountMillis: bigint
  customerId: string
  status: 'unpaid' | 'canceled'
}

function detailFields(body: { error?: { details?: { field: string }[] } }): string[] {
  return (body.error?.details ?? []).map((d) => d.field)
}

describe('GET /api/v1/invoices', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>
  const clock = new FakeClock(START)
  /** Creation order: index 0 is the oldest. */
  const created: Created[] = []

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
    merchant = await t.onboard('List Merchant')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
    // 25 invoices one second apart, so creation order is unambiguous and created_* filters bite
    for (let i = 0; i < 25; i += 1) {
      clock.advance(1000)
      const amountText = `${i + 1}.${String((i * 7) % 100).padStart(2, '0')}`
      const customerId = i % 3 === 0 ? 'cust_gold' : 'cust_plain'
      const res = await api('POST', '/api/v1/invoices', {
        headers: { 'idempotency-key': randomUUID() },
        body: { amount_usd: amountText, customer_id: customerId },
      })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      const [whole = '0', fraction = '0'] = amountText.split('.')
      created.push({
        id: res.body.invoice_id,
        createdSeconds: Math.floor(clock.now().getTime() / 1000),
        amountMillis: BigInt(whole) * 1000n + BigInt(fraction.padEnd(3, '0')),
        customerId,
        status: 'unpaid',
      })
    }
    // every fifth invoice is canceled
    for (let i = 0; i < 25; i += 5) {
      const entry = created[i]
      assert.ok(entry)
      const res = await api('POST', `/api/v1/invoices/${entry.id}/cancel`)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      entry.status = 'canceled'
    }
  })
  after(async () => t.close())

  const newestFirst = () => created.map((c) => c.id).reverse()

  it('lists the newest invoices first with a default page of 10', async () => {
    const res = await api('GET', '/api/v1/invoices')
    assert.equal(res.status, 200)
    assert.equal(res.body.object, 'list')
    assert.equal(res.body.has_more, true)
    assert.deepEqual(
      res.body.data.map((i: { id: string }) => i.id),
      newestFirst().slice(0, 10),
    )
  })

  it('pages to older invoices with starting_after and reports has_more exactly', async () => {
    const seen: string[] = []
    const hasMore: boolean[] = []
    let cursor: string | undefined
    for (let page = 0; page < 5; page += 1) {
      const query = cursor ? `?limit=10&starting_after=${cursor}` : '?limit=10'
      const res = await api('GET', `/api/v1/invoices${query}`)
      assert.equal(res.status, 200)
      const ids = res.body.data.map((i: { id: string }) => i.id)
      seen.push(...ids)
      hasMore.push(res.body.has_more)
      if (!res.body.has_more) break
      cursor = ids.at(-1)
    }
    assert.deepEqual(hasMore, [true, true, false])
    assert.deepEqual(seen, newestFirst())
  })

  it('pages back to newer invoices with ending_before and reports has_more exactly', async () => {
    const all = newestFirst()
    // from the last page (oldest five), walk back toward the newest
    const oldestPageFirst = all[20]
    const back1 = await api('GET', `/api/v1/invoices?limit=10&ending_before=${oldestPageFirst}`)
    assert.equal(back1.status, 200)
    assert.deepEqual(
      back1.body.data.map((i: { id: string }) => i.id),
      all.slice(10, 20),
    )
    assert.equal(back1.body.has_more, true)
    const back2 = await api('GET', `/api/v1/invoices?limit=10&ending_before=${all[10]}`)
    assert.deepEqual(
      back2.body.data.map((i: { id: string }) => i.id),
      all.slice(0, 10),
    )
    assert.equal(back2.body.has_more, false)
    const partial = await api('GET', `/api/v1/invoices?limit=10&ending_before=${all[3]}`)
    assert.deepEqual(
      partial.body.data.map((i: { id: string }) => i.id),
      all.slice(0, 3),
    )
    assert.equal(partial.body.has_more, false)
    const none = await api('GET', `/api/v1/invoices?ending_before=${all[0]}`)
    assert.deepEqual(none.body.data, [])
    assert.equal(none.body.has_more, false)
  })

  it('sets has_more only when more invoices remain beyond the limit', async () => {
    const cases: [number, boolean][] = [
      [24, true],
      [25, false],
      [100, false],
      [1, true],
    ]
    for (const [limit, expected] of cases) {
      const res = await api('GET', `/api/v1/invoices?limit=${limit}`)
      assert.equal(res.status, 200)
      assert.equal(res.body.data.length, Math.min(limit, 25), `limit ${limit}`)
      assert.equal(res.body.has_more, expected, `limit ${limit}`)
    }
    const last = await api('GET', `/api/v1/invoices?starting_after=${created[0]?.id}`)
    assert.deepEqual(last.body, { object: 'list', data: [], has_more: false })
  })

  it('filters by status, including comma lists', async () => {
    const canceled = await api('GET', '/api/v1/invoices?status=canceled&limit=100')
    assert.deepEqual(
      canceled.body.data.map((i: { id: string }) => i.id),
      created
        .filter((c) => c.status === 'canceled')
        .map((c) => c.id)
        .reverse(),
    )
    assert.ok(canceled.body.data.every((i: { status: string }) => i.status === 'canceled'))
    const both = await api('GET', '/api/v1/invoices?status=unpaid,canceled&limit=100')
    assert.equal(both.body.data.length, 25)
    const paid = await api('GET', '/api/v1/invoices?status=paid')
    assert.deepEqual(paid.body.data, [])
  })

  it('filters by invoice_type', async () => {
    const standard = await api('GET', '/api/v1/invoices?invoice_type=standard&limit=100')
    assert.equal(standard.body.data.length, 25)
    const commerce = await api('GET', '/api/v1/invoices?invoice_type=commerce')
    assert.deepEqual(commerce.body.data, [])
  })

  it('filters by customer_id and keeps paging within the filter', async () => {
    const gold = created
      .filter((c) => c.customerId === 'cust_gold')
      .map((c) => c.id)
      .reverse()
    const page1 = await api('GET', '/api/v1/invoices?customer_id=cust_gold&limit=5')
    assert.deepEqual(
      page1.body.data.map((i: { id: string }) => i.id),
      gold.slice(0, 5),
    )
    assert.equal(page1.body.has_more, true)
    const page2 = await api(
      'GET',
      `/api/v1/invoices?customer_id=cust_gold&limit=5&starting_after=${gold[4]}`,
    )
    assert.deepEqual(
      page2.body.data.map((i: { id: string }) => i.id),
      gold.slice(5),
    )
    assert.equal(page2.body.has_more, false)
    const unknown = await api('GET', '/api/v1/invoices?customer_id=nobody')
    assert.deepEqual(unknown.body.data, [])
  })

  it('filters by created_gte and created_lte as epoch seconds or ISO date-times (inclusive)', async () => {
    const from = created[5]
    const to = created[9]
    assert.ok(from && to)
    const expected = created
      .slice(5, 10)
      .map((c) => c.id)
      .reverse()
    const bySeconds = await api(
      'GET',
      `/api/v1/invoices?created_gte=${from.createdSeconds}&created_lte=${to.createdSeconds}&limit=100`,
    )
    assert.equal(bySeconds.status, 200)
    assert.deepEqual(
      bySeconds.body.data.map((i: { id: string }) => i.id),
      expected,
    )
    const gteIso = new Date(from.createdSeconds * 1000).toISOString()
    const lteIso = new Date(to.createdSeconds * 1000).toISOString()
    const byIso = await api(
      'GET',
      `/api/v1/invoices?created_gte=${encodeURIComponent(gteIso)}&created_lte=${encodeURIComponent(lteIso)}&limit=100`,
    )
    assert.equal(byIso.status, 200)
    assert.deepEqual(
      byIso.body.data.map((i: { id: string }) => i.id),
      expected,
    )
  })

  it('accepts expand=latest_payment,payments as a comma list or repeated parameter', async () => {
    for (const query of [
      'expand=latest_payment,payments',
      'expand=latest_payment&expand=payments',
    ]) {
      const res = await api('GET', `/api/v1/invoices?${query}&limit=3`)
      assert.equal(res.status, 200, query)
      for (const invoice of res.body.data) {
        assert.equal(invoice.latest_payment, null)
        assert.deepEqual(invoice.payments, [])
      }
    }
    const plain = await api('GET', '/api/v1/invoices?limit=1')
    assert.equal('latest_payment' in plain.body.data[0], false)
    assert.equal('payments' in plain.body.data[0], false)
  })

  it('serves the customer route with the same ordering and pagination', async () => {
    const plain = created
      .filter((c) => c.customerId === 'cust_plain')
      .map((c) => c.id)
      .reverse()
    const page1 = await api('GET', '/api/v1/invoices/customer/cust_plain?limit=10')
    assert.equal(page1.status, 200)
    assert.deepEqual(
      page1.body.data.map((i: { id: string }) => i.id),
      plain.slice(0, 10),
    )
    assert.equal(page1.body.has_more, true)
    const page2 = await api(
      'GET',
      `/api/v1/invoices/customer/cust_plain?limit=10&starting_after=${plain[9]}`,
    )
    assert.deepEqual(
      page2.body.data.map((i: { id: string }) => i.id),
      plain.slice(10),
    )
    assert.equal(page2.body.has_more, false)
    const canceled = await api('GET', '/api/v1/invoices/customer/cust_gold?status=canceled')
    assert.ok(
      canceled.body.data.every(
        (i: { status: string; customer_id: string }) =>
          i.status === 'canceled' && i.customer_id === 'cust_gold',
      ),
    )
    const rejected = await api('GET', '/api/v1/invoices/customer/cust_gold?customer_id=cust_plain')
    assert.equal(rejected.status, 400)
    assert.ok(detailFields(rejected.body).includes('customer_id'))
  })

  describe('query validation', () => {
    const unknownUuid = '0190d6a0-0000-7000-8000-000000000000'
    const cases: [string, string, string][] = [
      ['limit 0', 'limit=0', 'limit'],
      ['limit 101', 'limit=101', 'limit'],
      ['limit abc', 'limit=abc', 'limit'],
      ['limit -1', 'limit=-1', 'limit'],
      ['fractional limit', 'limit=1.5', 'limit'],
      ['an unknown status', 'status=refunded', 'status'],
      ['an empty status list', 'status=,', 'status'],
      ['an unknown invoice_type', 'invoice_type=subscription', 'invoice_type'],
      ['an unknown environment', 'environment=testnet', 'environment'],
      ['a malformed starting_after', 'starting_after=not-a-uuid', 'starting_after'],
      ['a malformed ending_before', 'ending_before=12345', 'ending_before'],
      ['an unknown starting_after', `starting_after=${unknownUuid}`, 'starting_after'],
      ['an unknown ending_before', `ending_before=${unknownUuid}`, 'ending_before'],
      [
        'both cursors',
        `starting_after=${unknownUuid}&ending_before=${unknownUuid}`,
        'ending_before',
      ],
      ['an unsupported expand', 'expand=customer', 'expand'],
      ['payments_limit 0', 'payments_limit=0', 'payments_limit'],
      ['payments_limit 101', 'payments_limit=101', 'payments_limit'],
      ['a created_gte that is not a date', 'created_gte=yesterday', 'created_gte'],
      ['a created_lte that is not a date', 'created_lte=2026-13-45', 'created_lte'],
      ['an unknown query parameter', 'colour=red', 'colour'],
      ['an empty customer_id', 'customer_id=', 'customer_id'],
    ]
    for (const [label, query, field] of cases) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label}`, async () => {
        const res = await api('GET', `/api/v1/invoices?${query}`)
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.equal(res.body.success, false)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        // a comma-list item is named by its position (status.0)
        assert.ok(
          detailFields(res.body).some((f) => f === field || f.startsWith(`${field}.`)),
          `expected ${field} in ${JSON.stringify(res.body.error.details)}`,
        )
      })
    }
  })
})

describe('GET /api/v1/invoices/totals', () => {
  let t: TestServer
  let api: ReturnType<typeof apiClient>
  const clock = new FakeClock(START)
  const amounts: {
    text: string | number
    millis: bigint
    customer: string
    cancel: boolean
    at: number
  }[] = [
    { text: '0.01', millis: 10n, customer: 'a', cancel: false, at: 0 },
    { text: 19.99, millis: 19_990n, customer: 'a', cancel: true, at: 0 },
    { text: '1000000', millis: 1_000_000_000n, customer: 'b', cancel: false, at: 0 },
    { text: 0.1, millis: 100n, customer: 'b', cancel: false, at: 0 },
    { text: '333.33', millis: 333_330n, customer: 'a', cancel: true, at: 0 },
  ]

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
    const merchant = await t.onboard('Totals Merchant')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
    for (const entry of amounts) {
      clock.advance(60_000)
      entry.at = Math.floor(clock.now().getTime() / 1000)
      const res = await api('POST', '/api/v1/invoices', {
        headers: { 'idempotency-key': randomUUID() },
        body: { amount_usd: entry.text, customer_id: entry.customer },
      })
      assert.equal(res.status, 201)
      if (entry.cancel) {
        const cancel = await api('POST', `/api/v1/invoices/${res.body.invoice_id}/cancel`)
        assert.equal(cancel.status, 200)
      }
    }
  })
  after(async () => t.close())

  const bucket = (millis: bigint, count: number) => ({
    amount: Number(millis),
    amount_decimal: formatUsdMillis(millis),
    count,
  })

  it('sums every bucket exactly in usd_millis', async () => {
    const res = await api('GET', '/api/v1/invoices/totals')
    assert.equal(res.status, 200)
    const unpaid = amounts.filter((a) => !a.cancel).reduce((s, a) => s + a.millis, 0n)
    const canceled = amounts.filter((a) => a.cancel).reduce((s, a) => s + a.millis, 0n)
    assert.deepEqual(res.body, {
      object: 'invoice_totals',
      currency: 'usd',
      amount_unit: 'usd_millis',
      totals: {
        all: bucket(unpaid + canceled, 5),
        paid: bucket(0n, 0),
        unpaid: bucket(unpaid, 3),
        underpaid: bucket(0n, 0),
        expired: bucket(0n, 0),
        canceled: bucket(canceled, 2),
      },
    })
    assert.equal(res.body.totals.all.amount_decimal, '1000353.430')
  })

  it('applies the status, customer_id and created filters', async () => {
    const byCustomer = await api('GET', '/api/v1/invoices/totals?customer_id=a')
    assert.deepEqual(byCustomer.body.totals.all, bucket(10n + 19_990n + 333_330n, 3))
    assert.deepEqual(byCustomer.body.totals.canceled, bucket(19_990n + 333_330n, 2))
    const byStatus = await api('GET', '/api/v1/invoices/totals?status=canceled')
    assert.deepEqual(byStatus.body.totals.all, bucket(19_990n + 333_330n, 2))
    assert.deepEqual(byStatus.body.totals.unpaid, bucket(0n, 0))
    const second = amounts[1]
    const third = amounts[2]
    assert.ok(second && third)
    const byTime = await api(
      'GET',
      `/api/v1/invoices/totals?created_gte=${second.at}&created_lte=${third.at}`,
    )
    assert.deepEqual(byTime.body.totals.all, bucket(19_990n + 1_000_000_000n, 2))
  })

  it('rejects unknown and list-only parameters', async () => {
    for (const query of ['limit=10', 'status=bogus', 'environment=prod', 'created_gte=soon']) {
      const res = await api('GET', `/api/v1/invoices/totals?${query}`)
      assert.equal(res.status, 400, query)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    }
  })
})
