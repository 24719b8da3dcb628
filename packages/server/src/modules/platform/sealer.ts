import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/** What every sealed value starts with (a stored value without it predates sealing). */
export const SEALED_PREFIX = 'sealed:v1:'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Encrypts secrets the platform must read back in clear (webhook signing secrets) before they are
 * stored: AES-256-GCM under a key derived (HKDF-SHA256) from the master key that also protects the
 * HD seed (docs/keys.md), so a copy of the database alone does not reveal them. The context (e.g.
 * the endpoint id) is authenticated data: a sealed value moved to another row does not open.
 */
export interface Sealer {
  seal(plaintext: string, context: string): string
  /** Opens a sealed value; a value stored before sealing existed is returned as it is. */
  open(stored: string, context: string): string
  isSealed(stored: string): boolean
}

export function createSealer(masterKey: Uint8Array): Sealer {
  const key = Buffer.from(hkdfSync('sha256', masterKey, 'pepay-sealer', 'stored secrets v1', 32))
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(context))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return `${SEALED_PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`
    },
    open(stored, context) {
      if (!stored.startsWith(SEALED_PREFIX)) return stored
      const sealed = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64')
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(context))
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      return Buffer.concat([
        decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8')
    },
    isSealed: (stored) => stored.startsWith(SEALED_PREFIX),
  }
}
