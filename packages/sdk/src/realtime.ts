/**
 * WebSocket streams. `PepayEventStream` (merchant and commerce events) resumes after a drop with
 * `since=<last event id>`, backfills the gap over REST while reconnecting, buffers live frames
 * during the backfill, emits everything in event order and drops duplicates by id.
 * `PaymentSessionStream` (payer) is realtime only: it resumes with `since` but has no REST backfill.
 */
import { PepayError } from './errors.ts'
import {
  resolveWebSocket,
  sleep,
  type WebSocketConstructor,
  type WebSocketLike,
} from './platform/runtime.ts'
import type { PepayEvent, WsControlFrame, WsErrorFrame } from './wire.ts'

export interface ReconnectOptions {
  /** First reconnect delay (default 250 ms); doubles up to `maxDelayMs`, with jitter. */
  initialDelayMs?: number
  maxDelayMs?: number
  /** Consecutive failed attempts before the stream gives up with an error (default 30). */
  maxAttempts?: number
}

export interface StreamInternals {
  /** ws(s)://host/path?query for this attempt (without token and since). */
  url: string
  query: Record<string, string | undefined>
  /** A fixed token, or a function that mints a fresh one per connection attempt. */
  token: string | (() => Promise<string>) | undefined
  WebSocket?: WebSocketConstructor | undefined
  reconnect?: ReconnectOptions | undefined
  /** Start after this event id. */
  since?: string | undefined
  /** REST backfill of events after an id, oldest first; none for payer streams. */
  backfill?: ((since: string) => Promise<PepayEvent[]>) | undefined
}

/** Close codes after which reconnecting cannot help. */
const TERMINAL_CLOSE_CODES = new Set([4400, 4403])
const UNAUTHORIZED_CLOSE = 4401
const SEEN_IDS_KEPT = 10_000

type Listener<A extends unknown[]> = (...args: A) => void

/** Sequence number of an `evt_<ms>-<seq>` id (events sort by it). */
export function eventSeq(id: string): bigint {
  const match = /^evt_\d+-(\d+)$/.exec(id)
  return match?.[1] ? BigInt(match[1]) : -1n
}

function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data)
  if (data instanceof Uint8Array) return new TextDecoder().decode(data)
  return undefined
}

/** Connection loop shared by both stream kinds. */
abstract class ReconnectingStream<Events extends Record<string, unknown[]>> {
  protected readonly internals: StreamInternals
  private readonly listeners = new Map<keyof Events, Set<Listener<unknown[]>>>()
  private socket: WebSocketLike | undefined
  private closedByUser = false
  private failures = 0
  private readonly abort = new AbortController()
  /** Id of the last event delivered to listeners: the resume cursor. */
  lastEventId: string | undefined

