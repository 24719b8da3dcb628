import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { checkoutDistDir, ensureCheckoutBuilt, type CheckoutManifest } from '@pepay/checkout'

export interface StaticFile {
  body: Buffer
  gzip: Buffer
  contentType: string
}

/** The built checkout page, held in memory (a few tens of kB) with a gzip copy of each file. */
export interface CheckoutAssets {
  manifest: CheckoutManifest
  shell: StaticFile
  embed: StaticFile
  /** Keyed by the file name under /pay/assets/ ("checkout.3F2A1B.js"). */
  assets: Map<string, StaticFile>
}

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
}

function load(dir: string, file: string): StaticFile {
  const body = readFileSync(join(dir, file))
  const ext = file.slice(file.lastIndexOf('.') + 1)
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
  }
}

/** Builds the page when dist/ is missing or stale (fresh clone), then reads it into memory. */
export async function loadCheckoutAssets(dir: string = checkoutDistDir): Promise<CheckoutAssets> {
  // two attempts: a concurrent build elsewhere may swap dist/ between our build and our read
  for (let attempt = 1; ; attempt++) {
    const manifest = await ensureCheckoutBuilt(dir)
    try {
      const assets = new Map<string, StaticFile>()
      for (const a of [manifest.js, manifest.css])
        assets.set(a.file.replace(/^assets\//, ''), load(dir, a.file))
      return { manifest, shell: load(dir, 'index.html'), embed: load(dir, 'embed.js'), assets }
    } catch (error) {
      if (attempt >= 2) throw error
    }
  }
}
