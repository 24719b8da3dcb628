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

  it('takes the confirmation depth override for Solana', () => {
    const [solana] = mainnetNetworksFromEnv({
      PEPAY_RPC_SOLANA_MAINNET: 'https://rpc-a.example',
      PEPAY_CONFIRMATIONS_SOLANA_MAINNET: '64',
    })
    assert.equal(solana?.confirmations, 64)
  })

  it('reads Solana’s SOL / USD feed on the EVM network its setting names', () => {
    const [solana] = mainnetNetworksFromEnv({
      PEPAY_RPC_SOLANA_MAINNET: 'https://rpc-a.example',
      PEPAY_PRICE_FEED_SOLANA_MAINNET: ' ethereum:0x4ffC43a60e009B551865A93d232E33Fce9f01507 ',
    })
    assert.equal(solana?.nativePriceFeed, '0x4ffC43a60e009B551865A93d232E33Fce9f01507')
    assert.equal(solana.nativePriceFeedNetwork, 'ethereum')
  })

  const refused: [label: string, env: Record<string, string>, message: RegExp][] = [
    ['a bare address for Solana (it has no feeds of its own)', { PEPAY_RPC_SOLANA_MAINNET: 'https://s.example', PEPAY_PRICE_FEED_SOLANA_MAINNET: '0x4ffC43a60e009B551865A93d232E33Fce9f01507' }, /solana has no price feeds of its own/],
    ['a feed on a network that is not EVM', { PEPAY_RPC_SOLANA_MAINNET: 'https://s.example', PEPAY_PRICE_FEED_SOLANA_MAINNET: 'solana:0x4ffC43a60e009B551865A93d232E33Fce9f01507' }, /"solana" is not an EVM network/],
    ['a feed on an unknown network', { PEPAY_RPC_SOLANA_MAINNET: 'https://s.example', PEPAY_PRICE_FEED_SOLANA_MAINNET: 'polygon:0x4ffC43a60e009B551865A93d232E33Fce9f01507' }, /"polygon" is not an EVM network/],
    ['an address that is not one', { PEPAY_RPC_BASE_MAINNET: 'https://b.example', PEPAY_PRICE_FEED_BASE_MAINNET: '0x1234' }, /PEPAY_PRICE_FEED_BASE_MAINNET: "0x1234" is not an EVM contract address/],
    ['a new-block endpoint over HTTP', { PEPAY_RPC_BASE_MAINNET: 'https://b.example', PEPAY_WS_RPC_BASE_MAINNET: 'https://b.example' }, /PEPAY_WS_RPC_BASE_MAINNET: "https:\/\/b.example" is not a ws:\/\/ or wss:\/\/ URL/],
    ['a new-block endpoint that is not a URL', { PEPAY_RPC_BASE_MAINNET: 'https://b.example', PEPAY_WS_RPC_BASE_MAINNET: 'node-1:8546' }, /PEPAY_WS_RPC_BASE_MAINNET: "node-1:8546" is not a ws:\/\/ or wss:\/\/ URL/],
    ['a new-block endpoint for Solana', { PEPAY_RPC_SOLANA_MAINNET: 'https://s.example', PEPAY_WS_RPC_SOLANA_MAINNET: 'wss://s.example' }, /PEPAY_WS_RPC_SOLANA_MAINNET: new-block notifications are read from EVM nodes only/],
  ]
  for (const [label, env, message] of refused) {
    it(`refuses ${label}`, () => {
      assert.throws(() => mainnetNetworksFromEnv(env), message)
    })
  }

  it('takes an EVM network’s new-block endpoint, and none without the setting', () => {
    const [base, bsc] = mainnetNetworksFromEnv({
      PEPAY_RPC_BASE_MAINNET: 'https://b.example',
      PEPAY_WS_RPC_BASE_MAINNET: ' wss://b.example/ws/key ',
      PEPAY_RPC_BSC_MAINNET: 'https://bsc.example',
    })
    assert.equal(base?.newHeadsUrl, 'wss://b.example/ws/key')
    assert.equal(bsc?.network, 'bsc')
    assert.equal(bsc.newHeadsUrl, undefined)
  })

  it('reads an EVM network’s feed on the network itself, with or without its own name', () => {
    const [base] = mainnetNetworksFromEnv({ PEPAY_RPC_BASE_MAINNET: 'https://b.example', PEPAY_PRICE_FEED_BASE_MAINNET: 'base:0x0000000000000000000000000000000000000002' })
    assert.equal(base?.nativePriceFeed, '0x0000000000000000000000000000000000000002')
    assert.equal(base.nativePriceFeedNetwork, undefined)
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
