import { EventEmitter } from 'node:events'
import type { PGlite } from '@electric-sql/pglite'
import { serialize } from 'pg-protocol'
import { NotificationResponseMessage, type BackendMessage } from 'pg-protocol/dist/messages'
import { Parser } from 'pg-protocol/dist/parser'

/**
 * The connection node-postgres talks to for the embedded database: pg writes the frontend
 * messages of the wire protocol, PGlite answers them in-process, and the backend messages come
 * back as the events pg's Client listens for.
 *
 * The messages of one extended-protocol exchange (Parse, Bind, Describe, Execute up to its Sync)
 * go to PGlite in one call. The server then sees the exchange as it would from a socket: after an
 * error it skips every message up to the Sync by itself. Sent one by one, a Bind after a failed
 * Parse reached the server on its own and broke the connection; one call is also one crossing
 * into the database instead of five.
 *
 * The replies come back as raw bytes and are parsed by node-postgres' own parser (pg-protocol),
 * the one a socket connection uses: PGlite's parser decoded every field through a TextDecoder
 * call, a fifth of the embedded database's time on a read-heavy load. Bypassing it also
 * bypasses PGlite's dispatch of NOTIFY to its `listen` callbacks, so notifications go to
 * `onNotification` (`Channels`).
 *
 * One connection object serves one pg Client at a time (the pool holds exactly one).
 */
export class PgliteConnection extends EventEmitter {
  // what pg's Client reads and writes on its connection
  _connecting = false
  readonly stream = { destroy: () => this.end() }
  parsedStatements: Record<string, string> = {}
  submittedNamedStatements: Record<string, string> = {}

  readonly #db: PGlite
  readonly #onNotification: (message: NotificationResponseMessage) => void
  #pending: Buffer[] = []
  #queue: Promise<void> = Promise.resolve()

  constructor(db: PGlite, onNotification: (message: NotificationResponseMessage) => void) {
    super()
    this.#db = db
    this.#onNotification = onNotification
  }

  connect(): void {
    this._connecting = true
    this.#queue = this.#queue
      .then(async () => {
        await this.#db.waitReady
        // the server session outlives any one connection: a new one starts with no transaction
        // left open and no statement prepared by a connection before it
        await this.#exchange(serialize.query('ROLLBACK; DEALLOCATE ALL'))
        process.nextTick(() => this.emit('readyForQuery'))
      })
      .catch((error: unknown) => {
        this.emit('error', error)
      })
  }

  // no startup, TLS or authentication: the database is in-process
  requestSsl(): void {}
  startup(): void {}
  cancel(): void {}
  password(): void {}
  ref(): void {}
  unref(): void {}

  query(text: string): void {
    this.#buffer(serialize.query(text))
    this.#send()
  }

  parse(query: Parameters<typeof serialize.parse>[0]): void {
    this.#buffer(serialize.parse(query))
  }

  bind(config: Parameters<typeof serialize.bind>[0]): void {
    this.#buffer(serialize.bind(config))
  }

  describe(msg: Parameters<typeof serialize.describe>[0]): void {
    this.#buffer(serialize.describe(msg))
  }

  execute(config: Parameters<typeof serialize.execute>[0]): void {
    this.#buffer(serialize.execute(config))
  }

  close(msg: Parameters<typeof serialize.close>[0]): void {
    this.#buffer(serialize.close(msg))
  }

  flush(): void {
    this.#buffer(serialize.flush())
    this.#send()
  }

  sync(): void {
    this.#buffer(serialize.sync())
    this.#send()
  }

  sendCopyFromChunk(chunk: Buffer): void {
    this.#buffer(serialize.copyData(chunk))
    this.#send()
  }

  endCopyFrom(): void {
    this.#buffer(serialize.copyDone())
    this.#send()
  }

  sendCopyFail(message: string): void {
    this.#buffer(serialize.copyFail(message))
    this.#send()
  }

  end(): void {
    this.#pending = []
    this.#queue = this.#queue.then(() => {
      this.emit('end')
    })
  }

  /**
   * One call into the database, under PGlite's own query lock: any other caller of the engine
   * (PGlite's own `query()` or `listen()`) would otherwise take over the output of a call still in
   * progress, and its rows with it.
   */
  async #exchange(messages: Uint8Array): Promise<BackendMessage[]> {
    const replies: BackendMessage[] = []
    const parser = new Parser()
    const collect = (message: BackendMessage) => {
      if (message instanceof NotificationResponseMessage) this.#onNotification(message)
      replies.push(message)
    }
    await this.#db._runExclusiveQuery(() =>
      this.#db.execProtocolRawStream(messages, {
        // a view into the database's memory, reused by the next call: parsed from a copy
        onRawData: (chunk) => parser.parse(Buffer.from(chunk), collect),
      }),
    )
    return replies
  }

  #buffer(message: Buffer): void {
    this.#pending.push(message)
  }

  #send(): void {
    const [only, ...more] = this.#pending
    const messages = only && more.length === 0 ? only : Buffer.concat(this.#pending)
    this.#pending = []
    this.#queue = this.#queue
      .then(() => this.#exchange(messages))
      .then((replies) => {
        for (const reply of replies) this.emit(reply.name === 'error' ? 'errorMessage' : reply.name, reply)
      })
      .catch((error: unknown) => {
        this.emit('error', error)
      })
  }
}
