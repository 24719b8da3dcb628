import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  PaymentSessionStream,
  PepayEventStream,
  type PepayEvent,
  type PepayError,
  type WebSocketLike,
} from '../src/index.ts'

type Listener = (event: never) => void

/** A scripted WebSocket: the test opens it, sends frames into it and closes it. */
class FakeSocket implements WebSocketLike {
  static opened: FakeSocket[] = []
  readonly url: string
  readyState = 0
  sent: string[] = []
  closedWith: number | undefined
  private readonly listeners = new Map<string, Listener[]>()

  constructor(url: string) {
    this.url = url
    FakeSocket.opened.push(this)
  }
  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener])
  }
  send(data: string): void {
    this.sent.push(data)
  }
  close(code = 1000): void {
    this.closedWith = code
    this.fire('close', { code, reason: '' })
  }
  fire(type: string, event: unknown): void {
    for (const l of this.listeners.get(type) ?? []) (l as (e: unknown) => void)(event)
  }
  open(): void {
    this.readyState = 1
    this.fire('open', {})
  }
  frame(value: unknown): void {
    this.fire('message', { data: JSON.stringify(value) })
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3
    this.fire('close', { code, reason })
  }
}

function event(seq: number): PepayEvent {
  return {
    id: `evt_1700000000000-${seq}`,
    object: 'event',
    api_version: '2025-12-16',
    created: 1700000000,
    type: 'invoice.updated',
    livemode: false,
    pending_webhooks: 0,
    request: { id: null, idempotency_key: null },
    data: { object: { object: 'invoice', id: `inv_${seq}` } },
  }
}

async function until(check: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  assert.fail(`${label} not reached`)
}

function stream(
  options: {
    backfill?: (since: string) => Promise<PepayEvent[]>
    since?: string
    maxAttempts?: number
  } = {},
) {
  FakeSocket.opened = []
  const s = new PepayEventStream({
    url: 'ws://api.test/ws/merchant/events',
    query: { format: 'event_v1', types: 'invoice.*' },
    token: async () => 'tok',
    WebSocket: FakeSocket,
    reconnect: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: options.maxAttempts ?? 5 },
    since: options.since,
    backfill: options.backfill,
  })
  const got: string[] = []
  const errors: PepayError[] = []
  let closed = false
  s.on('event', (e) => got.push(e.id))
  s.on('error', (e) => errors.push(e))
  s.on('close', () => (closed = true))
  return { s, got, errors, isClosed: () => closed }
}

