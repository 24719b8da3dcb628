/**
 * Invoices benchmark: throughput and latency of `POST /api/v1/invoices` and
 * `GET /api/v1/invoices/{id}/status` on PGlite and on Postgres at several concurrencies, beside
 * two baselines measured the same way — a bare Fastify hello-world route (ceiling for a read)
 * and a raw BEGIN/INSERT/COMMIT loop (floor for a durable write).
 *
 * Process model: the API server and the hello-world server both listen in this process's main
 * thread; the load generator runs in a worker thread (its own core) with keep-alive sockets,
 * one per concurrent request. The raw-insert loop runs in the main thread, like the server's
 * queries. Two more items split each route's time into its own work and the HTTP around it: the
 * same create (`createInvoiceClaimed`: the invoice, its event and the idempotency record with
 * the stored response, in one statement) and the same status read, called in the main thread
 * without HTTP, at the same concurrency. A third puts that status read behind a bare Fastify
 * route (no authentication, hooks or serialisation) in the same thread: the ceiling for any
 * server answering the status route from this database. Each item gets BENCH_DURATION_MS of
 * measured time (after BENCH_WARMUP_MS unrecorded), split into BENCH_ROUNDS slices interleaved
 * with the other items' slices.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { loadConfig } from '../packages/server/src/config.ts'
import { startServer, type RunningServer } from '../packages/server/src/server.ts'
import { defaultExtensions } from '../packages/server/src/extensions.ts'
import { onboardMerchant } from '../packages/server/src/modules/merchants/merchant.service.ts'
import { createInvoiceClaimed, getInvoiceStatus } from '../packages/server/src/modules/invoices/invoice.service.ts'
import Fastify from 'fastify'
import { runClosedLoop } from './lib/closed-loop.ts'
import type { ClosedLoopResult } from './lib/closed-loop.ts'
import { runHttpLoad } from './lib/http-load.ts'
import { startHelloWorld, type HelloWorldServer } from './lib/hello-world.ts'
import { envInt, mergeResults, ratio, summarize, type Measurement } from './lib/measurement.ts'
import { passInChild, servePass } from './lib/child-pass.ts'
import { createScratchDatabase, postgresVersion, type ScratchDatabase } from './lib/postgres.ts'
import { rawInsertPglite, rawInsertPostgres, type RawInsertTarget } from './lib/raw-insert.ts'

type DatabaseKind = 'pglite' | 'postgres'

/** The foundation issue's targets. */
export const TARGETS = {
  createVsRawInsertMin: 0.5,
  statusVsHelloWorldMin: 0.35,
  createP99MsMax: 50,
  createP99Concurrency: 16,
  createP99Database: 'postgres' as DatabaseKind,
}

const CREATE_BODY = {
  amount_usd: '49.99',
  description: 'Benchmark invoice',
  customer_id: 'bench_customer',
  metadata: { order_id: 'BENCH-1' },
}

export interface Row {
  database: DatabaseKind
  concurrency: number
  create_rps: number
  create_p50_ms: number
  create_p99_ms: number
  raw_insert_rps: number
  raw_insert_p99_ms: number
  create_vs_raw: number
  /** The same create without HTTP: the route's own work. */
  create_in_process_rps: number
  create_in_process_vs_raw: number
  status_rps: number
  status_p50_ms: number
  status_p99_ms: number
  /** The same status read without HTTP. */
  status_in_process_rps: number
  /** The same status read behind a bare Fastify route. */
  status_bare_rps: number
  status_bare_vs_hello: number
  hello_rps: number
  hello_p99_ms: number
  status_vs_hello: number
  errors: number
}

export interface Check {
  target: string
  database: DatabaseKind
  concurrency: number
  actual: number
  threshold: string
  pass: boolean
}

interface Pass {
  database: DatabaseKind
  create: Measurement[]
  status: Measurement[]
  hello: Measurement[]
  rawInsert: Measurement[]
  createInProcess: Measurement[]
  statusInProcess: Measurement[]
  statusBare: Measurement[]
}

interface Settings {
  concurrencies: number[]
  /** Measured time per item and concurrency, split evenly over the rounds. */
  durationMs: number
  /** Unrecorded load before the first slice of each item. */
  warmupMs: number
  /** Slices per item, interleaved with the other items' slices (see measurePass). */
  rounds: number
}

