import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { percentFee, priceLines, salesTax } from './pricing.ts'
import {
  normalizeState,
  normalizeUsPhone,
  normalizeZip,
  stateForZip,
  STATE_TAX_PPM,
  US_STATES,
} from './us-address.ts'

describe('commerce pricing', () => {
  const fees: [bigint, bigint][] = [
    [0n, 0n],
    [10n, 10n], // 0.01 → 0.00025 rounds up to a cent
    [100_000n, 2_500n], // 100.00 → 2.50 exactly
    [99_990n, 2_500n], // 99.99 → 2.49975 → 2.50
    [224_970n, 5_630n], // 224.97 → 5.62425 → 5.63
  ]
  for (const [subtotal, fee] of fees) {
    it(`charges ${fee} millis of percentage fee on ${subtotal} millis`, () =>
      assert.equal(percentFee(subtotal), fee))
  }

  const taxes: [bigint, string, bigint][] = [
    [199_980n, 'CA', 14_500n], // 7.25% of 199.98 = 14.49855 → 14.50
    [99_990n, 'FL', 6_000n], // 6% of 99.99 = 5.9994 → 6.00
    [100_000n, 'OR', 0n],
    [100_000n, 'MN', 6_880n], // 6.875% = 6.875 → 6.88 (half up)
    [10n, 'TX', 0n],
  ]
  for (const [subtotal, state, tax] of taxes) {
    it(`taxes ${subtotal} millis in ${state} at ${tax} millis`, () =>
      assert.equal(salesTax(subtotal, state).taxUsdMillis, tax))
  }

  it('adds subtotal, per-line shipping, fees and tax into the total', () => {
    const p = priceLines(
      [
        { priceUsdMillis: 99_990n, shippingUsdMillis: 0n, quantity: 2 },
        { priceUsdMillis: 24_990n, shippingUsdMillis: 5_990n, quantity: 3 },
      ],
      'NY',
    )
    assert.equal(p.subtotalUsdMillis, 274_950n)
    assert.equal(p.shippingUsdMillis, 5_990n)
    assert.equal(p.feeTotalUsdMillis, 1_000n + 6_880n)
    assert.equal(p.taxUsdMillis, 11_000n)
    assert.equal(p.totalUsdMillis, 274_950n + 5_990n + 7_880n + 11_000n)
    assert.equal(p.totalUsdMillis % 10n, 0n)
  })

  it('charges nothing for no lines', () => assert.equal(priceLines([], 'CA').totalUsdMillis, 0n))
})

describe('US addresses', () => {
  it('knows a tax rate for every state it accepts', () => {
    for (const code of Object.keys(US_STATES)) assert.ok(STATE_TAX_PPM[code] !== undefined, code)
  })
  const zips: [string, string | undefined][] = [
    ['33101', 'FL'],
    ['10001', 'NY'],
    ['94105', 'CA'],
    ['99501', 'AK'],
    ['96813', 'HI'],
    ['02108', 'MA'],
    ['20001', 'DC'],
    ['75201', 'TX'],
    ['73301', 'TX'],
    ['00901', 'PR'],
    ['00000', undefined],
    ['34001', undefined],
  ]
  for (const [zip, state] of zips)
    it(`places ZIP ${zip} in ${state ?? 'no state'}`, () => assert.equal(stateForZip(zip), state))
  it('standardizes ZIP, state and phone forms', () => {
    assert.equal(normalizeZip('123456789'), '12345-6789')
    assert.equal(normalizeZip('1234'), undefined)
    assert.equal(normalizeState('florida'), 'FL')
    assert.equal(normalizeState(' ny '), 'NY')
    assert.equal(normalizeState('Narnia'), undefined)
    assert.equal(normalizeUsPhone('(305) 555-0123'), '+13055550123')
    assert.equal(normalizeUsPhone('+44 20 7946 0958'), undefined)
    assert.equal(normalizeUsPhone('555-0100'), undefined)
  })
})
