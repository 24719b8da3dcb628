import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  ApiError,
  AuthenticationError,
  InvalidRequestError,
  Pepay,
  PepayError,
  RateLimitError,
} from '../src/index.ts'
import { authHeaders, encodeQuery, parseRetryAfter } from '../src/request.ts'
import { parseErrorBody } from '../src/errors.ts'

describe('Pepay constructor', () => {
  const withWindow = (fn: () => void) => {
    const g = globalThis as { window?: unknown }
    g.window = {}
    try {
      fn()
    } finally {
      delete g.window
    }
  }

  const refused: [string, object][] = [
    ['apiKey', { apiKey: 'pk_test_x' }],
    ['commerceApiKey', { commerceApiKey: 'ck_test_x' }],
    ['bearerToken', { bearerToken: 'jwt' }],
  ]
  for (const [name, options] of refused) {
    it(`refuses ${name} in a browser runtime`, () => {
      withWindow(() => {
        assert.throws(
          () => new Pepay(options),
          (e: unknown) => e instanceof PepayError && e.code === 'BROWSER_CREDENTIALS_REFUSED',
        )
      })
    })
  }

  it('accepts server credentials in a browser only with dangerouslyAllowBrowser', () => {
    withWindow(() =>
      assert.doesNotThrow(() => new Pepay({ apiKey: 'pk_test_x', dangerouslyAllowBrowser: true })),
    )
  })

  it('accepts payment-session credentials in a browser', () => {
    withWindow(() =>
      assert.doesNotThrow(() => new Pepay({ sessionToken: 'pst_x', signature: 'sig_x' })),
    )
  })

  it('refuses a server credential added through withAuth in a browser', () => {
    withWindow(() => {
      const payer = new Pepay({ sessionToken: 'pst_x', signature: 'sig_x' })
      assert.throws(() => payer.withAuth({ apiKey: 'pk_test_x' }), PepayError)
    })
  })

  it('requires sessionToken and signature together', () => {
    assert.throws(() => new Pepay({ sessionToken: 'pst_x' }), TypeError)
  })

  it('rejects negative settings', () => {
    assert.throws(() => new Pepay({ timeoutMs: -1 }), TypeError)
    assert.throws(() => new Pepay({ maxRetries: Number.NaN }), TypeError)
  })

  it('defaults to the documented base URL and strips a trailing slash', () => {
    assert.equal(new Pepay().baseUrl, 'https://api-beta.pepay.io')
    assert.equal(new Pepay({ baseUrl: 'http://localhost:3000/' }).baseUrl, 'http://localhost:3000')
  })
})

describe('request helpers', () => {
  it('picks the first configured credential kind and only that one', () => {
    const all = {
      apiKey: 'a',
      commerceApiKey: 'c',
      bearerToken: 'b',
      sessionToken: 's',
      signature: 'g',
    }
    assert.deepEqual(authHeaders(all, ['apiKey', 'bearer']), { 'x-api-key': 'a' })
    assert.deepEqual(authHeaders(all, ['commerceApiKey', 'apiKey']), { 'x-commerce-api-key': 'c' })
    assert.deepEqual(authHeaders({ bearerToken: 'b' }, ['apiKey', 'bearer']), {
      authorization: 'Bearer b',
    })
    assert.deepEqual(authHeaders(all, ['session']), { 'x-session-token': 's', 'x-signature': 'g' })
    assert.equal(authHeaders({ sessionToken: 's' }, ['session']), undefined)
    assert.equal(authHeaders({}, ['apiKey']), undefined)
  })

  it('encodes queries: comma lists, booleans, skipped empties', () => {
    assert.equal(
      encodeQuery({
        status: ['paid', 'expired'],
        limit: 5,
        available_only: true,
        x: undefined,
        y: null,
      }),
      '?status=paid%2Cexpired&limit=5&available_only=true',
    )
    assert.equal(encodeQuery({ 'created[gte]': 1 }), '?created%5Bgte%5D=1')
    assert.equal(encodeQuery({}), '')
  })

  it('parses Retry-After as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('2', 0), 2000)
    assert.equal(parseRetryAfter('0.5', 0), 500)
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4000), 6000)
    assert.equal(parseRetryAfter('soon', 0), undefined)
    assert.equal(parseRetryAfter(null, 0), undefined)
  })

  it('reads the three documented error envelopes', () => {
    assert.deepEqual(
      parseErrorBody(
        {
          success: false,
          error: { code: 'VALIDATION_ERROR', message: 'Invalid request data', details: [1] },
        },
        400,
      ),
      { code: 'VALIDATION_ERROR', message: 'Invalid request data', details: [1] },
    )
    assert.deepEqual(
      parseErrorBody({ error: 'Failed to fetch wallets', code: 'INTERNAL_SERVER_ERROR' }, 500),
      { code: 'INTERNAL_SERVER_ERROR', message: 'Failed to fetch wallets' },
    )
    assert.deepEqual(
      parseErrorBody(
        {
          success: false,
          message: 'Too many requests',
          error_code: 'RATE_LIMIT_EXCEEDED',
          retry_after: '15 minutes',
        },
        429,
      ),
      { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' },
    )
    assert.deepEqual(parseErrorBody('<html>bad gateway</html>', 502), {
      code: 'HTTP_502',
      message: '<html>bad gateway</html>',
    })
    assert.deepEqual(parseErrorBody(null, 503), { code: 'HTTP_503', message: 'HTTP 503' })
  })
})

