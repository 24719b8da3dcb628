import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import {
  apiClient,
  keyHeaders,
  startTestServer,
  type ApiResponse,
  type TestServer,
} from '../../helpers/server.ts'
import {
  mintDashboardToken,
  type OnboardedMerchant,
} from '../../../src/modules/merchants/merchant.service.ts'
import { signJwt } from '../../../src/modules/platform/secrets.ts'

type Mode = 'merchant_key' | 'commerce_key' | 'bearer' | 'session'

interface Ctx {
  invoiceId: string
  eventId: string
  sessionHeaders: Record<string, string>
}

interface RouteCase {
  method: 'GET' | 'POST' | 'PUT'
  /** The path as OpenAPI documents it. */
  template: string
  accepts: Mode[]
  path(ctx: Ctx): string
  body?: (ctx: Ctx) => unknown
  headers?: Record<string, string>
  /** The status an accepted credential gets (proves authentication passed). */
  okStatus: number
}

/** Every /api route the foundation serves, with the credentials it accepts. */
const ROUTES: RouteCase[] = [
  {
    method: 'POST',
    template: '/api/v1/invoices',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/invoices',
    body: () => ({ amount_usd: 1 }),
    okStatus: 201,
  },
  {
    method: 'GET',
    template: '/api/v1/invoices',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/invoices',
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/invoices/totals',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/invoices/totals',
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/invoices/customer/{customerId}',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/invoices/customer/cust_1',
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/invoices/{invoiceId}',
    accepts: ['merchant_key', 'bearer'],
    path: (c) => `/api/v1/invoices/${c.invoiceId}`,
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/invoices/{invoiceId}/status',
    accepts: ['merchant_key', 'bearer'],
    path: (c) => `/api/v1/invoices/${c.invoiceId}/status`,
    okStatus: 200,
  },
  // an unknown id: reaching 404 proves the credential was accepted without canceling anything
  {
    method: 'POST',
    template: '/api/v1/invoices/{invoiceId}/cancel',
    accepts: ['merchant_key', 'bearer'],
    path: () => `/api/v1/invoices/${randomUUID()}/cancel`,
    okStatus: 404,
  },
  {
    method: 'GET',
    template: '/api/v1/payments/session-details',
    accepts: ['session'],
    path: () => '/api/v1/payments/session-details',
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/payments/payment-status',
    accepts: ['session'],
    path: () => '/api/v1/payments/payment-status',
    okStatus: 200,
  },
  {
    method: 'POST',
    template: '/api/v1/payments/customer-email',
    accepts: ['session'],
    path: () => '/api/v1/payments/customer-email',
    body: () => ({ email: 'payer@example.com' }),
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/payments/customer-email',
    accepts: ['session'],
    path: () => '/api/v1/payments/customer-email',
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/payments/invoice-questions',
    accepts: ['session'],
    path: () => '/api/v1/payments/invoice-questions',
    okStatus: 200,
  },
  {
    method: 'POST',
    template: '/api/v1/payments/submit-form',
    accepts: ['session'],
    path: () => '/api/v1/payments/submit-form',
    body: () => ({ responses: [{ question_id: 'company', response: 'Acme' }] }),
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/events',
    accepts: ['merchant_key', 'commerce_key', 'bearer'],
    path: () => '/api/v1/events',
    okStatus: 200,
  },
  // a standard invoice's event is invisible to a commerce key, so 404 is the accepted outcome for all
  {
    method: 'GET',
    template: '/api/v1/events/{eventId}',
    accepts: ['merchant_key', 'commerce_key', 'bearer'],
    path: () => '/api/v1/events/evt_1767225600000-999999',
    okStatus: 404,
  },
  {
    method: 'GET',
    template: '/api/v1/api-keys',
    accepts: ['bearer'],
    path: () => '/api/v1/api-keys',
    okStatus: 200,
  },
  {
    method: 'POST',
    template: '/api/v1/api-keys',
    accepts: ['bearer'],
    path: () => '/api/v1/api-keys',
    body: () => ({ name: 'matrix', scope: 'merchant' }),
    okStatus: 201,
  },
  {
    method: 'POST',
    template: '/api/v1/api-keys/{keyId}/revoke',
    accepts: ['bearer'],
    path: () => `/api/v1/api-keys/${randomUUID()}/revoke`,
    okStatus: 404,
  },
  {
    method: 'POST',
    template: '/api/v1/merchant-api-keys/{keyId}/revoke',
    accepts: ['bearer'],
    path: () => `/api/v1/merchant-api-keys/${randomUUID()}/revoke`,
    okStatus: 404,
  },
  {
    method: 'GET',
    template: '/api/v1/user/mainnet-access/status',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/user/mainnet-access/status',
    okStatus: 200,
  },
  {
    method: 'POST',
    template: '/api/v1/user/mainnet-access/activate',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/user/mainnet-access/activate',
    okStatus: 200,
  },
  {
    method: 'PUT',
    template: '/api/v1/user/environment',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/user/environment',
    body: () => ({ environment: 'devnet' }),
    okStatus: 200,
  },
  {
    method: 'GET',
    template: '/api/v1/merchant/payment-return-url',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/merchant/payment-return-url',
    okStatus: 200,
  },
  {
    method: 'PUT',
    template: '/api/v1/merchant/payment-return-url',
    accepts: ['merchant_key', 'bearer'],
    path: () => '/api/v1/merchant/payment-return-url',
    body: () => ({ payment_return_url: 'https://shop.example.com/thanks' }),
    okStatus: 200,
  },
]

