import type { Environment } from '@pepay/contracts'
import { sql } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import type { RetailerName } from '../commerce.table.ts'
import type { CustomerIdentity } from '../shared/identity.ts'

export interface CartItem {
  id: string
  productId: string
  retailer: RetailerName
  title: string
  priceUsdMillis: bigint
  quantity: number
  imageUrl: string | null
  productUrl: string | null
  numReviews: number | null
  ratingTenths: number | null
  createdAt: Date
  updatedAt: Date
}

export interface Cart {
  id: string
  merchantId: bigint
  environment: Environment
  customerId: string | null
  walletAddress: string | null
  walletNetwork: string | null
  createdAt: Date
  updatedAt: Date
  items: CartItem[]
}

export interface CartOwner {
  merchantId: bigint
  environment: Environment
  identity: CustomerIdentity
}

export async function findCart(
  db: Executor,
  owner: CartOwner,
  options: { lock?: boolean } = {},
): Promise<Cart | undefined> {
  let query = db
    .selectFrom('commerce_cart')
    .selectAll()
    .where('merchant_id', '=', owner.merchantId.toString())
    .where('environment', '=', owner.environment)
    .where('identity_key', '=', owner.identity.key)
  if (options.lock) query = query.forUpdate()
  const row = await query.executeTakeFirst()
  if (!row) return undefined
  const items = await db
    .selectFrom('commerce_cart_item')
    .selectAll()
    .where('cart_id', '=', row.id)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    customerId: row.customer_id,
    walletAddress: row.wallet_address,
    walletNetwork: row.wallet_network,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    items: items.map((i) => ({
      id: i.id,
      productId: i.product_id,
      retailer: i.retailer,
      title: i.title,
      priceUsdMillis: BigInt(i.price_usd_millis),
      quantity: i.quantity,
      imageUrl: i.image_url,
      productUrl: i.product_url,
      numReviews: i.num_reviews,
      ratingTenths: i.rating_tenths,
      createdAt: i.created_at,
      updatedAt: i.updated_at,
    })),
  }
}

/** Creates the identity's cart if missing (one per merchant, environment and identity) and locks it. */
export async function ensureCart(
  db: Executor,
  owner: CartOwner,
  id: string,
  now: Date,
): Promise<Cart> {
  await db
    .insertInto('commerce_cart')
    .values({
      id,
      merchant_id: owner.merchantId.toString(),
      environment: owner.environment,
      identity_key: owner.identity.key,
      customer_id: owner.identity.customerId,
      wallet_address: owner.identity.walletAddress,
      wallet_network: owner.identity.walletNetwork,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'environment', 'identity_key']).doNothing())
    .execute()
  const cart = await findCart(db, owner, { lock: true })
  if (!cart) throw new Error('cart vanished after upsert')
  // the wallet given alongside a customer id is remembered on the cart
  if (
    owner.identity.walletAddress !== null &&
    cart.walletAddress !== owner.identity.walletAddress
  ) {
    await db
      .updateTable('commerce_cart')
      .set({
        wallet_address: owner.identity.walletAddress,
        wallet_network: owner.identity.walletNetwork,
      })
      .where('id', '=', cart.id)
      .execute()
    cart.walletAddress = owner.identity.walletAddress
    cart.walletNetwork = owner.identity.walletNetwork
  }
  return cart
}

export async function touchCart(db: Executor, cartId: string, now: Date): Promise<void> {
  await db.updateTable('commerce_cart').set({ updated_at: now }).where('id', '=', cartId).execute()
}

export type NewCartItem = Omit<CartItem, 'id' | 'createdAt' | 'updatedAt'>

export async function insertCartItem(
  db: Executor,
  cartId: string,
  id: string,
  item: NewCartItem,
  now: Date,
): Promise<void> {
  await db
    .insertInto('commerce_cart_item')
    .values({
      id,
      cart_id: cartId,
      product_id: item.productId,
      retailer: item.retailer,
      title: item.title,
      price_usd_millis: item.priceUsdMillis.toString(),
      quantity: item.quantity,
      image_url: item.imageUrl,
      product_url: item.productUrl,
      num_reviews: item.numReviews,
      rating_tenths: item.ratingTenths,
      created_at: now,
      updated_at: now,
    })
    .execute()
}

export async function updateCartItem(
  db: Executor,
  itemId: string,
  patch: {
    quantity: number
    title?: string
    priceUsdMillis?: bigint
    imageUrl?: string | null
    productUrl?: string | null
  },
  now: Date,
): Promise<void> {
  await db
    .updateTable('commerce_cart_item')
    .set({
      quantity: patch.quantity,
      ...(patch.title !== undefined && { title: patch.title }),
      ...(patch.priceUsdMillis !== undefined && {
        price_usd_millis: patch.priceUsdMillis.toString(),
      }),
      ...(patch.imageUrl !== undefined && { image_url: patch.imageUrl }),
      ...(patch.productUrl !== undefined && { product_url: patch.productUrl }),
      updated_at: now,
    })
    .where('id', '=', itemId)
    .execute()
}

export async function deleteCartItem(db: Executor, itemId: string): Promise<void> {
  await db.deleteFrom('commerce_cart_item').where('id', '=', itemId).execute()
}

export async function clearCartItems(db: Executor, cartId: string): Promise<number> {
  const result = await sql`DELETE FROM commerce_cart_item WHERE cart_id = ${cartId}::uuid`.execute(
    db,
  )
  return Number(result.numAffectedRows ?? 0n)
}