  constructor(internals: StreamInternals) {
    this.internals = internals
    this.lastEventId = internals.since
    queueMicrotask(() => void this.run())
  }

  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): this {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    set.add(listener as unknown as Listener<unknown[]>)
    return this
  }

  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): this {
    this.listeners.get(type)?.delete(listener as unknown as Listener<unknown[]>)
    return this
  }

  protected emit<K extends keyof Events>(type: K, ...args: Events[K]): void {
    this.emitAny(type, ...args)
  }

  /** Emits to listeners; one throwing listener does not stop the others or the stream. */
  private emitAny(type: keyof Events, ...args: unknown[]): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      try {
        listener(...args)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** Closes the stream for good (no reconnect). */
  close(): void {
    if (this.closedByUser) return
    this.closedByUser = true
    this.abort.abort()
    try {
      this.socket?.close(1000, 'client closed')
    } catch {
      // already closed
    }
  }

  get closed(): boolean {
    return this.closedByUser
  }

  protected abstract onOpen(): void
  protected abstract onFrame(frame: Record<string, unknown>): void

  private async run(): Promise<void> {
    const r = this.internals.reconnect ?? {}
    const maxAttempts = r.maxAttempts ?? 30
    // bounded: each pass either opens (resetting the count) or counts a failure
    while (!this.closedByUser) {
      const outcome = await this.connectOnce()
      // `closed` (not the field) so the check reads the state after the await
      if (this.closed) break
      if (outcome.terminal) {
        this.emitAny('error', outcome.error)
        break
      }
      if (outcome.opened) this.failures = 0
      else this.failures += 1
      if (this.failures >= maxAttempts) {
        const error = new PepayError({
          code: 'STREAM_RECONNECT_FAILED',
          message: `gave up after ${maxAttempts} failed connection attempts`,
          cause: outcome.error,
        })
        this.emitAny('error', error)
        break
      }
      const ceiling = Math.min(
        r.maxDelayMs ?? 10_000,
        (r.initialDelayMs ?? 250) * 2 ** this.failures,
      )
      const delayMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
      this.emitAny('reconnecting', { since: this.lastEventId, delayMs })
      try {
        await sleep(delayMs, this.abort.signal)
      } catch {
        break
      }
    }
    this.closedByUser = true
    this.emitAny('close')
  }

  private async connectOnce(): Promise<{ opened: boolean; terminal: boolean; error?: PepayError }> {
    let token: string | undefined
    try {
      const t = this.internals.token
      token = typeof t === 'function' ? await t() : t
    } catch (cause) {
      const error =
        cause instanceof PepayError
          ? cause
          : new PepayError({ code: 'WS_TOKEN_FAILED', message: String(cause), cause })
      // a credential problem will not fix itself by retrying
      const terminal =
        error.status === 401 || error.status === 403 || error.code === 'CREDENTIALS_MISSING'
      return { opened: false, terminal, error }
    }
    const url = new URL(this.internals.url)
    for (const [k, v] of Object.entries(this.internals.query))
      if (v !== undefined) url.searchParams.set(k, v)
    if (token !== undefined) url.searchParams.set('token', token)
    if (this.lastEventId !== undefined) url.searchParams.set('since', this.lastEventId)

    const WS = resolveWebSocket(this.internals.WebSocket)
    return new Promise((resolve) => {
      let opened = false
      let lastError: WsErrorFrame | undefined
      let socket: WebSocketLike
      try {
        socket = new WS(url.toString())
      } catch (cause) {
        resolve({
          opened: false,
          terminal: true,
          error: new PepayError({ code: 'WS_CONNECT_FAILED', message: String(cause), cause }),
        })
        return
      }
      this.socket = socket
      if ('binaryType' in socket) (socket as { binaryType: string }).binaryType = 'arraybuffer'
      socket.addEventListener('open', () => {
        opened = true
        if (this.closedByUser) {
          socket.close(1000, 'client closed')
          return
        }
        this.onOpen()
        this.emitAny('open')
      })
      socket.addEventListener('message', (event) => {
        const text = frameText(event.data)
        if (text === undefined) return
        let frame: unknown
        try {
          frame = JSON.parse(text)
        } catch {
          return
        }
        if (typeof frame !== 'object' || frame === null) return
        const f = frame as Record<string, unknown>
        if (f['object'] === 'ws_error') lastError = f as unknown as WsErrorFrame
        this.onFrame(f)
      })
      socket.addEventListener('error', () => {
        // the close event that follows carries the outcome
      })
      socket.addEventListener('close', (event) => {
        if (this.socket === socket) this.socket = undefined
        const code = event.code
        if (lastError) {
          const error = new PepayError({
            code: lastError.code,
            message: lastError.message,
            details: lastError,
          })
          this.emitAny('error', error)
          resolve({ opened, terminal: !lastError.retryable, error })
          return
        }
        if (
          TERMINAL_CLOSE_CODES.has(code) ||
          (code === UNAUTHORIZED_CLOSE && typeof this.internals.token !== 'function')
        ) {
          resolve({
            opened,
            terminal: true,
            error: new PepayError({
              status: code - 4000,
              code:
                code === 4401
                  ? 'WS_UNAUTHORIZED'
                  : code === 4403
                    ? 'WS_FORBIDDEN'
                    : 'WS_BAD_REQUEST',
              message: event.reason || `connection closed with code ${code}`,
            }),
          })
          return
        }
        resolve({
          opened,
          terminal: false,
          error: new PepayError({
            code: 'WS_CLOSED',
            message: `connection closed with code ${code}${event.reason ? `: ${event.reason}` : ''}`,
          }),
        })
      })
    })
  }
}

