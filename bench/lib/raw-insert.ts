import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { runClosedLoop, type ClosedLoopResult } from './closed-loop.ts'

const CREATE_TABLE = 'CREATE TABLE IF NOT EXISTS bench_raw_insert (id bigserial PRIMARY KEY, amount bigint NOT NULL, payload jsonb NOT NULL)'
const INSERT = 'INSERT INTO bench_raw_insert (amount, payload) VALUES ($1, $2)'

export interface RawInsertOptions {
  concurrency: number
  durationMs: number
  warmupMs: number
}

function row(seq: number): [string, string] {
  return [String(1000 + seq), JSON.stringify({ seq, note: 'bench' })]
}

/**
 * The floor the API's create path is compared against: `concurrency` connections, each looping
 * BEGIN; INSERT one row (a bigint and a jsonb); COMMIT — three round trips and one durable commit.
 */
export async function measureRawInsertPostgres(url: string, options: RawInsertOptions): Promise<ClosedLoopResult> {
  const clients = Array.from(
    { length: options.concurrency },
    () => new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, query_timeout: 10_000 }),
  )
  try {
    await Promise.all(clients.map((c) => c.connect()))
    await clients[0]!.query(CREATE_TABLE)
    return await runClosedLoop(async (worker, seq) => {
      const client = clients[worker]!
      await client.query('BEGIN')
      await client.query(INSERT, row(seq))
      await client.query('COMMIT')
      return true
    }, options)
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)))
  }
}

/**
 * The same loop on an embedded database (its own directory). PGlite has one connection: the
 * transactions queue on it, which is also how the server's PGlite mode runs them.
 */
export async function measureRawInsertPglite(dataDir: string, options: RawInsertOptions): Promise<ClosedLoopResult> {
  const db = await PGlite.create({ dataDir })
  try {
    await db.query(CREATE_TABLE)
    return await runClosedLoop(async (_worker, seq) => {
      await db.transaction(async (tx) => {
        await tx.query(INSERT, row(seq))
      })
      return true
    }, options)
  } finally {
    await db.close()
  }
}
