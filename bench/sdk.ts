/**
 * SDK benchmark: what the `pepay` client adds per call over a hand-written `fetch` to the same
 * route in the same run (target: ≤ 10 % at p50), plus the SDK's own CPU cost per call measured
 * against an in-memory fetch (no network); and the hosted checkout page built on it: its weight
 * (JS + CSS, gzip; target < 100 kB) and its time to interactive in headless Chromium (navigation
 * start → the token picker's Continue button is on screen), cold and warm.
 *
 * Method: one server (PGlite, no workers) in this process; sequential calls (concurrency 1, so
 * latency is not queueing); raw and SDK calls alternate in small batches so drift in the machine's
 * load hits both equally. Routes: `GET /api/v1/invoices/{id}/status` (a read) and
 * `POST /api/v1/invoices` (a write with an Idempotency-Key). BENCH_SDK_CALLS sets the calls per
 * side and route (default 1500), after BENCH_SDK_WARMUP unrecorded calls (default 200).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { monotonicMs } from '@pepay/core'
import { loadConfig } from '../packages/server/src/config.ts'
import { startServer } from '../packages/server/src/server.ts'
import { onboardMerchant } from '../packages/server/src/modules/merchants/merchant.service.ts'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { buildCheckout } from '../packages/checkout/src/index.ts'
import { chainExtension } from '../packages/server/src/modules/chain/chain.extension.ts'
import { checkoutPageExtension } from '../packages/server/src/modules/checkout-page/checkout-page.extension.ts'
import { Pepay } from '../packages/sdk/src/index.ts'
import { envInt, ratio } from './lib/measurement.ts'

export const TARGETS = { overheadP50Max: 0.1, pageGzipBytesMax: 100_000 }
const CHROMIUM_PATH = process.env['PEPAY_CHROMIUM_PATH'] ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

interface Stats {
  calls: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  meanMs: number
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  const round = (x: number) => Math.round(x * 1000) / 1000
  return {
    calls: sorted.length,
    p50Ms: round(at(0.5)),
    p90Ms: round(at(0.9)),
    p99Ms: round(at(0.99)),
    meanMs: round(sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length)),
  }
}

/** Runs `a` and `b` alternately in batches of 10 and returns their latency samples. */
async function alternate(
  calls: number,
  warmup: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
) {
  for (let i = 0; i < warmup; i++) {
    await a()
    await b()
  }
  const samplesA: number[] = []
  const samplesB: number[] = []
  const BATCH = 10
  for (let done = 0; done < calls; done += BATCH) {
    for (const [fn, out] of [
      [a, samplesA],
      [b, samplesB],
    ] as const) {
      for (let i = 0; i < BATCH && done + i < calls; i++) {
        const started = monotonicMs()
        await fn()
        out.push(monotonicMs() - started)
      }
    }
  }
  return { a: stats(samplesA), b: stats(samplesB) }
}

