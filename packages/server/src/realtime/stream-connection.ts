import { WS_CLOSE_CODES, type WsControlFrame, type WsErrorFrame } from '@pepay/contracts'
import { monotonicMs } from '@pepay/core'
import type { WebSocket } from 'ws'
import type { Deps } from '../deps.ts'
import { listEvents, type EventFilter, type StoredEvent } from '../modules/events/event.repo.ts'
import { serializeEvent } from '../modules/events/event.serialize.ts'
import type { EventHub, HubEvent, HubSubscriber } from './event-hub.ts'
import { oldestKeptEvent, prunedThroughSeq } from './realtime.repo.ts'
import { matchesFilter } from './stream-filter.ts'

export interface StreamLimits {
  /** Bytes queued on a socket beyond which a live consumer is too slow and is closed. */
  maxBufferedBytes: number
  /** Live frames held while a replay runs; past it the replay catches up from the database again. */
  maxReplayBuffer: number
  /** Rows per replay read. */
  replayPageSize: number
  /** Events in the snapshot sent when `since` is older than retention. */
  snapshotLimit: number
  /** How long a replay waits for the socket to drain before giving up on the consumer. */
  drainTimeoutMs: number
  /** How long a closing socket may take to finish the close handshake before it is cut. */
  closeGraceMs: number
  retentionDays: number
}

/** Turns an event into the frames a connection sends (payor streams add a quote frame). */
export type FrameBuilder = (event: StoredEvent, frame: string | undefined) => Promise<string[]>

/** Replay rounds before giving up on a client whose live buffer keeps overflowing. */
const MAX_REPLAY_ROUNDS = 20

/**
 * One WebSocket subscribed to the hub with a fixed filter. With `since`, it replays from the
 * database up to the hub's cursor while buffering live frames, then flushes the buffer
 * (deduplicated by seq) and goes live: no gap and no duplicate at the seam.
 */
export class StreamConnection implements HubSubscriber {
  readonly merchantId: bigint
  /** Protocol pings sent since the client's last pong. */
  #unanswered = 0
  readonly #deps: Deps
  readonly #ws: WebSocket
  readonly #hub: EventHub
  readonly #filter: EventFilter
  readonly #limits: StreamLimits
  readonly #build: FrameBuilder | undefined
  #mode: 'replay' | 'live' | 'closed' = 'replay'
  #buffer: HubEvent[] = []
  #overflowed = false
  #lastSeq = 0n
  #lastEventId: string | null = null
  #chain: Promise<void> = Promise.resolve()
  #queued = 0
  #onClosed: () => void

