import { createHash } from 'node:crypto'

const PALETTE = [
  '#2563eb',
  '#16a34a',
  '#dc2626',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#4f46e5',
  '#65a30d',
  '#db2777',
  '#475569',
]

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  )
}

/**
 * A small generated SVG for a sandbox product, as a data URI: the catalog needs images without
 * any network access. Deterministic per product id; a few hundred bytes.
 */
export function productImageDataUri(productId: string, label: string, variant = 0): string {
  const digest = createHash('sha256').update(`${productId}:${variant}`).digest()
  const background = PALETTE[(digest[0] ?? 0) % PALETTE.length] ?? '#475569'
  const accent = PALETTE[(digest[1] ?? 0) % PALETTE.length] ?? '#2563eb'
  const initials = escapeXml(
    label
      .split(/\s+/)
      .filter((w) => /^[A-Za-z0-9]/.test(w))
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase() ?? '')
      .join(''),
  )
  const radius = 40 + ((digest[2] ?? 0) % 40)
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">` +
    `<rect width="256" height="256" fill="${background}"/>` +
    `<circle cx="128" cy="112" r="${radius}" fill="${accent}" opacity="0.85"/>` +
    `<text x="128" y="226" font-family="sans-serif" font-size="36" fill="#fff" text-anchor="middle">${initials}</text></svg>`
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`
}
