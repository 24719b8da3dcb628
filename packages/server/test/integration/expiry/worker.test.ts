import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { until } from '../../helpers/wait.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { expireDueInvoices } from '../../../src/modules/invoices/invoice.service.ts'

/** Polls `probe` every 25 ms until it returns a value, for at most `timeoutMs`. */
interface WireEvent {
  id: string
  type: string
  created: number
  data: { object: { id: string; status: string }; previous_attributes?: Record<string, unknown> }
}

describe('invoice expiry worker', () => {
  const clock = new FakeClock(Date.UTC(2026, 7, 1))
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>

  before(async () => {
    // workers run: the expiry loop polls every 100 ms in tests
    t = await startTestServer({ clock })
    merchant = await t.onboard('Expiry Merchant')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  async function createInvoice(body: Record<string, unknown>): Promise<string> {
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body,
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    return res.body.invoice_id as string
  }

  async function updatedEvents(invoiceId: string): Promise<WireEvent[]> {
    const res = await api('GET', `/api/v1/events?type=invoice.updated&invoice_id=${invoiceId}`)
    assert.equal(res.status, 200)
    return res.body.data.data as WireEvent[]
  }

  /** The invoice's invoice.updated events, once there is one (within the 2 s the expiry promises). */
  function untilUpdated(invoiceId: string, label = 'invoice.updated'): Promise<WireEvent[]> {
    return until(
      async () => {
        const found = await updatedEvents(invoiceId)
        return found.length > 0 ? found : undefined
      },
      2_000,
      label,
    )
  }

  it('expires an invoice and emits invoice.updated within 2 s of its deadline without anyone reading it', async () => {
    const id = await createInvoice({ amount_usd: 9, expires_in: 60_000 })
    const deadlineSeconds = Math.floor(clock.now().getTime() / 1000) + 60
    clock.advance(60_000)
    // only the events table is polled: the invoice itself is never read before it expires
    const events = await untilUpdated(id, 'invoice.updated within 2 s of the deadline')
    assert.equal(events.length, 1)
    const event = events[0]
    assert.ok(event)
    assert.equal(event.data.object.status, 'expired')
    assert.equal(event.data.previous_attributes?.['status'], 'unpaid')
    assert.equal(event.created, deadlineSeconds)
    const invoice = await api('GET', `/api/v1/invoices/${id}`)
    assert.equal(invoice.body.status, 'expired')
    // a further sweep finds nothing left to do and emits nothing
    await expireDueInvoices(t.server.deps)
    assert.equal((await updatedEvents(id)).length, 1)
  })

  it('leaves an invoice open one millisecond before its deadline', async () => {
    const id = await createInvoice({ amount_usd: 9, expires_in: 120_000 })
    clock.advance(119_999)
    await expireDueInvoices(t.server.deps)
    const invoice = await api('GET', `/api/v1/invoices/${id}`)
    assert.equal(invoice.body.status, 'unpaid')
    assert.deepEqual(await updatedEvents(id), [])
    clock.advance(1)
    const value = await untilUpdated(id)
    assert.equal(value.length, 1)
  })

  it('expires many invoices due at once with exactly one event each', async () => {
    const ids: string[] = []
    for (let i = 0; i < 30; i += 1)
      ids.push(await createInvoice({ amount_usd: 1, expires_in: 60_000, customer_id: 'bulk' }))
    const before = await api('GET', '/api/v1/invoices/totals?customer_id=bulk')
    assert.equal(before.body.totals.unpaid.count, 30)
    clock.advance(60_000)
    await until(
      async () => {
        const totals = await api('GET', '/api/v1/invoices/totals?customer_id=bulk')
        return totals.body.totals.expired.count === 30 ? totals : undefined
      },
      2_000,
      'thirty expired invoices',
    )
    const events = await api('GET', '/api/v1/events?type=invoice.updated&limit=100')
    const perInvoice = new Map<string, number>()
    for (const event of events.body.data.data as WireEvent[]) {
      perInvoice.set(event.data.object.id, (perInvoice.get(event.data.object.id) ?? 0) + 1)
    }
    for (const id of ids) assert.equal(perInvoice.get(id), 1, id)
    const totals = await api('GET', '/api/v1/invoices/totals?customer_id=bulk')
    assert.deepEqual(totals.body.totals.expired, {
      amount: 30_000,
      amount_decimal: '30.000',
      count: 30,
    })
    assert.equal(totals.body.totals.unpaid.count, 0)
  })

  it('never expires a canceled invoice', async () => {
    const id = await createInvoice({ amount_usd: 2, expires_in: 60_000 })
    assert.equal((await api('POST', `/api/v1/invoices/${id}/cancel`)).status, 200)
    clock.advance(120_000)
    await expireDueInvoices(t.server.deps)
    const invoice = await api('GET', `/api/v1/invoices/${id}`)
    assert.equal(invoice.body.status, 'canceled')
    const events = await updatedEvents(id)
    assert.deepEqual(
      events.map((e) => e.data.object.status),
      ['canceled'],
    )
  })

  it('shows the expiry to the payer session', async () => {
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 3, expires_in: 60_000 },
    })
    const session = apiClient(t.url, res.body.payment_session_headers)
    clock.advance(60_000)
    await untilUpdated(res.body.invoice_id)
    const status = await session('GET', '/api/v1/payments/payment-status')
    assert.deepEqual(status.body, { status: 'expired', paid_at: null })
    const email = await session('POST', '/api/v1/payments/customer-email', {
      body: { email: 'late@example.com' },
    })
    assert.equal(email.status, 410)
  })
})
