import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  Pepay,
  PepayError,
  type PepayEvent,
  type PepayEventStream,
  type WebSocketConstructor,
  type WebSocketLike,
  type WsControlFrame,
} from 'pepay'
import { WsTokenResponse } from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { until } from '../../helpers/wait.ts'
import { mintPaymentSessionToken, realtimeExtension } from '../../../src/realtime/index.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { recordingFetch } from './helpers.ts'

/** Resolves when `check` passes, polling; fails after the deadline. */
function once<T extends unknown[]>(
  stream: { on(type: string, fn: (...args: T) => void): unknown },
  type: string,
): Promise<T> {
  return new Promise((resolve) => stream.on(type, (...args: T) => resolve(args)))
}

const seq = (id: string) => BigInt(id.split('-')[1] ?? '-1')

/** The global WebSocket, with a handle on every socket opened and an optional URL rewrite. */
function trackedWebSocket(rewrite: (url: string) => string = (u) => u) {
  const sockets: WebSocketLike[] = []
  const urls: string[] = []
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a WebSocket constructor that returns the real socket
  const Impl = class {
    constructor(url: string) {
      urls.push(url)
      const socket = new WebSocket(rewrite(url))
      sockets.push(socket)
      return socket
    }
  } as unknown as WebSocketConstructor
  return { Impl, sockets, urls }
}

