import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { PepayEvent, WsControlFrame, WsErrorFrame, WsToken } from '@pepay/contracts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { realtimeExtension, mintPaymentSessionToken } from '../../../src/realtime/index.ts'
import { signJwt } from '../../../src/modules/platform/secrets.ts'
import { WsProbe, wsUrl } from './ws-probe.ts'

describe('realtime streams', () => {
  let t: TestServer
  const probes: WsProbe[] = []

  before(async () => {
    t = await startTestServer({
      extensions: [
        realtimeExtension({
          heartbeatMs: 1000,
          maxConnectionsPerKey: 3,
          limits: { maxBufferedBytes: 256 * 1024, closeGraceMs: 5000 },
        }),
      ],
    })
  })
  after(async () => {
    await Promise.all(probes.map((p) => p.close()))
    await t.close()
  })

  async function connect(
    path: string,
    query: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    const probe = await WsProbe.connect(wsUrl(t.url, path, query), headers)
    probes.push(probe)
    return probe
  }

  async function createInvoice(key: string, body: Record<string, unknown> = { amount_usd: 5 }) {
    const res = await apiClient(t.url, keyHeaders(key))('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body,
    })
    assert.equal(res.status, 201)
    return res.body.invoice_id as string
  }

  describe('POST /api/v1/ws/token', () => {
    it('mints a merchant token in envelope B with epoch-second expiry and the stream URL', async () => {
      const m = await t.onboard()
      const res = await apiClient(t.url, keyHeaders(m.merchantKey))('POST', '/api/v1/ws/token', {
        body: { scope: 'merchant', ttl_seconds: 60 },
      })
      assert.equal(res.status, 200)
      assert.equal(res.body.success, true)
      WsToken.parse(res.body.data)
      assert.equal(res.body.data.scope, 'merchant')
      assert.equal(res.body.data.merchant_id, Number(m.merchant.id))
      assert.equal(res.body.data.network_environment, 'devnet')
      assert.match(res.body.data.token, /^eyJ/)
      assert.equal(res.body.data.ws_url, `${t.url.replace('http', 'ws')}/ws/merchant/events`)
      const now = Math.floor(Date.now() / 1000)
      assert.ok(Math.abs(res.body.data.expires_at - (now + 60)) <= 2)
    })

    it('mints a commerce token with a commerce key sent as x-commerce-api-key', async () => {
      const m = await t.onboard()
      const res = await apiClient(t.url, { 'x-commerce-api-key': m.commerceKey })(
        'POST',
        '/api/v1/ws/token',
        { body: { scope: 'commerce' } },
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.data.scope, 'commerce')
      assert.ok(res.body.data.ws_url.endsWith('/ws/commerce/events'))
    })

    it('mints a both-environment merchant token for a dashboard token', async () => {
      const m = await t.onboard()
      const res = await apiClient(t.url, { authorization: `Bearer ${m.dashboardToken}` })(
        'POST',
        '/api/v1/ws/token',
        { body: { scope: 'merchant' } },
      )
      assert.equal(res.status, 200)
      assert.equal(res.body.data.network_environment, null)
    })

    const invalid: [
      string,
      (m: { merchantKey: string; commerceKey: string }) => Record<string, string>,
      unknown,
      string,
    ][] = [
      [
        'a merchant key asking for commerce scope',
        (m) => keyHeaders(m.merchantKey),
        { scope: 'commerce' },
        'scope',
      ],
      [
        'a commerce key asking for merchant scope',
        (m) => keyHeaders(m.commerceKey),
        { scope: 'merchant' },
        'scope',
      ],
      ['an unknown scope', (m) => keyHeaders(m.merchantKey), { scope: 'admin' }, 'scope'],
      [
        'a ttl below 10 seconds',
        (m) => keyHeaders(m.merchantKey),
        { scope: 'merchant', ttl_seconds: 5 },
        'ttl_seconds',
      ],
      [
        'a ttl above an hour',
        (m) => keyHeaders(m.merchantKey),
        { scope: 'merchant', ttl_seconds: 3601 },
        'ttl_seconds',
      ],
      [
        'a fractional ttl',
        (m) => keyHeaders(m.merchantKey),
        { scope: 'merchant', ttl_seconds: 1.5 },
        'ttl_seconds',
      ],
      [
        'an unknown field',
        (m) => keyHeaders(m.merchantKey),
        { scope: 'merchant', colour: 'red' },
        'colour',
      ],
    ]
    for (const [label, headers, body, field] of invalid) {
      it(`answers 400 naming ${field} for ${label}`, async () => {
        const m = await t.onboard()
        const res = await apiClient(t.url, headers(m))('POST', '/api/v1/ws/token', { body })
        assert.equal(res.status, 400)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error),
        )
      })
    }

    it('answers 401 without credentials', async () => {
      const res = await apiClient(t.url)('POST', '/api/v1/ws/token', {
        body: { scope: 'merchant' },
      })
      assert.equal(res.status, 401)
    })
  })

  describe('GET /ws/merchant/events', () => {
    it('streams a committed event to a socket authenticated by the key header', async () => {
      const m = await t.onboard()
      const probe = await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
      const invoiceId = await createInvoice(m.merchantKey)
      await probe.waitFor(
        (f) => f.some((e) => e.type === 'invoice.created'),
        3000,
        'invoice.created',
      )
      const event = probe.events()[0]
      PepayEvent.parse(event)
      assert.equal(event.data.object.id, invoiceId)
      assert.equal(event.livemode, false)
    })

    it('starts a stream without since after the events committed before it opened', async () => {
      const m = await t.onboard()
      const before = await createInvoice(m.merchantKey)
      const probe = await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
      const own = await createInvoice(m.merchantKey)
      await probe.waitFor((f) => f.some((e) => e.data?.object?.id === own), 3000, 'the later invoice')
      assert.deepEqual(probe.events().map((e) => e.data.object.id), [own])
      assert.notEqual(before, own)
    })

    it('streams with a ws_token in the query string', async () => {
      const m = await t.onboard()
      const minted = await apiClient(t.url, keyHeaders(m.merchantKey))('POST', '/api/v1/ws/token', {
        body: { scope: 'merchant' },
      })
      const probe = await connect('/ws/merchant/events', {
        token: minted.body.data.token,
        format: 'event_v1',
      })
      await createInvoice(m.merchantKey)
      await probe.waitFor(
        (f) => f.some((e) => e.type === 'invoice.created'),
        3000,
        'invoice.created',
      )
    })

    it('never sends another merchant’s events', async () => {
      const a = await t.onboard()
      const b = await t.onboard()
      const probe = await connect('/ws/merchant/events', {}, keyHeaders(a.merchantKey))
      await createInvoice(b.merchantKey)
      const own = await createInvoice(a.merchantKey)
      await probe.waitFor((f) => f.some((e) => e.data?.object?.id === own), 3000, 'own invoice')
      assert.equal(probe.events().length, 1)
    })

    it('applies types, invoice_id and customer_id filters with prefix wildcards', async () => {
      const m = await t.onboard()
      const api = apiClient(t.url, keyHeaders(m.merchantKey))
      const byType = await connect(
        '/ws/merchant/events',
        { types: 'invoice.updated' },
        keyHeaders(m.merchantKey),
      )
      const byCustomer = await connect(
        '/ws/merchant/events',
        { types: 'invoice.*', customer_id: 'cust_rt' },
        keyHeaders(m.merchantKey),
      )
      const other = await createInvoice(m.merchantKey, { amount_usd: 3 })
      const mine = await createInvoice(m.merchantKey, { amount_usd: 4, customer_id: 'cust_rt' })
      const byInvoice = await connect(
        '/ws/merchant/events',
        { invoice_id: mine },
        keyHeaders(m.merchantKey),
      )
      await api('POST', `/api/v1/invoices/${other}/cancel`)
      await api('POST', `/api/v1/invoices/${mine}/cancel`)
      await byType.waitFor((f) => f.length >= 2, 3000, 'two updates')
      await byCustomer.waitFor((f) => f.length >= 2, 3000, 'customer events')
      // the first frame may be the invoice.created committed just before the socket connected
      await byInvoice.waitFor((f) => f.some((e) => e.type === 'invoice.updated'), 3000, 'invoice update')
      assert.deepEqual(
        byType.events().map((e) => e.type),
        ['invoice.updated', 'invoice.updated'],
      )
      assert.deepEqual(
        byCustomer.events().map((e) => `${e.type}:${e.data.object.id}`),
        [`invoice.created:${mine}`, `invoice.updated:${mine}`],
      )
      // a socket without since may also get events committed just before it connected
      assert.ok(byInvoice.events().some((e) => e.type === 'invoice.updated'))
      assert.ok(byInvoice.events().every((e) => e.data.object.id === mine))
    })

    it('answers protocol pings and stays open across heartbeats', async () => {
      const m = await t.onboard()
      const probe = await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
      let pings = 0
      probe.ws.on('ping', () => {
        pings += 1
      })
      await probe.waitFor(() => pings >= 2, 5000, 'two pings')
      assert.equal(probe.ws.readyState, probe.ws.OPEN)
    })

    it('closes a client that stops answering pings with ws_error IDLE_TIMEOUT and code 4009', async () => {
      const m = await t.onboard()
      const probe = await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
      // a client whose pongs never leave
      probe.ws.pong = () => undefined
      const closed = await Promise.race([
        probe.closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not closed')), 5000)),
      ])
      assert.equal(closed.code, 4009)
      const error = probe.frames.find((f) => f.object === 'ws_error')
      WsErrorFrame.parse(error)
      assert.equal(error.code, 'IDLE_TIMEOUT')
    })

    it('refuses a connection beyond the per-key limit with 429', async () => {
      const m = await t.onboard()
      for (let i = 0; i < 3; i += 1)
        await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
      const res = await WsProbe.reject(
        wsUrl(t.url, '/ws/merchant/events'),
        keyHeaders(m.merchantKey),
      )
      assert.equal(res.status, 429)
      assert.equal(res.body.error.code, 'TOO_MANY_CONNECTIONS')
      const otherKey = await t.onboard()
      await connect('/ws/merchant/events', {}, keyHeaders(otherKey.merchantKey))
    })

    it('frees a connection slot when a socket closes', async () => {
      const m = await t.onboard()
      const open = []
      for (let i = 0; i < 3; i += 1)
        open.push(await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey)))
      await open[0]?.close()
      const deadline = Date.now() + 2000
      for (;;) {
        try {
          await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
          break
        } catch (error) {
          if (Date.now() > deadline) throw error
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }
    })

    it('closes a consumer that stops reading with ws_error SLOW_CONSUMER, code 4008 and a resume cursor', async () => {
      const m = await t.onboard()
      const probe = await connect('/ws/merchant/events', {}, keyHeaders(m.merchantKey))
      probe.ws.pause()
      const { appendEvent } = await import('../../../src/modules/events/event.repo.ts')
      // ~320 KB per event, written at once: the kernel buffers fill, then the server-side buffer passes 256 KB
      const big = { blob: 'x'.repeat(320_000) }
      await t.server.deps.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 60; i += 1) {
          await appendEvent(
            trx,
            {
              merchantId: m.merchant.id,
              environment: 'devnet',
              type: 'invoice.updated',
              object: { object: 'invoice', id: randomUUID(), big },
            },
            new Date(),
          )
        }
      })
      // stay paused while the hub sends: the server-side buffer fills and the server gives up
      await new Promise((resolve) => setTimeout(resolve, 1500))
      probe.ws.resume()
      const closed = await Promise.race([
        probe.closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not closed')), 5000)),
      ])
      assert.equal(closed.code, 4008)
      const error = probe.frames.find((f) => f.object === 'ws_error')
      WsErrorFrame.parse(error)
      assert.equal(error.code, 'SLOW_CONSUMER')
      const events = probe.events()
      assert.ok(events.length > 0 && events.length < 60, `received ${events.length}`)
      assert.equal(error.resume_since, events[events.length - 1].id)
    })
  })

  describe('upgrade refusals', () => {
    const past = new Date(Date.now() - 3_600_000)
    const refusals: [
      string,
      () => Promise<{
        path: string
        query?: Record<string, string>
        headers?: Record<string, string>
      }>,
      number,
      string,
    ][] = [
      [
        'no credentials',
        async () => ({ path: '/ws/merchant/events' }),
        401,
        'AUTHENTICATION_REQUIRED',
      ],
      [
        'a garbage token',
        async () => ({ path: '/ws/merchant/events', query: { token: 'nope' } }),
        401,
        'WS_TOKEN_INVALID',
      ],
      [
        'an expired ws_token',
        async () => {
          const m = await t.onboard()
          const token = await signJwt(
            t.server.deps.secrets.jwtKey,
            { typ: 'ws', scope: 'merchant', env: 'devnet', kid: null },
            {
              issuedAt: past,
              expiresAt: new Date(past.getTime() + 60_000),
              subject: m.merchant.id.toString(),
            },
          )
          return { path: '/ws/merchant/events', query: { token } }
        },
        401,
        'WS_TOKEN_EXPIRED',
      ],
      [
        'a commerce token on the merchant stream',
        async () => {
          const m = await t.onboard()
          const minted = await apiClient(t.url, keyHeaders(m.commerceKey))(
            'POST',
            '/api/v1/ws/token',
            { body: { scope: 'commerce' } },
          )
          return { path: '/ws/merchant/events', query: { token: minted.body.data.token } }
        },
        403,
        'SCOPE_MISMATCH',
      ],
      [
        'a merchant token on the commerce stream',
        async () => {
          const m = await t.onboard()
          const minted = await apiClient(t.url, keyHeaders(m.merchantKey))(
            'POST',
            '/api/v1/ws/token',
            { body: { scope: 'merchant' } },
          )
          return { path: '/ws/commerce/events', query: { token: minted.body.data.token } }
        },
        403,
        'SCOPE_MISMATCH',
      ],
      [
        'a merchant key on the commerce stream',
        async () => {
          const m = await t.onboard()
          return { path: '/ws/commerce/events', headers: keyHeaders(m.merchantKey) }
        },
        403,
        'FORBIDDEN',
      ],
      [
        'a commerce key on the merchant stream',
        async () => {
          const m = await t.onboard()
          return { path: '/ws/merchant/events', headers: { 'x-commerce-api-key': m.commerceKey } }
        },
        403,
        'FORBIDDEN',
      ],
      [
        'a payment session token on the merchant stream',
        async () => {
          const m = await t.onboard()
          const invoiceId = await createInvoice(m.merchantKey)
          const token = await mintPaymentSessionToken(t.server.deps, {
            invoiceId,
            merchantId: m.merchant.id,
            environment: 'devnet',
          })
          return { path: '/ws/merchant/events', query: { token } }
        },
        403,
        'SCOPE_MISMATCH',
      ],
      [
        'a ws_token on the payment stream',
        async () => {
          const m = await t.onboard()
          const minted = await apiClient(t.url, keyHeaders(m.merchantKey))(
            'POST',
            '/api/v1/ws/token',
            { body: { scope: 'merchant' } },
          )
          return { path: '/ws/payment', query: { token: minted.body.data.token } }
        },
        403,
        'SCOPE_MISMATCH',
      ],
      [
        'the payment stream without a token',
        async () => ({ path: '/ws/payment' }),
        401,
        'AUTHENTICATION_REQUIRED',
      ],
      [
        'a revoked key',
        async () => ({ path: '/ws/merchant/events', headers: keyHeaders('pk_test_doesnotexist') }),
        401,
        'API_KEY_INVALID',
      ],
    ]
    for (const [label, setup, status, code] of refusals) {
      it(`answers ${status} ${code} for ${label}`, async () => {
        const { path, query = {}, headers = {} } = await setup()
        const res = await WsProbe.reject(wsUrl(t.url, path, query), headers)
        assert.equal(res.status, status)
        assert.equal(res.body.error.code, code)
      })
    }

    const badFilters: [string, string, Record<string, string>, string][] = [
      ['an unknown type', '/ws/merchant/events', { types: 'invoice.deleted' }, 'types'],
      ['a malformed type pattern', '/ws/merchant/events', { types: 'invoice.*.x' }, 'types'],
      ['an empty types list', '/ws/merchant/events', { types: ',' }, 'types'],
      ['a non-uuid invoice_id', '/ws/merchant/events', { invoice_id: '42' }, 'invoice_id'],
      ['an unknown invoice_type', '/ws/merchant/events', { invoice_type: 'gift' }, 'invoice_type'],
      ['a malformed since cursor', '/ws/merchant/events', { since: 'evt_x' }, 'since'],
      ['an unknown format', '/ws/merchant/events', { format: 'event_v2' }, 'format'],
      ['an unknown query parameter', '/ws/merchant/events', { colour: 'red' }, 'colour'],
      [
        'another environment than the key’s',
        '/ws/merchant/events',
        { environment: 'mainnet' },
        'environment',
      ],
      [
        'a merchant-stream filter on the commerce stream',
        '/ws/commerce/events',
        { invoice_type: 'commerce' },
        'invoice_type',
      ],
    ]
    for (const [label, path, query, field] of badFilters) {
      it(`answers 400 naming ${field} for ${label}`, async () => {
        const m = await t.onboard()
        const key = path.includes('commerce') ? m.commerceKey : m.merchantKey
        const res = await WsProbe.reject(wsUrl(t.url, path, query), keyHeaders(key))
        assert.equal(res.status, 400)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some(
            (d: { field: string }) => d.field === field || d.field.startsWith(`${field}.`),
          ),
          JSON.stringify(res.body.error),
        )
      })
    }
  })

  describe('GET /ws/commerce/events', () => {
    it('sends only commerce events to a commerce key and nothing from standard invoices', async () => {
      const m = await t.onboard()
      const probe = await connect(
        '/ws/commerce/events',
        {},
        { 'x-commerce-api-key': m.commerceKey },
      )
      await createInvoice(m.merchantKey)
      const { appendEvent } = await import('../../../src/modules/events/event.repo.ts')
      const orderId = randomUUID()
      await t.server.deps.db.transaction().execute((trx) =>
        appendEvent(
          trx,
          {
            merchantId: m.merchant.id,
            environment: 'devnet',
            type: 'commerce.order.created',
            object: { object: 'commerce_order', id: orderId, status: 'pending_payment' },
            orderId,
          },
          new Date(),
        ),
      )
      await probe.waitFor((f) => f.length >= 1, 3000, 'commerce event')
      assert.deepEqual(
        probe.events().map((e) => e.type),
        ['commerce.order.created'],
      )
    })
  })

  describe('GET /ws/payment', () => {
    it('sends that invoice’s status changes, payer-safe, each followed by payment_quote.updated', async () => {
      const m = await t.onboard()
      const api = apiClient(t.url, keyHeaders(m.merchantKey))
      const invoiceId = await createInvoice(m.merchantKey, {
        amount_usd: 49.99,
        metadata: { secret_note: 'merchant only' },
        customer_id: 'cust_9',
      })
      const otherId = await createInvoice(m.merchantKey)
      const token = await mintPaymentSessionToken(t.server.deps, {
        invoiceId,
        merchantId: m.merchant.id,
        environment: 'devnet',
      })
      const probe = await connect('/ws/payment', { token, format: 'event_v1' })
      await api('POST', `/api/v1/invoices/${otherId}/cancel`)
      await api('POST', `/api/v1/invoices/${invoiceId}/cancel`)
      // the probe may connect before the hub has passed the invoice's creation: that event (and
      // its quote) then comes first, as any event after the hub's cursor at connection does
      const updatedAt = (frames: { type: string }[]) => frames.findIndex((f) => f.type === 'invoice.updated')
      await probe.waitFor((f) => updatedAt(f) >= 0 && f.length >= updatedAt(f) + 2, 3000, 'event and quote')
      const at = updatedAt(probe.frames)
      for (const earlier of probe.frames.slice(0, at)) assert.ok(['invoice.created', 'payment_quote.updated'].includes(earlier.type), earlier.type)
      const [event, quote] = probe.frames.slice(at)
      PepayEvent.parse(event)
      assert.equal(event.type, 'invoice.updated')
      assert.equal(event.data.object.id, invoiceId)
      assert.equal(event.data.object.status, 'canceled')
      assert.equal(event.data.object.metadata, undefined)
      assert.equal(event.data.object.customer_id, undefined)
      assert.equal(event.data.previous_attributes.status, 'unpaid')
      assert.equal(quote.type, 'payment_quote.updated')
      assert.equal(quote.id, event.id)
      assert.deepEqual(quote.data.object, {
        object: 'payment_quote',
        invoice_id: invoiceId,
        network: null,
        currency: 'usd',
        amount_remaining: 49990,
        amount_remaining_decimal: '49.990',
        amount_unit: 'usd_millis',
      })
      assert.equal(probe.frames.length, at + 2)
    })

    it('replays the session’s events from since', async () => {
      const m = await t.onboard()
      const api = apiClient(t.url, keyHeaders(m.merchantKey))
      const invoiceId = await createInvoice(m.merchantKey)
      const events = await api('GET', `/api/v1/events?invoice_id=${invoiceId}`)
      const created = events.body.data.data[0].id as string
      await api('POST', `/api/v1/invoices/${invoiceId}/cancel`)
      const token = await mintPaymentSessionToken(t.server.deps, {
        invoiceId,
        merchantId: m.merchant.id,
        environment: 'devnet',
      })
      const probe = await connect('/ws/payment', { token, since: created })
      await probe.waitFor(
        (f) => f.some((x) => x.object === 'ws_control' && x.type === 'replay_complete'),
        3000,
        'replay',
      )
      assert.deepEqual(
        probe.frames.map((f) => f.type),
        ['invoice.updated', 'payment_quote.updated', 'replay_complete'],
      )
    })

    it('refuses a token for an invoice of another merchant at mint time', async () => {
      const a = await t.onboard()
      const b = await t.onboard()
      const invoiceId = await createInvoice(a.merchantKey)
      await assert.rejects(
        mintPaymentSessionToken(t.server.deps, {
          invoiceId,
          merchantId: b.merchant.id,
          environment: 'devnet',
        }),
        /not found/,
      )
    })
  })

  it('emits control frames that match the documented schema', () => {
    WsControlFrame.parse({
      object: 'ws_control',
      type: 'replay_complete',
      message: 'm',
      since: 'evt_1-1',
      oldest_event_id: null,
      last_event_id: 'evt_1-2',
      count: 1,
      retention_days: 30,
    })
  })
})
