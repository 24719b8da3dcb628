import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  AuthenticationError,
  InvalidRequestError,
  NotFoundError,
  Pepay,
  PepayError,
  PermissionError,
  type Invoice,
} from 'pepay'
import {
  InvoiceList,
  InvoiceStatusResponse,
  InvoiceTotals,
  Invoice as InvoiceSchema,
  CreateInvoiceResponse,
} from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { recordingFetch } from './helpers.ts'

describe('SDK pepay.invoices', () => {
  let t: TestServer
  let acme: OnboardedMerchant
  let other: OnboardedMerchant
  let pepay: Pepay

  before(async () => {
    t = await startTestServer()
    acme = await t.onboard('Acme')
    other = await t.onboard('Other')
    pepay = new Pepay({ baseUrl: t.url, apiKey: acme.merchantKey, maxRetries: 0 })
  })
  after(async () => t.close())

  it('creates an invoice and retrieves it in usd_millis', async () => {
    const created = await pepay.invoices.create({
      amount_usd: 49.99,
      description: 'Starter plan',
      metadata: { order_id: 'ORD-1' },
    })
    CreateInvoiceResponse.parse(created)
    assert.match(created.session_token, /^pst_/)
    const invoice = await pepay.invoices.retrieve(created.invoice_id)
    InvoiceSchema.parse(invoice)
    assert.equal(invoice.amount, 49990)
    assert.equal(invoice.amount_decimal, '49.990')
    assert.equal(invoice.status, 'unpaid')
    assert.deepEqual(invoice.metadata, { order_id: 'ORD-1' })
  })

  it('sends one auto-generated UUID v4 Idempotency-Key on writes and none on reads', async () => {
    const rec = recordingFetch()
    const client = new Pepay({ baseUrl: t.url, apiKey: acme.merchantKey, fetch: rec.fetch })
    const created = await client.invoices.create({ amount_usd: 3 })
    await client.invoices.retrieve(created.invoice_id)
    const [write, read] = rec.calls
    assert.match(
      write?.headers['idempotency-key'] ?? '',
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    assert.equal(read?.headers['idempotency-key'], undefined)
  })

  it('replays the first invoice when the caller reuses its own Idempotency-Key', async () => {
    const idempotencyKey = randomUUID()
    const first = await pepay.invoices.create({ amount_usd: '10.50' }, { idempotencyKey })
    const second = await pepay.invoices.create({ amount_usd: '10.50' }, { idempotencyKey })
    assert.deepEqual(second, first)
  })

  it('sends x-api-key only, even when a commerce key and a bearer token are also configured', async () => {
    const rec = recordingFetch()
    const client = new Pepay({
      baseUrl: t.url,
      apiKey: acme.merchantKey,
      commerceApiKey: acme.commerceKey,
      bearerToken: acme.dashboardToken,
      fetch: rec.fetch,
    })
    await client.invoices.list({ limit: 1 })
    const headers = rec.calls[0]?.headers ?? {}
    assert.equal(headers['x-api-key'], acme.merchantKey)
    assert.equal(headers['x-commerce-api-key'], undefined)
    assert.equal(headers['authorization'], undefined)
  })

  it('uses the Bearer token on invoice routes when it is the only credential', async () => {
    const rec = recordingFetch()
    const client = new Pepay({ baseUrl: t.url, bearerToken: acme.dashboardToken, fetch: rec.fetch })
    const list = await client.invoices.list({ limit: 1 })
    InvoiceList.parse(list)
    assert.equal(rec.calls[0]?.headers['authorization'], `Bearer ${acme.dashboardToken}`)
    assert.equal(rec.calls[0]?.headers['x-api-key'], undefined)
  })

  it('iterates every page of a list with starting_after and stops at the end', async () => {
    const customer = `cust_${randomUUID()}`
    const ids: string[] = []
    for (let i = 0; i < 7; i++)
      ids.push(
        (await pepay.invoices.create({ amount_usd: i + 1, customer_id: customer })).invoice_id,
      )
    const newestFirst = [...ids].reverse()

    const firstPage = await pepay.invoices.list({ customer_id: customer, limit: 3 })
    assert.equal(firstPage.data.length, 3)
    assert.equal(firstPage.has_more, true)

    const seen: string[] = []
    for await (const invoice of pepay.invoices.list({ customer_id: customer, limit: 3 }))
      seen.push(invoice.id)
    assert.deepEqual(seen, newestFirst)

    const byCustomer: Invoice[] = []
    for await (const invoice of pepay.invoices.listByCustomer(customer, { limit: 2 }))
      byCustomer.push(invoice)
    assert.deepEqual(
      byCustomer.map((i) => i.id),
      newestFirst,
    )

    const five = await pepay.invoices
      .list({ customer_id: customer, limit: 2 })
      .autoPagingToArray({ limit: 5 })
    assert.deepEqual(
      five.map((i) => i.id),
      newestFirst.slice(0, 5),
    )
  })

  it('iterates towards newer invoices when the list starts with ending_before', async () => {
    const customer = `cust_${randomUUID()}`
    const ids: string[] = []
    for (let i = 0; i < 5; i++)
      ids.push((await pepay.invoices.create({ amount_usd: 1, customer_id: customer })).invoice_id)
    const seen: string[] = []
    for await (const invoice of pepay.invoices.list({
      customer_id: customer,
      limit: 2,
      ending_before: ids[0],
    }))
      seen.push(invoice.id)
    assert.deepEqual([...seen].sort(), ids.slice(1).sort())
    assert.equal(new Set(seen).size, 4)
  })

  it('accepts arrays for comma-separated filters and expand', async () => {
    const customer = `cust_${randomUUID()}`
    const created = await pepay.invoices.create({ amount_usd: 2, customer_id: customer })
    await pepay.invoices.cancel(created.invoice_id)
    await pepay.invoices.create({ amount_usd: 2, customer_id: customer })
    const canceled = await pepay.invoices.list({
      customer_id: customer,
      status: ['canceled', 'expired'],
      expand: ['latest_payment'],
    })
    assert.deepEqual(
      canceled.data.map((i) => i.id),
      [created.invoice_id],
    )
    assert.equal(canceled.data[0]?.latest_payment, null)
    const totals = await pepay.invoices.totals({ customer_id: customer })
    InvoiceTotals.parse(totals)
    assert.equal(totals.totals.all.count, 2)
    assert.equal(totals.totals.canceled.amount, 2000)
    assert.equal(totals.totals.unpaid.count, 1)
  })

  it('polls status and cancels an invoice', async () => {
    const created = await pepay.invoices.create({ amount_usd: 5 })
    const status = await pepay.invoices.status(created.invoice_id)
    InvoiceStatusResponse.parse(status)
    assert.equal(status.invoice.status, 'unpaid')
    assert.equal(status.latest_payment, null)
    const canceled = await pepay.invoices.cancel(created.invoice_id)
    assert.equal(canceled.status, 'canceled')
  })

  it('waitForStatus resolves when the invoice reaches a terminal status', async () => {
    const created = await pepay.invoices.create({ amount_usd: 5 })
    const waiting = pepay.invoices.waitForStatus(created.invoice_id, {
      timeoutMs: 10_000,
      intervalMs: 100,
    })
    await pepay.invoices.cancel(created.invoice_id)
    const final = await waiting
    assert.equal(final.invoice.status, 'canceled')
  })

  it('waitForStatus throws WAIT_TIMEOUT carrying the last status when the deadline passes', async () => {
    const created = await pepay.invoices.create({ amount_usd: 5 })
    const started = performance.now()
    await assert.rejects(
      pepay.invoices.waitForStatus(created.invoice_id, { timeoutMs: 300, intervalMs: 100 }),
      (error: unknown) => {
        assert.ok(error instanceof PepayError)
        assert.equal(error.code, 'WAIT_TIMEOUT')
        assert.equal((error.details as { invoice: { status: string } }).invoice.status, 'unpaid')
        return true
      },
    )
    assert.ok(performance.now() - started < 3000)
  })

  it('throws InvalidRequestError with the field details for a bad amount', async () => {
    await assert.rejects(pepay.invoices.create({ amount_usd: 0.001 }), (error: unknown) => {
      assert.ok(error instanceof InvalidRequestError)
      assert.equal(error.status, 400)
      assert.equal(error.code, 'VALIDATION_ERROR')
      assert.match(error.requestId ?? '', /^req_/)
      assert.ok((error.details as { field: string }[]).some((d) => d.field === 'amount_usd'))
      return true
    })
  })

  it('throws AuthenticationError for an unknown key', async () => {
    const client = new Pepay({ baseUrl: t.url, apiKey: 'pk_test_nope', maxRetries: 0 })
    await assert.rejects(client.invoices.list(), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError)
      assert.equal(error.status, 401)
      assert.equal(error.code, 'API_KEY_INVALID')
      return true
    })
  })

  it('throws PermissionError when a commerce-scoped key is used on a merchant route', async () => {
    const client = new Pepay({ baseUrl: t.url, apiKey: acme.commerceKey, maxRetries: 0 })
    await assert.rejects(
      client.invoices.list(),
      (error: unknown) =>
        error instanceof PermissionError && error.status === 403 && error.code === 'FORBIDDEN',
    )
  })

  it("throws NotFoundError for another merchant's invoice", async () => {
    const created = await pepay.invoices.create({ amount_usd: 5 })
    const client = new Pepay({ baseUrl: t.url, apiKey: other.merchantKey, maxRetries: 0 })
    await assert.rejects(
      client.invoices.retrieve(created.invoice_id),
      (error: unknown) => error instanceof NotFoundError && error.code === 'NOT_FOUND',
    )
    await assert.rejects(client.invoices.cancel(created.invoice_id), NotFoundError)
    assert.equal((await pepay.invoices.retrieve(created.invoice_id)).status, 'unpaid')
  })

  it('fails locally with CREDENTIALS_MISSING when no accepted credential is configured', async () => {
    const rec = recordingFetch()
    const client = new Pepay({
      baseUrl: t.url,
      sessionToken: 'pst_x',
      signature: 'sig',
      fetch: rec.fetch,
    })
    await assert.rejects(
      client.invoices.list(),
      (error: unknown) =>
        error instanceof AuthenticationError &&
        error.code === 'CREDENTIALS_MISSING' &&
        error.status === undefined,
    )
    assert.equal(rec.calls.length, 0)
  })

  it('keeps ids in their path segment', async () => {
    await assert.rejects(
      pepay.invoices.retrieve('../invoices/totals'),
      (error: unknown) => error instanceof PepayError && error.status !== 200,
    )
  })
})
