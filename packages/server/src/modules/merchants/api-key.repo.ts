import type { Environment } from '@pepay/contracts'
import type { Executor } from '../../db/database.ts'
import { noteCredentialsChanged } from './merchant.repo.ts'

export type KeyScope = 'merchant' | 'commerce'
export type KeyStatus = 'active' | 'revoked' | 'suspended'

export interface ApiKeyRecord {
  id: string
  merchantId: bigint
  name: string
  scope: KeyScope
  environment: Environment
  keyPrefix: string
  keyLast4: string
  status: KeyStatus
  expiresAt: Date | null
  lastUsedAt: Date | null
  createdAt: Date
  revokedAt: Date | null
  revokedReason: string | null
}

type Row = {
  id: string
  merchant_id: string
  name: string
  scope: KeyScope
  environment: Environment
  key_prefix: string
  key_last4: string
  status: KeyStatus
  expires_at: Date | null
  last_used_at: Date | null
  created_at: Date
  revoked_at: Date | null
  revoked_reason: string | null
}

const COLUMNS = [
  'id',
  'merchant_id',
  'name',
  'scope',
  'environment',
  'key_prefix',
  'key_last4',
  'status',
  'expires_at',
  'last_used_at',
  'created_at',
  'revoked_at',
  'revoked_reason',
] as const

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    name: row.name,
    scope: row.scope,
    environment: row.environment,
    keyPrefix: row.key_prefix,
    keyLast4: row.key_last4,
    status: row.status,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
  }
}

export async function insertApiKey(
  db: Executor,
  input: Omit<ApiKeyRecord, 'status' | 'lastUsedAt' | 'revokedAt' | 'revokedReason'> & { keyHash: Uint8Array },
): Promise<ApiKeyRecord> {
  const row = await db
    .insertInto('api_key')
    .values({
      id: input.id,
      merchant_id: input.merchantId.toString(),
      name: input.name,
      scope: input.scope,
      environment: input.environment,
      key_prefix: input.keyPrefix,
      key_last4: input.keyLast4,
      key_hash: input.keyHash,
      expires_at: input.expiresAt,
      created_at: input.createdAt,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
  return toRecord(row)
}

export async function findApiKeyByHash(db: Executor, keyHash: Uint8Array): Promise<ApiKeyRecord | undefined> {
  const row = await db.selectFrom('api_key').select(COLUMNS).where('key_hash', '=', keyHash).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function listApiKeys(
  db: Executor,
  merchantId: bigint,
  filter: { scope?: KeyScope | undefined; environment?: Environment | undefined },
): Promise<ApiKeyRecord[]> {
  let query = db.selectFrom('api_key').select(COLUMNS).where('merchant_id', '=', merchantId.toString())
  if (filter.scope) query = query.where('scope', '=', filter.scope)
  if (filter.environment) query = query.where('environment', '=', filter.environment)
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  return rows.map(toRecord)
}

export async function countActiveApiKeys(db: Executor, merchantId: bigint): Promise<number> {
  const row = await db
    .selectFrom('api_key')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('merchant_id', '=', merchantId.toString())
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

export async function revokeApiKey(
  db: Executor,
  merchantId: bigint,
  keyId: string,
  reason: string | null,
  now: Date,
): Promise<ApiKeyRecord | undefined> {
  const row = await db
    .updateTable('api_key')
    .set((eb) => ({
      status: 'revoked',
      revoked_at: eb.fn.coalesce('revoked_at', eb.val(now)),
      revoked_reason: eb.fn.coalesce('revoked_reason', eb.val(reason)),
    }))
    .where('id', '=', keyId)
    .where('merchant_id', '=', merchantId.toString())
    .returning(COLUMNS)
    .executeTakeFirst()
  noteCredentialsChanged()
  return row ? toRecord(row) : undefined
}

/** One UPDATE per flush, not per request: last_used_at only ever moves forward. */
export async function touchApiKeys(db: Executor, usage: Map<string, Date>): Promise<void> {
  for (const [id, at] of usage) {
    await db
      .updateTable('api_key')
      .set({ last_used_at: at })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
      .execute()
  }
}