describe('PepayEventStream', () => {
  it('connects with the token, filters and format in the URL', async () => {
    const { s } = stream()
    await until(() => FakeSocket.opened.length === 1, 'socket')
    const url = new URL(FakeSocket.opened[0]?.url ?? '')
    assert.equal(url.pathname, '/ws/merchant/events')
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      format: 'event_v1',
      types: 'invoice.*',
      token: 'tok',
    })
    s.close()
  })

  it('resumes after a retryable ws_error with since=<last id> and drops replayed duplicates', async () => {
    const { s, got, errors } = stream()
    await until(() => FakeSocket.opened.length === 1, 'first socket')
    const first = FakeSocket.opened[0]!
    first.open()
    first.frame(event(1))
    first.frame(event(2))
    first.frame({
      object: 'ws_error',
      code: 'SLOW_CONSUMER',
      message: 'slow',
      close_code: 4008,
      retryable: true,
      resume_since: 'evt_1700000000000-2',
    })
    first.drop(4008)
    await until(() => FakeSocket.opened.length === 2, 'second socket')
    const second = FakeSocket.opened[1]!
    assert.equal(new URL(second.url).searchParams.get('since'), 'evt_1700000000000-2')
    second.open()
    second.frame(event(2))
    second.frame(event(3))
    assert.deepEqual(got, ['evt_1700000000000-1', 'evt_1700000000000-2', 'evt_1700000000000-3'])
    assert.equal(errors[0]?.code, 'SLOW_CONSUMER')
    s.close()
  })

  it('buffers live frames while the REST backfill runs, then emits everything once in event order', async () => {
    let release: (events: PepayEvent[]) => void = () => undefined
    const backfill = (since: string) => {
      assert.equal(since, 'evt_1700000000000-10')
      return new Promise<PepayEvent[]>((resolve) => (release = resolve))
    }
    const { s, got } = stream({ since: 'evt_1700000000000-10', backfill })
    await until(() => FakeSocket.opened.length === 1, 'socket')
    const socket = FakeSocket.opened[0]!
    socket.open()
    socket.frame(event(13))
    socket.frame(event(11))
    socket.frame({
      object: 'ws_control',
      type: 'replay_complete',
      message: 'done',
      since: null,
      oldest_event_id: null,
      last_event_id: null,
      count: 1,
      retention_days: null,
    })
    assert.deepEqual(got, [], 'nothing is emitted before the backfill returns')
    release([event(11), event(12)])
    await until(() => got.length === 3, 'merged events')
    assert.deepEqual(got, ['evt_1700000000000-11', 'evt_1700000000000-12', 'evt_1700000000000-13'])
    socket.frame(event(14))
    assert.equal(got[3], 'evt_1700000000000-14')
    assert.equal(s.lastEventId, 'evt_1700000000000-14')
    s.close()
  })

  it('reports a failed backfill and still emits the buffered frames', async () => {
    const { s, got, errors } = stream({
      since: 'evt_1700000000000-1',
      backfill: () => Promise.reject(new Error('events API down')),
    })
    await until(() => FakeSocket.opened.length === 1, 'socket')
    const socket = FakeSocket.opened[0]!
    socket.open()
    socket.frame(event(2))
    await until(() => got.length === 1, 'buffered frame')
    assert.equal(errors[0]?.code, 'BACKFILL_FAILED')
    s.close()
  })

  const terminal: [string, (socket: FakeSocket) => void, string][] = [
    [
      'a non-retryable ws_error',
      (x) => {
        x.frame({
          object: 'ws_error',
          code: 'INTERNAL_ERROR',
          message: 'no',
          close_code: 4500,
          retryable: false,
          resume_since: null,
        })
        x.drop(4500)
      },
      'INTERNAL_ERROR',
    ],
    ['close code 4403', (x) => x.drop(4403, 'forbidden'), 'WS_FORBIDDEN'],
    ['close code 4400', (x) => x.drop(4400, 'bad filter'), 'WS_BAD_REQUEST'],
  ]
  for (const [label, end, code] of terminal) {
    it(`stops for good after ${label}`, async () => {
      const { errors, isClosed, s } = stream()
      await until(() => FakeSocket.opened.length === 1, 'socket')
      const socket = FakeSocket.opened[0]!
      socket.open()
      end(socket)
      await until(isClosed, 'close')
      assert.equal(errors.at(-1)?.code, code)
      assert.equal(FakeSocket.opened.length, 1)
      assert.equal(s.closed, true)
    })
  }

  it('gives up after maxAttempts connections that never open', async () => {
    const { errors, isClosed } = stream({ maxAttempts: 3 })
    for (let n = 1; n <= 3; n++) {
      await until(() => FakeSocket.opened.length === n, `attempt ${n}`)
      FakeSocket.opened[n - 1]!.drop(1006)
    }
    await until(isClosed, 'close')
    assert.equal(errors.at(-1)?.code, 'STREAM_RECONNECT_FAILED')
    assert.equal(FakeSocket.opened.length, 3)
  })

  it('does not reconnect after close()', async () => {
    const { s, isClosed } = stream()
    await until(() => FakeSocket.opened.length === 1, 'socket')
    FakeSocket.opened[0]!.open()
    s.close()
    await until(isClosed, 'close')
    await new Promise((resolve) => setTimeout(resolve, 20))
    assert.equal(FakeSocket.opened.length, 1)
    assert.equal(FakeSocket.opened[0]?.closedWith, 1000)
  })
})

describe('PaymentSessionStream', () => {
  it('emits every frame as a message, resumes with since and drops replayed events', async () => {
    FakeSocket.opened = []
    const s = new PaymentSessionStream({
      url: 'ws://api.test/ws/payment',
      query: { format: 'event_v1' },
      token: 'jwt',
      WebSocket: FakeSocket,
      reconnect: { initialDelayMs: 1, maxDelayMs: 2 },
    })
    const messages: Record<string, unknown>[] = []
    s.on('message', (m) => messages.push(m))
    await until(() => FakeSocket.opened.length === 1, 'socket')
    const first = FakeSocket.opened[0]!
    assert.equal(new URL(first.url).searchParams.get('token'), 'jwt')
    first.open()
    first.frame(event(1))
    first.frame({ object: 'ws_control', type: 'replay_complete' })
    first.drop(1012)
    await until(() => FakeSocket.opened.length === 2, 'reconnect')
    const second = FakeSocket.opened[1]!
    assert.equal(new URL(second.url).searchParams.get('since'), 'evt_1700000000000-1')
    second.open()
    second.frame(event(1))
    second.frame(event(2))
    assert.deepEqual(
      messages.map((m) => m['id'] ?? m['type']),
      ['evt_1700000000000-1', 'replay_complete', 'evt_1700000000000-2'],
    )
    s.close()
  })

  it('keeps a payment_quote.updated frame that shares the id of the event that caused it', async () => {
    FakeSocket.opened = []
    const s = new PaymentSessionStream({ url: 'ws://api.test/ws/payment', query: { format: 'event_v1' }, token: 'jwt', WebSocket: FakeSocket })
    const messages: Record<string, unknown>[] = []
    s.on('message', (m) => messages.push(m))
    await until(() => FakeSocket.opened.length === 1, 'socket')
    const socket = FakeSocket.opened[0]!
    socket.open()
    socket.frame(event(7))
    socket.frame({ ...event(7), type: 'payment_quote.updated' })
    socket.frame({ ...event(7), type: 'payment_quote.updated' })
    assert.deepEqual(messages.map((m) => m['type']), [event(7)['type'], 'payment_quote.updated'])
    s.close()
  })
})