/** Unrecorded lead-in of every slice after the first: reopens keep-alive sockets, refills the pool. */
const SLICE_WARMUP_MS = 200

function settings(env: Record<string, string | undefined>): Settings {
  const list = env['BENCH_CONCURRENCY'] ?? '1,16,64'
  const concurrencies = list.split(',').map((s) => {
    const n = Number(s.trim())
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`BENCH_CONCURRENCY: "${s}" is not an integer in 1..64`)
    return n
  })
  return {
    concurrencies,
    durationMs: envInt(env, 'BENCH_DURATION_MS', 5_000),
    warmupMs: envInt(env, 'BENCH_WARMUP_MS', 1_000),
    rounds: Math.min(envInt(env, 'BENCH_ROUNDS', 5), 20),
  }
}

function log(line: string): void {
  process.stdout.write(`  ${line}\n`)
}

function brief(m: Measurement): string {
  return `${m.rps} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms${m.errors > 0 ? `, ${m.errors} errors (${m.firstError ?? ''})` : ''}`
}

async function startApi(database: DatabaseKind, dataDir: string, scratch: ScratchDatabase | undefined): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PEPAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    // the server's extensions (realtime hub, webhook worker, commerce, ramps, chain) as in
    // production, without the embedded devnet and the sandbox catalog's one-off background seed
    PEPAY_DEVNET: 'off',
    PEPAY_CATALOG_SIZE: '0',
    PEPAY_SEED_DEMO: 'false',
    ...(database === 'postgres' && scratch ? { DATABASE_URL: scratch.url } : {}),
  })
  return startServer(config, { extensions: defaultExtensions(config) })
}