export type EventStreamEvents = {
  event: [PepayEvent]
  control: [WsControlFrame]
  error: [PepayError]
  open: []
  reconnecting: [{ since: string | undefined; delayMs: number }]
  close: []
}

/** Merchant or commerce event stream (`/ws/merchant/events`, `/ws/commerce/events`). */
export class PepayEventStream extends ReconnectingStream<EventStreamEvents> {
  private readonly seen = new Set<string>()
  private buffering = false
  private buffer: PepayEvent[] = []
  private generation = 0

  protected onOpen(): void {
    this.generation += 1
    const since = this.lastEventId
    const backfill = this.internals.backfill
    if (since === undefined || !backfill) return
    const generation = this.generation
    this.buffering = true
    this.buffer = []
    backfill(since).then(
      (events) => this.flush(generation, events),
      (cause: unknown) => {
        const error =
          cause instanceof PepayError
            ? cause
            : new PepayError({ code: 'BACKFILL_FAILED', message: String(cause), cause })
        this.emit('error', error)
        // the server's own replay from `since` still covers the gap
        this.flush(generation, [])
      },
    )
  }

  private flush(generation: number, backfilled: PepayEvent[]): void {
    if (generation !== this.generation || this.closed) return
    const merged = [...backfilled, ...this.buffer].sort((a, b) => {
      const d = eventSeq(a.id) - eventSeq(b.id)
      return d < 0n ? -1 : d > 0n ? 1 : 0
    })
    this.buffering = false
    this.buffer = []
    for (const event of merged) this.deliver(event)
  }

  private deliver(event: PepayEvent): void {
    if (this.seen.has(event.id)) return
    this.seen.add(event.id)
    if (this.seen.size > SEEN_IDS_KEPT) {
      const oldest = this.seen.values().next().value
      if (oldest !== undefined) this.seen.delete(oldest)
    }
    this.lastEventId = event.id
    this.emit('event', event)
  }

  protected onFrame(frame: Record<string, unknown>): void {
    if (frame['object'] === 'event' && typeof frame['id'] === 'string') {
      const event = frame as unknown as PepayEvent
      if (this.buffering) this.buffer.push(event)
      else this.deliver(event)
    } else if (frame['object'] === 'ws_control') {
      this.emit('control', frame as unknown as WsControlFrame)
    }
  }
}

export type PaymentStreamEvents = {
  /** Every frame from `/ws/payment` (events such as `invoice.updated`, `payment_quote.updated`, controls). */
  message: [Record<string, unknown>]
  error: [PepayError]
  open: []
  reconnecting: [{ since: string | undefined; delayMs: number }]
  close: []
}

/**
 * The payer's stream (`/ws/payment`): realtime only, duplicates after a resume dropped by
 * (id, type) — a `payment_quote.updated` frame carries the id of the event that caused it.
 */
export class PaymentSessionStream extends ReconnectingStream<PaymentStreamEvents> {
  private readonly seen = new Set<string>()

  protected onOpen(): void {}

  protected onFrame(frame: Record<string, unknown>): void {
    if (frame['object'] === 'event' && typeof frame['id'] === 'string') {
      const key = `${frame['id']}|${String(frame['type'])}`
      if (this.seen.has(key)) return
      this.seen.add(key)
      if (this.seen.size > SEEN_IDS_KEPT) {
        const oldest = this.seen.values().next().value
        if (oldest !== undefined) this.seen.delete(oldest)
      }
      this.lastEventId = frame['id']
    }
    this.emit('message', frame)
  }
}

/** http(s)://host → ws(s)://host */
export function toWebSocketBase(baseUrl: string): string {
  return baseUrl.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`)
}
