import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { apiClient, keyHeaders, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { commerceApi, startCommerceServer, TEST_CATALOG_SIZE, type Api } from './harness.ts'

describe('commerce catalog: status, info, search, products, offers', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: Api

  before(async () => {
    t = await startCommerceServer()
    merchant = await t.onboard('Catalog Shop')
    api = commerceApi(t, merchant.commerceKey)
  })
  after(async () => t.close())

  it('reports the service available with the seeded catalog size', async () => {
    const res = await api('GET', '/api/commerce/status')
    assert.equal(res.status, 200)
    assert.equal(res.body.data.status, 'available')
    assert.deepEqual(res.body.data.features, {
      search: true,
      cart: true,
      checkout: true,
      orders: true,
    })
    assert.deepEqual(res.body.data.catalog, {
      status: 'ready',
      seeded: TEST_CATALOG_SIZE,
      target: TEST_CATALOG_SIZE,
      percent: 100,
    })
  })

  it('accepts the commerce key in x-api-key and refuses a merchant key and no key', async () => {
    assert.equal(
      (await apiClient(t.url, { 'x-api-key': merchant.commerceKey })('GET', '/api/commerce/status'))
        .status,
      200,
    )
    assert.equal(
      (await apiClient(t.url, keyHeaders(merchant.merchantKey))('GET', '/api/commerce/status'))
        .status,
      403,
    )
    assert.equal((await apiClient(t.url)('GET', '/api/commerce/search?q=tent')).status, 401)
  })

  it('describes retailers, limits, fees and the 10-day eligibility rule', async () => {
    const res = await api('GET', '/api/commerce/info')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.data.retailers, [
      'amazon',
      'walmart',
      'target',
      'ebay',
      'bestbuy',
      'other',
    ])
    assert.equal(res.body.data.limits.maxOrderUsd, 2500)
    assert.equal(res.body.data.limits.maxDeliveryDays, 10)
    assert.deepEqual(res.body.data.fees, {
      fixed: 1,
      percentage: 2.5,
      description: res.body.data.fees.description,
    })
    assert.ok(res.body.data.categories.includes('Electronics'))
  })

  it('ranks matching titles first and corrects typos to catalog words', async () => {
    const exact = await api('GET', '/api/commerce/search?q=espresso%20machine&limit=5')
    assert.equal(exact.status, 200)
    assert.equal(exact.body.data.products.length, 5)
    for (const p of exact.body.data.products) assert.match(p.title, /Espresso Machine/)
    assert.deepEqual(exact.body.data.corrections, [])
    const typo = await api('GET', '/api/commerce/search?q=espreso%20machne&limit=5')
    assert.deepEqual(typo.body.data.corrections, [
      { from: 'espreso', to: 'espresso' },
      { from: 'machne', to: 'machine' },
    ])
    assert.deepEqual(
      typo.body.data.products.map((p: { productId: string }) => p.productId),
      exact.body.data.products.map((p: { productId: string }) => p.productId),
    )
    const image = exact.body.data.products[0].image as string
    assert.ok(image.startsWith('data:image/svg+xml;base64,'))
  })

  it('finds nothing for gibberish', async () => {
    const res = await api('GET', '/api/commerce/search?q=qqqzzzxxv')
    assert.equal(res.status, 200)
    assert.deepEqual(res.body.data.products, [])
    assert.equal(res.body.data.pagination.hasMore, false)
  })

  it('filters by price, retailer, category, prime and rating', async () => {
    const res = await api(
      'GET',
      '/api/commerce/search?category=Electronics&retailer=walmart&minPrice=20&maxPrice=200.50&prime=true&minRating=4.5&limit=50',
    )
    assert.equal(res.status, 200)
    assert.ok(res.body.data.products.length > 0)
    for (const p of res.body.data.products) {
      assert.equal(p.category, 'Electronics')
      assert.equal(p.retailer, 'walmart')
      assert.equal(p.prime, true)
      assert.ok(p.price >= 20 && p.price <= 200.5, String(p.price))
      assert.ok(p.rating >= 4.5)
    }
  })

  it('pages with offset without overlap and sorts by price', async () => {
    const first = await api(
      'GET',
      '/api/commerce/search?q=yoga%20mat&limit=5&offset=0&sort=price_asc',
    )
    const second = await api(
      'GET',
      '/api/commerce/search?q=yoga%20mat&limit=5&offset=5&sort=price_asc',
    )
    assert.equal(first.body.data.pagination.hasMore, true)
    const a = first.body.data.products.map((p: { productId: string }) => p.productId)
    const b = second.body.data.products.map((p: { productId: string }) => p.productId)
    assert.equal(new Set([...a, ...b]).size, a.length + b.length)
    const prices = [...first.body.data.products, ...second.body.data.products].map(
      (p: { price: number }) => p.price,
    )
    assert.deepEqual(
      prices,
      [...prices].sort((x, y) => x - y),
    )
  })

  const invalid: [string, string][] = [
    ['limit=0', 'limit'],
    ['limit=51', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1001', 'offset'],
    ['minPrice=1.234', 'minPrice'],
    ['minPrice=-1', 'minPrice'],
    ['minRating=5.5', 'minRating'],
    ['retailer=costco', 'retailer'],
    ['prime=yes', 'prime'],
    ['sort=cheapest', 'sort'],
    ['colour=red', 'colour'],
    ['minPrice=50&maxPrice=10', 'maxPrice'],
    [`q=${'a'.repeat(201)}`, 'q'],
  ]
  for (const [query, field] of invalid) {
    it(`answers 400 naming ${field} for ${query.slice(0, 40)}`, async () => {
      const res = await api('GET', `/api/commerce/search?${query}`)
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        JSON.stringify(res.body.error),
      )
    })
  }

  it('returns product details with images, specifications, reviews and availability', async () => {
    const res = await api('GET', '/api/commerce/products/B08N5WRWNW')
    assert.equal(res.status, 200)
    const p = res.body.data
    assert.equal(p.title, 'Echo (4th Gen) Smart Speaker, Charcoal')
    assert.equal(p.pricing.price, 99.99)
    assert.equal(p.availability.eligibleForCheckout, true)
    assert.ok(p.images.length >= 1)
    assert.ok(p.reviews.length > 0)
    const ineligible = await api('GET', '/api/commerce/products/B000000000')
    assert.equal(ineligible.body.data.availability.eligibleForCheckout, false)
    assert.equal((await api('GET', '/api/commerce/products/B0NOTHERE1')).status, 404)
  })

  it('sorts offers by best value and flags ineligible ones', async () => {
    const search = await api('GET', '/api/commerce/search?q=camping%20tent&limit=20')
    let checked = 0
    for (const product of search.body.data.products) {
      const res = await api('GET', `/api/commerce/products/${product.productId}/offers`)
      assert.equal(res.status, 200)
      assert.equal(typeof res.body.meta.timestamp, 'number')
      const costs = res.body.data.offers.map((o: { totalCost: number }) => o.totalCost)
      assert.deepEqual(
        costs,
        [...costs].sort((x, y) => x - y),
      )
      for (const o of res.body.data.offers) {
        assert.equal(Number((o.price + o.shipping).toFixed(2)), o.totalCost)
        if (o.condition !== 'New') assert.equal(o.eligible, false)
        if (o.deliveryDays.max > 10) assert.equal(o.eligible, false)
      }
      checked += 1
    }
    assert.ok(checked > 0)
  })

  it('adds delivery days for remote ZIP codes', async () => {
    const mainland = await api('GET', '/api/commerce/products/B08N5WRWNW/offers?zip_code=33101')
    const alaska = await api('GET', '/api/commerce/products/B08N5WRWNW/offers?zip_code=99501')
    assert.equal(
      alaska.body.data.offers[0].deliveryDays.max,
      mainland.body.data.offers[0].deliveryDays.max + 2,
    )
    assert.equal(
      (await api('GET', '/api/commerce/products/B08N5WRWNW/offers?zip_code=3310')).status,
      400,
    )
    assert.equal((await api('GET', '/api/commerce/products/B0NOTHERE1/offers')).status, 404)
  })
})
