import pg from 'pg'
import { Channels } from './channels.ts'

/** First wait before reconnecting a lost listening connection; it doubles up to the maximum. */
const RECONNECT_MIN_MS = 250
const RECONNECT_MAX_MS = 10_000

/**
 * LISTEN on Postgres for the whole process through one connection. A commit that notifies
 * signals every backend listening in its database, whatever the channel: one listening
 * connection per channel would make each NOTIFY wake as many backends.
 *
 * A lost connection is opened again (with backoff) and every channel listened to anew. Whatever
 * was notified meanwhile is gone, so each callback is then called once with an empty payload:
 * the subscribers treat it as "something may have changed" and look for themselves.
 */
export class PostgresChannels {
  readonly #url: string
  readonly #channels: Channels
  #client: pg.Client | undefined
  #connecting: Promise<pg.Client> | undefined
  #reconnectTimer: NodeJS.Timeout | undefined
  #backoffMs = RECONNECT_MIN_MS
  #closed = false

  constructor(url: string) {
    this.#url = url
    this.#channels = new Channels(
      async (statement) => {
        await (await this.#connection()).query(statement)
      },
      // a lost connection listens to nothing: the reconnect listens only to the channels left
      async (statement) => {
        await this.#client?.query(statement).catch(() => undefined)
      },
    )
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error('the database is closed')
    return this.#channels.listen(channel, onNotify)
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer)
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined))
    this.#client = undefined
    await client?.end().catch(() => undefined)
  }

  #connection(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client)
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url })
    let lost = false
    const onLost = () => {
      if (lost) return
      lost = true
      if (this.#client === client) this.#client = undefined
      this.#scheduleReconnect()
    }
    client.on('error', onLost)
    client.on('end', onLost)
    client.on('notification', (message) => this.#channels.dispatch(message.channel, message.payload ?? ''))
    try {
      await client.connect()
      for (const channel of this.#channels.names()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    } catch (error) {
      lost = true
      await client.end().catch(() => undefined)
      throw error
    }
    if (this.#closed) {
      await client.end().catch(() => undefined)
      throw new Error('the database is closed')
    }
    this.#client = client
    return client
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer || this.#channels.names().length === 0) return
    const delay = this.#backoffMs
    this.#backoffMs = Math.min(this.#backoffMs * 2, RECONNECT_MAX_MS)
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      this.#connection().then(
        () => {
          this.#backoffMs = RECONNECT_MIN_MS
          // notifications sent while the connection was down are lost: everyone looks again
          this.#channels.dispatchAll('')
        },
        () => this.#scheduleReconnect(),
      )
    }, delay)
    this.#reconnectTimer.unref()
  }
}
