import { AppError, uuidv7 } from '@pepay/core'
import type { Retailer } from '@pepay/contracts'
import type { Executor } from '../../../db/database.ts'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import { normalizeZip, stateForZip } from '../checkout/us-address.ts'
import { priceLines, type Pricing } from '../checkout/pricing.ts'
import { selectOffers } from '../checkout/offer-selection.service.ts'
import type { Commerce, Tenant } from '../shared/context.ts'
import { parseIdentity, type CustomerIdentity, type IdentityInput } from '../shared/identity.ts'
import { parseUsdPrice } from '../shared/money.ts'
import {
  clearCartItems,
  deleteCartItem,
  ensureCart,
  findCart,
  insertCartItem,
  touchCart,
  updateCartItem,
  type Cart,
  type CartItem,
  type CartOwner,
} from './cart.repo.ts'

export const MAX_ITEM_QUANTITY = 99
/** A cart holds at most this many distinct lines (a bound on validation and pricing work). */
export const MAX_CART_LINES = 50

export interface NewItemInput {
  productId: string
  retailer: Retailer
  title: string
  price: number
  quantity: number
  imageUrl?: string | undefined
  productUrl?: string | undefined
  numReviews?: number | undefined
  rating?: number | undefined
}

/** Rating 0–5 with one decimal kept (stored in tenths). */
function ratingTenths(rating: number | undefined): number | null {
  if (rating === undefined) return null
  return Math.round(rating * 10)
}

export async function getCart(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput,
): Promise<{ cart: Cart | undefined; identity: CustomerIdentity }> {
  const identity = parseIdentity(input)
  return { cart: await findCart(commerce.deps.db, { ...tenant, identity }), identity }
}

async function addToCart(
  commerce: Commerce,
  trx: Executor,
  cart: Cart,
  item: NewItemInput,
  fieldPrefix: string,
): Promise<{ itemId: string; quantity: number; updated: boolean }> {
  const now = commerce.deps.clock.now()
  const priceUsdMillis = parseUsdPrice(item.price, `${fieldPrefix}price`)
  const existing = cart.items.find(
    (i) => i.productId === item.productId && i.retailer === item.retailer,
  )
  if (existing) {
    const quantity = existing.quantity + item.quantity
    if (quantity > MAX_ITEM_QUANTITY) {
      throw fieldError(
        `${fieldPrefix}quantity`,
        `the cart would hold ${quantity}; at most ${MAX_ITEM_QUANTITY} of one item`,
      )
    }
    await updateCartItem(
      trx,
      existing.id,
      {
        quantity,
        title: item.title,
        priceUsdMillis,
        ...(item.imageUrl !== undefined && { imageUrl: item.imageUrl }),
        ...(item.productUrl !== undefined && { productUrl: item.productUrl }),
      },
      now,
    )
    await touchCart(trx, cart.id, now)
    return { itemId: existing.id, quantity, updated: true }
  }
  if (cart.items.length >= MAX_CART_LINES)
    throw fieldError(
      `${fieldPrefix}productId`,
      `a cart holds at most ${MAX_CART_LINES} different items`,
    )
  const itemId = uuidv7(now.getTime())
  await insertCartItem(
    trx,
    cart.id,
    itemId,
    {
      productId: item.productId,
      retailer: item.retailer,
      title: item.title,
      priceUsdMillis,
      quantity: item.quantity,
      imageUrl: item.imageUrl ?? null,
      productUrl: item.productUrl ?? null,
      numReviews: item.numReviews ?? null,
      ratingTenths: ratingTenths(item.rating),
    },
    now,
  )
  await touchCart(trx, cart.id, now)
  return { itemId, quantity: item.quantity, updated: false }
}

/** The identity's cart, created on first use, locked in the caller's transaction. */
function openCart(commerce: Commerce, trx: Executor, owner: CartOwner): Promise<Cart> {
  const now = commerce.deps.clock.now()
  return ensureCart(trx, owner, uuidv7(now.getTime()), now)
}

export async function createCart(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput & { item?: NewItemInput | undefined },
): Promise<Cart> {
  const identity = parseIdentity(input)
  const owner = { ...tenant, identity }
  return commerce.deps.db.transaction().execute(async (trx) => {
    const cart = await openCart(commerce, trx, owner)
    if (input.item) await addToCart(commerce, trx, cart, input.item, 'item.')
    const fresh = await findCart(trx, owner)
    if (!fresh) throw new Error('cart vanished')
    return fresh
  })
}

export async function addCartItem(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput & NewItemInput,
) {
  const identity = parseIdentity(input)
  const owner = { ...tenant, identity }
  return commerce.deps.db.transaction().execute(async (trx) => {
    const cart = await openCart(commerce, trx, owner)
    return addToCart(commerce, trx, cart, input, '')
  })
}

/** The item, if it is in this identity's cart: another identity's item is not found. */
function itemOf(cart: Cart | undefined, itemId: string): CartItem {
  const item = cart?.items.find((i) => i.id === itemId)
  if (!item) throw new NotFoundError('cart item')
  return item
}

