import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { WebhookEndpoint, WebhookEndpointWithSecret } from '@pepay/contracts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { webhooksExtension } from '../../../src/modules/webhooks/index.ts'
import { Receiver } from './receiver.ts'

const DNS: Record<string, string[]> = {
  'hooks.example.test': ['93.184.216.34'],
  'internal.example.test': ['10.0.0.7'],
  'mixed.example.test': ['93.184.216.34', '169.254.169.254'],
}

describe('webhook endpoints API', () => {
  let t: TestServer
  let receiver: Receiver

  before(async () => {
    receiver = await Receiver.start()
    t = await startTestServer({
      extensions: [
        webhooksExtension({
          pollMs: 50,
          resolve: async (host) => {
            const found = DNS[host]
            if (!found) throw new Error('ENOTFOUND')
            return found
          },
        }),
      ],
    })
  })
  after(async () => {
    await t.close()
    await receiver.close()
  })

  const body = (overrides: Record<string, unknown> = {}) => ({
    url: receiver.url,
    enabled_events: ['invoice.*'],
    ...overrides,
  })

  it('creates an endpoint and shows its secret only in the creation response', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const created = await api('POST', '/api/v1/webhooks/endpoints', {
      body: body({ description: 'orders' }),
    })
    assert.equal(created.status, 201)
    assert.equal(created.body.success, true)
    WebhookEndpointWithSecret.parse(created.body.data)
    assert.match(created.body.data.id, /^we_[0-9a-f]{32}$/)
    assert.match(created.body.data.secret, /^whsec_/)
    assert.equal(created.body.data.environment, 'devnet')
    assert.equal(created.body.data.status, 'enabled')
    assert.deepEqual(created.body.data.enabled_events, ['invoice.*'])
    const fetched = await api('GET', `/api/v1/webhooks/endpoints/${created.body.data.id}`)
    assert.equal(fetched.status, 200)
    WebhookEndpoint.parse(fetched.body.data)
    assert.equal(fetched.body.data.secret, undefined)
    const list = await api('GET', '/api/v1/webhooks/endpoints')
    assert.deepEqual(
      list.body.data.data.map((e: { id: string }) => e.id),
      [created.body.data.id],
    )
    assert.equal(list.body.data.data[0].secret, undefined)
  })

  it('updates, then deletes an endpoint; a deleted endpoint is gone', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const { body: created } = await api('POST', '/api/v1/webhooks/endpoints', { body: body() })
    const id = created.data.id
    const patched = await api('PATCH', `/api/v1/webhooks/endpoints/${id}`, {
      body: { enabled_events: ['invoice_payment.*', 'test.ping'], description: 'payments' },
    })
    assert.equal(patched.status, 200)
    assert.deepEqual(patched.body.data.enabled_events, ['invoice_payment.*', 'test.ping'])
    assert.equal(patched.body.data.description, 'payments')
    const disabled = await api('PATCH', `/api/v1/webhooks/endpoints/${id}`, {
      body: { status: 'disabled' },
    })
    assert.equal(disabled.body.data.status, 'disabled')
    const removed = await api('DELETE', `/api/v1/webhooks/endpoints/${id}`)
    assert.deepEqual(removed.body, {
      success: true,
      data: { object: 'webhook_endpoint', id, deleted: true },
    })
    assert.equal((await api('GET', `/api/v1/webhooks/endpoints/${id}`)).status, 404)
    assert.equal((await api('DELETE', `/api/v1/webhooks/endpoints/${id}`)).status, 404)
  })

  it('rotates the secret and keeps the previous one valid for 24 hours', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const { body: created } = await api('POST', '/api/v1/webhooks/endpoints', { body: body() })
    const rotated = await api('POST', `/api/v1/webhooks/endpoints/${created.data.id}/rotate-secret`)
    assert.equal(rotated.status, 200)
    WebhookEndpointWithSecret.parse(rotated.body.data)
    assert.notEqual(rotated.body.data.secret, created.data.secret)
    const now = Math.floor(Date.now() / 1000)
    assert.ok(Math.abs(rotated.body.data.previous_secret_expires_at - (now + 86_400)) <= 2)
  })

  it('answers 404 for another merchant’s endpoint on every route', async () => {
    const a = await t.onboard()
    const b = await t.onboard()
    const { body: created } = await apiClient(t.url, keyHeaders(a.merchantKey))(
      'POST',
      '/api/v1/webhooks/endpoints',
      { body: body() },
    )
    const other = apiClient(t.url, keyHeaders(b.merchantKey))
    const id = created.data.id
    for (const [method, path, payload] of [
      ['GET', `/api/v1/webhooks/endpoints/${id}`, undefined],
      ['PATCH', `/api/v1/webhooks/endpoints/${id}`, { description: 'x' }],
      ['DELETE', `/api/v1/webhooks/endpoints/${id}`, undefined],
      ['POST', `/api/v1/webhooks/endpoints/${id}/rotate-secret`, undefined],
      ['POST', `/api/v1/webhooks/endpoints/${id}/test`, undefined],
    ] as const) {
      const res = await other(method, path, payload === undefined ? {} : { body: payload })
      assert.equal(res.status, 404, `${method} ${path}`)
    }
    assert.deepEqual((await other('GET', '/api/v1/webhooks/endpoints')).body.data.data, [])
  })

  it('lets a dashboard token create a both-environment or mainnet endpoint with mainnet access', async () => {
    const m = await t.onboard(undefined, { grantMainnet: true })
    const api = apiClient(t.url, { authorization: `Bearer ${m.dashboardToken}` })
    const both = await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: 'https://hooks.example.test/p', enabled_events: ['*'], environment: null },
    })
    assert.equal(both.status, 201)
    assert.equal(both.body.data.environment, null)
    const mainnet = await api('POST', '/api/v1/webhooks/endpoints', {
      body: {
        url: 'https://hooks.example.test/p',
        enabled_events: ['invoice.*'],
        environment: 'mainnet',
      },
    })
    assert.equal(mainnet.status, 201)
    // a devnet key sees only devnet endpoints
    const devnetList = await apiClient(t.url, keyHeaders(m.merchantKey))(
      'GET',
      '/api/v1/webhooks/endpoints',
    )
    assert.deepEqual(devnetList.body.data.data, [])
  })

  it('refuses a mainnet endpoint without mainnet access with 403', async () => {
    const m = await t.onboard()
    const res = await apiClient(t.url, { authorization: `Bearer ${m.dashboardToken}` })(
      'POST',
      '/api/v1/webhooks/endpoints',
      {
        body: {
          url: 'https://hooks.example.test/p',
          enabled_events: ['invoice.*'],
          environment: 'mainnet',
        },
      },
    )
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'MAINNET_ACCESS_REQUIRED')
  })

  const invalid: [string, Record<string, unknown>, 'key' | 'dashboard', string][] = [
    ['a missing url', { url: undefined }, 'key', 'url'],
    ['a relative url', { url: '/hooks' }, 'key', 'url'],
    ['an ftp url', { url: 'ftp://hooks.example.test/' }, 'key', 'url'],
    ['a url with credentials', { url: 'http://user:pw@127.0.0.1/hooks' }, 'key', 'url'],
    [
      'http on mainnet',
      { url: 'http://hooks.example.test/p', environment: 'mainnet' },
      'dashboard',
      'url',
    ],
    [
      'localhost on mainnet',
      { url: 'https://localhost/p', environment: 'mainnet' },
      'dashboard',
      'url',
    ],
    [
      'a private literal address on mainnet',
      { url: 'https://10.0.0.1/p', environment: 'mainnet' },
      'dashboard',
      'url',
    ],
    [
      'the metadata address on mainnet',
      { url: 'https://169.254.169.254/latest', environment: 'mainnet' },
      'dashboard',
      'url',
    ],
    [
      'a host resolving to a private address on mainnet',
      { url: 'https://internal.example.test/p', environment: 'mainnet' },
      'dashboard',
      'url',
    ],
    [
      'a host with one link-local address on both environments',
      { url: 'https://mixed.example.test/p', environment: null },
      'dashboard',
      'url',
    ],
    [
      'http on both environments',
      { url: 'http://hooks.example.test/p', environment: null },
      'dashboard',
      'url',
    ],
    ['an unknown event type', { enabled_events: ['invoice.deleted'] }, 'key', 'enabled_events.0'],
    ['a malformed pattern', { enabled_events: ['invoice.*.*'] }, 'key', 'enabled_events.0'],
    ['an empty pattern list', { enabled_events: [] }, 'key', 'enabled_events'],
    ['a pattern that is not a string', { enabled_events: [7] }, 'key', 'enabled_events.0'],
    ['an unknown environment', { environment: 'testnet' }, 'key', 'environment'],
    ['both environments with an API key', { environment: null }, 'key', 'environment'],
    ['another environment than the key’s', { environment: 'mainnet' }, 'key', 'environment'],
    ['a long description', { description: 'x'.repeat(256) }, 'key', 'description'],
    ['an unknown field', { secret: 'mine' }, 'key', 'secret'],
  ]
  for (const [label, overrides, auth, field] of invalid) {
    it(`answers 400 naming ${field} for ${label}`, async () => {
      const m = await t.onboard(undefined, { grantMainnet: true })
      const headers =
        auth === 'key' ? keyHeaders(m.merchantKey) : { authorization: `Bearer ${m.dashboardToken}` }
      const res = await apiClient(t.url, headers)('POST', '/api/v1/webhooks/endpoints', {
        body: body(overrides),
      })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        JSON.stringify(res.body.error),
      )
      const list = await apiClient(t.url, headers)('GET', '/api/v1/webhooks/endpoints')
      assert.deepEqual(list.body.data.data, [], 'nothing was written')
    })
  }

  it('answers 400 for an empty PATCH and for a bad endpoint id', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const { body: created } = await api('POST', '/api/v1/webhooks/endpoints', { body: body() })
    assert.equal(
      (await api('PATCH', `/api/v1/webhooks/endpoints/${created.data.id}`, { body: {} })).status,
      400,
    )
    const bad = await api('GET', '/api/v1/webhooks/endpoints/not-an-id')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.code, 'VALIDATION_ERROR')
  })

  it('writes one delivery per matching endpoint with the event and counts them in pending_webhooks', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const dead = 'http://127.0.0.1:9/unreachable'
    const invoices = await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: dead, enabled_events: ['invoice.created'] },
    })
    await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: dead, enabled_events: ['invoice.*', 'invoice_payment.*'] },
    })
    await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: dead, enabled_events: ['invoice_payment.*'] },
    })
    const paused = await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: dead, enabled_events: ['*'] },
    })
    await api('PATCH', `/api/v1/webhooks/endpoints/${paused.body.data.id}`, {
      body: { status: 'disabled' },
    })
    const other = await t.onboard()
    await apiClient(t.url, keyHeaders(other.merchantKey))('POST', '/api/v1/webhooks/endpoints', {
      body: { url: dead, enabled_events: ['*'] },
    })
    const invoice = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 3 },
    })
    const events = await api('GET', `/api/v1/events?invoice_id=${invoice.body.invoice_id}`)
    const event = events.body.data.data[0]
    assert.equal(event.pending_webhooks, 2)
    const deliveries = await api('GET', `/api/v1/webhooks/deliveries?event_id=${event.id}`)
    assert.equal(deliveries.body.data.data.length, 2)
    const byEndpoint = await api(
      'GET',
      `/api/v1/webhooks/deliveries?endpoint_id=${invoices.body.data.id}`,
    )
    assert.deepEqual(
      byEndpoint.body.data.data.map((d: { event_id: string }) => d.event_id),
      [event.id],
    )
    // the canceled deliveries of a deleted endpoint no longer count
    await api('DELETE', `/api/v1/webhooks/endpoints/${invoices.body.data.id}`)
    const after = await api('GET', `/api/v1/events/${event.id}`)
    assert.equal(after.body.data.pending_webhooks, 1)
  })

  it('delivers automatically once the worker runs and then reports zero pending webhooks', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    await api('POST', '/api/v1/webhooks/endpoints', { body: body() })
    const invoice = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 3 },
    })
    const deadline = Date.now() + 5000
    for (;;) {
      if (receiver.accepted().some((r) => r.body.data.object.id === invoice.body.invoice_id)) break
      assert.ok(Date.now() < deadline, 'delivered within 5 s')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const events = await api('GET', `/api/v1/events?invoice_id=${invoice.body.invoice_id}`)
    for (let i = 0; i < 50 && events.body.data.data[0].pending_webhooks !== 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      Object.assign(
        events,
        await api('GET', `/api/v1/events?invoice_id=${invoice.body.invoice_id}`),
      )
    }
    assert.equal(events.body.data.data[0].pending_webhooks, 0)
  })
})
