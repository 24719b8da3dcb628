import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

describe('rate limiting per credential', () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 1))
  let t: TestServer
  let merchant: OnboardedMerchant
  let call: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({
      clock,
      runWorkers: false,
      extensions: [],
      env: { PEPAY_RATE_LIMIT_PER_MINUTE: '3' },
    })
    merchant = await t.onboard('Limited Merchant')
    call = apiClient(t.url)
  })
  after(async () => t.close())

  it('answers the fourth request in a minute with 429, Retry-After and the documented body', async () => {
    const headers = keyHeaders(merchant.merchantKey)
    const statuses: number[] = []
    for (let i = 0; i < 3; i += 1)
      statuses.push((await call('GET', '/api/v1/invoices', { headers })).status)
    assert.deepEqual(statuses, [200, 200, 200])
    clock.advance(20_000)
    const limited = await call('GET', '/api/v1/invoices', { headers })
    assert.equal(limited.status, 429)
    assert.equal(limited.headers.get('retry-after'), '40')
    assert.ok(limited.headers.get('x-request-id'))
    assert.deepEqual(limited.body, {
      success: false,
      error: {
        code: 'RATE_LIMIT_EXCEEDED',
        message: 'Too many requests for this credential. Please try again later.',
      },
      message: 'Too many requests for this credential. Please try again later.',
      error_code: 'RATE_LIMIT_EXCEEDED',
      retry_after: '40 seconds',
    })
  })

  it('counts refused writes too and never runs a limited request', async () => {
    const fresh = await t.onboard()
    const headers = keyHeaders(fresh.merchantKey)
    for (let i = 0; i < 3; i += 1) {
      const res = await call('POST', '/api/v1/invoices', {
        headers: { ...headers, 'idempotency-key': randomUUID() },
        body: { amount_usd: 0 },
      })
      assert.equal(res.status, 400)
    }
    const limited = await call('POST', '/api/v1/invoices', {
      headers: { ...headers, 'idempotency-key': randomUUID() },
      body: { amount_usd: 5 },
    })
    assert.equal(limited.status, 429)
    // the limited create wrote nothing: a later window shows no invoice
    clock.advance(60_000)
    const list = await call('GET', '/api/v1/invoices', { headers })
    assert.equal(list.status, 200)
    assert.deepEqual(list.body.data, [])
  })

  it('limits each key on its own', async () => {
    const fresh = await t.onboard()
    for (let i = 0; i < 3; i += 1)
      await call('GET', '/api/v1/invoices', { headers: keyHeaders(fresh.merchantKey) })
    assert.equal(
      (await call('GET', '/api/v1/invoices', { headers: keyHeaders(fresh.merchantKey) })).status,
      429,
    )
    assert.equal(
      (await call('GET', '/api/v1/events', { headers: keyHeaders(fresh.commerceKey) })).status,
      200,
    )
    assert.equal(
      (
        await call('GET', '/api/v1/invoices', {
          headers: { authorization: `Bearer ${fresh.dashboardToken}` },
        })
      ).status,
      200,
    )
  })

  it('opens a new window a minute after the first request', async () => {
    const fresh = await t.onboard()
    const headers = keyHeaders(fresh.merchantKey)
    for (let i = 0; i < 3; i += 1) await call('GET', '/api/v1/invoices', { headers })
    clock.advance(59_000)
    const late = await call('GET', '/api/v1/invoices', { headers })
    assert.equal(late.status, 429)
    assert.equal(late.headers.get('retry-after'), '1')
    clock.advance(1_000)
    assert.equal((await call('GET', '/api/v1/invoices', { headers })).status, 200)
  })

  it('limits payment sessions per invoice', async () => {
    const fresh = await t.onboard()
    const created = await call('POST', '/api/v1/invoices', {
      headers: { ...keyHeaders(fresh.merchantKey), 'idempotency-key': randomUUID() },
      body: { amount_usd: 5 },
    })
    const session = apiClient(t.url, created.body.payment_session_headers)
    const statuses: number[] = []
    for (let i = 0; i < 4; i += 1)
      statuses.push((await session('GET', '/api/v1/payments/payment-status')).status)
    assert.deepEqual(statuses, [200, 200, 200, 429])
  })

  it('does not limit the operational endpoints', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 6; i += 1) statuses.push((await call('GET', '/healthz')).status)
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200])
  })
})
