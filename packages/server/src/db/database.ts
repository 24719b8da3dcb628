import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { unaccent } from '@electric-sql/pglite/contrib/unaccent'
import { CompiledQuery, Kysely, PostgresDialect, sql, type QueryResult, type RawBuilder, type Transaction } from 'kysely'
import pg from 'pg'
import { Channels } from './channels.ts'
import { PgliteConnection } from './pglite-connection.ts'
import { durableStartParams, syncToDisk } from './pglite-durable.ts'
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts'
import { PostgresChannels } from './postgres-channels.ts'
import type { DB } from './schema.ts'

// int8 and numeric arrive as strings so that repos convert them to bigint exactly.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value)
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => value)

export type Executor = Kysely<DB> | Transaction<DB>

const PREPARE_MARKER = /^\/\* prepare:([a-z0-9_]+) \*\//

/**
 * Marks a hot statement whose text never varies (lists travel as array parameters) to run as a
 * named prepared statement: each connection (PGlite's one, or each pooled Postgres connection)
 * parses it once. Postgres caches its plan too once the generic plan looks no dearer than the
 * custom ones, which a list parameter prevents (the generic plan assumes ten elements): a
 * statement for one key is worth its own plain-parameter form.
 */
export function prepared<T>(name: string, query: RawBuilder<T>): RawBuilder<T> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`prepared statement name "${name}" must be [a-z0-9_]+`)
  return sql<T>`/* prepare:${sql.raw(name)} */ ${query}`
}

/** Stands for the build function's n-th parameter while `compiledOnce` compiles the query. */
class Slot {
  readonly index: number
  constructor(index: number) {
    this.index = index
  }
}

/**
 * A prepared statement whose text is also built and compiled only once, for the hottest
 * statements, where Kysely building and compiling the query cost as much as running it. `build`
 * runs once, with placeholders for its parameters: it may use each of them any number of times,
 * in any order, but only as values of the query (never look into them or compute from them), and
 * every value of the query must be one of them. Later calls bind their parameters in its place.
 */
export function compiledOnce<P extends unknown[], R>(name: string, build: (...params: P) => RawBuilder<R>) {
  let compiled: { text: string; slots: number[] } | undefined
  return async (db: Executor, ...params: P): Promise<QueryResult<R>> => {
    if (compiled === undefined) {
      const query = prepared(name, build(...(params.map((_, i) => new Slot(i)) as P))).compile(db)
      const slots = query.parameters.map((parameter) => {
        if (!(parameter instanceof Slot)) throw new Error(`compiledOnce(${name}): every value of the query must be a parameter of its build function, as passed`)
        return parameter.index
      })
      compiled = { text: query.sql, slots }
    }
    return db.executeQuery<R>(CompiledQuery.raw(compiled.text, compiled.slots.map((index) => params[index])))
  }
}

type QueryCallback = (error: Error | null, result?: pg.QueryResult) => void

/** A pool client that runs `prepared(…)` statements by name (see above). */
class PreparingClient extends pg.Client {
  // @ts-expect-error -- pg's overloads; Kysely calls query(text, values) and expects a promise
  override query(config: unknown, values?: unknown, callback?: QueryCallback): unknown {
    if (typeof config === 'string' && callback === undefined) {
      const match = PREPARE_MARKER.exec(config)
      if (match?.[1]) return this.#runPrepared(match[1], config, values as unknown[] | undefined)
    }
    // forwarded as received (every other overload of pg's query)
    return (super.query as (...args: unknown[]) => unknown)(config, values, callback)
  }

  async #runPrepared(name: string, text: string, values: unknown[] | undefined): Promise<pg.QueryResult> {
    try {
      return await super.query({ name, text, values: values ?? [] })
    } catch (error) {
      // a migration changed a table under the cached plan: prepare it again once
      if (!(error instanceof Error) || !/cached plan must not change result type/.test(error.message)) throw error
      await super.query(`DEALLOCATE ${name}`)
      const connection = (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection
      delete connection.parsedStatements[name]
      return await super.query({ name, text, values: values ?? [] })
    }
  }
}

