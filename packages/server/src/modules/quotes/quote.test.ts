import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  AmountParseError,
  checkPeg,
  formatUnits,
  parseUnits,
  stablecoinPrice,
  tokenUnitsToUsdMillis,
  usdMillisToTokenUnits,
} from './quote.ts'
import type { FixedPointPrice, Rounding } from './quote.ts'

const UINT256_MAX = 2n ** 256n - 1n
const ETH_3000: FixedPointPrice = { answer: 3000_00000000n, decimals: 8 }
const ETH_2000: FixedPointPrice = { answer: 2000_00000000n, decimals: 8 }
const SOL_142_37: FixedPointPrice = { answer: 142_37000000n, decimals: 8 }
const FEED_PAR: FixedPointPrice = { answer: 1_00000000n, decimals: 8 }

describe('usdMillisToTokenUnits', () => {
  const cases: Array<{
    label: string
    usdMillis: bigint
    tokenDecimals: number
    priceUsd: FixedPointPrice
    bufferBps?: number
    ceil: bigint
    floor: bigint
  }> = [
    {
      label: '$49.99 of a 6-decimal stablecoin at par',
      usdMillis: 49_990n,
      tokenDecimals: 6,
      priceUsd: stablecoinPrice(6),
      ceil: 49_990_000n,
      floor: 49_990_000n,
    },
    {
      label: '$49.99 of a 6-decimal stablecoin through an 8-decimal feed',
      usdMillis: 49_990n,
      tokenDecimals: 6,
      priceUsd: FEED_PAR,
      ceil: 49_990_000n,
      floor: 49_990_000n,
    },
    {
      label: '$49.99 of an 18-decimal stablecoin (BSC USDT)',
      usdMillis: 49_990n,
      tokenDecimals: 18,
      priceUsd: stablecoinPrice(18),
      ceil: 49_990_000_000_000_000_000n,
      floor: 49_990_000_000_000_000_000n,
    },
    {
      label: '$129.90 of ETH at $3000 (exact)',
      usdMillis: 129_900n,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      ceil: 43_300_000_000_000_000n,
      floor: 43_300_000_000_000_000n,
    },
    {
      label: '$100 of ETH at $3000 (repeating)',
      usdMillis: 100_000n,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      ceil: 33_333_333_333_333_334n,
      floor: 33_333_333_333_333_333n,
    },
    {
      label: '$100 of ETH at $2000 with a 50 bps buffer',
      usdMillis: 100_000n,
      tokenDecimals: 18,
      priceUsd: ETH_2000,
      bufferBps: 50,
      ceil: 50_250_000_000_000_000n,
      floor: 50_250_000_000_000_000n,
    },
    {
      label: '$1 at par with the maximum 100% buffer',
      usdMillis: 1_000n,
      tokenDecimals: 6,
      priceUsd: stablecoinPrice(6),
      bufferBps: 10_000,
      ceil: 2_000_000n,
      floor: 2_000_000n,
    },
    {
      label: '$25 of SOL at $142.37',
      usdMillis: 25_000n,
      tokenDecimals: 9,
      priceUsd: SOL_142_37,
      ceil: 175_598_792n,
      floor: 175_598_791n,
    },
    {
      label: '0.1 cent of a 2-decimal token at par',
      usdMillis: 1n,
      tokenDecimals: 2,
      priceUsd: stablecoinPrice(2),
      ceil: 1n,
      floor: 0n,
    },
    {
      label: '$1.001 of a 0-decimal token at $0.50',
      usdMillis: 1_001n,
      tokenDecimals: 0,
      priceUsd: { answer: 5n, decimals: 1 },
      ceil: 3n,
      floor: 2n,
    },
    {
      label: 'zero',
      usdMillis: 0n,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      bufferBps: 100,
      ceil: 0n,
      floor: 0n,
    },
    {
      label: 'uint256-max millis of an 18-decimal token at $1',
      usdMillis: UINT256_MAX,
      tokenDecimals: 18,
      priceUsd: { answer: 1n, decimals: 0 },
      ceil: UINT256_MAX * 10n ** 15n,
      floor: UINT256_MAX * 10n ** 15n,
    },
    {
      label: '$1 of a token worth 10^-18 USD',
      usdMillis: 1_000n,
      tokenDecimals: 18,
      priceUsd: { answer: 1n, decimals: 18 },
      ceil: 10n ** 36n,
      floor: 10n ** 36n,
    },
  ]
  for (const c of cases) {
    it(`converts ${c.label}`, () => {
      const base = {
        usdMillis: c.usdMillis,
        tokenDecimals: c.tokenDecimals,
        priceUsd: c.priceUsd,
        bufferBps: c.bufferBps ?? 0,
      }
      assert.equal(usdMillisToTokenUnits({ ...base, rounding: 'ceil' }), c.ceil)
      assert.equal(usdMillisToTokenUnits({ ...base, rounding: 'floor' }), c.floor)
    })
  }

  it('rounds up and applies no buffer by default', () => {
    assert.equal(
      usdMillisToTokenUnits({ usdMillis: 100_000n, tokenDecimals: 18, priceUsd: ETH_3000 }),
      33_333_333_333_333_334n,
    )
  })

  const invalid: Array<[string, Parameters<typeof usdMillisToTokenUnits>[0]]> = [
    ['negative usdMillis', { usdMillis: -1n, tokenDecimals: 6, priceUsd: FEED_PAR }],
    ['negative tokenDecimals', { usdMillis: 1n, tokenDecimals: -1, priceUsd: FEED_PAR }],
    ['fractional tokenDecimals', { usdMillis: 1n, tokenDecimals: 1.5, priceUsd: FEED_PAR }],
    ['tokenDecimals above 255', { usdMillis: 1n, tokenDecimals: 256, priceUsd: FEED_PAR }],
    ['a zero price', { usdMillis: 1n, tokenDecimals: 6, priceUsd: { answer: 0n, decimals: 8 } }],
    [
      'a negative price',
      { usdMillis: 1n, tokenDecimals: 6, priceUsd: { answer: -1n, decimals: 8 } },
    ],
    [
      'price decimals above 255',
      { usdMillis: 1n, tokenDecimals: 6, priceUsd: { answer: 1n, decimals: 256 } },
    ],
    ['a negative buffer', { usdMillis: 1n, tokenDecimals: 6, priceUsd: FEED_PAR, bufferBps: -1 }],
    [
      'a fractional buffer',
      { usdMillis: 1n, tokenDecimals: 6, priceUsd: FEED_PAR, bufferBps: 0.5 },
    ],
    [
      'a buffer above 100%',
      { usdMillis: 1n, tokenDecimals: 6, priceUsd: FEED_PAR, bufferBps: 10_001 },
    ],
  ]
  for (const [label, input] of invalid) {
    it(`throws RangeError for ${label}`, () => {
      assert.throws(() => usdMillisToTokenUnits(input), RangeError)
    })
  }
})

