/**
 * HMAC-SHA256 and constant-time comparison on Web Crypto (`crypto.subtle`), which Node ≥ 22 and
 * every current browser provide as a global: one code path for both runtimes.
 */
const encoder = new TextEncoder()

function subtle(): SubtleCrypto {
  const c = globalThis.crypto as Crypto | undefined
  if (!c?.subtle) throw new Error('Web Crypto (crypto.subtle) is not available in this runtime')
  return c.subtle
}

export type BinaryLike = string | Uint8Array | ArrayBuffer

export function toBytes(value: BinaryLike): Uint8Array<ArrayBuffer> {
  if (typeof value === 'string') return encoder.encode(value)
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  // copy into a plain ArrayBuffer-backed view (Buffer pools and SharedArrayBuffer views are not accepted by subtle)
  const copy = new Uint8Array(value.byteLength)
  copy.set(value)
  return copy
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/** Hex HMAC-SHA256 of the concatenated parts. */
export async function hmacSha256Hex(secret: BinaryLike, ...parts: BinaryLike[]): Promise<string> {
  const key = await subtle().importKey(
    'raw',
    toBytes(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const signature = await subtle().sign('HMAC', key, concat(parts.map(toBytes)))
  return toHex(new Uint8Array(signature))
}

/**
 * Compares two strings without an early exit, so the time taken does not reveal how many leading
 * characters matched. Lengths are public (hex signatures have a fixed length).
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length)
  let diff = a.length ^ b.length
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0)
  return diff === 0
}

/** RFC 4122 version-4 UUID from the runtime's CSPRNG. */
export function randomUuid(): string {
  const c = globalThis.crypto as Crypto | undefined
  if (c?.randomUUID) return c.randomUUID()
  if (!c?.getRandomValues)
    throw new Error('crypto.getRandomValues is not available in this runtime')
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const h = toHex(b)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
