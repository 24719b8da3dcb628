import type { Environment } from '@pepay/contracts'
import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import type { CommerceAddressTable } from '../commerce.table.ts'
import type { CustomerIdentity } from '../shared/identity.ts'

export interface SavedAddress {
  id: string
  customerId: string | null
  walletAddress: string | null
  walletNetwork: string | null
  identityKey: string
  firstName: string
  lastName: string
  addressLine1: string
  addressLine2: string
  city: string
  state: string
  zipCode: string
  country: string
  phone: string | null
  email: string | null
  isValidated: boolean
  validatedAt: Date | null
  createdAt: Date
}

function toAddress(row: Selectable<CommerceAddressTable>): SavedAddress {
  return {
    id: row.id,
    customerId: row.customer_id,
    walletAddress: row.wallet_address,
    walletNetwork: row.wallet_network,
    identityKey: row.identity_key,
    firstName: row.first_name,
    lastName: row.last_name,
    addressLine1: row.address_line1,
    addressLine2: row.address_line2,
    city: row.city,
    state: row.state,
    zipCode: row.zip_code,
    country: row.country,
    phone: row.phone,
    email: row.email,
    isValidated: row.is_validated,
    validatedAt: row.validated_at,
    createdAt: row.created_at,
  }
}

export type AddressFields = Omit<
  SavedAddress,
  'id' | 'customerId' | 'walletAddress' | 'walletNetwork' | 'identityKey' | 'createdAt'
>

/**
 * Saves an address for the identity; the same standardized address saved again is the same row
 * (same id), so repeated checkouts do not pile up duplicates.
 */
export async function saveAddress(
  db: Executor,
  owner: { merchantId: bigint; environment: Environment; identity: CustomerIdentity },
  id: string,
  fingerprint: string,
  fields: AddressFields,
  now: Date,
): Promise<SavedAddress> {
  const row = await db
    .insertInto('commerce_address')
    .values({
      id,
      merchant_id: owner.merchantId.toString(),
      environment: owner.environment,
      identity_key: owner.identity.key,
      customer_id: owner.identity.customerId,
      wallet_address: owner.identity.walletAddress,
      wallet_network: owner.identity.walletNetwork,
      first_name: fields.firstName,
      last_name: fields.lastName,
      address_line1: fields.addressLine1,
      address_line2: fields.addressLine2,
      city: fields.city,
      state: fields.state,
      zip_code: fields.zipCode,
      country: fields.country,
      phone: fields.phone,
      email: fields.email,
      fingerprint,
      is_validated: fields.isValidated,
      validated_at: fields.validatedAt,
      created_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['merchant_id', 'environment', 'identity_key', 'fingerprint']).doUpdateSet({
        phone: fields.phone,
        email: fields.email,
        validated_at: fields.validatedAt,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow()
  return toAddress(row)
}

export async function findAddress(
  db: Executor,
  scope: { merchantId: bigint; environment: Environment; identityKey?: string | undefined },
  id: string,
): Promise<SavedAddress | undefined> {
  let query = db
    .selectFrom('commerce_address')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
  if (scope.identityKey !== undefined) query = query.where('identity_key', '=', scope.identityKey)
  const row = await query.executeTakeFirst()
  return row ? toAddress(row) : undefined
}

export async function listAddresses(
  db: Executor,
  scope: { merchantId: bigint; environment: Environment; identityKey: string },
  page: { limit: number; offset: number },
): Promise<SavedAddress[]> {
  const rows = await db
    .selectFrom('commerce_address')
    .selectAll()
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .where('identity_key', '=', scope.identityKey)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
  return rows.map(toAddress)
}

export async function deleteAddress(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('commerce_address').where('id', '=', id).execute()
}
