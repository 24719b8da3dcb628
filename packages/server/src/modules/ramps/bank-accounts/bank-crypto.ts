import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'

export const BANK_KEY_VERSION = 'ramps_bank_v1'
const IV_BYTES = 12
const TAG_BYTES = 16

export interface BankCrypto {
  readonly keyVersion: string
  /** AES-256-GCM; the associated data binds a ciphertext to its row, so it cannot be moved to another. */
  encrypt(plaintext: string, associatedData: string): Buffer
  decrypt(sealed: Uint8Array, associatedData: string): string
  /** Keyed hash for duplicate detection without storing the details in clear. */
  fingerprint(text: string): Buffer
}

/** Keys derived (HKDF-SHA256) from the `ramps_bank_v1` platform secret, one per purpose. */
export function createBankCrypto(secret: Uint8Array): BankCrypto {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', secret, 'pepay-ramps', info, 32))
  const encryptionKey = derive('bank details encryption v1')
  const fingerprintKey = derive('bank details fingerprint v1')
  return {
    keyVersion: BANK_KEY_VERSION,
    encrypt(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv)
      cipher.setAAD(Buffer.from(associatedData))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body])
    },
    decrypt(sealed, associatedData) {
      const buffer = Buffer.from(sealed)
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, buffer.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(associatedData))
      decipher.setAuthTag(buffer.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      return Buffer.concat([decipher.update(buffer.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
    },
    fingerprint(text) {
      return createHmac('sha256', fingerprintKey).update(text).digest()
    },
  }
}
