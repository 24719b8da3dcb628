/**
 * Page weight and time to interactive of the checkout page, for `npm run bench -- sdk`:
 *
 * ```ts
 * import { measureCheckoutPage } from '@pepay/checkout/bench'
 * const page = await measureCheckoutPage({ paymentUrl: invoice.payment_url })
 * ```
 *
 * Weight is the gzip size of the built JS and CSS (what a payer downloads; the HTML shell is
 * reported beside it). Time to interactive is measured in headless Chromium, each run in a fresh
 * browser context (cold cache): from navigation start to the moment the payer can choose a token,
 * which includes loading the bundle and the page's first API calls.
 */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { ensureCheckoutBuilt } from './src/build.ts'

/** The page-weight target of the checkout page (JS + CSS, gzip). */
export const PAGE_WEIGHT_BUDGET_BYTES = 100 * 1024

export interface MeasureCheckoutPageOptions {
  /** An unpaid invoice's `payment_url` on a running server. */
  paymentUrl: string
  /** Cold loads to time (default 5, at most 50). */
  runs?: number
  chromiumPath?: string
  /** Per-load deadline (default 15 s). */
  timeoutMs?: number
  /** Viewport of the loads (default 375 × 812, a phone). */
  viewport?: { width: number; height: number }
}

export interface CheckoutPageMeasurement {
  weight: {
    jsGzipBytes: number
    cssGzipBytes: number
    /** JS + CSS, gzip: the number held against the budget. */
    totalGzipBytes: number
    htmlGzipBytes: number
    jsBytes: number
    cssBytes: number
    budgetBytes: number
    withinBudget: boolean
  }
  timeToInteractiveMs: { p50: number; min: number; max: number; runs: number[] }
  /** Navigation timing of the same loads, medians. */
  domContentLoadedMs: number
  loadEventMs: number
  /** Requests per load (same origin only: the page makes no other). */
  requestsPerLoad: number
  /** Requests to another origin across all loads (expected 0). */
  externalRequests: number
  viewport: { width: number; height: number }
  chromium: string
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

const round = (ms: number): number => Math.round(ms * 10) / 10

/** Records, inside the page, when the token choice first becomes usable. */
const MARK_INTERACTIVE = `(() => {
  const selector = '#app[data-screen="select"] [data-testid="continue"]:not([aria-disabled="true"])'
  const check = () => {
    if (window.__pepayInteractiveMs === undefined && document.querySelector(selector)) {
      window.__pepayInteractiveMs = performance.now()
      observer.disconnect()
    }
  }
  const observer = new MutationObserver(check)
  observer.observe(document, { childList: true, subtree: true, attributes: true })
})()`

export async function measureCheckoutPage(
  options: MeasureCheckoutPageOptions,
): Promise<CheckoutPageMeasurement> {
  const manifest = await ensureCheckoutBuilt()
  const chromiumPath = options.chromiumPath ?? '/usr/bin/chromium'
  if (!existsSync(chromiumPath))
    throw new Error(`Chromium is missing at ${chromiumPath}: apt-get install -y chromium`)
  const runs = Math.max(1, Math.min(options.runs ?? 5, 50))
  const timeoutMs = options.timeoutMs ?? 15_000
  const viewport = options.viewport ?? { width: 375, height: 812 }
  const origin = new URL(options.paymentUrl).origin

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  })
  const tti: number[] = []
  const dcl: number[] = []
  const load: number[] = []
  const requests: number[] = []
  let external = 0
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport })
      try {
        const page = await context.newPage()
        let count = 0
        page.on('request', (request) => {
          const url = request.url()
          if (url.startsWith('data:')) return
          count += 1
          if (new URL(url).origin !== origin) external += 1
        })
        await page.addInitScript(MARK_INTERACTIVE)
        await page.goto(options.paymentUrl, { waitUntil: 'load', timeout: timeoutMs })
        await page.waitForFunction(
          () =>
            (window as unknown as { __pepayInteractiveMs?: number }).__pepayInteractiveMs !==
            undefined,
          null,
          { timeout: timeoutMs },
        )
        const timing = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as
            PerformanceNavigationTiming | undefined
          return {
            interactive: (window as unknown as { __pepayInteractiveMs: number })
              .__pepayInteractiveMs,
            domContentLoaded: nav?.domContentLoadedEventEnd ?? 0,
            load: nav?.loadEventEnd ?? 0,
          }
        })
        tti.push(timing.interactive)
        dcl.push(timing.domContentLoaded)
        load.push(timing.load)
        requests.push(count)
      } finally {
        await context.close()
      }
    }
  } finally {
    await browser.close()
  }

  const total = manifest.js.gzipBytes + manifest.css.gzipBytes
  return {
    weight: {
      jsGzipBytes: manifest.js.gzipBytes,
      cssGzipBytes: manifest.css.gzipBytes,
      totalGzipBytes: total,
      htmlGzipBytes: manifest.html.gzipBytes,
      jsBytes: manifest.js.bytes,
      cssBytes: manifest.css.bytes,
      budgetBytes: PAGE_WEIGHT_BUDGET_BYTES,
      withinBudget: total < PAGE_WEIGHT_BUDGET_BYTES,
    },
    timeToInteractiveMs: {
      p50: round(median(tti)),
      min: round(Math.min(...tti)),
      max: round(Math.max(...tti)),
      runs: tti.map(round),
    },
    domContentLoadedMs: round(median(dcl)),
    loadEventMs: round(median(load)),
    requestsPerLoad: median(requests),
    externalRequests: external,
    viewport,
    chromium: browser.version(),
  }
}