  constructor(
    deps: Deps,
    ws: WebSocket,
    hub: EventHub,
    filter: EventFilter & { merchantId: bigint },
    limits: StreamLimits,
    onClosed: () => void,
    build?: FrameBuilder,
  ) {
    this.#deps = deps
    this.#ws = ws
    this.#hub = hub
    this.#filter = filter
    this.merchantId = filter.merchantId
    this.#limits = limits
    this.#build = build
    this.#onClosed = onClosed
    ws.on('pong', () => {
      this.#unanswered = 0
    })
    ws.on('close', () => this.#closed())
    ws.on('message', () => {
      // filters are fixed at connect time; client messages are ignored
    })
  }

  /**
   * Protocol heartbeat: a client that answered neither of the last two pings is closed as idle
   * (two, so that one late pong behind a busy event loop does not cut a healthy client).
   */
  heartbeat(): void {
    if (this.#mode === 'closed') return
    if (this.#unanswered >= 2) {
      this.fail('IDLE_TIMEOUT', 'No pong received; the connection is considered dead')
      return
    }
    this.#unanswered += 1
    try {
      this.#ws.ping()
    } catch {
      // the socket is already gone; its close event cleans up
    }
  }

  get lastEventId(): string | null {
    return this.#lastEventId
  }

  /** Starts the stream: live at once, or replay from `sinceSeq` first. */
  async start(since: { seq: bigint; id: string } | undefined): Promise<void> {
    if (!since) {
      // the hub may not have read what was announced before now (it reads nothing while no
      // socket listens): those events are older than this stream and are not sent
      this.#hub.add(this)
      this.#lastSeq = this.#hub.announced
      this.#mode = 'live'
      return
    }
    this.#lastSeq = since.seq
    this.#lastEventId = since.id
    await this.#hub.settle()
    if (this.#isClosed()) return
    // registering and reading the cursor in one synchronous step: every later live event has seq > upTo
    this.#hub.add(this)
    let upTo = this.#hub.cursor
    const db = this.#deps.db
    const pruned = await prunedThroughSeq(db)
    let sent = 0
    if (since.seq < pruned) {
      const oldest = await oldestKeptEvent(db)
      this.#control({
        type: 'replay_truncated',
        message: `Events after ${since.id} are partly past retention; the newest ${this.#limits.snapshotLimit} matching events follow, then live events. Backfill older ones from GET /api/v1/events.`,
        since: since.id,
        oldest_event_id: oldest?.id ?? null,
        count: this.#limits.snapshotLimit,
      })
      const rows = await listEvents(db, this.#filter, {
        limit: this.#limits.snapshotLimit,
        beforeSeq: upTo + 1n,
        order: 'desc',
      })
      for (const row of rows.reverse()) {
        if (!(await this.#sendReplayed(row))) return
        sent += 1
      }
      if (this.#lastSeq < upTo) this.#lastSeq = upTo
      if (this.#overflowed) {
        // live frames were dropped while the snapshot went out: never leave a silent gap
        this.fail(
          'SLOW_CONSUMER',
          'The stream could not catch up with live events; reconnect with since',
        )
        return
      }
    } else {
      let after = since.seq
      for (let round = 0; ; round += 1) {
        for (;;) {
          const rows = await listEvents(db, this.#filter, {
            limit: this.#limits.replayPageSize,
            afterSeq: after,
            beforeSeq: upTo + 1n,
            order: 'asc',
          })
          for (const row of rows) {
            if (!(await this.#sendReplayed(row))) return
            sent += 1
          }
          if (rows.length < this.#limits.replayPageSize) break
          after = rows[rows.length - 1]?.seq ?? after
        }
        after = upTo > after ? upTo : after
        if (!this.#overflowed) break
        if (round >= MAX_REPLAY_ROUNDS) {
          this.fail(
            'SLOW_CONSUMER',
            'The stream could not catch up with live events; reconnect with since',
          )
          return
        }
        // the live buffer was dropped: everything it held is <= the cursor now, so read again
        this.#overflowed = false
        this.#buffer = []
        upTo = this.#hub.cursor
      }
    }
    if (this.#mode === 'closed') return
    this.#control({
      type: 'replay_complete',
      message: 'Replay finished; live events follow',
      since: since.id,
      oldest_event_id: null,
      count: sent,
    })
    const buffered = this.#buffer
    this.#buffer = []
    this.#mode = 'live'
    for (const event of buffered) this.#sendLive(event)
  }

  /** A method, so that a check after an await is not narrowed away by one before it. */
  #isClosed(): boolean {
    return this.#mode === 'closed'
  }

  deliver(event: HubEvent): void {
    if (this.#mode === 'closed' || !matchesFilter(this.#filter, event.event)) return
    if (this.#mode === 'replay') {
      if (this.#overflowed) return
      if (this.#buffer.length >= this.#limits.maxReplayBuffer) {
        this.#overflowed = true
        this.#buffer = []
        return
      }
      this.#buffer.push(event)
      return
    }
    this.#sendLive(event)
  }

  #sendLive(event: HubEvent): void {
    if (event.event.seq <= this.#lastSeq) return
    if (!this.#build) {
      if (!this.#canQueue()) return
      this.#ws.send(event.bytes, { binary: false })
      this.#lastSeq = event.event.seq
      this.#lastEventId = event.event.id
      return
    }
    // builders are async (a database read): keep order with a bounded per-connection chain
    const build = this.#build
    this.#lastSeq = event.event.seq
    if (this.#queued >= 1000) {
      this.fail('SLOW_CONSUMER', 'Too many frames are waiting for this connection')
      return
    }
    this.#queued += 1
    this.#chain = this.#chain
      .then(async () => {
        if (this.#mode === 'closed' || !this.#canQueue()) return
        for (const frame of await build(event.event, event.frame)) this.#ws.send(frame)
        this.#lastEventId = event.event.id
      })
      .catch((error: unknown) => this.#deps.log.error({ err: error }, 'realtime frame failed'))
      .finally(() => {
        this.#queued -= 1
      })
  }

  async #sendReplayed(row: StoredEvent): Promise<boolean> {
    if (this.#mode === 'closed') return false
    if (!(await this.#drained())) {
      this.fail('SLOW_CONSUMER', 'The client did not read the replay in time')
      return false
    }
    if (this.#build) {
      for (const frame of await this.#build(row, undefined)) this.#ws.send(frame)
      this.#lastSeq = row.seq
      this.#lastEventId = row.id
      return true
    }
    this.#write(row, JSON.stringify(serializeEvent(row)))
    return true
  }

  #write(event: StoredEvent, frame: string): void {
    this.#ws.send(frame)
    this.#lastSeq = event.seq
    this.#lastEventId = event.id
  }

  /** Live sends never wait: a consumer that lets the buffer fill is closed with a resume hint. */
  #canQueue(): boolean {
    if (this.#ws.bufferedAmount <= this.#limits.maxBufferedBytes) return true
    this.fail('SLOW_CONSUMER', 'The client is not reading fast enough; the send buffer is full')
    return false
  }

  async #drained(): Promise<boolean> {
    const high = this.#limits.maxBufferedBytes / 2
    if (this.#ws.bufferedAmount <= high) return true
    // a duration, not an instant: measured on the monotonic clock
    const deadline = monotonicMs() + this.#limits.drainTimeoutMs
    for (let i = 0; i < 100_000; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      if (this.#mode === 'closed') return false
      if (this.#ws.bufferedAmount <= high) return true
      if (monotonicMs() > deadline) return false
    }
    return false
  }

  #control(frame: Omit<WsControlFrame, 'object' | 'last_event_id' | 'retention_days'>): void {
    const full: WsControlFrame = {
      object: 'ws_control',
      ...frame,
      last_event_id: this.#lastEventId,
      retention_days: this.#limits.retentionDays,
    }
    this.#ws.send(JSON.stringify(full))
  }

  /** Sends a terminal ws_error with a resume hint and closes; cuts the socket if the client never answers. */
  fail(code: WsErrorFrame['code'], message: string): void {
    if (this.#mode === 'closed') return
    const closeCode =
      code === 'SLOW_CONSUMER'
        ? WS_CLOSE_CODES.slowConsumer
        : code === 'IDLE_TIMEOUT'
          ? WS_CLOSE_CODES.idleTimeout
          : WS_CLOSE_CODES.internalError
    const frame: WsErrorFrame = {
      object: 'ws_error',
      code,
      message,
      close_code: closeCode,
      retryable: true,
      resume_since: this.#lastEventId,
    }
    this.#closeWith(closeCode, code.toLowerCase(), JSON.stringify(frame))
  }

  /** Server shutdown: a control frame with the resume cursor, then close code 1012 (reconnect). */
  shutdown(): void {
    if (this.#mode === 'closed') return
    const frame: WsControlFrame = {
      object: 'ws_control',
      type: 'server_shutdown',
      message: 'The server is restarting; reconnect with since=last_event_id',
      since: null,
      oldest_event_id: null,
      last_event_id: this.#lastEventId,
      count: null,
      retention_days: this.#limits.retentionDays,
    }
    this.#closeWith(
      WS_CLOSE_CODES.serviceRestart,
      'server restarting; reconnect with since',
      JSON.stringify(frame),
    )
  }

  #closeWith(closeCode: number, reason: string, lastFrame: string): void {
    this.#mode = 'closed'
    this.#buffer = []
    this.#hub.remove(this)
    try {
      this.#ws.send(lastFrame)
      this.#ws.close(closeCode, reason)
    } catch {
      // the socket is already gone
    }
    const ws = this.#ws
    setTimeout(() => ws.terminate(), this.#limits.closeGraceMs).unref()
    this.#closed()
  }

  #closed(): void {
    if (this.#mode !== 'closed') {
      this.#mode = 'closed'
      this.#buffer = []
      this.#hub.remove(this)
    }
    const done = this.#onClosed
    this.#onClosed = () => undefined
    done()
  }
}
