/**
 * Commerce benchmark: catalog search latency over the 100,000-product sandbox catalog for 200
 * representative shopper queries (a third with typos), on PGlite and on Postgres, through real
 * HTTP one request at a time; and checkout throughput (estimate → address → invoice, each an
 * HTTP call) with 4 shoppers in parallel. Also reports how long the catalog took to seed.
 *
 * `npm run bench -- commerce`, or standalone `node bench/commerce.ts` (writes the same
 * bench/results/commerce.json). BENCH_CATALOG_SIZE and BENCH_CHECKOUTS shrink it for a smoke run.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { monotonicMs, systemClock } from '@pepay/core'
import { loadConfig } from '../packages/server/src/config.ts'
import { startServer, type RunningServer } from '../packages/server/src/server.ts'
import { commerceExtension } from '../packages/server/src/modules/commerce/index.ts'
import { onboardMerchant } from '../packages/server/src/modules/merchants/merchant.service.ts'
import {
  ADJECTIVES,
  BRANDS,
  COLORS,
  PRODUCT_TYPES,
} from '../packages/server/src/providers/retail/sandbox/vocabulary.ts'
import { percentile } from './lib/measurement.ts'
import { createScratchDatabase, type ScratchDatabase } from './lib/postgres.ts'

type DatabaseKind = 'pglite' | 'postgres'

export const TARGETS = { searchP95MsPostgres: 15 }

const CATALOG_SIZE = Number(process.env['BENCH_CATALOG_SIZE'] ?? 100_000)
const CHECKOUTS = Number(process.env['BENCH_CHECKOUTS'] ?? 120)
const CHECKOUT_CONCURRENCY = 4
const QUERY_COUNT = 200
const SEED_TIMEOUT_MS = 10 * 60_000

/** A deterministic generator so every run searches the same 200 queries. */
function lcg(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state
  }
}

/** Drops, swaps or doubles one letter: the typos shoppers make. */
function typo(word: string, r: number): string {
  if (word.length < 5) return word
  const i = 1 + (r % (word.length - 2))
  switch (r % 3) {
    case 0:
      return word.slice(0, i) + word.slice(i + 1)
    case 1:
      return word.slice(0, i) + (word[i + 1] ?? '') + (word[i] ?? '') + word.slice(i + 2)
    default:
      return word.slice(0, i) + (word[i] ?? '') + word.slice(i)
  }
}

/** Product types alone, with a brand, a colour or an adjective; every third query with a typo. */
export function representativeQueries(count = QUERY_COUNT): string[] {
  const next = lcg(20_251_216)
  const queries: string[] = []
  for (let n = 0; n < count; n += 1) {
    const type = (PRODUCT_TYPES[next() % PRODUCT_TYPES.length]?.[0] ?? 'tent').toLowerCase()
    const shape = next() % 4
    let words: string[]
    if (shape === 0) words = type.split(' ')
    else if (shape === 1)
      words = [(BRANDS[next() % BRANDS.length] ?? '').toLowerCase(), ...type.split(' ')]
    else if (shape === 2)
      words = [(COLORS[next() % COLORS.length] ?? '').toLowerCase(), ...type.split(' ')]
    else words = [(ADJECTIVES[next() % ADJECTIVES.length] ?? '').toLowerCase(), ...type.split(' ')]
    if (n % 3 === 2) {
      const k = next() % words.length
      words[k] = typo(words[k] ?? '', next())
    }
    queries.push(words.join(' '))
  }
  return queries
}

/** A latency percentile in ms, to 0.01 ms. */
function percentileMs(sorted: number[], p: number): number {
  return Math.round(percentile(sorted, p) * 100) / 100
}