describe('SDK pepay.ws: ws tokens and resumable event streams', () => {
  let t: TestServer
  let acme: OnboardedMerchant
  let merchant: Pepay
  const streams: { close(): void }[] = []

  before(async () => {
    t = await startTestServer({ extensions: [realtimeExtension({ heartbeatMs: 5_000 })] })
    acme = await t.onboard('Realtime Shop')
    merchant = new Pepay({
      baseUrl: t.url,
      apiKey: acme.merchantKey,
      commerceApiKey: acme.commerceKey,
      maxRetries: 0,
    })
  })
  after(async () => {
    for (const s of streams) s.close()
    await t.close()
  })

  const track = <S extends { close(): void }>(s: S): S => {
    streams.push(s)
    return s
  }

  it('mints merchant and commerce ws tokens, each with its own key header only', async () => {
    const rec = recordingFetch()
    const client = new Pepay({
      baseUrl: t.url,
      apiKey: acme.merchantKey,
      commerceApiKey: acme.commerceKey,
      fetch: rec.fetch,
    })
    const m = await client.ws.token.mint({ scope: 'merchant', ttlSeconds: 60 })
    WsTokenResponse.parse(m)
    assert.equal(m.data.scope, 'merchant')
    const c = await client.ws.token.mint({ scope: 'commerce' })
    assert.equal(c.data.scope, 'commerce')
    assert.deepEqual(
      rec.calls.map((call) => [
        call.headers['x-api-key'] !== undefined,
        call.headers['x-commerce-api-key'] !== undefined,
      ]),
      [
        [true, false],
        [false, true],
      ],
    )
  })

  it('throws InvalidRequestError-class errors for a bad ttl', async () => {
    await assert.rejects(
      merchant.ws.token.mint({ scope: 'merchant', ttlSeconds: 1 }),
      (e: unknown) => e instanceof PepayError && e.status === 400,
    )
  })

  it('delivers live events to a stream that minted its own token', async () => {
    const stream = track(merchant.ws.connectMerchantEvents({ types: 'invoice.created' }))
    await once(stream, 'open')
    const got: PepayEvent[] = []
    stream.on('event', (e) => got.push(e))
    const created = await merchant.invoices.create({ amount_usd: 1 })
    await until(
      () => got.some((e) => (e.data.object as { id?: string }).id === created.invoice_id),
      5_000,
      'live invoice.created',
    )
    assert.equal(got[0]?.type, 'invoice.created')
    stream.close()
  })

  const modes: [string, { rewrite?: (u: string) => string; backfill?: boolean }][] = [
    ['the server replay and the REST backfill both cover the gap', {}],
    [
      'only the REST backfill covers the gap (the server ignores since)',
      { rewrite: (u) => u.replace(/([?&])since=[^&]*/, '$1') },
    ],
    ['only the server replay covers the gap (REST backfill off)', { backfill: false }],
  ]
  for (const [label, mode] of modes) {
    it(`resumes after a drop with no event lost or doubled when ${label}`, async () => {
      const customer = `cust_${label.length}_${Math.random().toString(36).slice(2)}`
      const ws = trackedWebSocket(mode.rewrite)
      const client = new Pepay({
        baseUrl: t.url,
        apiKey: acme.merchantKey,
        WebSocket: ws.Impl,
        maxRetries: 0,
      })
      const stream: PepayEventStream = track(
        client.ws.connectMerchantEvents({
          types: 'invoice.created',
          customer_id: customer,
          reconnect: { initialDelayMs: 1200, maxDelayMs: 1200 },
          ...(mode.backfill !== undefined && { backfill: mode.backfill }),
        }),
      )
      const got: PepayEvent[] = []
      const controls: WsControlFrame[] = []
      const reconnects: (string | undefined)[] = []
      stream.on('event', (e) => got.push(e))
      stream.on('control', (c) => controls.push(c))
      stream.on('reconnecting', ({ since }) => reconnects.push(since))
      await once(stream, 'open')

      const first = await client.invoices.create({ amount_usd: 1, customer_id: customer })
      await until(() => got.length === 1, 5_000, 'first event')
      // drop the connection, then write events while the client is away
      const dropped = once(stream, 'reconnecting')
      ws.sockets[0]?.close(3000, 'test drop')
      await dropped
      const missed: string[] = []
      for (let i = 0; i < 3; i++)
        missed.push(
          (await client.invoices.create({ amount_usd: 1, customer_id: customer })).invoice_id,
        )
      await until(() => got.length >= 4, 10_000, 'missed events after reconnect')
      const live = await client.invoices.create({ amount_usd: 1, customer_id: customer })
      await until(() => got.length >= 5, 5_000, 'live event after reconnect')
      await new Promise((resolve) => setTimeout(resolve, 200))

      const invoiceIds = got.map((e) => (e.data.object as { id: string }).id)
      assert.deepEqual(invoiceIds, [first.invoice_id, ...missed, live.invoice_id])
      assert.equal(new Set(got.map((e) => e.id)).size, got.length)
      const seqs = got.map((e) => seq(e.id))
      assert.deepEqual(
        [...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        seqs,
      )
      assert.equal(reconnects[0], got[0]?.id)
      assert.equal(ws.urls.length, 2)
      assert.match(ws.urls[1] ?? '', new RegExp(`since=${got[0]?.id}`))
      assert.equal(stream.lastEventId, got[4]?.id)
      // the server confirms its replay from `since` with a control frame (not when it never saw since)
      assert.equal(
        controls.some((c) => c.type === 'replay_complete' && c.since === got[0]?.id),
        mode.rewrite === undefined,
      )
      stream.close()
    })
  }

  it('gives up with STREAM_RECONNECT_FAILED and closes when the token is refused', async () => {
    const stream = track(
      merchant.ws.connectMerchantEvents({
        token: 'not-a-token',
        reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 2 },
      }),
    )
    const errors: PepayError[] = []
    stream.on('error', (e) => errors.push(e))
    await once(stream, 'close')
    assert.equal(errors.at(-1)?.code, 'STREAM_RECONNECT_FAILED')
    assert.equal(stream.closed, true)
  })

  it('stops minting and closes with the API error when the key is refused', async () => {
    const client = new Pepay({ baseUrl: t.url, apiKey: 'pk_test_nope', maxRetries: 0 })
    const stream = track(client.ws.connectMerchantEvents())
    const errors: PepayError[] = []
    stream.on('error', (e) => errors.push(e))
    await once(stream, 'close')
    assert.equal(errors[0]?.status, 401)
  })

  it('streams commerce events with the commerce key', async () => {
    const stream = track(merchant.ws.connectCommerceEvents({ types: 'invoice.*' }))
    await once(stream, 'open')
    stream.close()
    await once(stream, 'close')
  })

  it("delivers the payer's stream messages for its invoice only", async () => {
    const invoice = await merchant.invoices.create({ amount_usd: 2 })
    const other = await merchant.invoices.create({ amount_usd: 2 })
    const token = await mintPaymentSessionToken(t.server.deps, {
      invoiceId: invoice.invoice_id,
      merchantId: acme.merchant.id,
      environment: 'devnet',
    })
    const payer = new Pepay({
      baseUrl: t.url,
      sessionToken: invoice.session_token,
      signature: invoice.signature,
    })
    const stream = track(payer.ws.connectPaymentSession({ token }))
    const messages: Record<string, unknown>[] = []
    stream.on('message', (m) => messages.push(m))
    await once(stream, 'open')
    await merchant.invoices.cancel(other.invoice_id)
    await merchant.invoices.cancel(invoice.invoice_id)
    await until(
      () => messages.some((m) => m['type'] === 'invoice.updated'),
      5_000,
      'invoice.updated on the payer stream',
    )
    const updates = messages.filter((m) => m['type'] === 'invoice.updated')
    assert.equal(updates.length, 1)
    assert.equal(
      (updates[0]?.['data'] as { object: { id: string; status: string } }).object.id,
      invoice.invoice_id,
    )
    assert.equal((updates[0]?.['data'] as { object: { status: string } }).object.status, 'canceled')
  })
})
