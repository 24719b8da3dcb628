import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

const INVOICE_KEYS = [
  'amount',
  'amount_decimal',
  'amount_paid',
  'amount_paid_decimal',
  'amount_remaining',
  'amount_remaining_decimal',
  'amount_unit',
  'canceled_at',
  'commerce_order_id',
  'created_at',
  'currency',
  'customer_id',
  'description',
  'environment',
  'exceptions',
  'expires_at',
  'id',
  'invoice_type',
  'last_payment_at',
  'merchant_id',
  'metadata',
  'object',
  'paid_at',
  'payer_wallet_address',
  'payer_wallet_network',
  'status',
]

const MALFORMED_IDS: [string, string][] = [
  ['a short word', 'abc'],
  ['a number', '12345'],
  ['a legacy inv_ id', 'inv_abc123'],
  ['a uuid with a trailing character', '0190d6a0-0000-7000-8000-0000000000001'],
  ['a uuid without dashes', '0190d6a0000070008000000000000000'],
]

describe('invoice retrieve, status and cancel', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>
  const clock = new FakeClock(Date.UTC(2026, 3, 1))

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
    merchant = await t.onboard('Retrieve Merchant')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  async function createInvoice(
    body: Record<string, unknown> = { amount_usd: '12.34' },
  ): Promise<string> {
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body,
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    return res.body.invoice_id as string
  }

  describe('GET /api/v1/invoices/{invoiceId}', () => {
    it('returns the canonical invoice object with exact usd_millis fields', async () => {
      const id = await createInvoice({
        amount_usd: 129.9,
        description: 'Annual plan',
        customer_id: 'cust_42',
        metadata: { order_id: 'ORD-42', items: [{ sku: 'A', qty: 2 }] },
        expires_in: 3_600_000,
      })
      const res = await api('GET', `/api/v1/invoices/${id}`)
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.body).sort(), INVOICE_KEYS)
      const now = Math.floor(clock.now().getTime() / 1000)
      assert.deepEqual(res.body, {
        object: 'invoice',
        id,
        merchant_id: Number(merchant.merchant.id),
        status: 'unpaid',
        invoice_type: 'standard',
        currency: 'usd',
        amount: 129_900,
        amount_decimal: '129.900',
        amount_paid: 0,
        amount_paid_decimal: '0.000',
        amount_remaining: 129_900,
        amount_remaining_decimal: '129.900',
        amount_unit: 'usd_millis',
        description: 'Annual plan',
        customer_id: 'cust_42',
        payer_wallet_address: null,
        payer_wallet_network: null,
        commerce_order_id: null,
        environment: 'devnet',
        exceptions: [],
        expires_at: now + 3600,
        created_at: now,
        paid_at: null,
        last_payment_at: null,
        canceled_at: null,
        metadata: { order_id: 'ORD-42', items: [{ sku: 'A', qty: 2 }] },
      })
    })

    it('accepts expand=latest_payment,payments and answers an empty payment list', async () => {
      const id = await createInvoice()
      const res = await api(
        'GET',
        `/api/v1/invoices/${id}?expand=latest_payment,payments&payments_limit=5`,
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.latest_payment, null)
      assert.deepEqual(res.body.payments, [])
      const latestOnly = await api('GET', `/api/v1/invoices/${id}?expand=latest_payment`)
      assert.equal(latestOnly.body.latest_payment, null)
      assert.equal('payments' in latestOnly.body, false)
    })

    it('answers 400 naming expand for an unsupported expansion', async () => {
      const id = await createInvoice()
      const res = await api('GET', `/api/v1/invoices/${id}?expand=merchant`)
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.ok(res.body.error.details.some((d: { field: string }) => d.field.startsWith('expand')))
    })

    it('answers 404 NOT_FOUND for a well-formed id that does not exist', async () => {
      const res = await api('GET', `/api/v1/invoices/${randomUUID()}`)
      assert.equal(res.status, 404)
      assert.deepEqual(res.body, {
        success: false,
        error: { code: 'NOT_FOUND', message: 'invoice not found' },
      })
    })
  })

  describe('GET /api/v1/invoices/{invoiceId}/status', () => {
    it('returns the status object with the invoice subset and a null latest_payment', async () => {
      const id = await createInvoice({ amount_usd: 5, customer_id: 'cust_status' })
      const res = await api('GET', `/api/v1/invoices/${id}/status`)
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.body).sort(), ['invoice', 'latest_payment', 'object'])
      assert.equal(res.body.object, 'invoice_status')
      assert.equal(res.body.latest_payment, null)
      assert.deepEqual(Object.keys(res.body.invoice).sort(), INVOICE_KEYS)
      assert.equal(res.body.invoice.id, id)
      assert.equal(res.body.invoice.status, 'unpaid')
      assert.equal(res.body.invoice.amount, 5000)
      assert.equal(res.body.invoice.customer_id, 'cust_status')
    })

    it('answers 404 for an unknown invoice', async () => {
      const res = await api('GET', `/api/v1/invoices/${randomUUID()}/status`)
      assert.equal(res.status, 404)
      assert.equal(res.body.error.code, 'NOT_FOUND')
    })
  })

  describe('POST /api/v1/invoices/{invoiceId}/cancel', () => {
    it('cancels an unpaid invoice and emits invoice.updated with the previous status', async () => {
      const id = await createInvoice()
      clock.advance(5_000)
      const res = await api('POST', `/api/v1/invoices/${id}/cancel`)
      assert.equal(res.status, 200)
      assert.equal(res.body.object, 'invoice')
      assert.equal(res.body.status, 'canceled')
      assert.equal(res.body.canceled_at, Math.floor(clock.now().getTime() / 1000))
      const retrieved = await api('GET', `/api/v1/invoices/${id}`)
      assert.equal(retrieved.body.status, 'canceled')

      const events = await api('GET', `/api/v1/events?invoice_id=${id}`)
      assert.deepEqual(
        events.body.data.data.map((e: { type: string }) => e.type),
        ['invoice.updated', 'invoice.created'],
      )
      const updated = events.body.data.data[0]
      assert.equal(updated.data.object.status, 'canceled')
      assert.equal(updated.data.previous_attributes.status, 'unpaid')
      assert.equal(updated.data.previous_attributes.canceled_at, null)
      assert.equal(updated.request.id, res.headers.get('x-request-id'))
    })

    it('answers 400 INVOICE_NOT_CANCELABLE on a second cancel and emits nothing more', async () => {
      const id = await createInvoice()
      const first = await api('POST', `/api/v1/invoices/${id}/cancel`)
      assert.equal(first.status, 200)
      const second = await api('POST', `/api/v1/invoices/${id}/cancel`)
      assert.equal(second.status, 400)
      assert.equal(second.body.success, false)
      assert.equal(second.body.error.code, 'INVOICE_NOT_CANCELABLE')
      const events = await api('GET', `/api/v1/events?invoice_id=${id}&type=invoice.updated`)
      assert.equal(events.body.data.data.length, 1)
    })

    it('answers 400 INVOICE_NOT_CANCELABLE for an invoice past its deadline', async () => {
      const id = await createInvoice({ amount_usd: 1, expires_in: 60_000 })
      clock.advance(61_000)
      const res = await api('POST', `/api/v1/invoices/${id}/cancel`)
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'INVOICE_NOT_CANCELABLE')
      assert.match(res.body.error.message, /expired/)
    })

    it('replays the cancel response for the same Idempotency-Key', async () => {
      const id = await createInvoice()
      const key = randomUUID()
      const first = await api('POST', `/api/v1/invoices/${id}/cancel`, {
        headers: { 'idempotency-key': key },
      })
      const second = await api('POST', `/api/v1/invoices/${id}/cancel`, {
        headers: { 'idempotency-key': key },
      })
      assert.equal(first.status, 200)
      assert.equal(second.status, 200)
      assert.equal(second.headers.get('idempotency-replayed'), 'true')
      assert.deepEqual(second.body, first.body)
    })

    it('refuses a body and leaves the invoice unpaid', async () => {
      const id = await createInvoice()
      const res = await api('POST', `/api/v1/invoices/${id}/cancel`, {
        body: { reason: 'duplicate' },
      })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      const retrieved = await api('GET', `/api/v1/invoices/${id}`)
      assert.equal(retrieved.body.status, 'unpaid')
    })

    it('answers 404 for an unknown invoice', async () => {
      const res = await api('POST', `/api/v1/invoices/${randomUUID()}/cancel`)
      assert.equal(res.status, 404)
      assert.equal(res.body.error.code, 'NOT_FOUND')
    })
  })

  describe('malformed invoice ids', () => {
    const routes: [string, (id: string) => string][] = [
      ['GET', (id) => `/api/v1/invoices/${id}`],
      ['GET', (id) => `/api/v1/invoices/${id}/status`],
      ['POST', (id) => `/api/v1/invoices/${id}/cancel`],
    ]
    for (const [method, path] of routes) {
      for (const [label, id] of MALFORMED_IDS) {
        it(`answers 400 VALIDATION_ERROR naming invoiceId on ${method} ${path('{id}')} for ${label}`, async () => {
          const res = await api(method, path(encodeURIComponent(id)))
          assert.equal(res.status, 400, JSON.stringify(res.body))
          assert.equal(res.body.error.code, 'VALIDATION_ERROR')
          assert.ok(
            res.body.error.details.some((d: { field: string }) => d.field === 'invoiceId'),
            JSON.stringify(res.body.error.details),
          )
        })
      }
    }
  })
})
