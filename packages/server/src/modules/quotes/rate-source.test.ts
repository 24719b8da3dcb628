import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '@pepay/core'
import { RateUnavailableError, createFixedRateSource } from './rate-source.ts'
import type { FixedRateTable, TokenRef } from './rate-source.ts'

const NOW = new Date('2025-01-15T12:00:00.000Z')
const clock = () => new Date(NOW)

const table: FixedRateTable = {
  ETH: { answer: 3000_00000000n, decimals: 8 },
  'base:ETH': { answer: 2999_50000000n, decimals: 8 },
  usdc: { answer: 1_00000000n, decimals: 8 },
  'solana:SOL': { answer: 142_37000000n, decimals: 8 },
}

describe('createFixedRateSource', () => {
  const source = createFixedRateSource(table, { clock })

  const lookups: Array<[TokenRef, bigint]> = [
    [{ network: 'ethereum', symbol: 'ETH', kind: 'native' }, 3000_00000000n],
    [{ network: 'base', symbol: 'ETH', kind: 'native' }, 2999_50000000n],
    [{ network: 'arbitrum', symbol: 'eth', kind: 'native' }, 3000_00000000n],
    [{ network: 'bsc', symbol: 'USDC', kind: 'stable' }, 1_00000000n],
    [{ network: 'solana', symbol: 'SOL', kind: 'native' }, 142_37000000n],
  ]
  for (const [tokenRef, answer] of lookups) {
    it(`prices ${tokenRef.symbol} on ${tokenRef.network}, preferring the network entry`, async () => {
      const price = await source.getPrice(tokenRef)
      assert.equal(price.answer, answer)
      assert.equal(price.decimals, 8)
    })
  }

  it('stamps observations with the clock and names the provider', async () => {
    const price = await source.getPrice({ network: 'ethereum', symbol: 'ETH', kind: 'native' })
    assert.deepEqual(price.updatedAt, NOW)
    assert.equal(price.provider, 'fixed')
    const named = createFixedRateSource(table, { clock, provider: 'devnet' })
    assert.equal(
      (await named.getPrice({ network: 'base', symbol: 'USDC', kind: 'stable' })).provider,
      'devnet',
    )
  })

  it('throws RateUnavailableError for a token it has no price for', async () => {
    const tokenRef: TokenRef = { network: 'ethereum', symbol: 'SOL', kind: 'native' }
    await assert.rejects(source.getPrice(tokenRef), (error: unknown) => {
      assert.ok(error instanceof RateUnavailableError)
      assert.ok(error instanceof AppError)
      assert.equal(error.code, 'SERVICE_UNAVAILABLE')
      assert.deepEqual(error.tokenRef, tokenRef)
      return true
    })
  })

  it('is not affected by later changes to the table or to returned observations', async () => {
    const mutable: Record<string, { answer: bigint; decimals: number }> = {
      USDT: { answer: 1_000_000n, decimals: 6 },
    }
    const isolated = createFixedRateSource(mutable, { clock })
    const usdt: TokenRef = { network: 'ethereum', symbol: 'USDT', kind: 'stable' }
    const first = await isolated.getPrice(usdt)
    first.answer = 0n
    if (mutable.USDT) mutable.USDT.answer = 2n
    assert.equal((await isolated.getPrice(usdt)).answer, 1_000_000n)
  })

  const invalidTables: Array<[string, FixedRateTable]> = [
    ['a zero price', { USDC: { answer: 0n, decimals: 8 } }],
    ['a negative price', { USDC: { answer: -1n, decimals: 8 } }],
    ['fractional decimals', { USDC: { answer: 1n, decimals: 1.5 } }],
    ['decimals above 255', { USDC: { answer: 1n, decimals: 256 } }],
    ['an empty symbol', { 'ethereum:': { answer: 1n, decimals: 0 } }],
    ['an empty network', { ':USDC': { answer: 1n, decimals: 0 } }],
    [
      'keys that differ only in case',
      { usdc: { answer: 1n, decimals: 0 }, USDC: { answer: 1n, decimals: 0 } },
    ],
  ]
  for (const [label, invalid] of invalidTables) {
    it(`rejects a table with ${label}`, () => {
      assert.throws(() => createFixedRateSource(invalid, { clock }), RangeError)
    })
  }
})
