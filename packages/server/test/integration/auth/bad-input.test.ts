import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { apiClient, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

const DEEP = `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`

/** Raw JSON bodies no route accepts; each must be refused with a 4xx, never a 500. */
const BODIES: [string, string][] = [
  ['null', 'null'],
  ['an array', '[1,2,3]'],
  ['a bare string', '"amount_usd"'],
  ['a bare number', '42'],
  ['truncated JSON', '{"amount_usd": 5,'],
  ['an empty JSON body', ''],
  ['deep nesting', DEEP],
  ['an infinite amount', '{"amount_usd": 1e309}'],
  ['a 30-digit amount', '{"amount_usd": "999999999999999999999999999999"}'],
  ['a __proto__ key', '{"__proto__": {"polluted": true}, "amount_usd": 1}'],
  ['a constructor key', '{"constructor": {"prototype": {"polluted": true}}}'],
  // valid in shape: only the text itself is unstorable (Postgres holds no NUL, UTF-8 no lone surrogate)
  [
    'a NUL in a description',
    '{"amount_usd": 1, "description": "a\\u0000b", "email": "a@example.com", "name": "n", "scope": "merchant"}',
  ],
  ['a NUL in a metadata key', '{"amount_usd": 1, "metadata": {"k\\u0000": "v"}}'],
  [
    'a lone surrogate',
    '{"amount_usd": 1, "description": "\\ud800", "email": "a@example.com", "responses": [{"question_id": "q", "response": "\\udc00"}]}',
  ],
  ['a NUL in an answer', '{"responses": [{"question_id": "q", "response": "a\\u0000"}]}'],
  ['a NUL in an e-mail', '{"email": "a\\u0000@example.com"}'],
  [
    'wrong types everywhere',
    '{"amount_usd": {}, "email": [], "responses": {}, "environment": 1, "name": false}',
  ],
]

const QUERIES: string[] = [
  'limit=1e3',
  'limit=99999999999999999999',
  'limit=',
  'limit=1&limit=2',
  'status[]=paid',
  'expand[]=payments',
  'created_gte=99999999999999',
  'created[gte]=1e400',
  'type=%00',
  'starting_after=%27%20OR%201%3D1--',
  'invoice_id=%E2%80%AE',
  'environment=devnet&environment=mainnet',
  'customer_id=%00',
  'customer_id=%ED%A0%80',
]

const PATH_VALUES: string[] = [
  'x'.repeat(400),
  '%00',
  '..%2F..%2Fetc',
  '%E0%A4%A',
  "1'; DROP TABLE invoice;--",
  '%F0%9F%92%B8',
]

describe('hostile input on every foundation route', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let call: ReturnType<typeof apiClient>
  let sessionHeaders: Record<string, string>
  const routes: { method: string; template: string; session: boolean }[] = []

  before(async () => {
    t = await startTestServer({ runWorkers: false, extensions: [] })
    merchant = await t.onboard('Hostile Input')
    call = apiClient(t.url)
    const created = await call('POST', '/api/v1/invoices', {
      headers: { 'x-api-key': merchant.merchantKey, 'idempotency-key': randomUUID() },
      body: {
        amount_usd: 1,
        questions: { questions: [{ id: 'q', question: 'Q?', type: 'text' }] },
      },
    })
    sessionHeaders = created.body.payment_session_headers
    const spec = await call('GET', '/openapi.json')
    type Operation = { security?: Record<string, string[]>[] }
    for (const [template, operations] of Object.entries(
      spec.body.paths as Record<string, Record<string, Operation>>,
    )) {
      if (!template.startsWith('/api/')) continue
      for (const [method, operation] of Object.entries(operations)) {
        const session = (operation.security ?? []).some((s) => 'sessionToken' in s)
        routes.push({ method: method.toUpperCase(), template, session })
      }
    }
  })
  after(async () => t.close())

  function credentials(session: boolean): Record<string, string> {
    return session ? sessionHeaders : { authorization: `Bearer ${merchant.dashboardToken}` }
  }

  function assertRefusedCleanly(
    res: { status: number; headers: Headers; body: unknown },
    what: string,
  ): void {
    assert.ok(res.status < 500, `${what} answered ${res.status}: ${JSON.stringify(res.body)}`)
    assert.ok(res.headers.get('x-request-id'), `${what}: x-request-id`)
    if (res.status >= 400) {
      const body = res.body as { success?: unknown; error?: { code?: unknown } }
      assert.equal(body.success, false, `${what}: error envelope`)
      assert.equal(typeof body.error?.code, 'string', `${what}: error code`)
    }
  }

  it('never answers a 5xx to a malformed body and writes nothing', async (ctx) => {
    const before = await call('GET', '/api/v1/invoices/totals', { headers: credentials(false) })
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      const path = route.template.replace(/\{[^}]+\}/g, randomUUID())
      await ctx.test(`${route.method} ${route.template}`, async () => {
        for (const [label, raw] of BODIES) {
          const res = await call(route.method, path, {
            headers: { ...credentials(route.session), 'idempotency-key': randomUUID() },
            rawBody: raw,
          })
          assertRefusedCleanly(res, `${route.method} ${route.template} with ${label}`)
        }
      })
    }
    const afterTotals = await call('GET', '/api/v1/invoices/totals', {
      headers: credentials(false),
    })
    assert.deepEqual(afterTotals.body.totals.all, before.body.totals.all)
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution')
  })

  it('never answers a 5xx to hostile query strings', async (ctx) => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      const path = route.template.replace(/\{[^}]+\}/g, randomUUID())
      await ctx.test(`${route.method} ${route.template}`, async () => {
        for (const query of QUERIES) {
          const res = await call('GET', `${path}?${query}`, { headers: credentials(route.session) })
          assertRefusedCleanly(res, `GET ${route.template}?${query}`)
        }
      })
    }
  })

  it('never answers a 5xx to hostile path parameters', async (ctx) => {
    for (const route of routes.filter((r) => r.template.includes('{'))) {
      await ctx.test(`${route.method} ${route.template}`, async () => {
        for (const value of PATH_VALUES) {
          const path = route.template.replace(/\{[^}]+\}/g, value)
          const res = await call(route.method, path, {
            headers: { ...credentials(route.session), 'idempotency-key': randomUUID() },
          })
          assertRefusedCleanly(res, `${route.method} ${path.slice(0, 80)}`)
          if (route.template.includes('{customerId}') && res.status === 200) {
            // a customer id is the merchant's free text: an odd one simply matches nothing
            assert.deepEqual(res.body.data, [])
          } else {
            assert.ok(
              res.status >= 400,
              `${route.method} ${path.slice(0, 80)} accepted a hostile id`,
            )
          }
        }
      })
    }
  })
})
