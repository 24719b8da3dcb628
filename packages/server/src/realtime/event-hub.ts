import { monotonicMs } from '@pepay/core'
import type { Deps } from '../deps.ts'
import { EVENTS_CHANNEL, type StoredEvent } from '../modules/events/event.repo.ts'
import { serializeEvent } from '../modules/events/event.serialize.ts'
import { anyStillInFlight, maxEventSeq, readEventsAfter, writersInFlight } from './realtime.repo.ts'

/** An event as the hub hands it to subscribers: the row and its event_v1 frame, serialized once. */
export interface HubEvent {
  event: StoredEvent
  frame: string
  /** The frame's UTF-8 bytes, encoded once for every socket that sends it. */
  bytes: Buffer
}

export interface HubSubscriber {
  /** Merchant whose events this subscriber may receive (the hub indexes by it). */
  readonly merchantId: bigint
  deliver(event: HubEvent): void
}

export interface EventHubOptions {
  /** Polling fallback when no NOTIFY arrives (lost LISTEN connection, another database client). */
  pollMs: number
  /** Rows per tail read. */
  batchSize: number
  /** How soon a hole is re-checked. */
  holeRecheckMs: number
  /** Upper bound on the wait for transactions in flight at start. */
  startWaitMs: number
}

export const DEFAULT_HUB_OPTIONS: EventHubOptions = {
  pollMs: 500,
  batchSize: 500,
  holeRecheckMs: 5,
  startWaitMs: 10_000,
}

/** Reads per drain before yielding to the event loop (the rest continues on the next run). */
const MAX_READS_PER_DRAIN = 40

interface Hole {
  /** First missing sequence number. */
  fromSeq: bigint
  /** First sequence seen after the hole. */
  untilSeq: bigint
  /** This database's writing transactions in progress when the hole was seen. */
  writers: string[]
}

/**
 * One per process: tails the `event` table by `seq` and fans each event out, in sequence order,
 * to the subscribers of its merchant. Woken by NOTIFY (every process's commits, this one's
 * included) and by a polling fallback. With no subscriber, a notification is only noted: the
 * poll moves the cursor then, or the first subscriber's arrival does.
 *
 * Gap safety: sequence values can commit out of order. When the next visible row is not
 * cursor+1, the hub records the writing transactions in progress in this database and does not
 * pass the hole until every one of them has ended; whatever is still missing then was rolled back.
 * Every seq <= `cursor` is therefore settled: committed and visible, or never going to be.
 */
