import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { generateMnemonic, mnemonicToSeed, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { seedFingerprint } from './derive.ts'

/**
 * The master seed lives in one shared row, encrypted. The plaintext is the BIP-39 mnemonic (so an
 * operator can write it down); the 64-byte seed is derived from it with an empty passphrase.
 *
 * Blob: `v1.<base64 nonce (12 bytes)>.<base64 ciphertext ‖ GCM tag (16 bytes)>`, AES-256-GCM,
 * AAD "pepay-master-seed-v1". The AES key is HKDF-SHA256(master key, info "pepay/master-seed/v1")
 * so the same master key can protect other secrets without key reuse across purposes.
 */

export interface SeedStore {
  load(): Promise<string | undefined>
  /** Insert-if-absent. Returns false when another process saved a seed first. */
  save(blob: string): Promise<boolean>
}

export interface OpenedSeedVault {
  seed: Uint8Array
  /** BIP-32 master fingerprint, 8 hex chars; safe to log. */
  fingerprint: string
  /** True when this call generated and stored the seed. */
  created: boolean
}

export type SeedDecryptFailure =
  'malformed-blob' | 'unsupported-version' | 'wrong-key-or-tampered' | 'invalid-mnemonic'

export class SeedDecryptError extends Error {
  readonly code = 'SEED_DECRYPT_FAILED'
  readonly reason: SeedDecryptFailure
  constructor(reason: SeedDecryptFailure, message: string) {
    super(message)
    this.name = 'SeedDecryptError'
    this.reason = reason
  }
}

export class SeedVaultStateError extends Error {
  readonly code: 'SEED_NOT_INITIALIZED' | 'SEED_ALREADY_INITIALIZED' | 'SEED_STORE_INCONSISTENT'
  constructor(code: SeedVaultStateError['code'], message: string) {
    super(message)
    this.name = 'SeedVaultStateError'
    this.code = code
  }
}

export const SEED_BLOB_VERSION = 'v1'
export const SEED_BLOB_AAD = 'pepay-master-seed-v1'
const HKDF_INFO = 'pepay/master-seed/v1'
const KEY_BYTES = 32
const NONCE_BYTES = 12
const TAG_BYTES = 16
const MNEMONIC_STRENGTH_BITS = 256
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

function assertEncryptionKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new RangeError(`encryption key must be ${KEY_BYTES} bytes`)
  }
}

function seedBlobKey(encryptionKey: Uint8Array): Buffer {
  assertEncryptionKey(encryptionKey)
  return Buffer.from(hkdfSync('sha256', encryptionKey, new Uint8Array(0), HKDF_INFO, KEY_BYTES))
}

function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  // Round-trip so non-canonical padding or stray characters cannot alias another blob.
  return bytes.toString('base64') === text ? bytes : undefined
}

/** Canonical mnemonic text: lowercase words separated by single spaces. */
export function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ')
}

export function sealMnemonic(mnemonic: string, encryptionKey: Uint8Array): string {
  const normalized = normalizeMnemonic(mnemonic)
  if (!validateMnemonic(normalized, wordlist)) throw new RangeError('not a valid BIP-39 mnemonic')
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', seedBlobKey(encryptionKey), nonce, {
    authTagLength: TAG_BYTES,
  })
  cipher.setAAD(Buffer.from(SEED_BLOB_AAD, 'utf8'))
  const ciphertext = Buffer.concat([
    cipher.update(normalized, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ])
  return `${SEED_BLOB_VERSION}.${nonce.toString('base64')}.${ciphertext.toString('base64')}`
}

