import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import {
  TEST_DB,
  apiClient,
  createTestDatabase,
  keyHeaders,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../../helpers/server.ts'
import { until } from '../../helpers/wait.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

interface WireEvent {
  id: string
  data: { object: { id: string; status: string }; previous_attributes?: Record<string, unknown> }
}

/** Bounded poll: every 25 ms for at most `timeoutMs`. */
describe('invoice expiry across a restart', () => {
  const clock = new FakeClock(Date.UTC(2026, 8, 1))
  let db: TestDatabase
  const running: TestServer[] = []
  let merchant: OnboardedMerchant

  before(async () => {
    db = await createTestDatabase()
  })
  after(async () => {
    for (const server of running) await server.stopServer()
    await db.drop()
  })

  async function start(): Promise<TestServer> {
    const server = await startTestServer({ clock, database: db })
    running.push(server)
    return server
  }

  it('expires, after a restart, an invoice whose deadline passed while the server was down, emitting exactly one invoice.updated', async () => {
    const first = await start()
    merchant = await first.onboard('Restart Merchant')
    const api1 = apiClient(first.url, keyHeaders(merchant.merchantKey))
    const created = await api1('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: '15.00', expires_in: 300_000 },
    })
    assert.equal(created.status, 201)
    const id: string = created.body.invoice_id
    const sessionHeaders: Record<string, string> = created.body.payment_session_headers
    await first.stopServer()

    clock.advance(3_600_000)
    const second = await start()
    const api2 = apiClient(second.url, keyHeaders(merchant.merchantKey))
    const events = await until(
      async () => {
        const res = await api2('GET', `/api/v1/events?invoice_id=${id}&type=invoice.updated`)
        return res.body.data.data.length > 0 ? (res.body.data.data as WireEvent[]) : undefined
      },
      2_000,
      'invoice.updated after the restart',
    )
    assert.equal(events.length, 1)
    assert.equal(events[0]?.data.object.status, 'expired')
    assert.equal(events[0]?.data.previous_attributes?.['status'], 'unpaid')
    const invoice = await api2('GET', `/api/v1/invoices/${id}`)
    assert.equal(invoice.body.status, 'expired')
    // the session credentials minted before the restart still identify the invoice
    const status = await apiClient(second.url, sessionHeaders)(
      'GET',
      '/api/v1/payments/payment-status',
    )
    assert.deepEqual(status.body, { status: 'expired', paid_at: null })

    // a second restart does not emit the expiry again
    await second.stopServer()
    const third = await start()
    const api3 = apiClient(third.url, keyHeaders(merchant.merchantKey))
    const sentinel = await api3('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 1, expires_in: 60_000 },
    })
    clock.advance(60_000)
    // once the worker has expired the sentinel it has swept past the old invoice as well
    await until(
      async () => {
        const res = await api3(
          'GET',
          `/api/v1/events?invoice_id=${sentinel.body.invoice_id}&type=invoice.updated`,
        )
        return res.body.data.data.length > 0 ? true : undefined
      },
      2_000,
      'the sentinel expired',
    )
    const after = await api3('GET', `/api/v1/events?invoice_id=${id}&type=invoice.updated`)
    assert.equal(after.body.data.data.length, 1)
    await third.stopServer()
  })

  it(
    'shares the schedule between two running servers without double expiry',
    { skip: TEST_DB === 'pglite' && 'an embedded database has one process' },
    async () => {
      const a = await start()
      const b = await start()
      const api = apiClient(a.url, keyHeaders(merchant.merchantKey))
      const ids: string[] = []
      for (let i = 0; i < 40; i += 1) {
        const res = await api('POST', '/api/v1/invoices', {
          headers: { 'idempotency-key': randomUUID() },
          body: { amount_usd: 1, expires_in: 60_000, customer_id: 'shared-schedule' },
        })
        ids.push(res.body.invoice_id)
      }
      clock.advance(60_000)
      await until(
        async () => {
          const totals = await api('GET', '/api/v1/invoices/totals?customer_id=shared-schedule')
          return totals.body.totals.expired.count === 40 ? true : undefined
        },
        3_000,
        'forty expired invoices',
      )
      const events = await apiClient(b.url, keyHeaders(merchant.merchantKey))(
        'GET',
        '/api/v1/events?type=invoice.updated&limit=100',
      )
      const counts = new Map<string, number>()
      for (const event of events.body.data.data as WireEvent[]) {
        counts.set(event.data.object.id, (counts.get(event.data.object.id) ?? 0) + 1)
      }
      for (const id of ids) assert.equal(counts.get(id), 1, id)
    },
  )
})