export class EventHub {
  readonly #deps: Deps
  readonly #options: EventHubOptions
  readonly #subscribers = new Map<bigint, Set<HubSubscriber>>()
  #cursor = 0n
  #resolvedThrough = 0n
  #hole: Hole | undefined
  #running: Promise<void> | undefined
  /** A wake came during a drain: drain again after it. */
  #again = false
  /** Highest seq announced (NOTIFY) during a drain, when every wake during it was such. */
  #againThrough: bigint | undefined
  #timer: NodeJS.Timeout | undefined
  #poll: NodeJS.Timeout | undefined
  #unlisten: (() => Promise<void>) | undefined
  #stopped = false
  #reads = 0
  /** Highest seq a notification announced. */
  #announced = 0n
  readonly #wake = (): void => this.wake()
  /**
   * A NOTIFY carries the highest seq its transaction wrote. One at or below the cursor (a drain
   * woken by an earlier notification, or by the poll, read that far already) is no reason to read
   * the table again: a hole is always above the cursor.
   */
  readonly #notified = (payload: string): void => {
    const seq = /^\d{1,19}$/.test(payload) ? BigInt(payload) : undefined
    if (seq === undefined) this.wake()
    else this.#announce(seq)
  }

  constructor(deps: Deps, options: Partial<EventHubOptions> = {}) {
    this.#deps = deps
    this.#options = { ...DEFAULT_HUB_OPTIONS, ...options }
  }

  /** Every event with seq <= cursor has been fanned out (or is known never to commit). */
  get cursor(): bigint {
    return this.#cursor
  }

  /** Tail reads so far (each one a query). */
  get reads(): number {
    return this.#reads
  }

  /**
   * Highest seq announced so far, or the cursor if that is higher. A transaction that takes its
   * seq after this is read writes a higher one: a live stream without `since` starts here.
   */
  get announced(): bigint {
    return this.#announced > this.#cursor ? this.#announced : this.#cursor
  }

  get subscriberCount(): number {
    let n = 0
    for (const set of this.#subscribers.values()) n += set.size
    return n
  }

  async start(): Promise<void> {
    const db = this.#deps.db
    // read the highest seq first, then the writers: whoever holds a lower, unseen seq is listed
    const maxSeq = await maxEventSeq(db)
    const writers = await writersInFlight(db)
    // they may still commit sequence values below maxSeq; replays read up to the cursor, so the
    // cursor starts only once they have ended (bounded wait)
    const deadline = monotonicMs() + this.#options.startWaitMs
    for (let i = 0; i < 10_000 && (await anyStillInFlight(db, writers)); i += 1) {
      if (monotonicMs() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    this.#cursor = maxSeq
    this.#resolvedThrough = maxSeq
    // NOTIFY wakes it for this process's commits as for the others': a second, in-process wake
    // per commit would only read the tail again (a create batch resolves several requests at once)
    this.#unlisten = await this.#deps.database.listen(EVENTS_CHANNEL, this.#notified)
    this.#poll = setInterval(this.#wake, this.#options.pollMs)
    this.#poll.unref()
    this.wake()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#poll) clearInterval(this.#poll)
    if (this.#timer) clearTimeout(this.#timer)
    await this.#running
    await this.#unlisten?.().catch(() => undefined)
  }

  add(subscriber: HubSubscriber): void {
    let set = this.#subscribers.get(subscriber.merchantId)
    if (!set) {
      set = new Set()
      this.#subscribers.set(subscriber.merchantId, set)
    }
    set.add(subscriber)
    // a dormant hub has not looked since the last poll: catch up now rather than at the next one
    if (this.#cursor < this.#announced) this.wake()
  }

  remove(subscriber: HubSubscriber): void {
    const set = this.#subscribers.get(subscriber.merchantId)
    if (!set) return
    set.delete(subscriber)
    if (set.size === 0) this.#subscribers.delete(subscriber.merchantId)
  }

  /**
   * Drains until the cursor reaches the highest seq announced when called, or stops moving (a
   * hole that only the end of a transaction elsewhere can close). A replay reads the table up to
   * the cursor and receives the rest live: a dormant hub's cursor, up to one poll behind, would
   * hand the newest events to the slower path.
   */
  async settle(): Promise<void> {
    const target = this.#announced
    let last = -1n
    while (!this.#stopped && this.#cursor < target && this.#cursor !== last) {
      last = this.#cursor
      if (!this.#running) this.wake()
      await this.#running
    }
  }

  /** A commit announced events up to `seq`: drain unless the cursor is already there. */
  #announce(seq: bigint): void {
    if (seq > this.#announced) this.#announced = seq
    if (this.#stopped || seq <= this.#cursor) return
    if (this.#subscribers.size === 0) {
      // PGlite runs one transaction at a time on its one connection: when a commit announces seq,
      // every lower seq is settled (committed, or rolled back for good), so with nobody to hand
      // the events to the cursor moves there without reading them. On Postgres a lower seq may
      // still commit: the hub stays dormant, and the poll (or the next subscriber) steps over
      // the places.
      if (this.#deps.database.kind === 'pglite' && !this.#running && !this.#hole) {
        this.#cursor = seq
        if (this.#resolvedThrough < seq) this.#resolvedThrough = seq
      }
      return
    }
    if (this.#running) {
      // decided when the drain ends: by then it may have read past seq
      if (!this.#again && (this.#againThrough === undefined || seq > this.#againThrough)) this.#againThrough = seq
      return
    }
    this.wake()
  }

  /** Schedules a drain now (coalesced: never two at once). */
  wake(): void {
    if (this.#stopped) return
    if (this.#running) {
      this.#again = true
      return
    }
    if (this.#timer) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#running = this.#drain()
      .catch((error: unknown) => this.#deps.log.error({ err: error }, 'realtime tail failed'))
      .finally(() => {
        this.#running = undefined
        const again = this.#again || (this.#againThrough !== undefined && this.#againThrough > this.#cursor)
        this.#again = false
        this.#againThrough = undefined
        if (again && !this.#stopped) this.wake()
      })
  }

  #later(ms: number): void {
    if (this.#stopped || this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.wake()
    }, ms)
  }

  async #drain(): Promise<void> {
    const db = this.#deps.db
    for (let read = 0; read < MAX_READS_PER_DRAIN && !this.#stopped; read += 1) {
      // whole events only for the merchants subscribed here; the rest are only stepped over
      this.#reads += 1
      const rows = await readEventsAfter(db, this.#cursor, this.#options.batchSize, [...this.#subscribers.keys()])
      if (rows.length === 0) return
      let restart = false
      for (const row of rows) {
        const missingFrom = this.#cursor + 1n
        if (row.seq > missingFrom && this.#resolvedThrough < row.seq - 1n) {
          // a hole: missingFrom .. row.seq-1 are not visible (yet)
          if (!this.#hole || this.#hole.fromSeq !== missingFrom) {
            // read after the row was seen: the holder of a missing seq is listed or has ended
            this.#hole = {
              fromSeq: missingFrom,
              untilSeq: row.seq,
              writers: await writersInFlight(db),
            }
            this.#later(this.#options.holeRecheckMs)
            return
          }
          if (await anyStillInFlight(db, this.#hole.writers)) {
            this.#later(this.#options.holeRecheckMs)
            return
          }
          // every writer that could fill the hole has ended: re-read so that late commits are
          // emitted in order, and skip what is still missing (rolled back)
          this.#resolvedThrough = this.#hole.untilSeq - 1n
          this.#hole = undefined
          restart = true
          break
        }
        if (!row.event && this.#subscribers.has(row.merchantId)) {
          // its merchant subscribed after the read: read again from here, whole
          restart = true
          break
        }
        if (row.event) this.#emit(row.event)
        this.#cursor = row.seq
        if (this.#resolvedThrough < this.#cursor) this.#resolvedThrough = this.#cursor
      }
      if (!restart && rows.length < this.#options.batchSize) return
    }
    // more rows than one drain reads: continue after yielding
    this.#later(0)
  }

  #emit(event: StoredEvent): void {
    const set = this.#subscribers.get(event.merchantId)
    if (!set || set.size === 0) return
    const frame = JSON.stringify(serializeEvent(event))
    const hubEvent: HubEvent = { event, frame, bytes: Buffer.from(frame, 'utf8') }
    for (const subscriber of set) {
      try {
        subscriber.deliver(hubEvent)
      } catch (error) {
        this.#deps.log.error({ err: error }, 'realtime subscriber failed')
      }
    }
  }
}