async function call(
  base: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      'x-commerce-api-key': key,
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const json = (await response.json()) as { data?: Record<string, unknown> }
  if (response.status >= 300)
    throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json).slice(0, 200)}`)
  return json
}

interface Target {
  server: RunningServer
  cleanup(): Promise<void>
}

async function startTarget(kind: DatabaseKind): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pepay-bench-commerce-'))
  let scratch: ScratchDatabase | undefined
  if (kind === 'postgres') scratch = await createScratchDatabase()
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PEPAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    PEPAY_DEVNET: 'off',
    PEPAY_CATALOG_SIZE: String(CATALOG_SIZE),
    ...(scratch && { DATABASE_URL: scratch.url }),
  })
  const server = await startServer(config, { extensions: [commerceExtension()] })
  return {
    server,
    async cleanup() {
      await server.stop()
      await scratch?.drop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

async function waitForCatalog(base: string, key: string): Promise<number> {
  const started = monotonicMs()
  for (;;) {
    const status = await call(base, key, 'GET', '/api/commerce/status')
    const catalog = status.data?.['catalog'] as { status: string }
    if (catalog.status === 'ready') return Math.round(monotonicMs() - started) / 1000
    if (monotonicMs() - started > SEED_TIMEOUT_MS) throw new Error('catalog not seeded in time')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function benchOne(kind: DatabaseKind) {
  const target = await startTarget(kind)
  try {
    const { server } = target
    const merchant = await onboardMerchant(server.deps.db, server.deps.secrets, server.deps.clock, {
      name: `Bench ${kind}`,
      email: null,
    })
    const base = server.url
    const key = merchant.commerceKey
    const seedSeconds = await waitForCatalog(base, key)

    const queries = representativeQueries()
    // warm-up: one unrecorded pass over the query set fills plan and page caches (steady state)
    for (const q of queries)
      await call(base, key, 'GET', `/api/commerce/search?q=${encodeURIComponent(q)}&limit=10`)
    const latencies: number[] = []
    let empty = 0
    let corrected = 0
    for (const q of queries) {
      const started = monotonicMs()
      const res = await call(
        base,
        key,
        'GET',
        `/api/commerce/search?q=${encodeURIComponent(q)}&limit=10`,
      )
      latencies.push(monotonicMs() - started)
      const data = res.data as { products: unknown[]; corrections: unknown[] }
      if (data.products.length === 0) empty += 1
      if (data.corrections.length > 0) corrected += 1
    }
    latencies.sort((a, b) => a - b)

    // checkout: the first eligible offer among a few popular products
    const products = ['B08N5WRWNW', 'B0B844T634', 'B000NPYY04']
    const checkoutLatencies: number[] = []
    let errors = 0
    let firstError: string | null = null
    let issued = 0
    const startedAll = monotonicMs()
    await Promise.all(
      Array.from({ length: CHECKOUT_CONCURRENCY }, async (_, worker) => {
        for (;;) {
          const n = issued
          if (n >= CHECKOUTS) return
          issued += 1
          const identity = { customer_id: `bench_${worker}_${n}` }
          const started = monotonicMs()
          try {
            const estimate = await call(
              base,
              key,
              'POST',
              '/api/commerce/merchant/checkout/estimate',
              {
                ...identity,
                items: [{ productId: products[n % products.length], quantity: 1 + (n % 3) }],
              },
            )
            const estimateId = estimate.data?.['estimateId'] as string
            const address = await call(
              base,
              key,
              'POST',
              '/api/commerce/merchant/checkout/address',
              {
                ...identity,
                estimateId,
                address: {
                  first_name: 'Bench',
                  last_name: 'Shopper',
                  street_address: `${n} Market St`,
                  city: 'San Francisco',
                  state: 'CA',
                  zip_code: '94105',
                  country: 'US',
                },
              },
            )
            await call(
              base,
              key,
              'POST',
              '/api/commerce/merchant/checkout/invoice',
              { ...identity, estimateId, addressId: address.data?.['addressId'] },
              { 'idempotency-key': randomUUID() },
            )
            checkoutLatencies.push(monotonicMs() - started)
          } catch (error) {
            errors += 1
            firstError ??= error instanceof Error ? error.message : String(error)
          }
        }
      }),
    )
    const windowMs = monotonicMs() - startedAll
    checkoutLatencies.sort((a, b) => a - b)
    return {
      database: kind,
      products: CATALOG_SIZE,
      seed_seconds: seedSeconds,
      queries: queries.length,
      search_p50_ms: percentileMs(latencies, 50),
      search_p95_ms: percentileMs(latencies, 95),
      search_p99_ms: percentileMs(latencies, 99),
      search_max_ms: percentileMs(latencies, 100),
      queries_corrected: corrected,
      queries_without_results: empty,
      checkouts: checkoutLatencies.length,
      checkout_errors: errors,
      checkouts_per_s: Math.round((checkoutLatencies.length / windowMs) * 1000 * 10) / 10,
      checkout_p50_ms: percentileMs(checkoutLatencies, 50),
      checkout_p95_ms: percentileMs(checkoutLatencies, 95),
      ...(firstError !== null && { first_error: firstError }),
    }
  } finally {
    await target.cleanup()
  }
}

export async function run(): Promise<object> {
  const rows = []
  for (const kind of ['pglite', 'postgres'] as const) rows.push(await benchOne(kind))
  const postgres = rows.find((r) => r.database === 'postgres')
  const result = {
    targets: TARGETS,
    met: {
      searchP95MsPostgres:
        postgres !== undefined && postgres.search_p95_ms < TARGETS.searchP95MsPostgres,
    },
    rows,
    details: { queries: representativeQueries(), checkoutConcurrency: CHECKOUT_CONCURRENCY },
  }
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results')
  const path = join(dir, 'commerce.json')
  writeFileSync(
    `${path}.tmp`,
    `${JSON.stringify({ bench: 'commerce', finishedAt: systemClock.now().toISOString(), result }, null, 2)}\n`,
  )
  renameSync(`${path}.tmp`, path)
  return result
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run()
    .then((result) => {
      process.stdout.write(`${JSON.stringify({ ...result, details: undefined }, null, 2)}\n`)
      process.exit(0)
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      )
      process.exit(1)
    })
}
