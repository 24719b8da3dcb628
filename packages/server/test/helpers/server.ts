import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Clock } from '@pepay/core'
import pg from 'pg'
import { loadConfig, type Config } from '../../src/config.ts'
import type { Database } from '../../src/db/database.ts'
import { startServer, type RunningServer, type ServerExtension } from '../../src/server.ts'
import { defaultExtensions } from '../../src/extensions.ts'
import { onboardMerchant, type OnboardedMerchant } from '../../src/modules/merchants/merchant.service.ts'

/** Which database the suite runs on: the runner sets PEPAY_TEST_DB=pglite|postgres. */
export const TEST_DB = process.env['PEPAY_TEST_DB'] === 'postgres' ? 'postgres' : 'pglite'
// the Postgres pass creates one database per test file on this server
const ADMIN_URL = process.env['PEPAY_TEST_POSTGRES_URL'] ?? process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface TestDatabase {
  url: string | undefined
  dataDir: string
  drop(): Promise<void>
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url))

/**
 * A migrated PGlite data directory made once per set of migrations and copied for each test:
 * creating a PGlite cluster (initdb in WASM) costs seconds, copying a migrated one milliseconds.
 */
async function pgliteTemplate(): Promise<string> {
  const hash = createHash('sha256')
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) hash.update(file).update(readFileSync(join(MIGRATIONS_DIR, file)))
  const template = join(tmpdir(), `pepay-pglite-template-${hash.digest('hex').slice(0, 16)}`)
  if (existsSync(join(template, 'pgdata'))) return template
  const { openDatabase } = await import('../../src/db/database.ts')
  const { migrateToLatest } = await import('../../src/db/migrate.ts')
  const building = mkdtempSync(join(tmpdir(), 'pepay-pglite-building-'))
  const database = await openDatabase({ dataDir: building })
  await migrateToLatest(database)
  await database.close()
  try {
    // atomic publish: parallel test processes may race to build it; the first rename wins
    renameSync(building, template)
  } catch {
    rmSync(building, { recursive: true, force: true })
  }
  return template
}

/** A fresh database per test file: a temp PGlite directory, or a new Postgres database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pepay-test-'))
  if (TEST_DB === 'pglite') {
    const template = await pgliteTemplate()
    mkdirSync(dataDir, { recursive: true })
    cpSync(join(template, 'pgdata'), join(dataDir, 'pgdata'), { recursive: true })
    return { url: undefined, dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) }
  }
  const name = `pepay_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    dataDir,
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A fresh test database opened as a server opens it (pool of 2 on Postgres); `close` also drops it. */
export async function openTestDatabase(): Promise<{ database: Database; close: () => Promise<void> }> {
  const testDb = await createTestDatabase()
  const { openDatabase } = await import('../../src/db/database.ts')
  const database = await openDatabase({ databaseUrl: testDb.url, dataDir: testDb.dataDir, poolSize: 2 })
  return {
    database,
    close: async () => {
      await database.close()
      await testDb.drop()
    },
  }
}

export interface TestServer {
  server: RunningServer
  url: string
  db: TestDatabase
  config: Config
  /** Stops the server (keeping the database) — for restart tests. */
  stopServer(): Promise<void>
  /** Stops the server and drops the database. */
  close(): Promise<void>
  onboard(name?: string, options?: { grantMainnet?: boolean }): Promise<OnboardedMerchant>
}

export interface TestServerOptions {
  /** Run the embedded devnet (anvil) and the chain watchers. */
  devnet?: boolean
  clock?: Clock
  env?: Record<string, string>
  extensions?: ServerExtension[]
  database?: TestDatabase
  runWorkers?: boolean
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const db = options.database ?? (await createTestDatabase())
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PEPAY_DATA_DIR: db.dataDir,
    LOG_LEVEL: process.env['PEPAY_TEST_LOG_LEVEL'] ?? 'silent',
    PEPAY_DEVNET: options.devnet ? 'embedded' : 'off',
    PEPAY_EXPIRY_POLL_MS: '100',
    // suites that search the sandbox catalog ask for a size; the rest seed none
    PEPAY_CATALOG_SIZE: '0',
    DATABASE_POOL_SIZE: '10',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...options.env,
  })
  const server = await startServer(config, {
    validateResponses: true,
    ...(options.clock && { clock: options.clock }),
    extensions: options.extensions ?? defaultExtensions(config),
    ...(options.runWorkers !== undefined && { runWorkers: options.runWorkers }),
  })
  let stopped = false
  const stopServer = async () => {
    if (stopped) return
    stopped = true
    await server.stop()
  }
  return {
    server,
    url: server.url,
    db,
    config,
    stopServer,
    async close() {
      await stopServer()
      if (!options.database) await db.drop()
    },
    onboard: (name = `Merchant ${randomBytes(3).toString('hex')}`, opts = {}) =>
      onboardMerchant(server.deps.db, server.deps.secrets, server.deps.clock, {
        name,
        email: `${name.replaceAll(' ', '.').toLowerCase()}@example.com`,
        ...(opts.grantMainnet !== undefined && { grantMainnet: opts.grantMainnet }),
      }),
  }
}

export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
}

/** A thin real-HTTP client for tests: JSON in, JSON out, headers as given. */
export function apiClient(baseUrl: string, defaults: Record<string, string> = {}) {
  return async function call<T = any>(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...defaults, ...options.headers }
    let body: string | undefined
    if (options.rawBody !== undefined) {
      body = options.rawBody
      headers['content-type'] ??= 'application/json'
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined && { body }) })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text.length > 0 ? JSON.parse(text) : null
    } catch {
      // non-JSON bodies (metrics, docs) stay text
    }
    return { status: response.status, headers: response.headers, body: parsed as T }
  }
}

export function keyHeaders(key: string): Record<string, string> {
  return { 'x-api-key': key }
}
