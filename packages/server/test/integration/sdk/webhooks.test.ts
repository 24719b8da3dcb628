import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createWebhookVerifier,
  InvalidRequestError,
  NotFoundError,
  Pepay,
  type WebhookDelivery,
} from 'pepay'
import { WebhookDeliveryResponse, WebhookEndpointSecretResponse } from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { until } from '../../helpers/wait.ts'
import { webhooksExtension } from '../../../src/modules/webhooks/index.ts'

interface Received {
  rawBody: Buffer
  headers: IncomingHttpHeaders
}

/** A merchant's webhook receiver: keeps each request's exact bytes and headers, answers 200. */
async function startReceiver() {
  const received: Received[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ rawBody: Buffer.concat(chunks), headers: req.headers })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('SDK pepay.webhooks and the webhook verifier against real deliveries', () => {
  let t: TestServer
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let pepay: Pepay
  let outsider: Pepay

  before(async () => {
    receiver = await startReceiver()
    t = await startTestServer({ extensions: [webhooksExtension({ pollMs: 50 })] })
    pepay = new Pepay({
      baseUrl: t.url,
      apiKey: (await t.onboard('Hook Shop')).merchantKey,
      maxRetries: 0,
    })
    outsider = pepay.withAuth({ apiKey: (await t.onboard('Other Hook Shop')).merchantKey })
  })
  after(async () => {
    await t.close()
    await receiver.close()
  })

  const deliveryOf = (eventType: string, invoiceId?: string) => () =>
    receiver.received.find((r) => {
      if (r.headers['x-pepay-event'] !== eventType) return false
      if (invoiceId === undefined) return true
      return (
        (JSON.parse(r.rawBody.toString('utf8')) as { data: { object: { id: string } } }).data.object
          .id === invoiceId
      )
    })

  it('verifies a real delivery, survives a secret rotation and rejects the wrong secret', async () => {
    const created = await pepay.webhooks.endpoints.create({
      url: receiver.url,
      enabled_events: ['invoice.*', 'test.ping'],
      description: 'orders',
    })
    WebhookEndpointSecretResponse.parse(created)
    const secret = created.data.secret
    const endpointId = created.data.id

    const first = await pepay.invoices.create({ amount_usd: 5 })
    const delivered = await until(
      deliveryOf('invoice.created', first.invoice_id),
      10_000,
      'invoice.created delivery',
    )
    const verifier = createWebhookVerifier({ secrets: [secret] })
    const result = await verifier.verify({ rawBody: delivered.rawBody, headers: delivered.headers })
    assert.equal(result.valid, true, result.reason)
    assert.equal(result.event?.type, 'invoice.created')
    assert.equal(result.event?.id, delivered.headers['x-pepay-event-id'])
    const wrong = await createWebhookVerifier({ secrets: ['whsec_wrong'] }).verify({
      rawBody: delivered.rawBody,
      headers: delivered.headers,
    })
    assert.equal(wrong.reason, 'invalid_signature')
    // the same JSON with one more byte: the signature covers the exact bytes
    const tampered = await verifier.verify({
      rawBody: Buffer.concat([delivered.rawBody, Buffer.from(' ')]),
      headers: delivered.headers,
    })
    assert.equal(tampered.reason, 'invalid_signature')

    const rotated = await pepay.webhooks.endpoints.rotateSecret(endpointId)
    assert.notEqual(rotated.data.secret, secret)
    const second = await pepay.invoices.create({ amount_usd: 6 })
    const afterRotation = await until(
      deliveryOf('invoice.created', second.invoice_id),
      10_000,
      'delivery after rotation',
    )
    assert.ok(
      afterRotation.headers['x-pepay-signature-previous'],
      'rotation signs with the previous secret too',
    )
    for (const secrets of [[rotated.data.secret], [secret], [rotated.data.secret, secret]]) {
      const check = await createWebhookVerifier({ secrets }).verify({
        rawBody: afterRotation.rawBody,
        headers: afterRotation.headers,
      })
      assert.equal(check.valid, true, `secrets ${secrets.length}: ${check.reason}`)
    }
  })

  it('lists, updates, tests and removes endpoints; lists, reads and retries deliveries', async () => {
    const created = await pepay.webhooks.endpoints.create({
      url: receiver.url,
      enabled_events: ['test.ping'],
    })
    const id = created.data.id
    const listed: string[] = []
    for await (const endpoint of pepay.webhooks.endpoints.list()) listed.push(endpoint.id)
    assert.ok(listed.includes(id))
    assert.equal((await pepay.webhooks.endpoints.retrieve(id)).data.id, id)
    const updated = await pepay.webhooks.endpoints.update(id, {
      description: 'pings',
      enabled_events: ['test.ping', 'invoice.updated'],
    })
    assert.deepEqual(updated.data.enabled_events, ['test.ping', 'invoice.updated'])

    const ping = await pepay.webhooks.endpoints.test(id)
    WebhookDeliveryResponse.parse(ping)
    assert.equal(ping.data.event_type, 'test.ping')
    const pinged = await until(deliveryOf('test.ping'), 10_000, 'test.ping delivery')
    const verified = await createWebhookVerifier({ secrets: [created.data.secret] }).verify({
      rawBody: pinged.rawBody,
      headers: pinged.headers,
    })
    assert.equal(verified.valid, true)

    const deliveries: WebhookDelivery[] = []
    for await (const d of pepay.webhooks.deliveries.list({ endpoint_id: id, limit: 1 }))
      deliveries.push(d)
    assert.ok(deliveries.some((d) => d.id === ping.data.id))
    const read = await pepay.webhooks.deliveries.retrieve(ping.data.id)
    assert.equal(read.data.endpoint_id, id)
    const deadline = performance.now() + 10_000
    while ((await pepay.webhooks.deliveries.retrieve(ping.data.id)).data.status !== 'succeeded') {
      assert.ok(performance.now() < deadline, 'test.ping delivery succeeded within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const before = receiver.received.filter(
      (r) => r.headers['x-pepay-event'] === 'test.ping',
    ).length
    const retried = await pepay.webhooks.deliveries.retry(ping.data.id)
    assert.equal(retried.data.id, ping.data.id)
    await until(
      () =>
        receiver.received.filter((r) => r.headers['x-pepay-event'] === 'test.ping').length > before
          ? true
          : undefined,
      10_000,
      'retried delivery',
    )

    assert.equal((await pepay.webhooks.endpoints.remove(id)).data.deleted, true)
    await assert.rejects(pepay.webhooks.endpoints.retrieve(id), NotFoundError)
  })

  it('throws InvalidRequestError for an unknown event type and NotFoundError across merchants', async () => {
    await assert.rejects(
      pepay.webhooks.endpoints.create({ url: receiver.url, enabled_events: ['nope.*'] }),
      InvalidRequestError,
    )
    const mine = await pepay.webhooks.endpoints.create({
      url: receiver.url,
      enabled_events: ['invoice.*'],
    })
    await assert.rejects(outsider.webhooks.endpoints.retrieve(mine.data.id), NotFoundError)
    await assert.rejects(outsider.webhooks.endpoints.rotateSecret(mine.data.id), NotFoundError)
  })
})
