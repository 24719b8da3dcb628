import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mainnetNetworksFromEnv } from './networks.ts'

describe('mainnetNetworksFromEnv', () => {
  it('enables no network without an RPC URL', () => {
    assert.deepEqual(mainnetNetworksFromEnv({}), [])
    assert.deepEqual(mainnetNetworksFromEnv({ PEPAY_RPC_SOLANA_MAINNET: ' , ' }), [])
  })

  it('enables Solana mainnet with its comma-separated RPC URLs and its default depth', () => {
    const [solana, ...others] = mainnetNetworksFromEnv({
      PEPAY_RPC_SOLANA_MAINNET: 'https://rpc-a.example/?api-key=k1, https://rpc-b.example',
    })
    assert.deepEqual(others, [])
    assert.ok(solana)
    assert.equal(solana.network, 'solana')
    assert.equal(solana.kind, 'solana')
    assert.equal(solana.environment, 'mainnet')
    assert.deepEqual(solana.rpcUrls, ['https://rpc-a.example/?api-key=k1', 'https://rpc-b.example'])
    assert.equal(solana.confirmations, 32)
    assert.equal(solana.nativePriceFeed, null)
    assert.deepEqual(
      solana.tokens.map((t) => [t.symbol, t.tokenType, t.address, t.decimals]),
      [
        ['USDC', 'spl', 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v', 6],
        ['USDT', 'spl', 'Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB', 6],
        ['SOL', 'native', null, 9],
      ],
    )
  })

  it('takes the confirmation depth override, and no EVM price feed, for Solana', () => {
    const [solana] = mainnetNetworksFromEnv({
      PEPAY_RPC_SOLANA_MAINNET: 'https://rpc-a.example',
      PEPAY_CONFIRMATIONS_SOLANA_MAINNET: '64',
      PEPAY_PRICE_FEED_SOLANA_MAINNET: '0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419',
    })
    assert.equal(solana?.confirmations, 64)
    assert.equal(solana.nativePriceFeed, null)
  })

  it('lists EVM and Solana networks together, in registry order', () => {
    const networks = mainnetNetworksFromEnv({
      PEPAY_RPC_SOLANA_MAINNET: 'https://rpc-a.example',
      PEPAY_RPC_BASE_MAINNET: 'https://base.example',
      PEPAY_CONFIRMATIONS_BASE_MAINNET: '3',
      PEPAY_PRICE_FEED_BASE_MAINNET: '0x0000000000000000000000000000000000000001',
    })
    assert.deepEqual(
      networks.map((n) => [n.network, n.kind, n.confirmations, n.nativePriceFeed]),
      [
        ['base', 'evm', 3, '0x0000000000000000000000000000000000000001'],
        ['solana', 'solana', 32, null],
      ],
    )
  })
})