export async function setCartItemQuantity(
  commerce: Commerce,
  tenant: Tenant,
  itemId: string,
  input: IdentityInput & { quantity: number },
) {
  const identity = parseIdentity(input)
  return commerce.deps.db.transaction().execute(async (trx) => {
    const now = commerce.deps.clock.now()
    const cart = await findCart(trx, { ...tenant, identity }, { lock: true })
    const item = itemOf(cart, itemId)
    // quantity 0 removes the line
    if (input.quantity === 0) await deleteCartItem(trx, item.id)
    else await updateCartItem(trx, item.id, { quantity: input.quantity }, now)
    if (cart) await touchCart(trx, cart.id, now)
    return {
      itemId: item.id,
      quantity: input.quantity,
      updatedAt: now,
      removed: input.quantity === 0,
    }
  })
}

export async function removeCartItem(
  commerce: Commerce,
  tenant: Tenant,
  itemId: string,
  input: IdentityInput,
) {
  const identity = parseIdentity(input)
  return commerce.deps.db.transaction().execute(async (trx) => {
    const cart = await findCart(trx, { ...tenant, identity }, { lock: true })
    const item = itemOf(cart, itemId)
    await deleteCartItem(trx, item.id)
    if (cart) await touchCart(trx, cart.id, commerce.deps.clock.now())
    return { itemId: item.id, title: item.title }
  })
}

export async function clearCart(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput,
): Promise<number> {
  const identity = parseIdentity(input)
  return commerce.deps.db.transaction().execute(async (trx) => {
    const cart = await findCart(trx, { ...tenant, identity }, { lock: true })
    if (!cart) return 0
    const removed = await clearCartItems(trx, cart.id)
    await touchCart(trx, cart.id, commerce.deps.clock.now())
    return removed
  })
}

export interface CartValidation {
  valid: boolean
  items: {
    item: CartItem
    available: boolean
    currentPriceUsdMillis: bigint | null
    priceChanged: boolean
    reason: string | null
  }[]
}

/** The identity's cart lines with the provider's current eligible offer for each (by item id). */
async function selectCartOffers(commerce: Commerce, tenant: Tenant, identity: CustomerIdentity) {
  const cart = await findCart(commerce.deps.db, { ...tenant, identity })
  const items = cart?.items ?? []
  const selected = await selectOffers(
    commerce,
    tenant,
    items.map((i) => ({
      productId: i.productId,
      retailer: i.retailer,
      quantity: i.quantity,
      requestedPriceUsdMillis: i.priceUsdMillis,
      ref: i.id,
    })),
  )
  return { items, selected }
}

/** Checks every line against the provider: still offered (eligible) and at the saved price? */
export async function validateCart(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput,
): Promise<CartValidation> {
  const { items, selected } = await selectCartOffers(commerce, tenant, parseIdentity(input))
  const results = items.map((item) => {
    const valid = selected.valid.find((v) => v.ref === item.id)
    if (!valid) {
      const invalid = selected.invalid.find((v) => v.ref === item.id)
      return {
        item,
        available: false,
        currentPriceUsdMillis: null,
        priceChanged: false,
        reason: invalid?.error ?? 'unavailable',
      }
    }
    const current = BigInt(valid.priceUsdMillis)
    return {
      item,
      available: true,
      currentPriceUsdMillis: current,
      priceChanged: current !== item.priceUsdMillis,
      reason: null,
    }
  })
  return {
    valid: items.length > 0 && results.every((r) => r.available && !r.priceChanged),
    items: results,
  }
}

export interface CartTotals {
  pricing: Pricing
  itemCount: number
  zipCode: string
  state: string
  unavailable: { itemId: string; productId: string; reason: string }[]
}

/** Totals at the provider's current prices, with sales tax for the ZIP code. */
export async function cartTotals(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput & { zip_code: string },
): Promise<CartTotals> {
  const identity = parseIdentity(input)
  const zipCode = normalizeZip(input.zip_code)
  const state = zipCode === undefined ? undefined : stateForZip(zipCode)
  if (zipCode === undefined || state === undefined)
    throw fieldError('zip_code', 'not a deliverable US ZIP code')
  const { selected } = await selectCartOffers(commerce, tenant, identity)
  const lines = selected.valid.map((v) => ({
    priceUsdMillis: BigInt(v.priceUsdMillis),
    shippingUsdMillis: BigInt(v.shippingUsdMillis),
    quantity: v.quantity,
  }))
  return {
    pricing: priceLines(lines, state),
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    zipCode,
    state,
    unavailable: selected.invalid.map((i) => ({
      itemId: i.ref ?? '',
      productId: i.productId,
      reason: i.error,
    })),
  }
}

export function assertCartNotEmpty(cart: Cart | undefined): Cart {
  if (!cart || cart.items.length === 0)
    throw new AppError('VALIDATION_ERROR', 'useCart: the cart is empty', [
      { field: 'useCart', message: 'the cart is empty', code: 'CART_EMPTY' },
    ])
  return cart
}