/** Invoices for the status route to poll, created through the API before any measurement. */
async function seedInvoices(baseUrl: string, apiKey: string, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${baseUrl}/api/v1/invoices`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'idempotency-key': `${prefix}-seed-${i}`, 'content-type': 'application/json' },
      body: JSON.stringify(CREATE_BODY),
      signal: AbortSignal.timeout(10_000),
    })
    const body = (await response.json()) as { invoice_id?: string }
    if (response.status !== 201 || !body.invoice_id) throw new Error(`seeding invoices: HTTP ${response.status} ${JSON.stringify(body)}`)
    ids.push(body.invoice_id)
  }
  return ids
}

type Item = 'rawInsert' | 'create' | 'status' | 'hello' | 'createInProcess' | 'statusInProcess' | 'statusBare'
const ITEMS: Item[] = ['rawInsert', 'create', 'status', 'hello', 'createInProcess', 'statusInProcess', 'statusBare']

/**
 * One database's figures. The machine is shared, so load drifts while a bench runs: each item
 * is measured in `rounds` short slices, interleaved with the other items' slices in a rotating
 * order, so that every ratio compares figures taken under the same conditions.
 */
async function measurePass(database: DatabaseKind, hello: HelloWorldServer, s: Settings): Promise<Pass> {
  const pass: Pass = { database, create: [], status: [], hello: [], rawInsert: [], createInProcess: [], statusInProcess: [], statusBare: [] }
  const bare = Fastify({ logger: false })
  const dataDir = mkdtempSync(join(tmpdir(), `pepay-bench-${database}-`))
  let scratch: ScratchDatabase | undefined
  let server: RunningServer | undefined
  let raw: RawInsertTarget | undefined
  const sliceMs = Math.max(Math.floor(s.durationMs / s.rounds), 100)
  try {
    if (database === 'postgres') scratch = await createScratchDatabase()
    raw = scratch ? rawInsertPostgres(scratch.url) : await rawInsertPglite(join(dataDir, 'raw'))
    server = await startApi(database, dataDir, scratch)
    const { deps } = server
    const merchant = await onboardMerchant(deps.db, deps.secrets, deps.clock, { name: 'Bench Merchant', email: 'bench@example.com' })
    const headers = { 'x-api-key': merchant.merchantKey }
    const nonce = randomBytes(4).toString('hex')
    const ids = await seedInvoices(server.url, merchant.merchantKey, 100, `bench-${nonce}`)
    const statusPaths = ids.map((id) => `/api/v1/invoices/${id}/status`)
    const apiUrl = server.url
    const principal = { merchantId: merchant.merchant.id, environment: 'devnet' as const }
    const requestHash = createHash('sha256').update(`POST /api/v1/invoices\n${JSON.stringify(CREATE_BODY)}`).digest()
    // what the route does once its hooks have authenticated the key and checked the body
    const createInProcess = async (key: string): Promise<boolean> => {
      const claim = { ...principal, key, method: 'POST', path: '/api/v1/invoices', requestHash, ttlMs: 86_400_000 }
      const created = await createInvoiceClaimed(deps, principal, CREATE_BODY, { requestId: `req_${key}`, idempotencyKey: key }, claim)
      return created.outcome === 'created'
    }
    const statusInProcess = async (seq: number): Promise<boolean> => {
      const { invoice } = await getInvoiceStatus(deps, principal.merchantId, ids[seq % ids.length]!, principal.environment)
      return invoice.status === 'unpaid'
    }
    bare.get<{ Params: { id: string } }>('/status/:id', async (request) => {
      const { invoice } = await getInvoiceStatus(deps, principal.merchantId, request.params.id, principal.environment)
      return { status: invoice.status }
    })
    const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' })
    const barePaths = ids.map((id) => `/status/${id}`)

    for (const concurrency of s.concurrencies) {
      const rig = await raw.rig(concurrency)
      const slices: Record<Item, ClosedLoopResult[]> = { rawInsert: [], create: [], status: [], hello: [], createInProcess: [], statusInProcess: [], statusBare: [] }
      try {
        for (let round = 0; round < s.rounds; round++) {
          const window = { durationMs: sliceMs, warmupMs: round === 0 ? s.warmupMs : SLICE_WARMUP_MS }
          for (let k = 0; k < ITEMS.length; k++) {
            const item = ITEMS[(round + k) % ITEMS.length]!
            const http = { concurrency, ...window }
            let result: ClosedLoopResult
            switch (item) {
              case 'rawInsert':
                result = await rig.measure(window)
                break
              case 'create':
                result = await runHttpLoad({
                  baseUrl: apiUrl,
                  method: 'POST',
                  paths: ['/api/v1/invoices'],
                  headers,
                  body: CREATE_BODY,
                  idempotencyKeyPrefix: `bench-${nonce}-${concurrency}-${round}`,
                  expectStatus: 201,
                  ...http,
                })
                break
              case 'status':
                result = await runHttpLoad({ baseUrl: apiUrl, method: 'GET', paths: statusPaths, headers, expectStatus: 200, ...http })
                break
              case 'hello':
                result = await runHttpLoad({ baseUrl: hello.url, method: 'GET', paths: ['/hello'], expectStatus: 200, ...http })
                break
              case 'createInProcess': {
                const prefix = `bench-${nonce}-${concurrency}-${round}-direct`
                result = await runClosedLoop((_worker, seq) => createInProcess(`${prefix}-${seq}`), http)
                break
              }
              case 'statusInProcess':
                result = await runClosedLoop((_worker, seq) => statusInProcess(seq), http)
                break
              case 'statusBare':
                result = await runHttpLoad({ baseUrl: bareUrl, method: 'GET', paths: barePaths, expectStatus: 200, ...http })
                break
            }
            slices[item].push(result)
          }
        }
      } finally {
        await rig.close()
      }
      for (const item of ITEMS) {
        const m = summarize(mergeResults(slices[item]))
        pass[item].push(m)
        log(`${database} c=${concurrency} ${LABELS[item]}: ${brief(m)}`)
      }
    }
    return pass
  } finally {
    await bare.close()
    await server?.stop()
    await raw?.close()
    await scratch?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const LABELS: Record<Item, string> = {
  rawInsert: 'raw insert+commit',
  create: 'POST /api/v1/invoices',
  status: 'GET /api/v1/invoices/{id}/status',
  hello: 'hello-world',
  createInProcess: 'create without HTTP',
  statusInProcess: 'status read without HTTP',
  statusBare: 'status read behind a bare route',
}

export function rowsOf(passes: Pass[]): Row[] {
  const rows: Row[] = []
  for (const pass of passes) {
    pass.create.forEach((create, i) => {
      const status = pass.status[i]!
      const hello = pass.hello[i]!
      const raw = pass.rawInsert[i]!
      const createInProcess = pass.createInProcess[i]!
      const statusInProcess = pass.statusInProcess[i]!
      const statusBare = pass.statusBare[i]!
      rows.push({
        database: pass.database,
        concurrency: create.concurrency,
        create_rps: create.rps,
        create_p50_ms: create.p50Ms,
        create_p99_ms: create.p99Ms,
        raw_insert_rps: raw.rps,
        raw_insert_p99_ms: raw.p99Ms,
        create_vs_raw: ratio(create.rps, raw.rps),
        create_in_process_rps: createInProcess.rps,
        create_in_process_vs_raw: ratio(createInProcess.rps, raw.rps),
        status_rps: status.rps,
        status_p50_ms: status.p50Ms,
        status_p99_ms: status.p99Ms,
        status_in_process_rps: statusInProcess.rps,
        status_bare_rps: statusBare.rps,
        status_bare_vs_hello: ratio(statusBare.rps, hello.rps),
        hello_rps: hello.rps,
        hello_p99_ms: hello.p99Ms,
        status_vs_hello: ratio(status.rps, hello.rps),
        errors: create.errors + status.errors + hello.errors + raw.errors + createInProcess.errors + statusInProcess.errors + statusBare.errors,
      })
    })
  }
  return rows
}

/** Every row is checked against the ratio targets; the p99 target names one row. */
export function checksOf(rows: Row[]): Check[] {
  const checks: Check[] = []
  for (const row of rows) {
    checks.push({
      target: 'create >= 50% of raw insert+commit',
      database: row.database,
      concurrency: row.concurrency,
      actual: row.create_vs_raw,
      threshold: `>= ${TARGETS.createVsRawInsertMin}`,
      pass: row.errors === 0 && row.create_vs_raw >= TARGETS.createVsRawInsertMin,
    })
    checks.push({
      target: 'status >= 35% of hello-world',
      database: row.database,
      concurrency: row.concurrency,
      actual: row.status_vs_hello,
      threshold: `>= ${TARGETS.statusVsHelloWorldMin}`,
      pass: row.errors === 0 && row.status_vs_hello >= TARGETS.statusVsHelloWorldMin,
    })
    if (row.database === TARGETS.createP99Database && row.concurrency === TARGETS.createP99Concurrency) {
      checks.push({
        target: `create p99 < ${TARGETS.createP99MsMax} ms`,
        database: row.database,
        concurrency: row.concurrency,
        actual: row.create_p99_ms,
        threshold: `< ${TARGETS.createP99MsMax} ms`,
        pass: row.errors === 0 && row.create_p99_ms < TARGETS.createP99MsMax,
      })
    }
  }
  return checks
}

export async function run(): Promise<object> {
  const s = settings(process.env)
  const databases = (process.env['BENCH_DATABASES'] ?? 'pglite,postgres').split(',').map((d) => d.trim())
  for (const d of databases) if (d !== 'pglite' && d !== 'postgres') throw new Error(`BENCH_DATABASES: unknown database "${d}"`)
  const passes: Pass[] = []
  for (const database of databases as DatabaseKind[]) passes.push(await passInChild<Pass>(import.meta.url, database))
  const rows = rowsOf(passes)
  const checks = checksOf(rows)
  return {
    settings: {
      durationMs: s.durationMs,
      warmupMs: s.warmupMs,
      rounds: s.rounds,
      concurrencies: s.concurrencies.join(','),
      databases: databases.join(','),
      postgres: databases.includes('postgres') ? await postgresVersion() : null,
      processModel: 'each database in a child process of its own: API server (default extensions, no devnet) and hello-world server in its main thread, HTTP load from a worker thread, raw inserts and the in-process create and status read in the main thread; items interleaved in rounds',
    },
    results: rows,
    targets: checks,
    allTargetsPass: checks.every((c) => c.pass),
    details: passes,
  }
}

// each database's pass runs in a child process of this module (passInChild), with its own hello-world server
await servePass(import.meta.url, async (database) => {
  const hello = await startHelloWorld()
  try {
    return await measurePass(database as DatabaseKind, hello, settings(process.env))
  } finally {
    await hello.close()
  }
})