async function expectOk(response: Response): Promise<unknown> {
  const body: unknown = await response.json()
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`)
  return body
}

/** Checkout page weight and time to interactive (median of `loads` page loads per cache state). */
async function checkoutPage(loads: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pepay-bench-page-'))
  const distDir = join(dataDir, 'checkout-dist')
  const manifest = await buildCheckout({ outDir: distDir, minify: true })
  const weight = {
    js_gzip_bytes: manifest.js.gzipBytes,
    css_gzip_bytes: manifest.css.gzipBytes,
    total_gzip_bytes: manifest.js.gzipBytes + manifest.css.gzipBytes,
    html_gzip_bytes: manifest.html.gzipBytes,
  }
  if (!existsSync(CHROMIUM_PATH))
    return { weight, tti: { skipped: `Chromium not found at ${CHROMIUM_PATH}` } }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PEPAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PEPAY_DEVNET: 'embedded',
    PEPAY_RATE_LIMIT_PER_MINUTE: '0',
  })
  const server = await startServer(config, {
    extensions: [chainExtension(config), checkoutPageExtension({ distDir })],
  })
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  })
  try {
    const merchant = await onboardMerchant(server.deps.db, server.deps.secrets, server.deps.clock, {
      name: 'Bench Page',
      email: null,
    })
    const pepay = new Pepay({ baseUrl: server.url, apiKey: merchant.merchantKey })
    const measure = async (context: Awaited<ReturnType<typeof browser.newContext>>) => {
      const invoice = await pepay.invoices.create({
        amount_usd: '19.99',
        description: 'Benchmark checkout',
      })
      const page = await context.newPage()
      await page.goto(invoice.payment_url)
      // page clock: ms from navigation start until the payer can act
      const tti = await page.waitForFunction(
        () =>
          document.querySelector('#app[data-screen="select"] [data-testid="continue"]')
            ? performance.now()
            : false,
        undefined,
        { timeout: 15_000, polling: 'raf' },
      )
      const ms = (await tti.jsonValue()) as number
      await page.close()
      return ms
    }
    const cold: number[] = []
    const warm: number[] = []
    for (let i = 0; i < loads; i++) {
      // a fresh context has an empty cache: what a payer opening the link for the first time gets
      const context = await browser.newContext()
      cold.push(await measure(context))
      warm.push(await measure(context))
      await context.close()
    }
    return { weight, tti: { loads, cold: stats(cold), warm: stats(warm) } }
  } finally {
    await browser.close()
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export async function run() {
  const env = process.env
  const calls = envInt(env, 'BENCH_SDK_CALLS', 1500)
  const warmup = envInt(env, 'BENCH_SDK_WARMUP', 200)
  const dataDir = mkdtempSync(join(tmpdir(), 'pepay-bench-sdk-'))
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PEPAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PEPAY_DEVNET: 'off',
    PEPAY_RATE_LIMIT_PER_MINUTE: '0',
  })
  const server = await startServer(config, { runWorkers: false })
  let stopped = false
  try {
    const merchant = await onboardMerchant(server.deps.db, server.deps.secrets, server.deps.clock, {
      name: 'Bench SDK',
      email: null,
    })
    const base = server.url
    const key = merchant.merchantKey
    const pepay = new Pepay({ baseUrl: base, apiKey: key, maxRetries: 0 })
    const invoiceId = (await pepay.invoices.create({ amount_usd: '49.99' })).invoice_id
    const body = { amount_usd: '49.99', description: 'Benchmark invoice', customer_id: 'bench_sdk' }

    const rawStatus = () =>
      fetch(`${base}/api/v1/invoices/${invoiceId}/status`, {
        headers: { 'x-api-key': key, accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      }).then(expectOk)
    const sdkStatus = () => pepay.invoices.status(invoiceId)
    const rawCreate = () =>
      fetch(`${base}/api/v1/invoices`, {
        method: 'POST',
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          accept: 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      }).then(expectOk)
    const sdkCreate = () => pepay.invoices.create(body)

    const status = await alternate(calls, warmup, rawStatus, sdkStatus)
    const create = await alternate(
      Math.max(100, Math.floor(calls / 3)),
      Math.min(warmup, 50),
      rawCreate,
      sdkCreate,
    )

    // the SDK's own work per call (auth header, key, query, JSON, error mapping) with no network
    const canned = JSON.stringify({
      object: 'invoice_status',
      invoice: { id: invoiceId, status: 'unpaid' },
      latest_payment: null,
    })
    const stub = new Pepay({
      baseUrl: base,
      apiKey: key,
      fetch: async () =>
        new Response(canned, {
          status: 200,
          headers: { 'content-type': 'application/json', 'x-request-id': 'req_x' },
        }),
    })
    const rawStub = async () => (await new Response(canned, { status: 200 }).json()) as unknown
    const inMemory = await alternate(calls * 2, warmup, rawStub, () =>
      stub.invoices.status(invoiceId),
    )

    const rows = [
      {
        route: 'GET /api/v1/invoices/{id}/status',
        raw_p50_ms: status.a.p50Ms,
        sdk_p50_ms: status.b.p50Ms,
        raw_p99_ms: status.a.p99Ms,
        sdk_p99_ms: status.b.p99Ms,
        overhead_p50: ratio(status.b.p50Ms - status.a.p50Ms, status.a.p50Ms),
      },
      {
        route: 'POST /api/v1/invoices',
        raw_p50_ms: create.a.p50Ms,
        sdk_p50_ms: create.b.p50Ms,
        raw_p99_ms: create.a.p99Ms,
        sdk_p99_ms: create.b.p99Ms,
        overhead_p50: ratio(create.b.p50Ms - create.a.p50Ms, create.a.p50Ms),
      },
    ]
    const checks: { target: string; subject: string; actual: number; pass: boolean }[] = rows.map(
      (r) => ({
        target: `SDK overhead at p50 ≤ ${TARGETS.overheadP50Max * 100} %`,
        subject: r.route,
        actual: r.overhead_p50,
        pass: r.overhead_p50 <= TARGETS.overheadP50Max,
      }),
    )
    await server.stop()
    stopped = true
    const page = await checkoutPage(envInt(env, 'BENCH_PAGE_LOADS', 5))
    checks.push({
      target: `checkout page JS + CSS gzip < ${TARGETS.pageGzipBytesMax} bytes`,
      subject: 'checkout page',
      actual: page.weight.total_gzip_bytes,
      pass: page.weight.total_gzip_bytes < TARGETS.pageGzipBytesMax,
    })
    return {
      summary: rows,
      checkout_page: {
        ...page.weight,
        ...('skipped' in page.tti
          ? { tti: page.tti.skipped }
          : {
              tti_cold_p50_ms: page.tti.cold.p50Ms,
              tti_warm_p50_ms: page.tti.warm.p50Ms,
              loads: page.tti.loads,
            }),
      },
      sdk_cpu_per_call_us: {
        p50: Math.round((inMemory.b.p50Ms - inMemory.a.p50Ms) * 1000 * 10) / 10,
        p99: Math.round((inMemory.b.p99Ms - inMemory.a.p99Ms) * 1000 * 10) / 10,
      },
      checks,
      pass: checks.every((c) => c.pass),
      details: {
        settings: { calls, warmup, database: 'pglite', concurrency: 1 },
        status,
        create,
        inMemory,
        page,
      },
    }
  } finally {
    if (!stopped) await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
