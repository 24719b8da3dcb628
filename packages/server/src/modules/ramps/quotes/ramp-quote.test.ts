import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { checkLimits, computeQuote, feeOf, grossForNet, type QuoteInput } from './ramp-quote.ts'

const EUR = { answer: 862_000n, decimals: 6 }
const JPY = { answer: 155_800_000n, decimals: 6 }
const base: Omit<QuoteInput, 'direction' | 'fixedBy' | 'amount'> = {
  tokenDecimals: 6,
  currencyExponent: 2,
  rate: EUR,
  feeBps: 50n,
  feeFixedMinor: 50n,
}

describe('computeQuote', () => {
  it('prices an off-ramp of 100 USDC into euros with the fee taken from the payout', () => {
    const q = computeQuote({ ...base, direction: 'off_ramp', fixedBy: 'source', amount: 100_000_000n })
    assert.equal(q.usdMillis, 100_000n)
    assert.equal(q.grossFiatMinor, 8620n) // 86.20 EUR
    assert.equal(q.feeFiatMinor, 44n + 50n) // ceil(43.1) + 0.50
    assert.equal(q.netFiatMinor, 8620n - 94n)
  })

  it('prices an off-ramp by the payout amount so that the bank account receives exactly that', () => {
    const q = computeQuote({ ...base, direction: 'off_ramp', fixedBy: 'destination', amount: 5000n })
    assert.equal(q.netFiatMinor, 5000n)
    const forward = computeQuote({ ...base, direction: 'off_ramp', fixedBy: 'source', amount: q.tokenUnits })
    assert.ok(forward.netFiatMinor >= 5000n, `sending ${q.tokenUnits} pays ${forward.netFiatMinor}`)
  })

  it('handles zero-decimal currencies (JPY) and 18-decimal tokens', () => {
    const q = computeQuote({ ...base, tokenDecimals: 18, currencyExponent: 0, rate: JPY, feeFixedMinor: 300n, direction: 'off_ramp', fixedBy: 'source', amount: 10n ** 20n })
    assert.equal(q.grossFiatMinor, 15580n) // 100 USD × 155.8
    assert.equal(q.feeFiatMinor, 78n + 300n)
  })

  it('prices an on-ramp by the fiat sent, rounding the tokens down', () => {
    const q = computeQuote({ ...base, direction: 'on_ramp', fixedBy: 'source', amount: 10_000n })
    assert.equal(q.feeFiatMinor, 50n + 50n)
    assert.equal(q.netFiatMinor, 9900n)
    assert.equal(q.usdMillis, 114_849n) // floor(99.00 / 0.862 × 1000)
    assert.equal(q.tokenUnits, 114_849_000n)
  })

  it('prices an on-ramp by the tokens wanted so that the fiat sent always covers them', () => {
    const q = computeQuote({ ...base, direction: 'on_ramp', fixedBy: 'destination', amount: 25_000_000n })
    const forward = computeQuote({ ...base, direction: 'on_ramp', fixedBy: 'source', amount: q.grossFiatMinor })
    assert.ok(forward.tokenUnits >= 25_000_000n)
  })

  it('never lets a destination-priced off-ramp pay less than asked (seeded property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 100n, max: 10n ** 12n }),
        fc.bigInt({ min: 0n, max: 500n }),
        fc.bigInt({ min: 0n, max: 2000n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (net, feeBps, fixed, rateAnswer) => {
          const input = { ...base, feeBps, feeFixedMinor: fixed, rate: { answer: rateAnswer, decimals: 6 } }
          const q = computeQuote({ ...input, direction: 'off_ramp', fixedBy: 'destination', amount: net })
          const forward = computeQuote({ ...input, direction: 'off_ramp', fixedBy: 'source', amount: q.tokenUnits })
          return forward.netFiatMinor >= net && q.grossFiatMinor - q.feeFiatMinor === q.netFiatMinor
        },
      ),
      { seed: 42, numRuns: 500 },
    )
  })
})

describe('grossForNet', () => {
  it('finds the smallest gross whose net after fees reaches the target', () => {
    for (const [net, bps, fixed] of [[100n, 50n, 50n], [1n, 0n, 0n], [999_999n, 80n, 500n], [7n, 9999n, 0n]] as const) {
      const gross = grossForNet(net, bps, fixed)
      assert.ok(gross - feeOf(gross, bps, fixed) >= net)
      assert.ok(gross - 1n - feeOf(gross - 1n, bps, fixed) < net)
    }
  })
})

describe('checkLimits', () => {
  const cases: [string, Parameters<typeof checkLimits>, string | null][] = [
    ['fits under both basic limits', ['basic', { dayUsdMillis: 0n, monthUsdMillis: 0n }, 1_000_000n], null],
    ['crosses the basic daily limit by one milli', ['basic', { dayUsdMillis: 1n, monthUsdMillis: 1n }, 1_000_000n], 'daily'],
    ['crosses the basic monthly limit', ['basic', { dayUsdMillis: 0n, monthUsdMillis: 4_500_000n }, 600_000n], 'monthly'],
    ['fits at standard what basic refuses', ['standard', { dayUsdMillis: 0n, monthUsdMillis: 0n }, 5_000_000n], null],
    ['crosses the enhanced daily limit', ['enhanced', { dayUsdMillis: 99_000_000n, monthUsdMillis: 0n }, 1_000_001n], 'daily'],
  ]
  for (const [label, args, window] of cases) {
    it(`${window ? 'refuses' : 'allows'} an amount that ${label}`, () => {
      const result = checkLimits(...args)
      assert.equal(result.ok ? null : result.window, window)
    })
  }
})
