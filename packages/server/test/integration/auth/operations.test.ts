import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { ServerExtension } from '../../../src/server.ts'

describe('operational endpoints', () => {
  let t: TestServer
  let call: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({ runWorkers: false })
    call = apiClient(t.url)
  })
  after(async () => t.close())

  it('answers /healthz with ok', async () => {
    const res = await call('GET', '/healthz')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { status: 'ok' })
  })

  it('answers /readyz with the database check', async () => {
    const res = await call('GET', '/readyz')
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'ready')
    assert.deepEqual(
      res.body.checks.find((c: { name: string }) => c.name === 'database'),
      { name: 'database', ok: true },
    )
  })

  it('serves Prometheus metrics including request latency by route', async () => {
    const merchant = await t.onboard()
    await call('GET', '/api/v1/invoices', { headers: keyHeaders(merchant.merchantKey) })
    const res = await call('GET', '/metrics')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    const text = res.body as string
    assert.match(text, /# TYPE pepay_http_request_duration_seconds histogram/)
    assert.match(
      text,
      /pepay_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/invoices",status="200"\} \d+/,
    )
    assert.match(text, /process_cpu_user_seconds_total/)
  })

  it('serves an OpenAPI 3.1 document with security schemes and shared components', async () => {
    const res = await call('GET', '/openapi.json')
    assert.equal(res.status, 200)
    assert.equal(res.body.openapi, '3.1.0')
    assert.equal(res.body.info.title, 'Pepay API')
    assert.deepEqual(Object.keys(res.body.components.securitySchemes).sort(), [
      'apiKey',
      'bearerAuth',
      'commerceApiKey',
      'sessionSignature',
      'sessionToken',
    ])
    for (const schema of ['Invoice', 'InvoiceCreated', 'Event', 'Error']) {
      assert.ok(res.body.components.schemas[schema], `component ${schema}`)
    }
    const operations = Object.entries(
      res.body.paths as Record<string, Record<string, { responses?: object }>>,
    ).filter(([path]) => path.startsWith('/api/'))
    assert.ok(operations.length > 0)
    for (const [path, methods] of operations) {
      for (const [method, operation] of Object.entries(methods)) {
        assert.ok(
          operation.responses && Object.keys(operation.responses).length > 0,
          `${method} ${path} documents responses`,
        )
      }
    }
    assert.equal(
      '/healthz' in res.body.paths,
      false,
      'operational endpoints stay out of the public document',
    )
  })

  it('renders the reference docs as HTML at /docs', async () => {
    const res = await fetch(`${t.url}/docs`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /text\/html/)
    assert.match(await res.text(), /<html/i)
  })

  it('answers unknown routes with the error envelope', async () => {
    const res = await call('GET', '/api/v1/unknown')
    assert.equal(res.status, 404)
    assert.deepEqual(res.body, {
      success: false,
      error: { code: 'NOT_FOUND', message: 'Route GET /api/v1/unknown not found' },
    })
  })

  it('answers an oversized or non-JSON body with 413 or 415 in the error envelope', async () => {
    const merchant = await t.onboard()
    const headers = { ...keyHeaders(merchant.merchantKey), 'idempotency-key': randomUUID() }
    const big = await call('POST', '/api/v1/invoices', {
      headers,
      rawBody: JSON.stringify({ amount_usd: 1, description: 'x'.repeat(1_100_000) }),
    })
    assert.equal(big.status, 413)
    assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE')
    const text = await call('POST', '/api/v1/invoices', {
      headers: { ...headers, 'idempotency-key': randomUUID(), 'content-type': 'application/xml' },
      rawBody: '<invoice><amount_usd>1</amount_usd></invoice>',
    })
    assert.equal(text.status, 415)
    assert.equal(text.body.error.code, 'UNSUPPORTED_MEDIA_TYPE')
  })
})

describe('graceful shutdown', () => {
  it('lets an in-flight request finish while refusing new ones', async () => {
    let release = (): void => undefined
    const gate = new Promise<void>((resolveGate) => {
      release = resolveGate
    })
    let entered = (): void => undefined
    const inFlight = new Promise<void>((resolveEntered) => {
      entered = resolveEntered
    })
    // a route that holds its request open until the test lets it go
    const slowRoute: ServerExtension = {
      start: async () => ({
        plugins: [
          async (app: FastifyInstance) => {
            app.get('/test/slow', { schema: { hide: true } }, async () => {
              entered()
              await gate
              return { finished: true }
            })
          },
        ],
      }),
    }
    const t = await startTestServer({ runWorkers: false, extensions: [slowRoute] })
    try {
      const pending = fetch(`${t.url}/test/slow`)
      await inFlight
      let stopped = false
      const stopping = t.stopServer().then(() => {
        stopped = true
      })
      // new work is refused once stopping began (503 while closing, or the listener is gone)
      const late = await fetch(`${t.url}/healthz`).then(
        (r) => r.status,
        () => 'refused' as const,
      )
      assert.ok(late === 503 || late === 'refused', `late request got ${String(late)}`)
      assert.equal(stopped, false, 'the server waits for the in-flight request')
      release()
      const res = await pending
      assert.equal(res.status, 200)
      assert.deepEqual(await res.json(), { finished: true })
      await stopping
      assert.equal(stopped, true)
    } finally {
      release()
      await t.close()
    }
  })
})