const accepts = (route: RouteCase, mode: Mode) => route.accepts.includes(mode)
const acceptsKey = (route: RouteCase) =>
  accepts(route, 'merchant_key') || accepts(route, 'commerce_key')
const label = (route: RouteCase) => `${route.method} ${route.template}`

function assertError(res: ApiResponse, status: number, code: string, what: string): void {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`)
  assert.equal(res.body.success, false, what)
  assert.equal(res.body.error.code, code, `${what}: ${JSON.stringify(res.body)}`)
  assert.equal(typeof res.body.error.message, 'string', what)
  assert.ok(res.headers.get('x-request-id'), `${what}: x-request-id`)
}

describe('authentication matrix', () => {
  const clock = new FakeClock(Date.UTC(2026, 4, 1))
  let t: TestServer
  let merchant: OnboardedMerchant
  let call: ReturnType<typeof apiClient>
  let ctx: Ctx
  let revokedKey: string
  let expiringKey: string
  let expiredBearer: string

  before(async () => {
    // the foundation alone: the table below is exactly its routes (other layers are covered generically)
    t = await startTestServer({ clock, runWorkers: false, extensions: [] })
    merchant = await t.onboard('Matrix Merchant', { grantMainnet: true })
    call = apiClient(t.url)
    const dashboard = { authorization: `Bearer ${merchant.dashboardToken}` }
    const created = await call('POST', '/api/v1/invoices', {
      headers: { ...keyHeaders(merchant.merchantKey), 'idempotency-key': randomUUID() },
      body: {
        amount_usd: 5,
        questions: {
          questions: [
            { id: 'company', question: 'Company?', type: 'text', validation: { required: true } },
          ],
        },
      },
    })
    assert.equal(created.status, 201)
    const events = await call('GET', `/api/v1/events?invoice_id=${created.body.invoice_id}`, {
      headers: keyHeaders(merchant.merchantKey),
    })
    ctx = {
      invoiceId: created.body.invoice_id,
      eventId: events.body.data.data[0].id,
      sessionHeaders: created.body.payment_session_headers,
    }

    const revoked = await call('POST', '/api/v1/api-keys', {
      headers: dashboard,
      body: { name: 'to revoke', scope: 'merchant' },
    })
    revokedKey = revoked.body.api_key
    const revoke = await call('POST', `/api/v1/api-keys/${revoked.body.key_id}/revoke`, {
      headers: dashboard,
    })
    assert.equal(revoke.status, 200)

    const expiresAt = Math.floor(clock.now().getTime() / 1000) + 5
    const expiring = await call('POST', '/api/v1/api-keys', {
      headers: dashboard,
      body: { name: 'short lived', scope: 'merchant', expires_at: expiresAt },
    })
    assert.equal(expiring.status, 201, JSON.stringify(expiring.body))
    assert.equal(expiring.body.expires_at, expiresAt)
    expiringKey = expiring.body.api_key
    const before = await call('GET', '/api/v1/invoices', { headers: keyHeaders(expiringKey) })
    assert.equal(before.status, 200, 'the key works until it expires')

    expiredBearer = (
      await mintDashboardToken(t.server.deps.secrets, clock, merchant.merchant.id, 2)
    ).token
    clock.advance(10_000)
  })
  after(async () => t.close())

  function send(route: RouteCase, headers: Record<string, string>) {
    const extra: Record<string, string> =
      route.method === 'POST' && route.template === '/api/v1/invoices'
        ? { 'idempotency-key': randomUUID() }
        : {}
    const body = route.body?.(ctx)
    return call(route.method, route.path(ctx), {
      headers: { ...extra, ...route.headers, ...headers },
      ...(body !== undefined && { body }),
    })
  }

  it('covers every /api route the foundation documents', async () => {
    const spec = await call('GET', '/openapi.json')
    const documented = new Set<string>()
    for (const [path, operations] of Object.entries(
      spec.body.paths as Record<string, Record<string, unknown>>,
    )) {
      if (!path.startsWith('/api/')) continue
      for (const method of Object.keys(operations))
        documented.add(`${method.toUpperCase()} ${path}`)
    }
    assert.deepEqual([...documented].sort(), ROUTES.map(label).sort())
  })

  for (const route of ROUTES) {
    describe(label(route), () => {
      it('answers 401 without credentials', async () => {
        const res = await send(route, {})
        assertError(
          res,
          401,
          accepts(route, 'session') ? 'SESSION_INVALID' : 'AUTHENTICATION_REQUIRED',
          label(route),
        )
      })

      for (const mode of route.accepts) {
        it(`accepts a valid ${mode.replace('_', ' ')}`, async () => {
          const headers: Record<string, string> = {
            merchant_key: keyHeaders(merchant.merchantKey),
            commerce_key: { 'x-commerce-api-key': merchant.commerceKey },
            bearer: { authorization: `Bearer ${merchant.dashboardToken}` },
            session: ctx.sessionHeaders,
          }[mode]
          const res = await send(route, headers)
          assert.equal(
            res.status,
            route.okStatus,
            `${label(route)} with ${mode}: ${JSON.stringify(res.body)}`,
          )
        })
      }

      if (accepts(route, 'session')) {
        const serverCredentials: [string, () => Record<string, string>][] = [
          ['a merchant key', () => keyHeaders(merchant.merchantKey)],
          ['a commerce key', () => ({ 'x-commerce-api-key': merchant.commerceKey })],
          ['a dashboard bearer', () => ({ authorization: `Bearer ${merchant.dashboardToken}` })],
        ]
        for (const [what, headers] of serverCredentials) {
          it(`answers 403 WRONG_AUTH_MODE for ${what}`, async () => {
            assertError(await send(route, headers()), 403, 'WRONG_AUTH_MODE', label(route))
          })
        }
        it('answers 401 SESSION_INVALID when the signature is missing', async () => {
          const res = await send(route, {
            'x-session-token': ctx.sessionHeaders['x-session-token'] ?? '',
          })
          assertError(res, 401, 'SESSION_INVALID', label(route))
        })
        it('answers 403 SESSION_MISMATCH for a tampered signature', async () => {
          const signature = ctx.sessionHeaders['x-signature'] ?? ''
          const tampered = `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`
          const res = await send(route, { ...ctx.sessionHeaders, 'x-signature': tampered })
          assertError(res, 403, 'SESSION_MISMATCH', label(route))
        })
        return
      }

      it('answers 401 AUTHENTICATION_REQUIRED for payment-session headers', async () => {
        assertError(
          await send(route, ctx.sessionHeaders),
          401,
          'AUTHENTICATION_REQUIRED',
          label(route),
        )
      })

      if (!accepts(route, 'commerce_key')) {
        it('answers 403 for a commerce-scoped key', async () => {
          const viaApiKey = await send(route, keyHeaders(merchant.commerceKey))
          assertError(
            viaApiKey,
            403,
            acceptsKey(route) ? 'FORBIDDEN' : 'WRONG_AUTH_MODE',
            label(route),
          )
          const viaCommerceHeader = await send(route, {
            'x-commerce-api-key': merchant.commerceKey,
          })
          assertError(
            viaCommerceHeader,
            403,
            acceptsKey(route) ? 'FORBIDDEN' : 'WRONG_AUTH_MODE',
            label(route),
          )
        })
      } else {
        it('answers 403 FORBIDDEN for a merchant key sent as x-commerce-api-key', async () => {
          assertError(
            await send(route, { 'x-commerce-api-key': merchant.merchantKey }),
            403,
            'FORBIDDEN',
            label(route),
          )
        })
      }

      if (!acceptsKey(route)) {
        it('answers 403 WRONG_AUTH_MODE for an x-api-key on a bearer-only route', async () => {
          assertError(
            await send(route, keyHeaders(merchant.merchantKey)),
            403,
            'WRONG_AUTH_MODE',
            label(route),
          )
        })
      } else {
        const keyCases: [string, () => string, string][] = [
          ['a garbage key', () => 'pk_test_garbage_not_a_key', 'API_KEY_INVALID'],
          ['a too-short key', () => 'pk', 'API_KEY_INVALID'],
          ['a revoked key', () => revokedKey, 'API_KEY_REVOKED'],
          ['an expired key', () => expiringKey, 'API_KEY_EXPIRED'],
        ]
        for (const [what, key, code] of keyCases) {
          it(`answers 401 ${code} for ${what}`, async () => {
            assertError(await send(route, keyHeaders(key())), 401, code, label(route))
          })
        }
      }

      if (accepts(route, 'bearer')) {
        const bearerCases: [string, () => Promise<string>][] = [
          ['a garbage token', async () => 'Bearer not.a.jwt'],
          ['a non-Bearer scheme', async () => `Basic ${merchant.dashboardToken}`],
          ['an expired token', async () => `Bearer ${expiredBearer}`],
          [
            'a token signed with another key',
            async () =>
              `Bearer ${await signJwt(new Uint8Array(32).fill(7), { typ: 'dashboard' }, { issuedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 60_000), subject: merchant.merchant.id.toString() })}`,
          ],
          [
            'a token that is not a dashboard token',
            async () =>
              `Bearer ${await signJwt(t.server.deps.secrets.jwtKey, { typ: 'ws' }, { issuedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 60_000), subject: merchant.merchant.id.toString() })}`,
          ],
          [
            'a token for an unknown merchant',
            async () =>
              `Bearer ${await signJwt(t.server.deps.secrets.jwtKey, { typ: 'dashboard' }, { issuedAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 60_000), subject: '987654321' })}`,
          ],
        ]
        for (const [what, authorization] of bearerCases) {
          it(`answers 401 BEARER_TOKEN_INVALID for ${what}`, async () => {
            assertError(
              await send(route, { authorization: await authorization() }),
              401,
              'BEARER_TOKEN_INVALID',
              label(route),
            )
          })
        }
      }
    })
  }

  describe('API key creation', () => {
    it('refuses a mainnet key for a merchant without mainnet access with 403 MAINNET_ACCESS_REQUIRED', async () => {
      const other = await t.onboard('No Mainnet')
      const dashboard = { authorization: `Bearer ${other.dashboardToken}` }
      for (const scope of ['merchant', 'commerce']) {
        const res = await call('POST', '/api/v1/api-keys', {
          headers: dashboard,
          body: { name: 'live', scope, environment: 'mainnet' },
        })
        assertError(res, 403, 'MAINNET_ACCESS_REQUIRED', scope)
      }
      const keys = await call('GET', '/api/v1/api-keys?environment=mainnet', { headers: dashboard })
      assert.deepEqual(keys.body, [])
    })
  })

  describe('x-request-id', () => {
    it('echoes a well-formed request id the client sends', async () => {
      const id = `client-${randomUUID()}`
      const res = await call('GET', '/api/v1/invoices', {
        headers: { ...keyHeaders(merchant.merchantKey), 'x-request-id': id },
      })
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('x-request-id'), id)
    })

    it('replaces a malformed request id with a generated one', async () => {
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon']) {
        const res = await call('GET', '/healthz', { headers: { 'x-request-id': bad } })
        const id = res.headers.get('x-request-id')
        assert.ok(id)
        assert.notEqual(id, bad)
        assert.match(id, /^req_[0-9a-f-]{36}$/)
      }
    })

    it('is set on successes, errors, unknown routes and operational endpoints', async () => {
      const responses = await Promise.all([
        call('GET', '/healthz'),
        call('GET', '/readyz'),
        call('GET', '/metrics'),
        call('GET', '/api/v1/nothing-here'),
        call('GET', '/api/v1/invoices?limit=0', { headers: keyHeaders(merchant.merchantKey) }),
        call('POST', '/api/v1/invoices', {
          headers: keyHeaders(merchant.merchantKey),
          rawBody: '{',
        }),
        call('GET', '/api/v1/invoices'),
      ])
      const ids = responses.map((r) => r.headers.get('x-request-id'))
      assert.ok(
        ids.every((id) => typeof id === 'string' && id.length > 0),
        JSON.stringify(ids),
      )
      assert.equal(new Set(ids).size, ids.length, 'each request gets its own id')
      const notFound = responses[3]
      assert.ok(notFound)
      assertError(notFound, 404, 'NOT_FOUND', 'unknown route')
    })

    it('carries the request id into the event the request caused', async () => {
      const id = `evt-origin-${randomUUID()}`
      const created = await call('POST', '/api/v1/invoices', {
        headers: {
          ...keyHeaders(merchant.merchantKey),
          'idempotency-key': randomUUID(),
          'x-request-id': id,
        },
        body: { amount_usd: 2 },
      })
      const events = await call('GET', `/api/v1/events?invoice_id=${created.body.invoice_id}`, {
        headers: keyHeaders(merchant.merchantKey),
      })
      assert.equal(events.body.data.data[0].request.id, id)
    })
  })
})

type Scheme = 'apiKey' | 'commerceApiKey' | 'bearerAuth' | 'sessionToken'

/**
 * Every /api route the full server documents (the foundation and every default extension), with
 * the credential rules derived from its OpenAPI security: a route added later is covered without
 * editing this file.
 */
describe('authentication over every documented route', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let call: ReturnType<typeof apiClient>
  let sessionHeaders: Record<string, string>
  let revokedKey: string
  const routes: { method: string; path: string; schemes: Set<Scheme> }[] = []

  before(async () => {
    t = await startTestServer({ runWorkers: false })
    merchant = await t.onboard('Generic Matrix')
    call = apiClient(t.url)
    const created = await call('POST', '/api/v1/invoices', {
      headers: { ...keyHeaders(merchant.merchantKey), 'idempotency-key': randomUUID() },
      body: { amount_usd: 1 },
    })
    sessionHeaders = created.body.payment_session_headers
    const dashboard = { authorization: `Bearer ${merchant.dashboardToken}` }
    const key = await call('POST', '/api/v1/api-keys', {
      headers: dashboard,
      body: { name: 'revoked', scope: 'merchant' },
    })
    revokedKey = key.body.api_key
    await call('POST', `/api/v1/api-keys/${key.body.key_id}/revoke`, { headers: dashboard })
    const spec = await call('GET', '/openapi.json')
    type Operation = { security?: Record<string, string[]>[] }
    for (const [template, operations] of Object.entries(
      spec.body.paths as Record<string, Record<string, Operation>>,
    )) {
      if (!template.startsWith('/api/')) continue
      for (const [method, operation] of Object.entries(operations)) {
        const schemes = new Set(
          (operation.security ?? []).flatMap((s) => Object.keys(s)) as Scheme[],
        )
        // path parameters never matter here: credentials are checked before the request is parsed
        const path = template.replace(/\{[^}]+\}/g, randomUUID())
        routes.push({ method: method.toUpperCase(), path, schemes })
      }
    }
  })
  after(async () => t.close())

  it('documents a security requirement on every /api route', () => {
    assert.ok(routes.length >= ROUTES.length)
    for (const route of routes)
      assert.ok(route.schemes.size > 0, `${route.method} ${route.path} has no security`)
  })

  it('enforces the documented credentials on every /api route', async (ctx) => {
    for (const route of routes) {
      const what = `${route.method} ${route.path}`
      const send = (headers: Record<string, string>) => call(route.method, route.path, { headers })
      const isSession = route.schemes.has('sessionToken')
      await ctx.test(what, async () => {
        const anonymous = await send({})
        assertError(
          anonymous,
          401,
          isSession ? 'SESSION_INVALID' : 'AUTHENTICATION_REQUIRED',
          `${what} anonymous`,
        )
        if (isSession) {
          assertError(
            await send(keyHeaders(merchant.merchantKey)),
            403,
            'WRONG_AUTH_MODE',
            `${what} with a key`,
          )
          assertError(
            await send({ authorization: `Bearer ${merchant.dashboardToken}` }),
            403,
            'WRONG_AUTH_MODE',
            `${what} with a bearer`,
          )
          return
        }
        assertError(
          await send(sessionHeaders),
          401,
          'AUTHENTICATION_REQUIRED',
          `${what} with session headers`,
        )
        const takesKey = route.schemes.has('apiKey') || route.schemes.has('commerceApiKey')
        if (!takesKey) {
          assertError(
            await send(keyHeaders(merchant.merchantKey)),
            403,
            'WRONG_AUTH_MODE',
            `${what} with a key`,
          )
        } else {
          assertError(
            await send(keyHeaders('pk_test_garbage_not_a_key')),
            401,
            'API_KEY_INVALID',
            `${what} garbage key`,
          )
          assertError(
            await send(keyHeaders(revokedKey)),
            401,
            'API_KEY_REVOKED',
            `${what} revoked key`,
          )
        }
        if (!route.schemes.has('commerceApiKey')) {
          const res = await send({ 'x-commerce-api-key': merchant.commerceKey })
          assert.equal(res.status, 403, `${what} with a commerce key: ${JSON.stringify(res.body)}`)
        }
        if (route.schemes.has('bearerAuth')) {
          assertError(
            await send({ authorization: 'Bearer not.a.jwt' }),
            401,
            'BEARER_TOKEN_INVALID',
            `${what} bad bearer`,
          )
        } else {
          const res = await send({ authorization: `Bearer ${merchant.dashboardToken}` })
          assert.equal(res.status, 403, `${what} with a bearer: ${JSON.stringify(res.body)}`)
        }
      })
    }
  })
})