describe('tokenUnitsToUsdMillis', () => {
  const cases: Array<{
    label: string
    amountUnits: bigint
    tokenDecimals: number
    priceUsd: FixedPointPrice
    floor: bigint
    ceil: bigint
  }> = [
    {
      label: '49.99 of a 6-decimal stablecoin',
      amountUnits: 49_990_000n,
      tokenDecimals: 6,
      priceUsd: stablecoinPrice(6),
      floor: 49_990n,
      ceil: 49_990n,
    },
    {
      label: 'the smallest USDC unit',
      amountUnits: 1n,
      tokenDecimals: 6,
      priceUsd: FEED_PAR,
      floor: 0n,
      ceil: 1n,
    },
    {
      label: '1 wei at $3000',
      amountUnits: 1n,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      floor: 0n,
      ceil: 1n,
    },
    {
      label: '0.0433 ETH at $3000',
      amountUnits: 43_300_000_000_000_000n,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      floor: 129_900n,
      ceil: 129_900n,
    },
    {
      label: 'a rounded-up $100 ETH quote',
      amountUnits: 33_333_333_333_333_334n,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      floor: 100_000n,
      ceil: 100_001n,
    },
    { label: 'zero', amountUnits: 0n, tokenDecimals: 18, priceUsd: ETH_3000, floor: 0n, ceil: 0n },
    {
      label: 'uint256-max wei at $3000',
      amountUnits: UINT256_MAX,
      tokenDecimals: 18,
      priceUsd: ETH_3000,
      floor: 347376267711948586270712955026063723559809953996921692118372752023n,
      ceil: 347376267711948586270712955026063723559809953996921692118372752024n,
    },
  ]
  for (const c of cases) {
    it(`values ${c.label}`, () => {
      const base = {
        amountUnits: c.amountUnits,
        tokenDecimals: c.tokenDecimals,
        priceUsd: c.priceUsd,
      }
      assert.equal(tokenUnitsToUsdMillis({ ...base, rounding: 'floor' }), c.floor)
      assert.equal(tokenUnitsToUsdMillis({ ...base, rounding: 'ceil' }), c.ceil)
    })
  }

  it('rounds down by default', () => {
    assert.equal(
      tokenUnitsToUsdMillis({ amountUnits: 1n, tokenDecimals: 18, priceUsd: ETH_3000 }),
      0n,
    )
  })

  it('throws RangeError for a negative amount or a zero price', () => {
    assert.throws(
      () => tokenUnitsToUsdMillis({ amountUnits: -1n, tokenDecimals: 6, priceUsd: FEED_PAR }),
      RangeError,
    )
    assert.throws(
      () =>
        tokenUnitsToUsdMillis({
          amountUnits: 1n,
          tokenDecimals: 6,
          priceUsd: { answer: 0n, decimals: 8 },
        }),
      RangeError,
    )
  })
})

