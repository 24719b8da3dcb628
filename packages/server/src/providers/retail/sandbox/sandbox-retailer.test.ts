import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { adjustOfferForZip, editDistance, nearestWord } from './sandbox-retailer.ts'
import { productImageDataUri } from './product-image.ts'
import { sandboxWords, searchWords } from './vocabulary.ts'

describe('typo correction', () => {
  const distances: [string, string, number][] = [
    ['chair', 'chair', 0],
    ['chiar', 'chair', 1], // swapped pair counts once
    ['ketle', 'kettle', 1],
    ['walllet', 'wallet', 1],
    ['chiar', 'car', 2],
    ['', 'abc', 3],
  ]
  for (const [a, b, d] of distances)
    it(`measures ${a} → ${b} as ${d} edits`, () => assert.equal(editDistance(a, b), d))

  it('picks the fewest-edits candidate, not the most similar trigram set', () => {
    assert.equal(nearestWord('chiar', ['car', 'chair', 'chairs']), 'chair')
    assert.equal(nearestWord('soalr', ['socks', 'solar']), 'solar')
  })
  it('refuses corrections that are too far for the word length', () => {
    assert.equal(nearestWord('tnet', ['tent']), 'tent')
    assert.equal(nearestWord('qqqzz', ['fuzzy', 'dizzy']), undefined)
    assert.equal(nearestWord('cup', ['cap', 'car']), 'cap')
  })
})

describe('sandbox catalog vocabulary', () => {
  it('tokenizes like the search does: lowercase, accent-free, two letters or more', () => {
    assert.deepEqual(searchWords('Crème Brûlée 4K-Monitor, a'), [
      'creme',
      'brulee',
      '4k',
      'monitor',
    ])
  })
  it('knows every generated title word', () => {
    const words = new Set(sandboxWords())
    for (const w of ['wireless', 'headphones', 'northwind', 'charcoal', 'espresso', 'echo'])
      assert.ok(words.has(w), w)
  })
  it('draws the same small SVG image for the same product every time', () => {
    const a = productImageDataUri('B08N5WRWNW', 'Echo Dot')
    assert.equal(a, productImageDataUri('B08N5WRWNW', 'Echo Dot'))
    assert.notEqual(a, productImageDataUri('B000NPYY04', 'Echo Dot'))
    assert.ok(a.length < 1000)
  })
})

describe('remote ZIP delivery', () => {
  const offer = {
    offerId: 'o',
    sellerId: 's',
    sellerName: 'S',
    priceUsdMillis: 10_000n,
    shippingUsdMillis: 0n,
    isPrime: false,
    isPrimeOnly: false,
    fulfillment: 'marketplace' as const,
    condition: 'New' as const,
    handlingDaysMin: 1,
    handlingDaysMax: 2,
    transitDays: 3,
    isInternational: false,
    isAvailable: true,
  }
  it('slows and charges non-Prime offers to Alaska, leaves the mainland alone', () => {
    assert.deepEqual(adjustOfferForZip(offer, '33101'), offer)
    const alaska = adjustOfferForZip(offer, '99501')
    assert.equal(alaska.transitDays, 7)
    assert.equal(alaska.shippingUsdMillis, 4_990n)
  })
})
