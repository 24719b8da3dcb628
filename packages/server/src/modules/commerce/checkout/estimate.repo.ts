import type { Environment } from '@pepay/contracts'
import type { Executor } from '../../../db/database.ts'
import type { RetailerName, StoredInvalidLine, StoredLine } from '../commerce.table.ts'
import type { CustomerIdentity } from '../shared/identity.ts'

export interface StoredEstimate {
  id: string
  merchantId: bigint
  environment: Environment
  identityKey: string
  customerId: string | null
  walletAddress: string | null
  walletNetwork: string | null
  retailer: RetailerName | null
  validItems: StoredLine[]
  invalidItems: StoredInvalidLine[]
  subtotalUsdMillis: bigint
  shippingUsdMillis: bigint
  feeFixedUsdMillis: bigint
  feePercentUsdMillis: bigint
  deliveryDaysMin: number
  deliveryDaysMax: number
  expiresAt: Date
  createdAt: Date
}

/** A stored estimate before insert: the identity columns come from `identity`. */
export type NewEstimate = Omit<
  StoredEstimate,
  'identityKey' | 'customerId' | 'walletAddress' | 'walletNetwork'
> & { identity: CustomerIdentity }

export async function insertEstimate(db: Executor, e: NewEstimate): Promise<void> {
  await db
    .insertInto('commerce_estimate')
    .values({
      id: e.id,
      merchant_id: e.merchantId.toString(),
      environment: e.environment,
      identity_key: e.identity.key,
      customer_id: e.identity.customerId,
      wallet_address: e.identity.walletAddress,
      wallet_network: e.identity.walletNetwork,
      retailer: e.retailer,
      valid_items: JSON.stringify(e.validItems),
      invalid_items: JSON.stringify(e.invalidItems),
      subtotal_usd_millis: e.subtotalUsdMillis.toString(),
      shipping_usd_millis: e.shippingUsdMillis.toString(),
      fee_fixed_usd_millis: e.feeFixedUsdMillis.toString(),
      fee_percentage_usd_millis: e.feePercentUsdMillis.toString(),
      delivery_days_min: e.deliveryDaysMin,
      delivery_days_max: e.deliveryDaysMax,
      expires_at: e.expiresAt,
      created_at: e.createdAt,
    })
    .execute()
}

/** Scoped to merchant, environment and identity: anyone else's estimate is not found. */
export async function findEstimate(
  db: Executor,
  scope: { merchantId: bigint; environment: Environment; identityKey: string },
  id: string,
): Promise<StoredEstimate | undefined> {
  const row = await db
    .selectFrom('commerce_estimate')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .where('identity_key', '=', scope.identityKey)
    .executeTakeFirst()
  if (!row) return undefined
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    identityKey: row.identity_key,
    customerId: row.customer_id,
    walletAddress: row.wallet_address,
    walletNetwork: row.wallet_network,
    retailer: row.retailer,
    validItems: row.valid_items,
    invalidItems: row.invalid_items,
    subtotalUsdMillis: BigInt(row.subtotal_usd_millis),
    shippingUsdMillis: BigInt(row.shipping_usd_millis),
    feeFixedUsdMillis: BigInt(row.fee_fixed_usd_millis),
    feePercentUsdMillis: BigInt(row.fee_percentage_usd_millis),
    deliveryDaysMin: row.delivery_days_min,
    deliveryDaysMax: row.delivery_days_max,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  }
}
