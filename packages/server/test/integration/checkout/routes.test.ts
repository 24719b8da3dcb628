import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { after, before, describe, it } from 'node:test'
import { loadCheckoutAssets } from '../../../src/modules/checkout-page/checkout-page.assets.ts'
import { checkoutPageExtension } from '../../../src/modules/checkout-page/checkout-page.extension.ts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'

/** JS+CSS of the page, gzip-compressed, must stay under this (the page-weight target). */
const PAGE_BUDGET_GZIP_BYTES = 100 * 1024

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, { headers })
  return {
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  }
}

describe('GET /pay, /pay/assets/*, /embed.js', () => {
  let t: TestServer
  let paymentUrl: string

  before(async () => {
    t = await startTestServer()
    const merchant = await t.onboard('Acme')
    const api = apiClient(t.url, keyHeaders(merchant.merchantKey))
    const created = await api('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: 10 },
    })
    assert.equal(created.status, 201)
    paymentUrl = created.body.payment_url
  })
  after(async () => t.close())

  it('serves the HTML shell at every invoice payment_url with a self-only CSP and no referrer', async () => {
    assert.ok(paymentUrl.startsWith(`${t.url}/pay?session=`))
    const res = await get(paymentUrl)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8')
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /^default-src 'self';/)
    assert.match(csp, /img-src 'self' data:/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
    assert.equal(res.headers.get('cache-control'), 'no-store')
    const html = res.body.toString('utf8')
    assert.match(
      html,
      /<script type="module" src="\/pay\/assets\/checkout\.[A-Z0-9]+\.js"><\/script>/,
    )
    assert.match(html, /<link rel="stylesheet" href="\/pay\/assets\/style\.[A-Z0-9]+\.css">/)
    // nothing inline: the CSP allows no inline script or style
    assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/)
    assert.doesNotMatch(html, /https?:\/\//, 'the shell names no other origin')
  })

  it('lets only the embed mode be framed, by any site', async () => {
    const res = await get(`${paymentUrl}&embed=1`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors \*/)
  })

  it('serves the hashed bundles for a year, gzipped on request, within the page-weight budget', async () => {
    const html = (await get(paymentUrl)).body.toString('utf8')
    const paths = [...html.matchAll(/(\/pay\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '')
    assert.equal(paths.length, 2)
    let gzipBytes = 0
    for (const path of paths) {
      const plain = await get(`${t.url}${path}`)
      assert.equal(plain.status, 200)
      assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable')
      assert.match(
        plain.headers.get('content-type') ?? '',
        path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/,
      )
      assert.equal(plain.headers.get('x-content-type-options'), 'nosniff')
      const zipped = await get(`${t.url}${path}`, { 'accept-encoding': 'gzip' })
      // fetch decodes gzip itself: the body it hands over must equal the plain one
      assert.deepEqual(zipped.body, plain.body)
      gzipBytes += Number(zipped.headers.get('content-length') ?? 'NaN')
    }
    assert.ok(
      gzipBytes > 0 && gzipBytes < PAGE_BUDGET_GZIP_BYTES,
      `page JS+CSS is ${gzipBytes} gzip bytes`,
    )
  })

  it('answers 404 for an unknown or path-traversing asset name', async () => {
    for (const name of [
      'checkout.NOPE.js',
      '..%2Fmanifest.json',
      '..%2F..%2Fpackage.json',
      'index.html',
    ]) {
      const res = await get(`${t.url}/pay/assets/${name}`)
      assert.equal(res.status, 404, name)
      assert.equal(res.headers.get('cache-control'), 'no-store')
    }
  })

  it('serves /embed.js for any merchant page to load', async () => {
    const res = await get(`${t.url}/embed.js`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin')
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300')
    assert.match(res.body.toString('utf8'), /pepay:close/)
  })

  it('keeps the page routes out of the OpenAPI document', async () => {
    const res = await get(`${t.url}/openapi.json`)
    assert.equal(res.status, 200)
    const paths = Object.keys(
      (JSON.parse(res.body.toString('utf8')) as { paths: Record<string, unknown> }).paths,
    )
    assert.equal(
      paths.some((p) => p === '/pay' || p.startsWith('/pay/') || p === '/embed.js'),
      false,
    )
  })
})

describe('checkout page build on first start', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'pepay-checkout-')), 'dist')
  after(() => rmSync(join(dir, '..'), { recursive: true, force: true }))

  it('builds the page into a missing dist directory, then reuses it', async () => {
    assert.equal(existsSync(dir), false)
    const built = await loadCheckoutAssets(dir)
    assert.ok(existsSync(join(dir, 'manifest.json')))
    assert.ok(built.manifest.js.gzipBytes + built.manifest.css.gzipBytes < PAGE_BUDGET_GZIP_BYTES)
    assert.equal(gunzipSync(built.shell.gzip).toString('utf8'), built.shell.body.toString('utf8'))
    const again = await loadCheckoutAssets(dir)
    assert.equal(
      again.manifest.js.file,
      built.manifest.js.file,
      'the same sources give the same hashed name',
    )
  })

  it('answers 503 with build instructions when the page cannot be built', async () => {
    const file = join(dir, '..', 'not-a-directory')
    writeFileSync(file, 'x')
    const t = await startTestServer({
      extensions: [checkoutPageExtension({ distDir: join(file, 'dist') })],
    })
    try {
      const res = await get(`${t.url}/pay?session=pst_x&signature=y`)
      assert.equal(res.status, 503)
      assert.match(res.body.toString('utf8'), /npm run build -w @pepay\/checkout/)
      // the API itself still runs
      assert.equal((await get(`${t.url}/healthz`)).status, 200)
    } finally {
      await t.close()
    }
  })
})
