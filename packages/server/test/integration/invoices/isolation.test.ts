import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { updateMerchant } from '../../../src/modules/merchants/merchant.repo.ts'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const ids = (list: { id: string }[]) => list.map((x) => x.id)

describe('tenant and environment isolation', () => {
  let t: TestServer
  let a: OnboardedMerchant
  let b: OnboardedMerchant
  let call: ReturnType<typeof apiClient>
  /** A's devnet and mainnet invoices, B's devnet invoice, all for the same customer id. */
  let aDevnet: string
  let aMainnet: string
  let bDevnet: string
  let aDevnetEventId: string
  let aMainnetEventId: string

  async function create(key: string, body: Record<string, unknown>, idempotencyKey = randomUUID()) {
    const res = await call('POST', '/api/v1/invoices', {
      headers: { ...keyHeaders(key), 'idempotency-key': idempotencyKey },
      body,
    })
    return res
  }

  before(async () => {
    t = await startTestServer({ runWorkers: false })
    a = await t.onboard('Tenant A', { grantMainnet: true })
    b = await t.onboard('Tenant B')
    call = apiClient(t.url)
    assert.ok(a.mainnetMerchantKey)
    aDevnet = (await create(a.merchantKey, { amount_usd: 10, customer_id: 'shared_cust' })).body
      .invoice_id
    aMainnet = (await create(a.mainnetMerchantKey, { amount_usd: 20, customer_id: 'shared_cust' }))
      .body.invoice_id
    bDevnet = (await create(b.merchantKey, { amount_usd: 30, customer_id: 'shared_cust' })).body
      .invoice_id
    const devnetEvents = await call('GET', `/api/v1/events?invoice_id=${aDevnet}`, {
      headers: keyHeaders(a.merchantKey),
    })
    aDevnetEventId = devnetEvents.body.data.data[0].id
    const mainnetEvents = await call('GET', `/api/v1/events?invoice_id=${aMainnet}`, {
      headers: keyHeaders(a.mainnetMerchantKey),
    })
    aMainnetEventId = mainnetEvents.body.data.data[0].id
  })
  after(async () => t.close())

  describe("another merchant's credentials on merchant A's ids", () => {
    const credentials: [string, () => Record<string, string>][] = [
      ['merchant key', () => keyHeaders(b.merchantKey)],
      ['dashboard bearer', () => bearer(b.dashboardToken)],
    ]
    for (const [label, headers] of credentials) {
      it(`answers 404 on retrieve, status and cancel with B's ${label}`, async () => {
        for (const [method, path] of [
          ['GET', `/api/v1/invoices/${aDevnet}`],
          ['GET', `/api/v1/invoices/${aDevnet}?expand=latest_payment,payments`],
          ['GET', `/api/v1/invoices/${aDevnet}/status`],
          ['POST', `/api/v1/invoices/${aDevnet}/cancel`],
        ] as const) {
          const res = await call(method, path, { headers: headers() })
          assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`)
          assert.equal(res.body.error.code, 'NOT_FOUND')
          assert.equal(JSON.stringify(res.body).includes(aDevnet), false)
        }
        const still = await call('GET', `/api/v1/invoices/${aDevnet}`, {
          headers: keyHeaders(a.merchantKey),
        })
        assert.equal(still.body.status, 'unpaid')
      })

      it(`lists only B's invoices, customers and totals with B's ${label}`, async () => {
        const list = await call(
          'GET',
          '/api/v1/invoices?limit=100&expand=latest_payment,payments',
          { headers: headers() },
        )
        assert.deepEqual(ids(list.body.data), [bDevnet])
        const customer = await call('GET', '/api/v1/invoices/customer/shared_cust', {
          headers: headers(),
        })
        assert.deepEqual(ids(customer.body.data), [bDevnet])
        const totals = await call('GET', '/api/v1/invoices/totals', { headers: headers() })
        assert.deepEqual(totals.body.totals.all, {
          amount: 30_000,
          amount_decimal: '30.000',
          count: 1,
        })
      })

      it(`refuses A's invoice as a pagination cursor with B's ${label}`, async () => {
        for (const param of ['starting_after', 'ending_before']) {
          const res = await call('GET', `/api/v1/invoices?${param}=${aDevnet}`, {
            headers: headers(),
          })
          assert.equal(res.status, 400)
          assert.equal(res.body.error.details[0].field, param)
        }
      })

      it(`hides A's events from B's ${label}`, async () => {
        const byInvoice = await call('GET', `/api/v1/events?invoice_id=${aDevnet}`, {
          headers: headers(),
        })
        assert.equal(byInvoice.status, 200)
        assert.deepEqual(byInvoice.body.data.data, [])
        const all = await call('GET', '/api/v1/events?limit=100', { headers: headers() })
        assert.ok(
          all.body.data.data.every(
            (e: { data: { object: { merchant_id: number } } }) =>
              e.data.object.merchant_id === Number(b.merchant.id),
          ),
        )
        const one = await call('GET', `/api/v1/events/${aDevnetEventId}`, { headers: headers() })
        assert.equal(one.status, 404)
        assert.equal(one.body.error.code, 'NOT_FOUND')
      })
    }

    it("hides A's events from B's commerce key", async () => {
      const res = await call('GET', `/api/v1/events/${aDevnetEventId}`, {
        headers: { 'x-commerce-api-key': b.commerceKey },
      })
      assert.equal(res.status, 404)
    })

    it("answers 404 when B revokes A's key and A's key keeps working", async () => {
      const keys = await call('GET', '/api/v1/api-keys', { headers: bearer(a.dashboardToken) })
      const aKeyIds: string[] = keys.body.map((k: { key_id: string }) => k.key_id)
      assert.ok(aKeyIds.length >= 3)
      for (const path of ['/api/v1/api-keys', '/api/v1/merchant-api-keys']) {
        const res = await call('POST', `${path}/${aKeyIds[0]}/revoke`, {
          headers: bearer(b.dashboardToken),
        })
        assert.equal(res.status, 404, path)
      }
      const bKeys = await call('GET', '/api/v1/api-keys', { headers: bearer(b.dashboardToken) })
      const bKeyIds: string[] = bKeys.body.map((k: { key_id: string }) => k.key_id)
      assert.equal(
        bKeyIds.some((id) => aKeyIds.includes(id)),
        false,
      )
      const stillWorks = await call('GET', '/api/v1/invoices', {
        headers: keyHeaders(a.merchantKey),
      })
      assert.equal(stillWorks.status, 200)
    })

    it("answers 403 SESSION_MISMATCH when A's payment session names B's invoice", async () => {
      const created = await create(a.merchantKey, { amount_usd: 3 })
      const res = await call('GET', `/api/v1/payments/session-details?invoice_id=${bDevnet}`, {
        headers: created.body.payment_session_headers,
      })
      assert.equal(res.status, 403)
      assert.equal(res.body.error.code, 'SESSION_MISMATCH')
    })

    it('keeps Idempotency-Keys apart per merchant and per environment', async () => {
      const key = randomUUID()
      const first = await create(a.merchantKey, { amount_usd: 1 }, key)
      const otherMerchant = await create(b.merchantKey, { amount_usd: 2 }, key)
      assert.ok(a.mainnetMerchantKey)
      const otherEnvironment = await create(a.mainnetMerchantKey, { amount_usd: 3 }, key)
      assert.equal(first.status, 201)
      assert.equal(otherMerchant.status, 201)
      assert.equal(otherEnvironment.status, 201)
      assert.equal(otherMerchant.headers.get('idempotency-replayed'), null)
      assert.notEqual(otherMerchant.body.invoice_id, first.body.invoice_id)
      assert.notEqual(otherEnvironment.body.invoice_id, first.body.invoice_id)
    })
  })

  describe('devnet and mainnet keys of one merchant', () => {
    it('never shows mainnet invoices to a devnet key', async () => {
      const headers = keyHeaders(a.merchantKey)
      for (const [method, path] of [
        ['GET', `/api/v1/invoices/${aMainnet}`],
        ['GET', `/api/v1/invoices/${aMainnet}/status`],
        ['POST', `/api/v1/invoices/${aMainnet}/cancel`],
      ] as const) {
        const res = await call(method, path, { headers })
        assert.equal(res.status, 404, `${method} ${path}`)
      }
      const list = await call('GET', '/api/v1/invoices?limit=100', { headers })
      assert.ok(list.body.data.every((i: { environment: string }) => i.environment === 'devnet'))
      assert.equal(ids(list.body.data).includes(aMainnet), false)
      const customer = await call('GET', '/api/v1/invoices/customer/shared_cust', { headers })
      assert.deepEqual(ids(customer.body.data), [aDevnet])
      const totals = await call('GET', '/api/v1/invoices/totals?customer_id=shared_cust', {
        headers,
      })
      assert.equal(totals.body.totals.all.count, 1)
      assert.equal(totals.body.totals.all.amount, 10_000)
    })

    it('never shows devnet invoices to a mainnet key', async () => {
      assert.ok(a.mainnetMerchantKey)
      const headers = keyHeaders(a.mainnetMerchantKey)
      const res = await call('GET', `/api/v1/invoices/${aDevnet}`, { headers })
      assert.equal(res.status, 404)
      const customer = await call('GET', '/api/v1/invoices/customer/shared_cust', { headers })
      assert.deepEqual(ids(customer.body.data), [aMainnet])
      const retrieved = await call('GET', `/api/v1/invoices/${aMainnet}`, { headers })
      assert.equal(retrieved.body.environment, 'mainnet')
    })

    it('scopes events to the key environment with livemode set accordingly', async () => {
      assert.ok(a.mainnetMerchantKey)
      const devnet = await call('GET', '/api/v1/events?limit=100', {
        headers: keyHeaders(a.merchantKey),
      })
      assert.ok(devnet.body.data.data.length > 0)
      assert.ok(devnet.body.data.data.every((e: { livemode: boolean }) => !e.livemode))
      const mainnet = await call('GET', '/api/v1/events?limit=100', {
        headers: keyHeaders(a.mainnetMerchantKey),
      })
      assert.ok(mainnet.body.data.data.length > 0)
      assert.ok(mainnet.body.data.data.every((e: { livemode: boolean }) => e.livemode))
      const crossDevnet = await call('GET', `/api/v1/events/${aMainnetEventId}`, {
        headers: keyHeaders(a.merchantKey),
      })
      assert.equal(crossDevnet.status, 404)
      const crossMainnet = await call('GET', `/api/v1/events/${aDevnetEventId}`, {
        headers: keyHeaders(a.mainnetMerchantKey),
      })
      assert.equal(crossMainnet.status, 404)
    })

    it('answers 400 naming environment when a key asks for the other environment', async () => {
      for (const path of [
        '/api/v1/invoices',
        '/api/v1/invoices/totals',
        '/api/v1/events',
        '/api/v1/invoices/customer/shared_cust',
      ]) {
        const res = await call('GET', `${path}?environment=mainnet`, {
          headers: keyHeaders(a.merchantKey),
        })
        assert.equal(res.status, 400, path)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.equal(res.body.error.details[0].field, 'environment')
      }
    })

    it('lets the dashboard bearer read either environment and filter by it', async () => {
      const headers = bearer(a.dashboardToken)
      const both = await call('GET', '/api/v1/invoices/customer/shared_cust', { headers })
      assert.deepEqual(new Set(ids(both.body.data)), new Set([aDevnet, aMainnet]))
      const mainnet = await call(
        'GET',
        '/api/v1/invoices/customer/shared_cust?environment=mainnet',
        { headers },
      )
      assert.deepEqual(ids(mainnet.body.data), [aMainnet])
      const devnet = await call('GET', '/api/v1/invoices/customer/shared_cust?environment=devnet', {
        headers,
      })
      assert.deepEqual(ids(devnet.body.data), [aDevnet])
    })

    it('refuses a mainnet key once the merchant loses mainnet access', async () => {
      assert.ok(a.mainnetMerchantKey)
      const merchantId = a.merchant.id
      await updateMerchant(
        t.server.deps.db,
        merchantId,
        { hasMainnetAccess: false },
        t.server.deps.clock.now(),
      )
      try {
        const res = await call('GET', '/api/v1/invoices', {
          headers: keyHeaders(a.mainnetMerchantKey),
        })
        assert.equal(res.status, 403)
        assert.equal(res.body.error.code, 'MAINNET_ACCESS_REQUIRED')
        const devnet = await call('GET', '/api/v1/invoices', { headers: keyHeaders(a.merchantKey) })
        assert.equal(devnet.status, 200)
      } finally {
        await updateMerchant(
          t.server.deps.db,
          merchantId,
          { hasMainnetAccess: true },
          t.server.deps.clock.now(),
        )
      }
    })

    it('refuses every key of a suspended merchant with 403 MERCHANT_SUSPENDED', async () => {
      const c = await t.onboard('Tenant C')
      await updateMerchant(
        t.server.deps.db,
        c.merchant.id,
        { status: 'suspended' },
        t.server.deps.clock.now(),
      )
      for (const headers of [
        keyHeaders(c.merchantKey),
        bearer(c.dashboardToken),
        { 'x-commerce-api-key': c.commerceKey },
      ]) {
        const res = await call('GET', '/api/v1/events', { headers })
        assert.equal(res.status, 403)
        assert.equal(res.body.error.code, 'MERCHANT_SUSPENDED')
      }
    })
  })
})
