/** `npm run build -w @pepay/checkout`: bundles the page, the embed script and the HTML shell into dist/. */
import { relative } from 'node:path'
import { buildCheckout, checkoutDistDir } from '../src/build.ts'

const manifest = await buildCheckout()
const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`
const rows = [manifest.js, manifest.css, manifest.embed, manifest.html]
for (const a of rows)
  process.stdout.write(
    `${a.file.padEnd(36)} ${kb(a.bytes).padStart(9)}  gzip ${kb(a.gzipBytes).padStart(8)}\n`,
  )
process.stdout.write(`page JS+CSS gzip: ${kb(manifest.js.gzipBytes + manifest.css.gzipBytes)}\n`)
process.stdout.write(`built ${relative(process.cwd(), checkoutDistDir) || 'dist'}\n`)