export function unsealMnemonic(blob: string, encryptionKey: Uint8Array): string {
  const key = seedBlobKey(encryptionKey)
  const parts = blob.split('.')
  if (parts.length !== 3) {
    throw new SeedDecryptError(
      'malformed-blob',
      'stored master seed is not a v1.<nonce>.<ciphertext> blob',
    )
  }
  const [version, nonceText, sealedText] = parts as [string, string, string]
  if (version !== SEED_BLOB_VERSION) {
    throw new SeedDecryptError(
      'unsupported-version',
      `stored master seed uses format "${version.slice(0, 16)}", this server reads "${SEED_BLOB_VERSION}"`,
    )
  }
  const nonce = decodeBase64Strict(nonceText)
  const sealed = decodeBase64Strict(sealedText)
  if (!nonce || nonce.length !== NONCE_BYTES || !sealed || sealed.length <= TAG_BYTES) {
    throw new SeedDecryptError(
      'malformed-blob',
      'stored master seed blob has a bad nonce or ciphertext',
    )
  }
  let plaintext: string
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(Buffer.from(SEED_BLOB_AAD, 'utf8'))
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    plaintext = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8')
  } catch {
    throw new SeedDecryptError(
      'wrong-key-or-tampered',
      'cannot decrypt the stored master seed: PEPAY_MASTER_KEY (or the master.key file) is not the key it was encrypted with, or the stored blob was altered',
    )
  }
  if (!validateMnemonic(plaintext, wordlist)) {
    throw new SeedDecryptError(
      'invalid-mnemonic',
      'decrypted master seed is not a valid BIP-39 mnemonic',
    )
  }
  return plaintext
}

/** Re-encrypts the stored blob under a new master key (key rotation); the seed is unchanged. */
export function reencryptSeedBlob(options: {
  blob: string
  currentKey: Uint8Array
  nextKey: Uint8Array
}): string {
  return sealMnemonic(unsealMnemonic(options.blob, options.currentKey), options.nextKey)
}

async function openBlob(
  blob: string,
  encryptionKey: Uint8Array,
  created: boolean,
): Promise<OpenedSeedVault> {
  const seed = await mnemonicToSeed(unsealMnemonic(blob, encryptionKey))
  return { seed, fingerprint: seedFingerprint(seed), created }
}

/**
 * Loads the master seed, creating it on first use. Never replaces an existing seed: a blob that
 * does not decrypt is an error, because a fresh seed would orphan every derived deposit address.
 */
export async function openSeedVault(options: {
  store: SeedStore
  encryptionKey: Uint8Array
}): Promise<OpenedSeedVault> {
  const { store, encryptionKey } = options
  assertEncryptionKey(encryptionKey)
  const existing = await store.load()
  if (existing !== undefined) return openBlob(existing, encryptionKey, false)

  const blob = sealMnemonic(generateMnemonic(wordlist, MNEMONIC_STRENGTH_BITS), encryptionKey)
  if (await store.save(blob)) return openBlob(blob, encryptionKey, true)

  // Another process created the seed between our load and save: use theirs.
  const winner = await store.load()
  if (winner === undefined) {
    throw new SeedVaultStateError(
      'SEED_STORE_INCONSISTENT',
      'seed store refused the new seed but holds none; check the master seed table',
    )
  }
  return openBlob(winner, encryptionKey, false)
}

/** The 24 backup words. Shown to the operator once, by an explicit backup command. */
export async function exportMnemonic(options: {
  store: SeedStore
  encryptionKey: Uint8Array
}): Promise<string> {
  const blob = await options.store.load()
  if (blob === undefined) {
    throw new SeedVaultStateError('SEED_NOT_INITIALIZED', 'no master seed has been created yet')
  }
  return unsealMnemonic(blob, options.encryptionKey)
}

/**
 * Restores a backed-up mnemonic into an empty store, encrypted under `encryptionKey`.
 * Refuses to overwrite: replacing a live seed would orphan its deposit addresses.
 */
export async function restoreSeedVault(options: {
  store: SeedStore
  encryptionKey: Uint8Array
  mnemonic: string
}): Promise<OpenedSeedVault> {
  const blob = sealMnemonic(options.mnemonic, options.encryptionKey)
  if (!(await options.store.save(blob))) {
    throw new SeedVaultStateError(
      'SEED_ALREADY_INITIALIZED',
      'a master seed already exists; restore only into an empty database',
    )
  }
  return openBlob(blob, options.encryptionKey, true)
}
