import { after, afterEach, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  ApiError,
  ConnectionError,
  IdempotencyError,
  InvalidRequestError,
  Pepay,
  RateLimitError,
  type PepayOptions,
} from 'pepay'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { startFaultProxy } from './helpers.ts'

const FAST: PepayOptions = { initialRetryDelayMs: 10, maxRetryDelayMs: 50 }

describe('SDK retries, idempotency and timeouts through a fault-injecting proxy', () => {
  let t: TestServer
  let acme: OnboardedMerchant
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>
  let direct: Pepay

  before(async () => {
    t = await startTestServer()
    acme = await t.onboard('Acme')
    proxy = await startFaultProxy(t.url)
    direct = new Pepay({ baseUrl: t.url, apiKey: acme.merchantKey })
  })
  afterEach(() => proxy.reset())
  after(async () => {
    await proxy.close()
    await t.close()
  })

  const client = (options: PepayOptions = {}) =>
    new Pepay({ baseUrl: proxy.url, apiKey: acme.merchantKey, ...FAST, ...options })
  const invoicesOf = async (customer: string) =>
    (await direct.invoices.listByCustomer(customer, { limit: 100 })).data

  const faults: [string, Parameters<typeof proxy.script>][] = [
    ['a dropped connection', [{ kind: 'drop' }]],
    ['a reply lost after the server committed the invoice', [{ kind: 'drop-after' }]],
    ['a 500', [{ kind: 'status', status: 500 }]],
    ['a 503 then a lost reply', [{ kind: 'status', status: 503 }, { kind: 'drop-after' }]],
    [
      'a 409 IDEMPOTENCY_CONFLICT',
      [
        {
          kind: 'status',
          status: 409,
          body: { success: false, error: { code: 'IDEMPOTENCY_CONFLICT', message: 'in progress' } },
        },
      ],
    ],
  ]
  for (const [label, plan] of faults) {
    it(`creates exactly one invoice with one Idempotency-Key across retries after ${label}`, async () => {
      const customer = `cust_${randomUUID()}`
      proxy.script(...plan)
      const created = await client().invoices.create({ amount_usd: 12.34, customer_id: customer })
      const posts = proxy.seen.filter((r) => r.method === 'POST')
      assert.equal(posts.length, plan.length + 1)
      const keys = new Set(posts.map((r) => r.headers['idempotency-key']))
      assert.equal(keys.size, 1)
      const invoices = await invoicesOf(customer)
      assert.deepEqual(
        invoices.map((i) => i.id),
        [created.invoice_id],
      )
      assert.equal(invoices[0]?.amount, 12340)
    })
  }

  it('waits for Retry-After on a 429 before retrying', async () => {
    const customer = `cust_${randomUUID()}`
    proxy.script({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
      body: {
        success: false,
        message: 'slow down',
        error_code: 'RATE_LIMIT_EXCEEDED',
        retry_after: '1 seconds',
      },
    })
    await client().invoices.create({ amount_usd: 1, customer_id: customer })
    const [first, second] = proxy.seen
    assert.ok(first && second)
    assert.ok(second.atMs - first.atMs >= 1000, `retried after ${second.atMs - first.atMs} ms`)
    assert.equal(first.headers['idempotency-key'], second.headers['idempotency-key'])
    assert.equal((await invoicesOf(customer)).length, 1)
  })

  it('throws RateLimitError without waiting when Retry-After exceeds maxRetryAfterMs', async () => {
    proxy.script({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '120' },
      body: { success: false, message: 'slow down', error_code: 'RATE_LIMIT_EXCEEDED' },
    })
    await assert.rejects(client().invoices.list(), (error: unknown) => {
      assert.ok(error instanceof RateLimitError)
      assert.equal(error.code, 'RATE_LIMIT_EXCEEDED')
      assert.equal(error.retryAfterMs, 120_000)
      assert.equal(error.requestId, 'req_proxy')
      return true
    })
    assert.equal(proxy.seen.length, 1)
  })

  it('gives up after maxRetries and throws ApiError with the last status', async () => {
    proxy.script(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 503 },
    )
    await assert.rejects(
      client({ maxRetries: 2 }).invoices.list(),
      (error: unknown) => error instanceof ApiError && error.status === 503,
    )
    assert.equal(proxy.seen.length, 3)
  })

  it('does not retry a 502 unless it is listed in retryableStatusCodes', async () => {
    proxy.script({ kind: 'status', status: 502 }, { kind: 'status', status: 502 })
    await assert.rejects(client().invoices.list(), ApiError)
    assert.equal(proxy.seen.length, 1)
    proxy.reset()
    proxy.script({ kind: 'status', status: 502 })
    const list = await client({ retryableStatusCodes: [502] }).invoices.list({ limit: 1 })
    assert.equal(list.object, 'list')
    assert.equal(proxy.seen.length, 2)
  })

  it('does not retry a 400 or a 409 that is not an idempotency conflict', async () => {
    await assert.rejects(client().invoices.create({ amount_usd: -1 }), InvalidRequestError)
    assert.equal(proxy.seen.length, 1)
    proxy.reset()
    proxy.script({
      kind: 'status',
      status: 409,
      body: { success: false, error: { code: 'CONFLICT', message: 'no' } },
    })
    await assert.rejects(
      client().invoices.create({ amount_usd: 1 }),
      (error: unknown) => error instanceof IdempotencyError && error.code === 'CONFLICT',
    )
    assert.equal(proxy.seen.length, 1)
  })

  it('times out a hanging request with ConnectionError REQUEST_TIMEOUT', async () => {
    proxy.script({ kind: 'hang' })
    const started = performance.now()
    await assert.rejects(
      client({ timeoutMs: 200, maxRetries: 0 }).invoices.list(),
      (error: unknown) => error instanceof ConnectionError && error.code === 'REQUEST_TIMEOUT',
    )
    const elapsed = performance.now() - started
    assert.ok(elapsed >= 190 && elapsed < 2000, `took ${elapsed} ms`)
  })

  it('retries a timed-out write with the same key and creates one invoice', async () => {
    const customer = `cust_${randomUUID()}`
    proxy.script({ kind: 'hang' })
    await client({ timeoutMs: 300 }).invoices.create({ amount_usd: 4, customer_id: customer })
    const posts = proxy.seen.filter((r) => r.method === 'POST')
    assert.equal(posts.length, 2)
    assert.equal(posts[0]?.headers['idempotency-key'], posts[1]?.headers['idempotency-key'])
    assert.equal((await invoicesOf(customer)).length, 1)
  })

  it('applies a per-call timeout override', async () => {
    proxy.script({ kind: 'hang' })
    await assert.rejects(
      client({ timeoutMs: 30_000 }).invoices.list({}, { timeoutMs: 150, maxRetries: 0 }),
      (error: unknown) => error instanceof ConnectionError && error.code === 'REQUEST_TIMEOUT',
    )
  })

  it('stops at once, without retrying, when the caller aborts', async () => {
    proxy.script({ kind: 'hang' }, { kind: 'hang' })
    const controller = new AbortController()
    const pending = client({ maxRetries: 5 }).invoices.list({}, { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof ConnectionError && error.code === 'REQUEST_ABORTED',
    )
    assert.equal(proxy.seen.length, 1)
  })

  it('throws ConnectionError NETWORK_ERROR after retrying a refused connection', async () => {
    let calls = 0
    const refused = new Pepay({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: acme.merchantKey,
      ...FAST,
      maxRetries: 2,
      fetch: (url, init) => {
        calls += 1
        return fetch(url, init)
      },
    })
    await assert.rejects(
      refused.invoices.list(),
      (error: unknown) => error instanceof ConnectionError && error.code === 'NETWORK_ERROR',
    )
    assert.equal(calls, 3)
  })
})
