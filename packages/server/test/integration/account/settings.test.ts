import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('account settings', () => {
  let t: TestServer
  let call: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({ runWorkers: false })
    call = apiClient(t.url)
  })
  after(async () => t.close())

  describe('/api/v1/user/mainnet-access', () => {
    it('reports no mainnet access and the devnet environment for a new merchant', async () => {
      const m = await t.onboard()
      for (const headers of [keyHeaders(m.merchantKey), bearer(m.dashboardToken)]) {
        const res = await call('GET', '/api/v1/user/mainnet-access/status', { headers })
        assert.equal(res.status, 200)
        assert.deepEqual(res.body, { has_mainnet_access: false, current_environment: 'devnet' })
      }
    })

    it('refuses self-service activation with 403 MAINNET_ACCESS_REQUIRED and changes nothing', async () => {
      const m = await t.onboard()
      const res = await call('POST', '/api/v1/user/mainnet-access/activate', {
        headers: bearer(m.dashboardToken),
      })
      assert.equal(res.status, 403)
      assert.equal(res.body.error.code, 'MAINNET_ACCESS_REQUIRED')
      const status = await call('GET', '/api/v1/user/mainnet-access/status', {
        headers: bearer(m.dashboardToken),
      })
      assert.equal(status.body.has_mainnet_access, false)
    })

    it('confirms activation for a merchant the operator granted', async () => {
      const m = await t.onboard('Granted', { grantMainnet: true })
      const res = await call('POST', '/api/v1/user/mainnet-access/activate', {
        headers: keyHeaders(m.merchantKey),
      })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, {
        success: true,
        has_mainnet_access: true,
        current_environment: 'devnet',
        message: 'Mainnet access is active',
      })
    })
  })

  describe('PUT /api/v1/user/environment', () => {
    it('refuses mainnet without access and keeps devnet', async () => {
      const m = await t.onboard()
      const res = await call('PUT', '/api/v1/user/environment', {
        headers: bearer(m.dashboardToken),
        body: { environment: 'mainnet' },
      })
      assert.equal(res.status, 403)
      assert.equal(res.body.error.code, 'MAINNET_ACCESS_REQUIRED')
      const status = await call('GET', '/api/v1/user/mainnet-access/status', {
        headers: bearer(m.dashboardToken),
      })
      assert.equal(status.body.current_environment, 'devnet')
    })

    it('switches the dashboard to mainnet, where its writes and new keys then land', async () => {
      const m = await t.onboard('Switcher', { grantMainnet: true })
      const res = await call('PUT', '/api/v1/user/environment', {
        headers: bearer(m.dashboardToken),
        body: { environment: 'mainnet' },
      })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { success: true, current_environment: 'mainnet' })
      const status = await call('GET', '/api/v1/user/mainnet-access/status', {
        headers: keyHeaders(m.merchantKey),
      })
      assert.equal(status.body.current_environment, 'mainnet')
      const key = await call('POST', '/api/v1/api-keys', {
        headers: bearer(m.dashboardToken),
        body: { name: 'live', scope: 'merchant' },
      })
      assert.equal(key.body.environment, 'mainnet')
      assert.ok(key.body.api_key.startsWith('pk_live_'))
      const invoice = await call('POST', '/api/v1/invoices', {
        headers: { ...bearer(m.dashboardToken), 'idempotency-key': randomUUID() },
        body: { amount_usd: 4 },
      })
      assert.equal(invoice.status, 201)
      const retrieved = await call('GET', `/api/v1/invoices/${invoice.body.invoice_id}`, {
        headers: bearer(m.dashboardToken),
      })
      assert.equal(retrieved.body.environment, 'mainnet')
      // a devnet key is still bound to devnet whatever the dashboard's default
      const devnetView = await call('GET', `/api/v1/invoices/${invoice.body.invoice_id}`, {
        headers: keyHeaders(m.merchantKey),
      })
      assert.equal(devnetView.status, 404)
      const back = await call('PUT', '/api/v1/user/environment', {
        headers: keyHeaders(m.merchantKey),
        body: { environment: 'devnet' },
      })
      assert.deepEqual(back.body, { success: true, current_environment: 'devnet' })
    })

    const invalid: [string, unknown, string][] = [
      ['an unknown environment', { environment: 'testnet' }, 'environment'],
      ['a missing environment', {}, 'environment'],
      ['an upper-case environment', { environment: 'MAINNET' }, 'environment'],
      ['an unknown field', { environment: 'devnet', region: 'eu' }, 'region'],
    ]
    for (const [label, body, field] of invalid) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label}`, async () => {
        const m = await t.onboard()
        const res = await call('PUT', '/api/v1/user/environment', {
          headers: bearer(m.dashboardToken),
          body,
        })
        assert.equal(res.status, 400)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error.details),
        )
      })
    }
  })

  describe('/api/v1/merchant/payment-return-url', () => {
    it('starts unset, stores an HTTPS URL, disables it on request and clears it with null', async () => {
      const m = await t.onboard()
      const api = apiClient(t.url, keyHeaders(m.merchantKey))
      assert.deepEqual((await api('GET', '/api/v1/merchant/payment-return-url')).body, {
        payment_return_url: null,
        payment_return_url_enabled: false,
      })
      const set = await api('PUT', '/api/v1/merchant/payment-return-url', {
        body: { payment_return_url: 'https://shop.example.com/thanks' },
      })
      assert.equal(set.status, 200)
      assert.deepEqual(set.body, {
        payment_return_url: 'https://shop.example.com/thanks',
        payment_return_url_enabled: true,
      })
      assert.deepEqual((await api('GET', '/api/v1/merchant/payment-return-url')).body, set.body)
      const disabled = await api('PUT', '/api/v1/merchant/payment-return-url', {
        body: {
          payment_return_url: 'https://shop.example.com/thanks',
          payment_return_url_enabled: false,
        },
      })
      assert.deepEqual(disabled.body, {
        payment_return_url: 'https://shop.example.com/thanks',
        payment_return_url_enabled: false,
      })
      const cleared = await api('PUT', '/api/v1/merchant/payment-return-url', {
        body: { payment_return_url: null, payment_return_url_enabled: true },
      })
      assert.deepEqual(cleared.body, {
        payment_return_url: null,
        payment_return_url_enabled: false,
      })
    })

    it("keeps each merchant's URL to itself", async () => {
      const a = await t.onboard()
      const b = await t.onboard()
      await call('PUT', '/api/v1/merchant/payment-return-url', {
        headers: bearer(a.dashboardToken),
        body: { payment_return_url: 'https://a.example.com/' },
      })
      const other = await call('GET', '/api/v1/merchant/payment-return-url', {
        headers: bearer(b.dashboardToken),
      })
      assert.equal(other.body.payment_return_url, null)
    })

    const invalid: [string, unknown, string][] = [
      ['an http URL', { payment_return_url: 'http://shop.example.com/' }, 'payment_return_url'],
      ['a non-URL', { payment_return_url: 'thanks page' }, 'payment_return_url'],
      ['a javascript: URL', { payment_return_url: 'javascript:alert(1)' }, 'payment_return_url'],
      [
        'a URL over 2048 characters',
        { payment_return_url: `https://shop.example.com/${'a'.repeat(2048)}` },
        'payment_return_url',
      ],
      ['a missing URL', {}, 'payment_return_url'],
      [
        'a string for enabled',
        { payment_return_url: null, payment_return_url_enabled: 'yes' },
        'payment_return_url_enabled',
      ],
      ['an unknown field', { payment_return_url: null, colour: 'red' }, 'colour'],
    ]
    for (const [label, body, field] of invalid) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label} and keeps the stored URL`, async () => {
        const m = await t.onboard()
        const api = apiClient(t.url, bearer(m.dashboardToken))
        await api('PUT', '/api/v1/merchant/payment-return-url', {
          body: { payment_return_url: 'https://keep.example.com/' },
        })
        const res = await api('PUT', '/api/v1/merchant/payment-return-url', { body })
        assert.equal(res.status, 400)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error.details),
        )
        const stored = await api('GET', '/api/v1/merchant/payment-return-url')
        assert.equal(stored.body.payment_return_url, 'https://keep.example.com/')
      })
    }
  })
})

describe('self-service mainnet activation', () => {
  let t: TestServer

  before(async () => {
    t = await startTestServer({ runWorkers: false, env: { PEPAY_MAINNET_SELF_SERVICE: 'true' } })
  })
  after(async () => t.close())

  it('grants mainnet access on request, after which mainnet keys can be created', async () => {
    const m = await t.onboard()
    const call = apiClient(t.url, bearer(m.dashboardToken))
    const refused = await call('POST', '/api/v1/api-keys', {
      body: { name: 'live', scope: 'merchant', environment: 'mainnet' },
    })
    assert.equal(refused.status, 403)
    const res = await call('POST', '/api/v1/user/mainnet-access/activate')
    assert.equal(res.status, 200)
    assert.equal(res.body.has_mainnet_access, true)
    const status = await call('GET', '/api/v1/user/mainnet-access/status')
    assert.equal(status.body.has_mainnet_access, true)
    const key = await call('POST', '/api/v1/api-keys', {
      body: { name: 'live', scope: 'merchant', environment: 'mainnet' },
    })
    assert.equal(key.status, 201)
    assert.ok(key.body.api_key.startsWith('pk_live_'))
  })
})
