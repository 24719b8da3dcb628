import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { commerceApi, startCommerceServer, type Api } from './harness.ts'

const WALLET = '0x1111111111111111111111111111111111111111'
const ECHO = { productId: 'B08N5WRWNW', retailer: 'amazon', title: 'Echo (4th Gen)', price: 99.99 }

describe('merchant carts (/api/commerce/merchant/carts)', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let other: OnboardedMerchant
  let api: Api
  let otherApi: Api

  before(async () => {
    t = await startCommerceServer()
    merchant = await t.onboard('Cart Shop')
    other = await t.onboard('Other Shop')
    api = commerceApi(t, merchant.commerceKey)
    otherApi = commerceApi(t, other.commerceKey)
  })
  after(async () => t.close())

  const customer = () => ({ customer_id: `cust_${randomUUID()}` })

  it('answers an empty cart for an identity that has none', async () => {
    const res = await api(
      'GET',
      `/api/commerce/merchant/carts?wallet_address=${WALLET}&wallet_network=bsc`,
    )
    assert.equal(res.status, 200)
    assert.equal(res.body.data.walletAddress, WALLET)
    assert.deepEqual(res.body.data.items, [])
    assert.equal(res.body.data.createdAt, null)
  })

  it('initializes a cart with an item and returns 201 with the snapshot', async () => {
    const id = customer()
    const res = await api('POST', '/api/commerce/merchant/carts', {
      body: {
        ...id,
        wallet_address: WALLET,
        wallet_network: 'bsc',
        item: { ...ECHO, quantity: 1 },
      },
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.message, 'Cart initialized')
    assert.equal(res.body.data.customerId, id.customer_id)
    assert.equal(res.body.data.walletNetwork, 'bsc')
    assert.equal(res.body.data.items.length, 1)
    assert.equal(res.body.data.subtotal, 99.99)
    assert.equal(typeof res.body.data.createdAt, 'number')
  })

  it('adds, increases, updates, removes and clears items', async () => {
    const id = customer()
    const first = await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, ...ECHO, quantity: 2 },
    })
    assert.equal(first.status, 200)
    assert.equal(first.body.data.updated, false)
    const again = await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, ...ECHO, quantity: 3 },
    })
    assert.equal(again.body.data.itemId, first.body.data.itemId)
    assert.equal(again.body.data.quantity, 5)
    assert.equal(again.body.data.updated, true)
    const second = await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, productId: 'B0B844T634', retailer: 'amazon', title: 'Bottle', price: 24.99 },
    })
    assert.equal(second.body.data.quantity, 1)

    const put = await api('PUT', `/api/commerce/merchant/carts/items/${first.body.data.itemId}`, {
      body: { ...id, quantity: 7 },
    })
    assert.equal(put.status, 200)
    assert.equal(put.body.message, 'Cart item updated')
    let cart = await api('GET', `/api/commerce/merchant/carts?customer_id=${id.customer_id}`)
    assert.equal(cart.body.data.itemCount, 8)
    assert.equal(cart.body.data.subtotal, 724.92)

    const removed = await api(
      'DELETE',
      `/api/commerce/merchant/carts/items/${second.body.data.itemId}?customer_id=${id.customer_id}`,
    )
    assert.deepEqual(removed.body, {
      success: true,
      message: 'Item removed from cart',
      data: { itemId: second.body.data.itemId, title: 'Bottle' },
    })
    const zero = await api('PUT', `/api/commerce/merchant/carts/items/${first.body.data.itemId}`, {
      body: { ...id, quantity: 0 },
    })
    assert.equal(zero.body.data.removed, true)
    cart = await api('GET', `/api/commerce/merchant/carts?customer_id=${id.customer_id}`)
    assert.deepEqual(cart.body.data.items, [])

    await api('POST', '/api/commerce/merchant/carts/items', { body: { ...id, ...ECHO } })
    await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, productId: 'B0B844T634', retailer: 'amazon', title: 'Bottle', price: 24.99 },
    })
    const cleared = await api(
      'DELETE',
      `/api/commerce/merchant/carts?customer_id=${id.customer_id}`,
    )
    assert.deepEqual(cleared.body, {
      success: true,
      message: 'Cart cleared',
      data: { itemsRemoved: 2 },
    })
  })

  it('refuses a quantity that would exceed 99 and writes nothing', async () => {
    const id = customer()
    await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, ...ECHO, quantity: 60 },
    })
    const res = await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, ...ECHO, quantity: 40 },
    })
    assert.equal(res.status, 400)
    assert.equal(res.body.error.details[0].field, 'quantity')
    const cart = await api('GET', `/api/commerce/merchant/carts?customer_id=${id.customer_id}`)
    assert.equal(cart.body.data.items[0].quantity, 60)
  })

  it('validates saved prices and availability against the retailer', async () => {
    const id = customer()
    await api('POST', '/api/commerce/merchant/carts/items', { body: { ...id, ...ECHO } })
    await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, productId: 'B0B844T634', retailer: 'amazon', title: 'Bottle', price: 19.99 },
    })
    await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, productId: 'B000000000', retailer: 'amazon', title: 'Camera', price: 89 },
    })
    const res = await api('POST', '/api/commerce/merchant/carts/validate', { body: id })
    assert.equal(res.status, 200)
    assert.equal(res.body.valid, false)
    const byProduct = Object.fromEntries(
      res.body.items.map((i: { productId: string }) => [i.productId, i]),
    )
    assert.equal(byProduct['B08N5WRWNW'].priceChanged, false)
    assert.equal(byProduct['B0B844T634'].priceChanged, true)
    assert.equal(byProduct['B0B844T634'].currentPrice, 24.99)
    assert.equal(byProduct['B0B844T634'].savedPrice, 19.99)
    assert.equal(byProduct['B000000000'].available, false)
    assert.deepEqual(res.body.summary, {
      itemCount: 3,
      availableCount: 2,
      unavailableCount: 1,
      priceChangedCount: 1,
      savedSubtotal: 208.98,
      currentSubtotal: 124.98,
    })
  })

  it('totals the cart with shipping, state sales tax by ZIP and fees', async () => {
    const id = customer()
    await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...id, ...ECHO, quantity: 2 },
    })
    const ca = await api(
      'GET',
      `/api/commerce/merchant/carts/totals?customer_id=${id.customer_id}&zip_code=94105`,
    )
    assert.equal(ca.status, 200, JSON.stringify(ca.body))
    // 199.98 subtotal; CA 7.25% = 14.4985 → 14.50; fee 1.00 + 2.5% (4.9995 → 5.00)
    assert.deepEqual(ca.body.data, {
      subtotal: 199.98,
      shipping: 0,
      tax: 14.5,
      taxRate: 7.25,
      fees: { fixed: 1, percentage: 2.5, percentageAmount: 5, total: 6 },
      total: 220.48,
      itemCount: 2,
      zipCode: '94105',
      state: 'CA',
      unavailableItems: [],
    })
    const or = await api(
      'GET',
      `/api/commerce/merchant/carts/totals?customer_id=${id.customer_id}&zip_code=97201`,
    )
    assert.equal(or.body.data.tax, 0)
    const bad = await api(
      'GET',
      `/api/commerce/merchant/carts/totals?customer_id=${id.customer_id}&zip_code=00000`,
    )
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.details[0].field, 'zip_code')
  })

  const invalidAdds: [string, Record<string, unknown>, string][] = [
    ['no identity', { ...ECHO }, 'customer_id'],
    ['a wallet without network', { ...ECHO, wallet_address: WALLET }, 'wallet_network'],
    ['a network without wallet', { ...ECHO, wallet_network: 'bsc' }, 'wallet_address'],
    [
      'a malformed EVM wallet',
      { ...ECHO, wallet_address: '0x123', wallet_network: 'ethereum' },
      'wallet_address',
    ],
    [
      'an EVM wallet on solana',
      { ...ECHO, wallet_address: WALLET, wallet_network: 'solana' },
      'wallet_address',
    ],
    [
      'an unknown network',
      { ...ECHO, wallet_address: WALLET, wallet_network: 'tron' },
      'wallet_network',
    ],
    ['a long customer id', { ...ECHO, customer_id: 'x'.repeat(256) }, 'customer_id'],
    ['quantity 0', { ...ECHO, customer_id: 'c', quantity: 0 }, 'quantity'],
    ['quantity 100', { ...ECHO, customer_id: 'c', quantity: 100 }, 'quantity'],
    ['a fractional quantity', { ...ECHO, customer_id: 'c', quantity: 1.5 }, 'quantity'],
    ['price below 0.01', { ...ECHO, customer_id: 'c', price: 0.001 }, 'price'],
    ['price with three decimals', { ...ECHO, customer_id: 'c', price: 1.005 }, 'price'],
    ['rating above 5', { ...ECHO, customer_id: 'c', rating: 5.1 }, 'rating'],
    ['negative rating', { ...ECHO, customer_id: 'c', rating: -1 }, 'rating'],
    ['negative numReviews', { ...ECHO, customer_id: 'c', numReviews: -1 }, 'numReviews'],
    ['an unknown retailer', { ...ECHO, customer_id: 'c', retailer: 'costco' }, 'retailer'],
    [
      'a missing title',
      { productId: 'B08N5WRWNW', retailer: 'amazon', price: 1, customer_id: 'c' },
      'title',
    ],
    ['an unknown field', { ...ECHO, customer_id: 'c', colour: 'red' }, 'colour'],
  ]
  for (const [label, body, field] of invalidAdds) {
    it(`answers 400 naming ${field} for ${label}`, async () => {
      const res = await api('POST', '/api/commerce/merchant/carts/items', { body })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        JSON.stringify(res.body.error),
      )
    })
  }

  it('accepts a solana wallet identity and keeps it apart from the EVM one', async () => {
    const sol = {
      wallet_address: '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV',
      wallet_network: 'solana',
    }
    const res = await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...sol, ...ECHO },
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const cart = await api(
      'GET',
      `/api/commerce/merchant/carts?wallet_address=${sol.wallet_address}&wallet_network=solana`,
    )
    assert.equal(cart.body.data.items.length, 1)
  })

  it('keeps one identity out of another identity’s and another merchant’s cart', async () => {
    const a = customer()
    const b = customer()
    const added = await api('POST', '/api/commerce/merchant/carts/items', {
      body: { ...a, ...ECHO },
    })
    const itemId = added.body.data.itemId
    assert.equal(
      (
        await api('PUT', `/api/commerce/merchant/carts/items/${itemId}`, {
          body: { ...b, quantity: 5 },
        })
      ).status,
      404,
    )
    assert.equal(
      (
        await api(
          'DELETE',
          `/api/commerce/merchant/carts/items/${itemId}?customer_id=${b.customer_id}`,
        )
      ).status,
      404,
    )
    assert.equal(
      (
        await otherApi('PUT', `/api/commerce/merchant/carts/items/${itemId}`, {
          body: { ...a, quantity: 5 },
        })
      ).status,
      404,
    )
    assert.deepEqual(
      (await otherApi('GET', `/api/commerce/merchant/carts?customer_id=${a.customer_id}`)).body.data
        .items,
      [],
    )
    assert.deepEqual(
      (await api('GET', `/api/commerce/merchant/carts?customer_id=${b.customer_id}`)).body.data
        .items,
      [],
    )
    const own = await api('GET', `/api/commerce/merchant/carts?customer_id=${a.customer_id}`)
    assert.equal(own.body.data.items[0].quantity, 1)
  })
})
