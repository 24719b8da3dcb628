/**
 * Headless Chromium for the checkout page suites: Debian's /usr/bin/chromium driven by
 * playwright-core (never a browser download). Browser suites run in the PGlite pass only.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { TEST_DB } from '../../helpers/server.ts'

export const CHROMIUM_PATH = process.env['PEPAY_CHROMIUM_PATH'] ?? '/usr/bin/chromium'
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

/** Screenshots land here (git-ignored), one folder per suite. */
export const ARTIFACTS_DIR = join(import.meta.dirname, '../../../../../test-artifacts/checkout')

/**
 * Why a browser suite does not run here, or undefined when it runs. In CI a missing Chromium is
 * not a reason: the suite runs and fails on launch, so a broken install step cannot pass silently.
 */
export function browserSkipReason(): string | undefined {
  if (TEST_DB !== 'pglite')
    return 'browser suites run in the PGlite pass only (the page does not touch the database directly)'
  if (!existsSync(CHROMIUM_PATH) && !process.env['CI']) {
    return `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium); CI fails instead of skipping`
  }
  return undefined
}

export function reportSkip(suite: string, reason: string | undefined): void {
  if (reason) process.stdout.write(`# ${suite}: skipped: ${reason}\n`)
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium is required for the checkout browser suites and is missing at ${CHROMIUM_PATH}: apt-get install -y chromium`,
    )
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 })
}

export function screenshotPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
  return join(ARTIFACTS_DIR, `${name}.png`)
}

/** Records every request the page makes that leaves `origin` (data: URIs are not requests). */
export function watchExternalRequests(page: Page, origin: string): string[] {
  const external: string[] = []
  page.on('request', (request) => {
    const url = request.url()
    if (url.startsWith('data:') || url.startsWith('blob:')) return
    if (new URL(url).origin !== origin) external.push(url)
  })
  return external
}

/** Collects uncaught page errors and CSP violations (console messages Chromium prints for them). */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    const text = message.text()
    if (message.type() === 'error' && /Content Security Policy/i.test(text))
      errors.push(`csp: ${text}`)
  })
  return errors
}

/** WCAG contrast ratio of the text of every element matching `selector` against its painted background. */
export async function contrastRatios(
  page: Page,
  selector: string,
): Promise<{ text: string; ratio: number }[]> {
  return page.$$eval(selector, (elements) => {
    const parse = (color: string): [number, number, number, number] => {
      const m = color.match(/rgba?\(([^)]+)\)/)
      if (!m || !m[1]) return [0, 0, 0, 0]
      const parts = m[1]
        .split(/[,\s/]+/)
        .filter(Boolean)
        .map((p) => Number.parseFloat(p))
      return [parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, parts[3] ?? 1]
    }
    const luminance = ([r, g, b]: [number, number, number, number]): number => {
      const channel = (c: number): number => {
        const s = c / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      }
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }
    const background = (el: Element | null): [number, number, number, number] => {
      for (let node = el; node; node = node.parentElement) {
        const c = parse(getComputedStyle(node).backgroundColor)
        if (c[3] > 0.5) return c
      }
      return [255, 255, 255, 1]
    }
    return elements
      .filter(
        (el) =>
          (el.textContent ?? '').trim().length > 0 && (el as HTMLElement).offsetParent !== null,
      )
      .map((el) => {
        const fg = luminance(parse(getComputedStyle(el).color))
        const bg = luminance(background(el))
        const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)
        return {
          text: (el.textContent ?? '').trim().slice(0, 40),
          ratio: Math.round(ratio * 100) / 100,
        }
      })
  })
}
