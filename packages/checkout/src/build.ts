/**
 * Builds the checkout page into `dist/`: a hashed JS and CSS bundle under `dist/assets/`, the HTML
 * shell `dist/index.html` that loads them, `dist/embed.js` (the modal opener) and
 * `dist/manifest.json` (file names and sizes). The server serves `dist/` as is.
 *
 * The build writes a sibling temp folder and renames it into place, so a server never reads a
 * half-written `dist/` and two processes building at once both end with a complete one.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export const checkoutRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
export const checkoutDistDir = join(checkoutRoot, 'dist')

export interface CheckoutAsset {
  /** Path under dist/ ("assets/checkout.3F2A1B.js"). */
  file: string
  bytes: number
  gzipBytes: number
}

export interface CheckoutManifest {
  version: 1
  js: CheckoutAsset
  css: CheckoutAsset
  embed: CheckoutAsset
  html: CheckoutAsset
}

/** Browsers the bundle targets: the last few years of evergreen browsers and iOS 15+. */
const TARGETS = ['es2022', 'chrome100', 'firefox100', 'safari15.4', 'edge100']

function asset(dir: string, file: string): CheckoutAsset {
  const bytes = readFileSync(join(dir, file))
  return { file, bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength }
}

/** The HTML shell: no inline script or style, so the page runs under `default-src 'self'`. */
export function renderShell(assets: { js: string; css: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    '<meta name="color-scheme" content="light dark">',
    '<title>Pepay checkout</title>',
    // an empty icon: browsers would otherwise request /favicon.ico
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="/pay/${assets.css}">`,
    `<script type="module" src="/pay/${assets.js}"></script>`,
    '</head>',
    '<body>',
    '<div id="app" class="app"><main class="card" aria-busy="true"><p>Loading payment details…</p></main></div>',
    '<noscript><p class="app">This payment page needs JavaScript. Please enable it, or open the link in another browser.</p></noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

export async function buildCheckout(
  options: { outDir?: string; minify?: boolean } = {},
): Promise<CheckoutManifest> {
  const esbuild = await import('esbuild')
  const outDir = options.outDir ?? checkoutDistDir
  const startedMs = Date.now()
  const staging = `${outDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(join(staging, 'assets'), { recursive: true })
  const minify = options.minify ?? true
  try {
    const page = await esbuild.build({
      entryPoints: {
        checkout: join(checkoutRoot, 'src/page/main.ts'),
        style: join(checkoutRoot, 'src/page/checkout.css'),
      },
      outdir: join(staging, 'assets'),
      entryNames: '[name].[hash]',
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: TARGETS,
      // the SDK's TypeScript sources (its `development` export): no SDK build step needed first
      conditions: ['development'],
      minify,
      sourcemap: false,
      legalComments: 'eof',
      metafile: true,
      logLevel: 'silent',
    })
    const embed = await esbuild.build({
      entryPoints: [join(checkoutRoot, 'src/embed/embed.ts')],
      outfile: join(staging, 'embed.js'),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: TARGETS,
      minify,
      legalComments: 'eof',
      logLevel: 'silent',
    })
    if (page.errors.length > 0 || embed.errors.length > 0) throw new Error('checkout build failed')
    const outputs = Object.keys(page.metafile.outputs).map((p) =>
      relative(staging, join(process.cwd(), p)).replaceAll('\\', '/'),
    )
    const js = outputs.find((f) => /^assets\/checkout\.[A-Z0-9]+\.js$/.test(f))
    const css = outputs.find((f) => /^assets\/style\.[A-Z0-9]+\.css$/.test(f))
    if (!js || !css)
      throw new Error(`checkout build produced no page bundle (${outputs.join(', ')})`)
    writeFileSync(join(staging, 'index.html'), renderShell({ js, css }))
    const manifest: CheckoutManifest = {
      version: 1,
      js: asset(staging, js),
      css: asset(staging, css),
      embed: asset(staging, 'embed.js'),
      html: asset(staging, 'index.html'),
    }
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    // another process finished a build of the same sources meanwhile: keep it (no swap under a reader)
    const theirs = readManifest(outDir)
    if (theirs && statSync(join(outDir, 'manifest.json')).mtimeMs >= startedMs) return theirs
    rmSync(outDir, { recursive: true, force: true })
    try {
      renameSync(staging, outDir)
    } catch (error) {
      // another process put a complete build in place between our rm and rename: keep theirs
      if (!existsSync(join(outDir, 'manifest.json'))) throw error
    }
    return manifest
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}

export function readManifest(dir: string = checkoutDistDir): CheckoutManifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as unknown
    // a manifest from another build format is treated as no build
    return (manifest as { version?: unknown }).version === 1
      ? (manifest as CheckoutManifest)
      : undefined
  } catch {
    return undefined
  }
}

function newestMtimeMs(dir: string, depth = 0): number {
  // bounded walk: the sources are a handful of shallow folders
  if (depth > 4 || !existsSync(dir)) return 0
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(path, depth + 1))
    else newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

/** Sources the bundle is made of: this package's and the SDK's. */
function sourceDirs(): string[] {
  return [join(checkoutRoot, 'src'), join(checkoutRoot, '..', 'sdk', 'src')]
}

/**
 * The manifest of a current build, building first when `dist/` is missing or older than the
 * sources (a fresh clone, or a developer's edit). Without esbuild installed (a production install
 * without dev dependencies) an existing build is used as it is.
 */
export async function ensureCheckoutBuilt(
  dir: string = checkoutDistDir,
): Promise<CheckoutManifest> {
  const manifest = readManifest(dir)
  if (manifest) {
    const builtMs = statSync(join(dir, 'manifest.json')).mtimeMs
    const stale = sourceDirs().some((d) => newestMtimeMs(d) > builtMs)
    if (!stale) return manifest
    try {
      return await buildCheckout({ outDir: dir })
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return manifest
      throw error
    }
  }
  return buildCheckout({ outDir: dir })
}
