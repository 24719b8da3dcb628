import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { checkout, commerceApi, startCommerceServer, type Api } from './harness.ts'

const CSV = [
  'productId,title,price,brand,category,shipping,rating,numReviews,prime,condition,handlingDaysMin,handlingDaysMax,transitDays',
  'MUG-001,Handmade Ceramic Mug,18.50,Clayworks,Kitchen,4.99,4.8,120,false,New,1,2,3',
  'MUG-002,"Ceramic Mug, Speckled Glaze",21,Clayworks,Kitchen,4.99,4.6,35,no,New,1,2,3',
  ',Nameless Mug,10,Clayworks,Kitchen,0,4,1,false,New,1,2,3',
  'MUG-004,Cheap Mug,0.001,Clayworks,Kitchen,0,4,1,false,New,1,2,3',
  'MUG-005,Rated Mug,12,Clayworks,Kitchen,0,7,1,maybe,Broken,1,2,3',
  'MUG-001,Duplicate Mug,12,Clayworks,Kitchen,0,4,1,false,New,1,2,3',
  'TEAPOT-9,Slow Teapot,45,Clayworks,Kitchen,0,4,1,false,New,5,9,6',
].join('\n')

describe('POST /api/commerce/merchant/catalog/import', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let other: OnboardedMerchant
  let api: Api
  let otherApi: Api

  before(async () => {
    t = await startCommerceServer()
    merchant = await t.onboard('Clayworks Studio')
    other = await t.onboard('Other Studio')
    api = commerceApi(t, merchant.commerceKey)
    otherApi = commerceApi(t, other.commerceKey)
  })
  after(async () => t.close())

  it('imports the good rows of a CSV and reports each bad row with its fields', async () => {
    const res = await api('POST', '/api/commerce/merchant/catalog/import', {
      body: { format: 'csv', csv: CSV },
    })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    const d = res.body.data
    assert.equal(d.totalRows, 7)
    assert.equal(d.accepted, 3)
    assert.equal(d.created, 3)
    assert.deepEqual(
      d.rejected.map((r: { row: number }) => r.row),
      [3, 4, 5, 6],
    )
    const byRow = Object.fromEntries(
      d.rejected.map((r: { row: number; errors: { field: string }[] }) => [
        r.row,
        r.errors.map((e) => e.field),
      ]),
    )
    assert.deepEqual(byRow[3], ['productId'])
    assert.deepEqual(byRow[4], ['price'])
    assert.deepEqual(byRow[5], ['rating', 'condition', 'prime'])
    assert.deepEqual(byRow[6], ['productId'])
    assert.match(d.rejected[3].errors[0].message, /duplicate of row 1/)
  })

  it('makes imported goods searchable (with typos) for the importing merchant only', async () => {
    const mine = await api('GET', '/api/commerce/search?q=ceramic%20mug&retailer=other')
    assert.deepEqual(
      mine.body.data.products.map((p: { productId: string }) => p.productId).sort(),
      ['MUG-001', 'MUG-002'],
    )
    assert.equal(mine.body.data.products[0].isMerchantProduct, true)
    const typo = await api('GET', '/api/commerce/search?q=ceramik%20mugg')
    assert.ok(
      typo.body.data.products.some((p: { productId: string }) => p.productId === 'MUG-001'),
      JSON.stringify(typo.body.data),
    )
    const theirs = await otherApi('GET', '/api/commerce/search?q=ceramic%20mug&retailer=other')
    assert.deepEqual(theirs.body.data.products, [])
    // the other merchant's typo dictionary does not know this merchant's words either
    assert.deepEqual(
      (await otherApi('GET', '/api/commerce/search?q=clayworx')).body.data.corrections,
      [],
    )
    assert.equal((await otherApi('GET', '/api/commerce/products/MUG-001')).status, 404)
  })

  it('checks out an imported product with its own shipping and eligibility', async () => {
    const offers = await api('GET', '/api/commerce/products/MUG-001/offers')
    assert.equal(offers.body.data.retailer, 'other')
    assert.equal(offers.body.data.offers[0].sellerName, 'Clayworks Studio')
    const { estimate } = await checkout(api, { customer_id: `cust_${randomUUID()}` }, [
      { productId: 'MUG-001', quantity: 2 },
    ])
    assert.equal(estimate.pricing.subtotal, 37)
    assert.equal(estimate.pricing.shipping, 4.99)
    const slow = await api('POST', '/api/commerce/merchant/checkout/estimate', {
      body: { customer_id: 'c', items: [{ productId: 'TEAPOT-9', quantity: 1 }] },
    })
    assert.match(slow.body.data.invalidItems[0].error, /No eligible offers/)
  })

  it('updates existing products on re-import from JSON and validates without writing on a dry run', async () => {
    const dry = await api('POST', '/api/commerce/merchant/catalog/import', {
      body: {
        format: 'json',
        dryRun: true,
        products: [{ productId: 'MUG-001', title: 'Dry Run Mug', price: 1 }],
      },
    })
    assert.equal(dry.body.data.accepted, 1)
    assert.equal(dry.body.data.created + dry.body.data.updated, 0)
    assert.equal(
      (await api('GET', '/api/commerce/products/MUG-001')).body.data.title,
      'Handmade Ceramic Mug',
    )
    const res = await api('POST', '/api/commerce/merchant/catalog/import', {
      body: {
        format: 'json',
        products: [
          { productId: 'MUG-001', title: 'Handmade Ceramic Mug v2', price: 19.5 },
          { productId: 'BOWL-1', title: 'Serving Bowl', price: '32.00', colour: 'blue' },
        ],
      },
    })
    assert.equal(res.status, 200)
    assert.equal(res.body.data.updated, 1)
    assert.deepEqual(res.body.data.rejected, [
      { row: 2, productId: 'BOWL-1', errors: [{ field: 'colour', message: 'unknown column' }] },
    ])
    const product = await api('GET', '/api/commerce/products/MUG-001')
    assert.equal(product.body.data.title, 'Handmade Ceramic Mug v2')
    assert.equal(product.body.data.price, 19.5)
  })

  const invalid: [string, Record<string, unknown>, string][] = [
    ['json without products', { format: 'json' }, 'products'],
    ['csv without text', { format: 'csv' }, 'csv'],
    ['csv without a header', { format: 'csv', csv: 'MUG-1,Mug,10' }, 'csv'],
    ['an empty product list', { format: 'json', products: [] }, 'products'],
    [
      'more than 5000 rows',
      {
        format: 'json',
        products: Array.from({ length: 5001 }, (_, i) => ({
          productId: `P${i}`,
          title: 'x',
          price: 1,
        })),
      },
      'products',
    ],
    ['an unknown format', { format: 'xml', products: [] }, 'format'],
  ]
  for (const [label, body, field] of invalid) {
    it(`answers 400 naming ${field} for ${label}`, async () => {
      const res = await api('POST', '/api/commerce/merchant/catalog/import', { body })
      assert.equal(res.status, 400, JSON.stringify(res.body).slice(0, 300))
      assert.ok(
        res.body.error.details.some((d: { field: string }) => d.field === field),
        JSON.stringify(res.body.error).slice(0, 300),
      )
    })
  }
})
