import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { pageById, type IdPage } from '../ramp-page.repo.ts'
import type { RampBankAccountTable } from '../ramps.table.ts'

export interface BankAccount {
  id: string
  customerId: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  country: string
  currency: string
  rail: string
  holderName: string
  detailsCiphertext: Uint8Array
  keyVersion: string
  fingerprint: Uint8Array
  masked: Record<string, string>
  createdAt: Date
  deletedAt: Date | null
}

function toBankAccount(row: Selectable<RampBankAccountTable>): BankAccount {
  return {
    id: row.id,
    customerId: row.customer_id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    country: row.country,
    currency: row.currency,
    rail: row.rail,
    holderName: row.holder_name,
    detailsCiphertext: row.details_ciphertext,
    keyVersion: row.key_version,
    fingerprint: row.fingerprint,
    masked: row.masked,
    createdAt: row.created_at,
    deletedAt: row.deleted_at,
  }
}

/** Inserts unless the customer already has this account on this rail; returns undefined then. */
export async function insertBankAccount(db: Executor, a: BankAccount): Promise<BankAccount | undefined> {
  const row = await db
    .insertInto('ramp_bank_account')
    .values({
      id: a.id,
      customer_id: a.customerId,
      merchant_id: a.merchantId.toString(),
      environment: a.environment,
      country: a.country,
      currency: a.currency,
      rail: a.rail,
      holder_name: a.holderName,
      details_ciphertext: a.detailsCiphertext,
      key_version: a.keyVersion,
      fingerprint: a.fingerprint,
      masked: JSON.stringify(a.masked),
      created_at: a.createdAt,
    })
    .onConflict((oc) => oc.columns(['customer_id', 'rail', 'fingerprint']).where('deleted_at', 'is', null).doNothing())
    .returningAll()
    .executeTakeFirst()
  return row ? toBankAccount(row) : undefined
}

export async function findBankAccount(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, id: string, options: { includeDeleted?: boolean } = {}): Promise<BankAccount | undefined> {
  let query = db
    .selectFrom('ramp_bank_account')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
  if (!options.includeDeleted) query = query.where('deleted_at', 'is', null)
  const row = await query.executeTakeFirst()
  return row ? toBankAccount(row) : undefined
}

export async function findBankAccountById(db: Executor, id: string): Promise<BankAccount | undefined> {
  const row = await db.selectFrom('ramp_bank_account').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toBankAccount(row) : undefined
}

export async function listBankAccounts(
  db: Executor,
  customerId: string,
  page: IdPage,
): Promise<{ accounts: BankAccount[]; hasMore: boolean }> {
  const query = db.selectFrom('ramp_bank_account').selectAll().where('customer_id', '=', customerId).where('deleted_at', 'is', null)
  const { rows, hasMore } = await pageById(query, page)
  return { accounts: rows.map(toBankAccount), hasMore }
}

export async function softDeleteBankAccount(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('ramp_bank_account').set({ deleted_at: now }).where('id', '=', id).where('deleted_at', 'is', null).execute()
}
