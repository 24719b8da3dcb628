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
  type PepayEvent,
} from 'pepay'
import {
  ApiKey,
  CreatedApiKey,
  EventList,
  EventResponse,
  MainnetAccessStatus,
  PaymentReturnUrl,
} from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { recordingFetch } from './helpers.ts'

describe('SDK account namespaces: apiKeys, access, merchantSettings, events', () => {
  let t: TestServer
  let acme: OnboardedMerchant
  let other: OnboardedMerchant
  let merchant: Pepay
  let dashboard: Pepay

  before(async () => {
    t = await startTestServer()
    acme = await t.onboard('Acme')
    other = await t.onboard('Other')
    merchant = new Pepay({ baseUrl: t.url, apiKey: acme.merchantKey, maxRetries: 0 })
    dashboard = merchant.withAuth({ bearerToken: acme.dashboardToken })
  })
  after(async () => t.close())

  describe('pepay.apiKeys', () => {
    it('creates, lists and revokes a key; the revoked key stops working', async () => {
      const created = await dashboard.apiKeys.create({
        name: 'production-server',
        scope: 'merchant',
      })
      CreatedApiKey.parse(created)
      const fresh = new Pepay({ baseUrl: t.url, apiKey: created.api_key, maxRetries: 0 })
      assert.equal((await fresh.invoices.list({ limit: 1 })).object, 'list')
      const keys = await dashboard.apiKeys.list({ scope: 'merchant' })
      for (const key of keys) ApiKey.parse(key)
      assert.ok(keys.some((k) => k.key_id === created.key_id && k.status === 'active'))
      assert.deepEqual(await dashboard.apiKeys.revoke(created.key_id, { reason: 'rotated' }), {
        message: 'API key revoked successfully',
      })
      await assert.rejects(
        fresh.invoices.list(),
        (error: unknown) =>
          error instanceof AuthenticationError && error.code === 'API_KEY_REVOKED',
      )
    })

    it('sends only the Bearer token even when an API key is configured too', async () => {
      const rec = recordingFetch()
      const both = new Pepay({
        baseUrl: t.url,
        apiKey: acme.merchantKey,
        bearerToken: acme.dashboardToken,
        fetch: rec.fetch,
      })
      await both.apiKeys.list()
      assert.equal(rec.calls[0]?.headers['authorization'], `Bearer ${acme.dashboardToken}`)
      assert.equal(rec.calls[0]?.headers['x-api-key'], undefined)
    })

    it("throws NotFoundError revoking another merchant's key and AuthenticationError without a Bearer token", async () => {
      const theirs = await merchant
        .withAuth({ bearerToken: other.dashboardToken })
        .apiKeys.create({ name: 'theirs', scope: 'merchant' })
      await assert.rejects(dashboard.apiKeys.revoke(theirs.key_id), NotFoundError)
      await assert.rejects(
        merchant.apiKeys.list(),
        (error: unknown) =>
          error instanceof AuthenticationError && error.code === 'CREDENTIALS_MISSING',
      )
      const forged = merchant.withAuth({ bearerToken: 'not.a.jwt' })
      await assert.rejects(
        forged.apiKeys.list(),
        (error: unknown) => error instanceof AuthenticationError && error.status === 401,
      )
    })

    it('throws InvalidRequestError for a missing name', async () => {
      await assert.rejects(
        dashboard.apiKeys.create({ name: '', scope: 'merchant' }),
        InvalidRequestError,
      )
    })
  })

  describe('pepay.access', () => {
    it('reads the status and refuses mainnet without access', async () => {
      const status = await merchant.access.getStatus()
      MainnetAccessStatus.parse(status)
      assert.deepEqual(status, { has_mainnet_access: false, current_environment: 'devnet' })
      await assert.rejects(
        merchant.access.setEnvironment({ environment: 'mainnet' }),
        (error: unknown) =>
          error instanceof PermissionError && error.code === 'MAINNET_ACCESS_REQUIRED',
      )
      assert.deepEqual(await merchant.access.setEnvironment({ environment: 'devnet' }), {
        success: true,
        current_environment: 'devnet',
      })
      await assert.rejects(merchant.access.activateMainnet(), PermissionError)
    })
  })

  describe('pepay.merchantSettings', () => {
    it('sets, reads and clears the default return URL', async () => {
      const set = await merchant.merchantSettings.updatePaymentReturnUrl({
        payment_return_url: 'https://merchant.example.com/checkout/complete',
      })
      PaymentReturnUrl.parse(set)
      assert.deepEqual(set, {
        payment_return_url: 'https://merchant.example.com/checkout/complete',
        payment_return_url_enabled: true,
      })
      assert.deepEqual(await merchant.merchantSettings.getPaymentReturnUrl(), set)
      const cleared = await merchant.merchantSettings.updatePaymentReturnUrl({
        payment_return_url: null,
      })
      assert.deepEqual(cleared, { payment_return_url: null, payment_return_url_enabled: false })
    })

    it('throws InvalidRequestError for a plain-HTTP URL', async () => {
      await assert.rejects(
        merchant.merchantSettings.updatePaymentReturnUrl({
          payment_return_url: 'http://merchant.example.com',
        }),
        (error: unknown) =>
          error instanceof InvalidRequestError && error.code === 'VALIDATION_ERROR',
      )
    })
  })

  describe('pepay.events', () => {
    const created: string[] = []
    let customer: string

    before(async () => {
      customer = `cust_${randomUUID()}`
      for (let i = 0; i < 5; i++)
        created.push(
          (await merchant.invoices.create({ amount_usd: 1, customer_id: customer })).invoice_id,
        )
    })

    it('lists events newest first in envelope B and iterates across pages', async () => {
      const page = await merchant.events.list({ type: 'invoice.created', limit: 2 })
      EventList.parse(page)
      assert.equal(page.success, true)
      assert.equal(page.data.data.length, 2)
      const ids: string[] = []
      for await (const event of merchant.events.list({
        type: ['invoice.created'],
        customer_id: customer,
        limit: 2,
      })) {
        ids.push((event.data.object as { id: string }).id)
      }
      assert.deepEqual(ids, [...created].reverse())
    })

    it('retrieves one event and answers NotFoundError for another merchant', async () => {
      const [latest] = (await merchant.events.list({ limit: 1 })).data.data
      assert.ok(latest)
      const one = await merchant.events.retrieve(latest.id)
      EventResponse.parse(one)
      assert.equal(one.data.id, latest.id)
      const outsider = merchant.withAuth({ apiKey: other.merchantKey })
      await assert.rejects(outsider.events.retrieve(latest.id), NotFoundError)
    })

    it('recoverSince returns the events after a cursor, oldest first, across pages', async () => {
      const all: PepayEvent[] = []
      for await (const event of merchant.events.list({ customer_id: customer, limit: 100 }))
        all.push(event)
      const chronological = [...all].reverse()
      const cursor = chronological[0]
      assert.ok(cursor)
      const recovered = await merchant.events.recoverSince(cursor.id, {
        filters: { customer_id: customer },
      })
      assert.deepEqual(
        recovered.map((e) => e.id),
        chronological.slice(1).map((e) => e.id),
      )
      const two = await merchant.events.recoverSince(cursor.id, {
        limit: 2,
        filters: { customer_id: customer },
      })
      assert.deepEqual(
        two.map((e) => e.id),
        chronological.slice(1, 3).map((e) => e.id),
      )
    })

    it('reads events with the commerce key when it is the only key', async () => {
      const commerce = new Pepay({ baseUrl: t.url, commerceApiKey: acme.commerceKey })
      const page = await commerce.events.list({ limit: 5 })
      assert.equal(page.success, true)
      assert.ok(
        page.data.data.every(
          (e) => (e.data.object as { invoice_type?: string }).invoice_type !== 'standard',
        ),
      )
    })

    it('throws InvalidRequestError for a malformed cursor', async () => {
      await assert.rejects(
        merchant.events.list({ starting_after: 'evt_nope' }),
        (error: unknown) => error instanceof InvalidRequestError && error instanceof PepayError,
      )
    })
  })
})
