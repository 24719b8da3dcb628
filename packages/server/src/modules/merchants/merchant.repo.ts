import type { Environment } from '@pepay/contracts'
import type { Executor } from '../../db/database.ts'

export interface Merchant {
  id: bigint
  name: string
  email: string | null
  status: 'active' | 'suspended'
  currentEnvironment: Environment
  hasMainnetAccess: boolean
  paymentReturnUrl: string | null
  paymentReturnUrlEnabled: boolean
  isDemo: boolean
  createdAt: Date
}

type Row = {
  id: string
  name: string
  email: string | null
  status: 'active' | 'suspended'
  current_environment: Environment
  has_mainnet_access: boolean
  payment_return_url: string | null
  payment_return_url_enabled: boolean
  is_demo: boolean
  created_at: Date
}

function toMerchant(row: Row): Merchant {
  return {
    id: BigInt(row.id),
    name: row.name,
    email: row.email,
    status: row.status,
    currentEnvironment: row.current_environment,
    hasMainnetAccess: row.has_mainnet_access,
    paymentReturnUrl: row.payment_return_url,
    paymentReturnUrlEnabled: row.payment_return_url_enabled,
    isDemo: row.is_demo,
    createdAt: row.created_at,
  }
}

/**
 * Bumped after every write to a merchant or to one of its API keys in this process, and when the
 * database announces such a write from anywhere (`CREDENTIALS_CHANNEL`, migration
 * 0010-credential-notify). Auth keeps resolved keys for a few seconds and drops any entry loaded
 * under an older version, so a revocation or suspension takes effect on the next request.
 */
let credentialsVersion = 0

/** NOTIFY channel of writes to API keys and merchants (a trigger sends it at commit). */
export const CREDENTIALS_CHANNEL = 'pepay_credentials'

export function currentCredentialsVersion(): number {
  return credentialsVersion
}

export function noteCredentialsChanged(): void {
  credentialsVersion += 1
}

export async function insertMerchant(
  db: Executor,
  input: { name: string; email: string | null; isDemo: boolean; now: Date },
): Promise<Merchant> {
  const row = await db
    .insertInto('merchant')
    .values({ name: input.name, email: input.email, is_demo: input.isDemo, created_at: input.now, updated_at: input.now })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toMerchant(row)
}

export async function findMerchant(db: Executor, id: bigint): Promise<Merchant | undefined> {
  const row = await db.selectFrom('merchant').selectAll().where('id', '=', id.toString()).executeTakeFirst()
  return row ? toMerchant(row) : undefined
}

export async function findDemoMerchant(db: Executor): Promise<Merchant | undefined> {
  const row = await db.selectFrom('merchant').selectAll().where('is_demo', '=', true).executeTakeFirst()
  return row ? toMerchant(row) : undefined
}

export async function updateMerchant(
  db: Executor,
  id: bigint,
  patch: Partial<{
    currentEnvironment: Environment
    hasMainnetAccess: boolean
    paymentReturnUrl: string | null
    paymentReturnUrlEnabled: boolean
    status: 'active' | 'suspended'
  }>,
  now: Date,
): Promise<Merchant | undefined> {
  const row = await db
    .updateTable('merchant')
    .set({
      ...(patch.currentEnvironment !== undefined && { current_environment: patch.currentEnvironment }),
      ...(patch.hasMainnetAccess !== undefined && { has_mainnet_access: patch.hasMainnetAccess }),
      ...(patch.paymentReturnUrl !== undefined && { payment_return_url: patch.paymentReturnUrl }),
      ...(patch.paymentReturnUrlEnabled !== undefined && { payment_return_url_enabled: patch.paymentReturnUrlEnabled }),
      ...(patch.status !== undefined && { status: patch.status }),
      updated_at: now,
    })
    .where('id', '=', id.toString())
    .returningAll()
    .executeTakeFirst()
  noteCredentialsChanged()
  return row ? toMerchant(row) : undefined
}
