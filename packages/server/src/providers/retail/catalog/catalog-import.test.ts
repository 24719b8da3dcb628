import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { csvRecords, parseImport, parseImportRow } from './catalog-import.ts'

describe('merchant catalog import rows', () => {
  it('parses a full row exactly into integers', () => {
    const result = parseImportRow({
      productId: 'SKU-1',
      title: 'Mug',
      price: '18.50',
      listPrice: 20,
      shipping: '4.99',
      rating: '4.5',
      numReviews: '12',
      prime: 'yes',
      condition: 'New',
    })
    assert.ok('product' in result)
    assert.equal(result.product.priceUsdMillis, 18_500n)
    assert.equal(result.product.listPriceUsdMillis, 20_000n)
    assert.equal(result.product.shippingUsdMillis, 4_990n)
    assert.equal(result.product.ratingTenths, 45)
    assert.equal(result.product.isPrime, true)
  })

  const bad: [Record<string, unknown>, string][] = [
    [{ title: 'x', price: 1 }, 'productId'],
    [{ productId: 'a b', title: 'x', price: 1 }, 'productId'],
    [{ productId: 'a', price: 1 }, 'title'],
    [{ productId: 'a', title: 'x' }, 'price'],
    [{ productId: 'a', title: 'x', price: '1e3' }, 'price'],
    [{ productId: 'a', title: 'x', price: 0 }, 'price'],
    [{ productId: 'a', title: 'x', price: 1, listPrice: 0.5 }, 'listPrice'],
    [{ productId: 'a', title: 'x', price: 1, rating: 6 }, 'rating'],
    [{ productId: 'a', title: 'x', price: 1, numReviews: -2 }, 'numReviews'],
    [
      { productId: 'a', title: 'x', price: 1, handlingDaysMin: 5, handlingDaysMax: 2 },
      'handlingDaysMax',
    ],
    [{ productId: 'a', title: 'x', price: 1, imageUrl: 'javascript:alert(1)' }, 'imageUrl'],
    [{ productId: 'a', title: 'x', price: 1, price2: 3 }, 'price2'],
  ]
  for (const [record, field] of bad) {
    it(`rejects ${JSON.stringify(record)} naming ${field}`, () => {
      const result = parseImportRow(record)
      assert.ok('errors' in result)
      assert.ok(
        result.errors.some((e) => e.field === field),
        JSON.stringify(result.errors),
      )
    })
  }

  it('reads quoted CSV fields and rejects a repeated productId after its first row', () => {
    const parsed = csvRecords('productId,title,price\nA,"Mug, big",10\nA,Again,11\n')
    assert.ok('records' in parsed)
    const result = parseImport(parsed.records)
    assert.equal(result.accepted.length, 1)
    assert.equal(result.accepted[0]?.title, 'Mug, big')
    assert.deepEqual(result.rejected, [
      { row: 2, productId: 'A', errors: [{ field: 'productId', message: 'duplicate of row 1' }] },
    ])
  })

  it('reports an unreadable CSV as one error', () => {
    const parsed = csvRecords('productId,title\n"unterminated,x\n')
    assert.ok('error' in parsed)
  })
})
