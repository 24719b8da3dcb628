import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * The 32-byte master key that encrypts the master seed. From PEPAY_MASTER_KEY when set,
 * otherwise from `<PEPAY_DATA_DIR>/master.key`, which is created (mode 0600) on first start.
 */

export type EncryptionKeySource = 'env' | 'file' | 'created'

export interface LoadedEncryptionKey {
  key: Uint8Array
  source: EncryptionKeySource
  /** The file the key came from or was written to; absent for env. */
  keyFilePath?: string
}

export type EncryptionKeyFailure =
  'invalid-env-value' | 'invalid-key-file' | 'insecure-key-file' | 'not-a-regular-file'

export class EncryptionKeyError extends Error {
  readonly code = 'MASTER_KEY_UNUSABLE'
  readonly reason: EncryptionKeyFailure
  constructor(reason: EncryptionKeyFailure, message: string) {
    super(message)
    this.name = 'EncryptionKeyError'
    this.reason = reason
  }
}

const KEY_BYTES = 32
const HEX_KEY = /^[0-9a-fA-F]{64}$/
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/
const KEY_FILE_MODE = 0o600
// Any group/other permission bit: readable leaks the key, writable lets someone swap it.
const GROUP_OTHER_BITS = 0o077
const FORMAT_HINT = '64 hex characters or the base64 of 32 bytes'

/** Parses 64 hex chars or standard base64 of exactly 32 bytes; undefined when neither. */
export function parseEncryptionKey(text: string): Uint8Array | undefined {
  const value = text.trim()
  let key: Buffer | undefined
  if (HEX_KEY.test(value)) key = Buffer.from(value, 'hex')
  else if (BASE64_KEY.test(value)) {
    const decoded = Buffer.from(value, 'base64')
    if (decoded.toString('base64') === value) key = decoded
  }
  if (key === undefined || key.length !== KEY_BYTES) return undefined
  // An all-zero key is a placeholder left in a config template, not a secret.
  if (key.every((byte) => byte === 0)) return undefined
  return new Uint8Array(key)
}

export async function loadEncryptionKey(options: {
  envValue?: string | undefined
  keyFilePath: string
}): Promise<LoadedEncryptionKey> {
  const { envValue, keyFilePath } = options
  // Empty counts as unset: compose files often pass `PEPAY_MASTER_KEY=` through.
  if (envValue !== undefined && envValue.trim() !== '') {
    const key = parseEncryptionKey(envValue)
    if (!key) {
      throw new EncryptionKeyError('invalid-env-value', `PEPAY_MASTER_KEY must be ${FORMAT_HINT}`)
    }
    return { key, source: 'env' }
  }
  const existing = await readKeyFile(keyFilePath)
  if (existing) return { key: existing, source: 'file', keyFilePath }
  return createKeyFile(keyFilePath)
}

async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined
    throw error
  }
  try {
    // fstat on the open handle: the checked file is the file we read.
    const stats = await handle.stat()
    if (!stats.isFile()) {
      throw new EncryptionKeyError(
        'not-a-regular-file',
        `master key path ${path} is not a regular file`,
      )
    }
    if (process.platform !== 'win32' && (stats.mode & GROUP_OTHER_BITS) !== 0) {
      throw new EncryptionKeyError(
        'insecure-key-file',
        `master key file ${path} has mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}, which lets other users read or replace it; run: chmod 600 ${path}`,
      )
    }
    const key = parseEncryptionKey(await handle.readFile('utf8'))
    if (!key) {
      throw new EncryptionKeyError(
        'invalid-key-file',
        `master key file ${path} must contain ${FORMAT_HINT}`,
      )
    }
    return key
  } finally {
    await handle.close()
  }
}

/**
 * Writes a fresh key to a temporary file, then hard-links it into place. link() never replaces
 * an existing file, so two processes starting together cannot end up with different keys, and
 * readers never see a half-written file.
 */
async function createKeyFile(path: string): Promise<LoadedEncryptionKey> {
  const directory = dirname(path)
  await mkdir(directory, { recursive: true, mode: 0o700 })
  const key = new Uint8Array(randomBytes(KEY_BYTES))
  const tempPath = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tempPath, 'wx', KEY_FILE_MODE)
  try {
    try {
      await handle.chmod(KEY_FILE_MODE)
      await handle.writeFile(`${Buffer.from(key).toString('hex')}\n`, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await link(tempPath, path)
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error
      const winner = await readKeyFile(path)
      if (!winner) throw error
      return { key: winner, source: 'file', keyFilePath: path }
    }
    await syncDirectory(directory)
    return { key, source: 'created', keyFilePath: path }
  } finally {
    await unlink(tempPath).catch(() => undefined)
  }
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the new directory entry durable; not supported everywhere, and not fatal.
  const handle = await open(directory, constants.O_RDONLY).catch(() => undefined)
  if (!handle) return
  await handle.sync().catch(() => undefined)
  await handle.close()
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code
}
