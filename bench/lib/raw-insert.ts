import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { durableStartParams, syncToDisk } from '../../packages/server/src/db/pglite-durable.ts'
import { runClosedLoop, type ClosedLoopResult } from './closed-loop.ts'

const CREATE_TABLE = 'CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigserial PRIMARY KEY, amount bigint NOT NULL, payload jsonb NOT NULL)'
const INSERT = 'INSERT INTO bench_raw_insert (amount, payload) VALUES ($1, $2)'

export interface RawInsertRig {
  concurrency: number
  /** One closed-loop measurement; the rig's connections stay open between calls. */
  measure(window: { durationMs: number; warmupMs: number }): Promise<ClosedLoopResult>
  close(): Promise<void>
}

/** Where the raw loop writes: opens one rig per concurrency level. */
export interface RawInsertTarget {
  rig(concurrency: number): Promise<RawInsertRig>
  close(): Promise<void>
}

function row(seq: number): [string, string] {
  return [String(1000 + seq), JSON.stringify({ seq, note: 'bench' })]
}

/**
 * The floor the API's create path is compared against: `concurrency` connections, each looping
 * BEGIN; INSERT one row (a bigint and a jsonb); COMMIT — three round trips and one durable commit.
 */
export function rawInsertPostgres(url: string): RawInsertTarget {
  return {
    async rig(concurrency) {
      const clients = Array.from(
        { length: concurrency },
        () => new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 10_000 }),
      )
      const close = async () => {
        await Promise.all(clients.map((c) => c.end().catch(() => undefined)))
      }
      try {
        await Promise.all(clients.map((c) => c.connect()))
        await clients[0]!.query(CREATE_TABLE)
      } catch (error) {
        await close()
        throw error
      }
      return {
        concurrency,
        measure: (window) =>
          runClosedLoop(async (worker, seq) => {
            const client = clients[worker]!
            await client.query('BEGIN')
            await client.query(INSERT, row(seq))
            await client.query('COMMIT')
            return true
          }, { concurrency, ...window }),
        close,
      }
    },
    close: async () => undefined,
  }
}

/**
 * The same loop on an embedded database in its own directory, flushing each commit to disk as
 * the server's embedded database does (`pglite-durable.ts`). PGlite has one connection: the
 * transactions queue on it, which is also how the server's PGlite mode runs them.
 */
export async function rawInsertPglite(dataDir: string): Promise<RawInsertTarget> {
  const db = await PGlite.create({ dataDir, startParams: durableStartParams() })
  syncToDisk(db)
  await db.query(CREATE_TABLE)
  return {
    async rig(concurrency) {
      return {
        concurrency,
        measure: (window) =>
          runClosedLoop(async (_worker, seq) => {
            await db.transaction(async (tx) => {
              await tx.query(INSERT, row(seq))
            })
            return true
          }, { concurrency, ...window }),
        close: async () => undefined,
      }
    },
    close: () => db.close(),
  }
}
