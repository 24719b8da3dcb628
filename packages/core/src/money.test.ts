import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { formatUsdMillis, parseUsdToMillis } from './money.ts'
import { formatEventId, parseEventSeq, uuidv7, isUuid } from './ids.ts'

describe('parseUsdToMillis', () => {
  const valid: [string, bigint][] = [
    ['0.01', 10n],
    ['49.99', 49990n],
    ['1000000', 1_000_000_000n],
    ['129.9', 129900n],
    ['0', 0n],
  ]
  for (const [text, millis] of valid) {
    it(`parses "${text}" exactly into ${millis} millis`, () => {
      assert.equal(parseUsdToMillis(text), millis)
    })
  }
  for (const text of ['1e3', '-1', '+1', '01', '1.', '.5', '0.001', '1.234', '', 'NaN', ' 1']) {
    it(`rejects "${text}"`, () => {
      assert.throws(() => parseUsdToMillis(text), { code: 'INVALID_AMOUNT_FORMAT' })
    })
  }
})

describe('formatUsdMillis', () => {
  it('always prints three decimals', () => {
    assert.equal(formatUsdMillis(129900n), '129.900')
    assert.equal(formatUsdMillis(5n), '0.005')
    assert.equal(formatUsdMillis(0n), '0.000')
    assert.equal(formatUsdMillis(-1500n), '-1.500')
  })
})

describe('ids', () => {
  it('makes time-ordered UUIDv7 values', () => {
    const a = uuidv7(1_700_000_000_000)
    const b = uuidv7(1_700_000_000_001)
    assert.ok(isUuid(a) && isUuid(b))
    assert.equal(a[14], '7')
    assert.ok(a < b)
  })
  it('keeps ids made in the same millisecond in creation order', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000))
    assert.deepEqual([...ids].sort(), ids)
    assert.equal(new Set(ids).size, ids.length)
  })
  it('round-trips event ids and refuses malformed ones', () => {
    assert.equal(parseEventSeq(formatEventId(1734780000000, 123n)), 123n)
    assert.equal(parseEventSeq('evt_abc-1'), undefined)
    assert.equal(parseEventSeq('evt_1-'), undefined)
  })
})
