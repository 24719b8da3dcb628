import { AppError, ID_PREFIX, monotonicMs, randomToken, uuidv7, type Clock } from '@pepay/core'
import type { Environment } from '@pepay/contracts'
import type { Executor } from '../../db/database.ts'
import { sha256 } from '../platform/secrets.ts'
import {
  countActiveApiKeys,
  findApiKeyByHash,
  insertApiKey,
  touchApiKeys,
  type ApiKeyRecord,
  type KeyScope,
} from './api-key.repo.ts'
import { currentCredentialsVersion, findMerchant, type Merchant } from './merchant.repo.ts'

export const MAX_ACTIVE_KEYS = 25

export function keyPrefix(scope: KeyScope, environment: Environment): string {
  if (scope === 'merchant') {
    return environment === 'mainnet' ? ID_PREFIX.merchantKeyMainnet : ID_PREFIX.merchantKeyDevnet
  }
  return environment === 'mainnet' ? ID_PREFIX.commerceKeyMainnet : ID_PREFIX.commerceKeyDevnet
}

export async function createApiKey(
  db: Executor,
  clock: Clock,
  input: { merchantId: bigint; name: string; scope: KeyScope; environment: Environment; expiresAt: Date | null },
): Promise<{ record: ApiKeyRecord; apiKey: string }> {
  const merchant = await findMerchant(db, input.merchantId)
  if (!merchant) throw new AppError('NOT_FOUND', 'merchant not found')
  if (input.environment === 'mainnet' && !merchant.hasMainnetAccess) {
    throw new AppError('MAINNET_ACCESS_REQUIRED', 'mainnet access is not enabled for this merchant')
  }
  const now = clock.now()
  if (input.expiresAt && input.expiresAt <= now) {
    throw new AppError('VALIDATION_ERROR', 'expires_at must be in the future', [
      { field: 'expires_at', message: 'must be in the future', code: 'invalid' },
    ])
  }
  if ((await countActiveApiKeys(db, input.merchantId)) >= MAX_ACTIVE_KEYS) {
    throw new AppError('KEY_LIMIT_REACHED', `at most ${MAX_ACTIVE_KEYS} active keys per merchant`)
  }
  const prefix = keyPrefix(input.scope, input.environment)
  // 32 bytes of entropy: a fast hash is enough for lookup, no password hashing needed
  const apiKey = `${prefix}${randomToken(32)}`
  const record = await insertApiKey(db, {
    id: uuidv7(now.getTime()),
    merchantId: input.merchantId,
    name: input.name,
    scope: input.scope,
    environment: input.environment,
    keyPrefix: prefix,
    keyLast4: apiKey.slice(-4),
    keyHash: sha256(apiKey),
    expiresAt: input.expiresAt,
    createdAt: now,
  })
  return { record, apiKey }
}

export type KeyCheck =
  | { ok: true; key: ApiKeyRecord }
  | { ok: false; code: 'API_KEY_INVALID' | 'API_KEY_REVOKED' | 'API_KEY_EXPIRED' | 'API_KEY_SUSPENDED'; message: string }

const INVALID_KEY: Extract<KeyCheck, { ok: false }> = { ok: false, code: 'API_KEY_INVALID', message: 'Invalid API key' }

function keyStatus(key: ApiKeyRecord, now: Date): KeyCheck {
  if (key.status === 'revoked') return { ok: false, code: 'API_KEY_REVOKED', message: 'API key has been revoked' }
  if (key.status === 'suspended') return { ok: false, code: 'API_KEY_SUSPENDED', message: 'API key is suspended' }
  if (key.expiresAt && key.expiresAt <= now) return { ok: false, code: 'API_KEY_EXPIRED', message: 'API key has expired' }
  return { ok: true, key }
}

export async function checkApiKey(db: Executor, plaintext: string, now: Date): Promise<KeyCheck> {
  if (plaintext.length < 8 || plaintext.length > 200) return INVALID_KEY
  const key = await findApiKeyByHash(db, sha256(plaintext))
  if (!key) return INVALID_KEY
  return keyStatus(key, now)
}

/**
 * How long request authentication reuses a key lookup and its merchant in this process. Writes
 * made here invalidate at once (see `noteCredentialsChanged`), writes made anywhere else as soon
 * as their NOTIFY arrives; this window bounds the staleness only when that notification is lost
 * (a dropped LISTEN connection).
 */
export const CREDENTIAL_CACHE_TTL_MS = 5_000
const CREDENTIAL_CACHE_MAX_ENTRIES = 10_000

interface CachedCredential {
  key: ApiKeyRecord
  merchant: Merchant | undefined
  version: number
  loadedAtMs: number
}

/** One cache per database handle, so two servers in one process never share entries. */
const credentialCaches = new WeakMap<Executor, Map<string, CachedCredential>>()

export type ResolvedApiKey =
  | { ok: true; key: ApiKeyRecord; merchant: Merchant | undefined }
  | Extract<KeyCheck, { ok: false }>

/**
 * `checkApiKey` plus the key's merchant, as request authentication needs them, served from a
 * short-lived in-process cache: the hot path of every API-key request skips two queries.
 * Status and expiry are still judged against `now` on every call.
 */
export async function resolveApiKey(db: Executor, plaintext: string, now: Date): Promise<ResolvedApiKey> {
  if (plaintext.length < 8 || plaintext.length > 200) return INVALID_KEY
  const hash = sha256(plaintext)
  const cacheKey = hash.toString('hex')
  let cache = credentialCaches.get(db)
  if (!cache) {
    cache = new Map()
    credentialCaches.set(db, cache)
  }
  let entry = cache.get(cacheKey)
  const nowMs = monotonicMs()
  if (!entry || entry.version !== currentCredentialsVersion() || nowMs - entry.loadedAtMs >= CREDENTIAL_CACHE_TTL_MS) {
    // read the version before the lookups: a write landing during them leaves this entry stale
    const version = currentCredentialsVersion()
    cache.delete(cacheKey)
    const key = await findApiKeyByHash(db, hash)
    // unknown keys are not cached: a key created a moment ago (possibly elsewhere) works at once
    if (!key) return INVALID_KEY
    const merchant = await findMerchant(db, key.merchantId)
    entry = { key, merchant, version, loadedAtMs: nowMs }
    if (cache.size >= CREDENTIAL_CACHE_MAX_ENTRIES) {
      const oldest = cache.keys().next()
      if (!oldest.done) cache.delete(oldest.value)
    }
    cache.set(cacheKey, entry)
  }
  const check = keyStatus(entry.key, now)
  if (!check.ok) return check
  return { ok: true, key: entry.key, merchant: entry.merchant }
}

/** Remembers key usage in memory and writes it in batches. */
export class KeyUsageTracker {
  readonly #pending = new Map<string, Date>()
  readonly #db: Executor
  constructor(db: Executor) {
    this.#db = db
  }
  touch(keyId: string, at: Date): void {
    const previous = this.#pending.get(keyId)
    if (!previous || previous < at) this.#pending.set(keyId, at)
  }
  async flush(): Promise<void> {
    if (this.#pending.size === 0) return
    const batch = new Map(this.#pending)
    this.#pending.clear()
    await touchApiKeys(this.#db, batch)
  }
}