export interface Database {
  readonly db: Kysely<DB>
  readonly kind: 'pglite' | 'postgres'
  /** Subscribes to a NOTIFY channel; returns an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>
  /**
   * Takes a session-level advisory lock without waiting; resolves undefined when another process
   * holds it. `lost` resolves if the lock's connection dies (leadership must be given up).
   */
  tryAdvisoryLock(name: string): Promise<{ release(): Promise<void>; lost: Promise<void> } | undefined>
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined
  /** Directory for the embedded database; `undefined` keeps it in memory. */
  dataDir?: string | undefined
  poolSize?: number
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 20) : openPglite(options.dataDir)
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let path: string | undefined
  let lock: DataDirLock | undefined
  if (dataDir) {
    path = join(dataDir, 'pgdata')
    mkdirSync(path, { recursive: true })
    // one process at a time on the data files (see data-dir-lock.ts)
    lock = lockDataDir(join(dataDir, 'pgdata.lock'))
  }
  let created: PGlite | undefined
  try {
    created = await PGlite.create({
      // on disk, each commit is flushed before it is answered (see pglite-durable.ts)
      ...(path ? { dataDir: path, startParams: durableStartParams() } : {}),
      parsers: { 20: (v: string) => v, 1700: (v: string) => v },
      // the same extensions a Postgres deployment installs (catalog search)
      extensions: { pg_trgm, unaccent },
    })
    await created.waitReady
    if (path) syncToDisk(created)
  } catch (error) {
    if (created && !created.closed) await created.close()
    lock?.release()
    throw error
  }
  const client = created
  // node-postgres over the embedded database's wire protocol (see PgliteConnection): the same value
  // parsing and named prepared statements as on Postgres, through one connection at a time. A
  // statement issued outside a transaction while that transaction holds the connection waits for
  // it; the timeout turns such a self-deadlock into an error instead of a hang.
  // LISTEN and UNLISTEN go through the pool, between transactions like any other statement
  const channels = new Channels(async (statement) => {
    await sql.raw(statement).execute(db)
  })
  class PgliteClient extends PreparingClient {
    constructor(config: pg.ClientConfig) {
      super({ ...config, stream: undefined, connection: new PgliteConnection(client, (message) => channels.dispatch(message.channel, message.payload)) } as pg.ClientConfig)
    }
  }
  const pool = new pg.Pool({ max: 1, idleTimeoutMillis: 0, connectionTimeoutMillis: 60_000, Client: PgliteClient as unknown as typeof pg.Client })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    kind: 'pglite',
    listen: (channel, onNotify) => channels.listen(channel, onNotify),
    // one process owns the embedded database, so it is always the leader
    async tryAdvisoryLock() {
      return { release: async () => undefined, lost: new Promise<void>(() => undefined) }
    },
    async close() {
      try {
        await db.destroy()
        if (!client.closed) await client.close()
      } finally {
        lock?.release()
      }
    },
  }
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000, Client: PreparingClient as unknown as typeof pg.Client })
  pool.on('error', () => {
    // an idle client lost its connection; the pool replaces it on the next checkout
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  await sql`select 1`.execute(db)
  const channels = new PostgresChannels(url)
  const lockClients = new Set<pg.Client>()
  return {
    db,
    kind: 'postgres',
    listen: (channel, onNotify) => channels.listen(channel, onNotify),
    async tryAdvisoryLock(name) {
      const client = new pg.Client({ connectionString: url })
      let markLost: () => void = () => undefined
      const lost = new Promise<void>((resolve) => {
        markLost = resolve
      })
      client.on('error', () => markLost())
      client.on('end', () => markLost())
      await client.connect()
      const result = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name])
      if (!result.rows[0]?.ok) {
        await client.end().catch(() => undefined)
        return undefined
      }
      lockClients.add(client)
      return {
        lost,
        async release() {
          lockClients.delete(client)
          await client.end().catch(() => undefined)
        },
      }
    },
    async close() {
      await Promise.all([channels.close(), ...[...lockClients].map((c) => c.end().catch(() => undefined))])
      await db.destroy()
    },
  }
}