/** SplitMix64: small, seeded, reproducible. */
function createRandom(seed: bigint) {
  let state = seed & 0xffff_ffff_ffff_ffffn
  const next64 = (): bigint => {
    state = (state + 0x9e37_79b9_7f4a_7c15n) & 0xffff_ffff_ffff_ffffn
    let z = state
    z = ((z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n) & 0xffff_ffff_ffff_ffffn
    z = ((z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn) & 0xffff_ffff_ffff_ffffn
    return z ^ (z >> 31n)
  }
  const bits = (count: number): bigint => {
    let value = 0n
    for (let produced = 0; produced < count; produced += 64) value = (value << 64n) | next64()
    return value & ((1n << BigInt(count)) - 1n)
  }
  const int = (maxInclusive: number): number => Number(next64() % BigInt(maxInclusive + 1))
  return { bits, int }
}

describe('quote rounding properties', () => {
  const CASES = 10_000
  const random = createRandom(20_240_601n)

  it(`hold for ${CASES} seeded random quotes`, () => {
    for (let i = 0; i < CASES; i++) {
      const usdMillis = random.bits(random.int(256))
      const tokenDecimals = [6, 9, 18, random.int(36)][random.int(3)] ?? 0
      const priceUsd = { answer: random.bits(1 + random.int(127)) | 1n, decimals: random.int(24) }
      const bufferBps = random.int(1) === 0 ? 0 : random.int(2_000)
      const quote = (rounding: Rounding) =>
        usdMillisToTokenUnits({ usdMillis, tokenDecimals, priceUsd, bufferBps, rounding })
      const value = (amountUnits: bigint, rounding: Rounding) =>
        tokenUnitsToUsdMillis({ amountUnits, tokenDecimals, priceUsd, rounding })
      const context = () =>
        JSON.stringify({
          i,
          usdMillis: String(usdMillis),
          tokenDecimals,
          answer: String(priceUsd.answer),
          decimals: priceUsd.decimals,
          bufferBps,
        })

      const ceil = quote('ceil')
      const floor = quote('floor')
      const gap = ceil - floor
      assert.ok(gap === 0n || gap === 1n, `ceil and floor differ by ${gap}: ${context()}`)

      // Independent of the implementation's formula: ceil is the least u with u·price ≥ usd·(1+buffer).
      const needed =
        usdMillis *
        BigInt(10_000 + bufferBps) *
        10n ** BigInt(tokenDecimals) *
        10n ** BigInt(priceUsd.decimals)
      const per = 1000n * 10_000n * priceUsd.answer
      assert.ok(ceil * per >= needed, `ceil under-charges: ${context()}`)
      assert.ok(ceil === 0n || (ceil - 1n) * per < needed, `ceil is not minimal: ${context()}`)
      assert.ok(
        floor * per <= needed && (floor + 1n) * per > needed,
        `floor is not the floor: ${context()}`,
      )

      assert.ok(
        value(ceil, 'floor') >= usdMillis,
        `amount due is worth less than the price: ${context()}`,
      )
      if (bufferBps === 0) {
        assert.ok(value(floor, 'floor') <= usdMillis, `floor quote over-credits: ${context()}`)
        if (ceil > 0n)
          assert.ok(value(ceil - 1n, 'floor') < usdMillis, `one unit less still pays: ${context()}`)
      }
      const valueGap = value(ceil, 'ceil') - value(ceil, 'floor')
      assert.ok(valueGap === 0n || valueGap === 1n, `value rounding gap ${valueGap}: ${context()}`)

      assert.equal(parseUnits(formatUnits(ceil, tokenDecimals), tokenDecimals), ceil)
    }
  })
})

describe('stablecoinPrice', () => {
  for (const decimals of [0, 6, 18]) {
    it(`prices one ${decimals}-decimal token at exactly 1 USD`, () => {
      const price = stablecoinPrice(decimals)
      assert.deepEqual(price, { answer: 10n ** BigInt(decimals), decimals })
      assert.equal(
        tokenUnitsToUsdMillis({
          amountUnits: 10n ** BigInt(decimals),
          tokenDecimals: decimals,
          priceUsd: price,
        }),
        1000n,
      )
    })
  }
})

describe('checkPeg', () => {
  const cases: Array<{
    observed: FixedPointPrice
    maxDeviationBps: number
    ok: boolean
    deviationBps: bigint
  }> = [
    { observed: FEED_PAR, maxDeviationBps: 50, ok: true, deviationBps: 0n },
    {
      observed: { answer: 99_500_000n, decimals: 8 },
      maxDeviationBps: 50,
      ok: true,
      deviationBps: 50n,
    },
    {
      observed: { answer: 99_499_999n, decimals: 8 },
      maxDeviationBps: 50,
      ok: false,
      deviationBps: 51n,
    },
    {
      observed: { answer: 100_500_000n, decimals: 8 },
      maxDeviationBps: 50,
      ok: true,
      deviationBps: 50n,
    },
    {
      observed: { answer: 100_500_001n, decimals: 8 },
      maxDeviationBps: 50,
      ok: false,
      deviationBps: 51n,
    },
    { observed: { answer: 98n, decimals: 2 }, maxDeviationBps: 50, ok: false, deviationBps: 200n },
    {
      observed: { answer: 1_000_000n, decimals: 6 },
      maxDeviationBps: 0,
      ok: true,
      deviationBps: 0n,
    },
    {
      observed: { answer: 999_999n, decimals: 6 },
      maxDeviationBps: 0,
      ok: false,
      deviationBps: 1n,
    },
    {
      observed: { answer: 0n, decimals: 8 },
      maxDeviationBps: 10_000,
      ok: false,
      deviationBps: 10_000n,
    },
    {
      observed: { answer: -1n, decimals: 8 },
      maxDeviationBps: 50,
      ok: false,
      deviationBps: 10_001n,
    },
  ]
  for (const c of cases) {
    it(`${c.ok ? 'passes' : 'fails'} ${formatUnits(c.observed.answer, c.observed.decimals)} USD with a ${c.maxDeviationBps} bps limit`, () => {
      const result = checkPeg({ observed: c.observed, maxDeviationBps: c.maxDeviationBps })
      assert.equal(result.ok, c.ok)
      assert.equal(result.deviationBps, c.deviationBps)
      if (!result.ok) assert.ok(result.reason.length > 0)
    })
  }

  it('explains a failure with the observed price and the deviation', () => {
    const result = checkPeg({ observed: { answer: 98n, decimals: 2 }, maxDeviationBps: 50 })
    assert.ok(!result.ok)
    assert.match(result.reason, /0\.98 USD/)
    assert.match(result.reason, /200 bps/)
    assert.match(result.reason, /50 bps/)
  })

  it('throws RangeError for a negative limit', () => {
    assert.throws(() => checkPeg({ observed: FEED_PAR, maxDeviationBps: -1 }), RangeError)
  })
})

describe('formatUnits', () => {
  const cases: Array<[bigint, number, string]> = [
    [1_500_000n, 6, '1.5'],
    [1_000_000n, 6, '1'],
    [1n, 6, '0.000001'],
    [0n, 6, '0'],
    [120n, 2, '1.2'],
    [123n, 0, '123'],
    [10n ** 18n, 18, '1'],
    [1n, 18, '0.000000000000000001'],
    [-1_500_000n, 6, '-1.5'],
    [
      UINT256_MAX,
      18,
      '115792089237316195423570985008687907853269984665640564039457.584007913129639935',
    ],
  ]
  for (const [amount, decimals, text] of cases) {
    it(`formats ${amount} with ${decimals} decimals as "${text}"`, () => {
      assert.equal(formatUnits(amount, decimals), text)
    })
  }
})

describe('parseUnits', () => {
  const cases: Array<[string, number, bigint]> = [
    ['1.5', 6, 1_500_000n],
    ['1.500000', 6, 1_500_000n],
    ['0.000001', 6, 1n],
    ['0', 6, 0n],
    ['1', 18, 10n ** 18n],
    ['123', 0, 123n],
    [
      '115792089237316195423570985008687907853269984665640564039457.584007913129639935',
      18,
      UINT256_MAX,
    ],
  ]
  for (const [text, decimals, amount] of cases) {
    it(`parses "${text}" with ${decimals} decimals as ${amount}`, () => {
      assert.equal(parseUnits(text, decimals), amount)
    })
  }

  const rejected: Array<[string, number, string]> = [
    ['', 6, 'empty'],
    ['-1', 6, 'sign'],
    ['+1', 6, 'sign'],
    ['1e3', 6, 'exponent'],
    ['1.5E-2', 6, 'exponent'],
    ['0.0000001', 6, 'too-many-decimals'],
    ['1.0', 0, 'too-many-decimals'],
    ['.5', 6, 'invalid-syntax'],
    ['5.', 6, 'invalid-syntax'],
    ['01', 6, 'invalid-syntax'],
    [' 1', 6, 'invalid-syntax'],
    ['1,5', 6, 'invalid-syntax'],
    ['0x10', 6, 'invalid-syntax'],
    ['Infinity', 6, 'invalid-syntax'],
    ['NaN', 6, 'invalid-syntax'],
    ['١', 6, 'invalid-syntax'],
  ]
  for (const [text, decimals, reason] of rejected) {
    it(`rejects ${JSON.stringify(text)} with ${decimals} decimals as ${reason}`, () => {
      assert.throws(
        () => parseUnits(text, decimals),
        (error: unknown) => {
          assert.ok(error instanceof AmountParseError)
          assert.equal(error.reason, reason)
          return true
        },
      )
    })
  }
})