describe('request headers', () => {
  it('drops credential headers passed as extra headers and keeps one Idempotency-Key whatever its case', async () => {
    const seen: Headers[] = []
    const client = new Pepay({
      baseUrl: 'http://127.0.0.1:1',
      bearerToken: 'jwt',
      fetch: async (_url, init) => {
        seen.push(new Headers(init.headers))
        return new Response('[]', { status: 200 })
      },
    })
    await client.apiKeys.create(
      { name: 'k', scope: 'merchant' },
      { headers: { 'X-Api-Key': 'pk_sneaky', 'Idempotency-Key': 'k-1', 'X-Trace': 't' } },
    )
    const [h] = seen
    assert.ok(h)
    assert.equal(h.get('x-api-key'), null)
    assert.equal(h.get('authorization'), 'Bearer jwt')
    assert.equal(h.get('idempotency-key'), 'k-1')
    assert.equal(h.get('x-trace'), 't')
  })
})

describe('error classes by status against a scripted server', () => {
  let server: Server
  let url: string
  const answers: { status: number; body: string; headers?: Record<string, string> }[] = []

  before(async () => {
    server = createServer((_req, res) => {
      const next = answers.shift() ?? { status: 200, body: '{}' }
      res.writeHead(next.status, {
        'content-type': 'application/json',
        'request-id': 'req_legacy',
        ...next.headers,
      })
      res.end(next.body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const table: [number, string, typeof PepayError][] = [
    [
      400,
      '{"success":false,"error":{"code":"VALIDATION_ERROR","message":"bad"}}',
      InvalidRequestError,
    ],
    [401, '{"error":"Invalid API key","code":"API_KEY_INVALID"}', AuthenticationError],
    [
      410,
      '{"success":false,"error":{"code":"INVOICE_EXPIRED","message":"gone"}}',
      InvalidRequestError,
    ],
    [
      429,
      '{"success":false,"message":"slow","error_code":"RATE_LIMIT_EXCEEDED","retry_after":"15 minutes"}',
      RateLimitError,
    ],
    [502, 'upstream down', ApiError],
  ]
  for (const [status, body, ErrorClass] of table) {
    it(`maps ${status} to ${ErrorClass.name} with code, message and the request-id header`, async () => {
      answers.push({ status, body })
      const client = new Pepay({ baseUrl: url, apiKey: 'pk_test_x', maxRetries: 0 })
      await assert.rejects(client.invoices.list(), (e: unknown) => {
        assert.ok(e instanceof ErrorClass)
        assert.ok(e instanceof PepayError)
        assert.equal(e.status, status)
        assert.equal(e.requestId, 'req_legacy')
        assert.ok(e.code.length > 0 && e.message.length > 0)
        assert.equal(e.name, ErrorClass.name)
        return true
      })
    })
  }
})
