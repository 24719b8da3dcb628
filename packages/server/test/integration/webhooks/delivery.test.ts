import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { PepayEvent, WebhookDelivery } from '@pepay/contracts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { deliverDue, webhooksExtension } from '../../../src/modules/webhooks/index.ts'
import type { DeliveryOptions } from '../../../src/modules/webhooks/webhook-delivery.service.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { Receiver, verifySignature } from './receiver.ts'
import { sealStoredSecrets } from '../../../src/modules/webhooks/webhook-endpoint.service.ts'

const HOUR = 3600_000
const dns: Record<string, string[]> = { 'hooks.example.test': ['93.184.216.34'] }

describe('webhook delivery', () => {
  let t: TestServer
  let receiver: Receiver
  const clock = new FakeClock(Date.UTC(2026, 2, 1))
  const options: DeliveryOptions = {
    timeoutMs: 2000,
    batchSize: 50,
    random: () => 0.5,
    resolve: async (host) => {
      const found = dns[host]
      if (!found) throw new Error('ENOTFOUND')
      return found
    },
  }

  before(async () => {
    receiver = await Receiver.start()
    t = await startTestServer({
      clock,
      extensions: [webhooksExtension({ runWorker: false, resolve: options.resolve })],
    })
  })
  after(async () => {
    await t.close()
    await receiver.close()
  })

  /** Runs the worker until nothing is due now (bounded). */
  async function drain(): Promise<number> {
    let total = 0
    for (let i = 0; i < 50; i += 1) {
      const n = await deliverDue(t.server.deps, options)
      total += n
      if (n === 0) return total
    }
    return total
  }

  async function setup(events = ['invoice.*']) {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const endpoint = await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: receiver.url, enabled_events: events },
    })
    assert.equal(endpoint.status, 201)
    return { m, api, endpoint: endpoint.body.data as { id: string; secret: string } }
  }

  async function invoice(api: ReturnType<typeof apiClient>) {
    const res = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 12.5 },
    })
    assert.equal(res.status, 201)
    return res.body.invoice_id as string
  }

  function receivedFor(invoiceId: string) {
    return receiver.requests.filter((r) => r.body?.data?.object?.id === invoiceId)
  }

  it('POSTs the event JSON signed with the endpoint secret and the documented headers', async () => {
    receiver.status = 200
    const { api, endpoint } = await setup()
    const invoiceId = await invoice(api)
    await drain()
    const [request] = receivedFor(invoiceId)
    assert.ok(request)
    PepayEvent.parse(request.body)
    assert.equal(request.headers['content-type'], 'application/json')
    assert.equal(request.headers['x-pepay-event'], 'invoice.created')
    assert.equal(request.headers['x-pepay-event-id'], request.body.id)
    assert.equal(request.headers['x-pepay-timestamp'], String(clock.now().getTime()))
    assert.equal(request.headers['x-pepay-network-environment'], 'devnet')
    assert.match(String(request.headers['x-pepay-delivery-id']), /^wd_[0-9a-f]{24}$/)
    assert.equal(request.headers['x-pepay-signature-previous'], undefined)
    assert.ok(verifySignature(endpoint.secret, request))
    assert.ok(!verifySignature('whsec_wrong', request))
    // the same envelope as the Events API
    const stored = await api('GET', `/api/v1/events/${request.body.id}`)
    assert.deepEqual(
      { ...request.body, pending_webhooks: 0 },
      { ...stored.body.data, pending_webhooks: 0 },
    )
    assert.equal(stored.body.data.pending_webhooks, 0)
  })

  it('signs with the current and the previous secret for 24 hours after a rotation', async () => {
    receiver.status = 200
    const { api, endpoint } = await setup()
    const rotated = await api('POST', `/api/v1/webhooks/endpoints/${endpoint.id}/rotate-secret`)
    const newSecret = rotated.body.data.secret as string
    const first = await invoice(api)
    await drain()
    const [during] = receivedFor(first)
    assert.ok(during)
    assert.ok(verifySignature(newSecret, during))
    assert.ok(verifySignature(endpoint.secret, during, 'x-pepay-signature-previous'))
    assert.ok(!verifySignature(endpoint.secret, during))
    clock.advance(25 * HOUR)
    const second = await invoice(api)
    await drain()
    const [later] = receivedFor(second)
    assert.ok(later)
    assert.ok(verifySignature(newSecret, later))
    assert.equal(later.headers['x-pepay-signature-previous'], undefined)
  })

  it('stores signing secrets sealed, and seals and keeps signing with secrets stored in clear before', async () => {
    receiver.status = 200
    const { api, endpoint } = await setup()
    const db = t.server.deps.db
    const stored = await db.selectFrom('webhook_endpoint').select(['secret']).where('id', '=', endpoint.id).executeTakeFirstOrThrow()
    assert.match(stored.secret, /^sealed:v1:/)
    assert.ok(!stored.secret.includes(endpoint.secret.slice('whsec_'.length)))
    // a row as an earlier version wrote it: the secret in clear
    await db.updateTable('webhook_endpoint').set({ secret: endpoint.secret }).where('id', '=', endpoint.id).execute()
    const legacy = await invoice(api)
    await drain()
    const [before] = receivedFor(legacy)
    assert.ok(before)
    assert.ok(verifySignature(endpoint.secret, before))
    assert.ok((await sealStoredSecrets(t.server.deps)) >= 1)
    const resealed = await db.selectFrom('webhook_endpoint').select(['secret']).where('id', '=', endpoint.id).executeTakeFirstOrThrow()
    assert.match(resealed.secret, /^sealed:v1:/)
    const after = await invoice(api)
    await drain()
    const [sealedDelivery] = receivedFor(after)
    assert.ok(sealedDelivery)
    assert.ok(verifySignature(endpoint.secret, sealedDelivery))
    // a sealed secret copied to another endpoint's row does not open there
    const other = await setup()
    assert.throws(() => t.server.deps.sealer.open(resealed.secret, other.endpoint.id))
    // one that does not open is never sent unsigned: the attempt fails and the others go out
    await db.updateTable('webhook_endpoint').set({ secret: resealed.secret }).where('id', '=', other.endpoint.id).execute()
    const unsigned = await invoice(other.api)
    const fine = await invoice(api)
    await drain()
    assert.equal(receivedFor(unsigned).length, 0)
    assert.equal(receivedFor(fine).length, 1)
    const attempts = await db
      .selectFrom('webhook_attempt as a')
      .innerJoin('webhook_delivery as d', 'd.id', 'a.delivery_id')
      .select(['a.error'])
      .where('d.endpoint_id', '=', other.endpoint.id)
      .execute()
    assert.ok(attempts.some((a) => a.error === 'signing secret cannot be opened with this master key'), JSON.stringify(attempts))
    await db.updateTable('webhook_endpoint').set({ secret: t.server.deps.sealer.seal(other.endpoint.secret, other.endpoint.id) }).where('id', '=', other.endpoint.id).execute()
  })

  it('retries a receiver that is down with backoff, logs every attempt, and delivers each event once when it is back', async () => {
    const { api, endpoint } = await setup()
    receiver.status = 503
    const ids = [await invoice(api), await invoice(api), await invoice(api)]
    await drain()
    receiver.status = 0
    // the first retry waits 15 s ± 20 % jitter: at most 18 s
    clock.advance(18_001)
    await drain()
    // still scheduled: the second retry waits 30 s ± 20 % (24–36 s after the first retry)
    clock.advance(20_000)
    assert.equal(await drain(), 0)
    receiver.status = 200
    clock.advance(18_001)
    await drain()
    for (const id of ids) {
      const requests = receivedFor(id)
      assert.deepEqual(
        requests.map((r) => r.status),
        [503, 0, 200],
        `attempts for ${id}`,
      )
    }
    const deliveries = await api('GET', `/api/v1/webhooks/deliveries?endpoint_id=${endpoint.id}`)
    assert.equal(deliveries.body.data.data.length, 3)
    for (const delivery of deliveries.body.data.data) {
      WebhookDelivery.parse(delivery)
      assert.equal(delivery.status, 'succeeded')
      assert.equal(delivery.attempt_count, 3)
      assert.deepEqual(
        delivery.attempts.map((a: { outcome: string }) => a.outcome),
        ['http_error', 'network_error', 'succeeded'],
      )
      assert.equal(delivery.attempts[0].status_code, 503)
      assert.equal(delivery.attempts[0].response_excerpt, '{"error":"receiver unavailable"}')
      assert.equal(delivery.attempts[2].status_code, 200)
      assert.ok(delivery.attempts.every((a: { duration_ms: number }) => a.duration_ms >= 0))
    }
    const failed = await api('GET', '/api/v1/webhooks/deliveries?status=failed')
    assert.deepEqual(failed.body.data.data, [])
  })

  it('resends a delivery on manual retry and logs the new attempt', async () => {
    receiver.status = 200
    const { api } = await setup()
    const invoiceId = await invoice(api)
    await drain()
    const [delivery] = (await api('GET', '/api/v1/webhooks/deliveries?status=succeeded&limit=1'))
      .body.data.data
    const retried = await api('POST', `/api/v1/webhooks/deliveries/${delivery.id}/retry`)
    assert.equal(retried.status, 200)
    assert.equal(retried.body.data.status, 'pending')
    await drain()
    assert.equal(receivedFor(invoiceId).length, 2)
    const after = await api('GET', `/api/v1/webhooks/deliveries/${delivery.id}`)
    assert.equal(after.body.data.status, 'succeeded')
    assert.equal(after.body.data.attempts.length, 2)
    const stranger = await t.onboard()
    const foreign = await apiClient(t.url, keyHeaders(stranger.merchantKey))(
      'POST',
      `/api/v1/webhooks/deliveries/${delivery.id}/retry`,
    )
    assert.equal(foreign.status, 404)
  })

  it('disables an endpoint failing continuously for 3 days with a webhook_endpoint.disabled event, and resumes on re-enable', async () => {
    const { api, endpoint } = await setup(['invoice.created'])
    const watcher = await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: receiver.url, enabled_events: ['webhook_endpoint.*'] },
    })
    receiver.status = 500
    const invoiceId = await invoice(api)
    await drain()
    let pausedId = ''
    for (let day = 0; day < 3; day += 1) {
      // a day of retries; the endpoint stays enabled until three days have passed
      const current = await api('GET', `/api/v1/webhooks/endpoints/${endpoint.id}`)
      assert.equal(current.body.data.status, 'enabled', `day ${day}`)
      if (day === 2) pausedId = await invoice(api)
      for (let step = 0; step < 8; step += 1) {
        clock.advance(3 * HOUR)
        await drain()
      }
    }
    clock.advance(HOUR)
    await drain()
    const disabled = await api('GET', `/api/v1/webhooks/endpoints/${endpoint.id}`)
    assert.equal(disabled.body.data.status, 'disabled')
    assert.equal(disabled.body.data.disabled_reason, 'failing continuously for 3 days')
    const events = await api('GET', '/api/v1/events?type=webhook_endpoint.disabled')
    assert.equal(events.body.data.data.length, 1)
    assert.equal(events.body.data.data[0].data.object.id, endpoint.id)
    assert.equal(events.body.data.data[0].data.object.status, 'disabled')
    // nothing more is sent to a disabled endpoint, and new events no longer fan out to it
    const late = await invoice(api)
    const before = receiver.requests.length
    clock.advance(6 * HOUR)
    receiver.status = 200
    await drain()
    // other suites' invoices expire as the clock moves; tell endpoints apart by their signatures
    const sentAfter = receiver.requests.slice(before)
    assert.equal(
      sentAfter.filter((r) => verifySignature(endpoint.secret, r)).length,
      0,
      'nothing to the disabled endpoint',
    )
    const toWatcher = sentAfter.filter((r) => verifySignature(watcher.body.data.secret, r))
    assert.deepEqual(
      toWatcher.map((r) => r.body.type),
      ['webhook_endpoint.disabled'],
    )
    // re-enabled: the paused deliveries go out
    const enabled = await api('PATCH', `/api/v1/webhooks/endpoints/${endpoint.id}`, {
      body: { status: 'enabled' },
    })
    assert.equal(enabled.body.data.status, 'enabled')
    assert.equal(enabled.body.data.failing_since, null)
    await drain()
    assert.deepEqual(receivedFor(late), [])
    assert.deepEqual(
      receivedFor(pausedId)
        .map((r) => r.status)
        .slice(-1),
      [200],
    )
    // the first event either ran out of its 3-day window (given up) or was paused and resumed
    const first = await api(
      'GET',
      `/api/v1/webhooks/deliveries?endpoint_id=${endpoint.id}&event_id=${receivedFor(invoiceId)[0]?.body.id}`,
    )
    assert.ok(['failed', 'succeeded'].includes(first.body.data.data[0].status))
    assert.ok(first.body.data.data[0].attempt_count >= 15)
  })

  it('refuses at send time a mainnet host that now resolves to a private address', async () => {
    const m = await t.onboard(undefined, { grantMainnet: true })
    const dashboard = apiClient(t.url, { authorization: `Bearer ${m.dashboardToken}` })
    dns['rebind.example.test'] = ['93.184.216.34']
    const endpoint = await dashboard('POST', '/api/v1/webhooks/endpoints', {
      body: {
        url: 'https://rebind.example.test/hook',
        enabled_events: ['invoice.*'],
        environment: 'mainnet',
      },
    })
    assert.equal(endpoint.status, 201)
    dns['rebind.example.test'] = ['127.0.0.1']
    const mainnet = apiClient(t.url, keyHeaders(m.mainnetMerchantKey ?? ''))
    await mainnet('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 1 },
    })
    await drain()
    const list = await dashboard(
      'GET',
      `/api/v1/webhooks/deliveries?endpoint_id=${endpoint.body.data.id}`,
    )
    const [delivery] = list.body.data.data
    assert.equal(delivery.status, 'pending')
    assert.equal(delivery.attempts[0].outcome, 'blocked')
    assert.match(delivery.attempts[0].error, /non-public address/)
  })

  it('sends test.ping only to the endpoint tested', async () => {
    receiver.status = 200
    const { api, endpoint } = await setup(['*'])
    const other = await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: receiver.url, enabled_events: ['*'] },
    })
    const sent = await api('POST', `/api/v1/webhooks/endpoints/${endpoint.id}/test`)
    assert.equal(sent.status, 200)
    WebhookDelivery.parse(sent.body.data)
    await drain()
    const pings = receiver.requests.filter(
      (r) => r.body.type === 'test.ping' && r.body.data.object.webhook_endpoint_id === endpoint.id,
    )
    assert.equal(pings.length, 1)
    assert.deepEqual(
      { object: pings[0]!.body.data.object.object, status: pings[0]!.body.data.object.status },
      { object: 'ping', status: 'ok' },
    )
    assert.ok(verifySignature(endpoint.secret, pings[0]!))
    const toOther = await api(
      'GET',
      `/api/v1/webhooks/deliveries?endpoint_id=${other.body.data.id}`,
    )
    assert.deepEqual(toOther.body.data.data, [])
  })

  it('never sends a delivery twice when several workers claim at once', async () => {
    receiver.status = 200
    const m: OnboardedMerchant = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    await api('POST', '/api/v1/webhooks/endpoints', {
      body: { url: receiver.url, enabled_events: ['invoice_payment.*'] },
    })
    const { appendEvent } = await import('../../../src/modules/events/event.repo.ts')
    await t.server.deps.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 150; i += 1) {
        await appendEvent(
          trx,
          {
            merchantId: m.merchant.id,
            environment: 'devnet',
            type: 'invoice_payment.updated',
            object: { object: 'invoice_payment', id: `race-${i}` },
          },
          clock.now(),
        )
      }
    })
    // a generous deadline: this test is about claims, not about a slow machine timing attempts out
    const small = { ...options, batchSize: 10, timeoutMs: 30_000 }
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 40; i += 1) if ((await deliverDue(t.server.deps, small)) === 0) return
      }),
    )
    const ids = receiver.requests
      .filter((r) => String(r.body.data.object.id).startsWith('race-'))
      .map((r) => r.body.data.object.id)
    assert.equal(ids.length, 150)
    assert.equal(new Set(ids).size, 150)
  })

  it('answers 400 for bad delivery filters', async () => {
    const { api } = await setup()
    for (const query of [
      'status=sent',
      'endpoint_id=42',
      'event_id=evt_x',
      'limit=0',
      'colour=red',
    ]) {
      const res = await api('GET', `/api/v1/webhooks/deliveries?${query}`)
      assert.equal(res.status, 400, query)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    }
  })
})
