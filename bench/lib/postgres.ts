import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server the benches create their scratch databases on. */
export const BENCH_POSTGRES_URL = process.env['PEPAY_BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const CONNECT_TIMEOUT_MS = 5_000

export interface ScratchDatabase {
  name: string
  url: string
  /** Drops the database, closing any connection still open on it. */
  drop(): Promise<void>
}

async function adminQuery(adminUrl: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, query_timeout: 30_000 })
  await client.connect()
  try {
    return await client.query(text)
  } finally {
    await client.end()
  }
}

/** A fresh database for one bench run, named `pepay_bench_<random>`. */
export async function createScratchDatabase(adminUrl = BENCH_POSTGRES_URL): Promise<ScratchDatabase> {
  const name = `pepay_bench_${randomBytes(6).toString('hex')}`
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  let dropped = false
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return
      dropped = true
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}

export async function postgresVersion(adminUrl = BENCH_POSTGRES_URL): Promise<string> {
  const result = await adminQuery(adminUrl, 'SHOW server_version')
  return String(result.rows[0]?.server_version ?? 'unknown')
}
