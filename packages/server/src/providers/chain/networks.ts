/**
 * The network registry: which chains and tokens the platform knows, per environment. Mainnet
 * entries carry the canonical contract addresses; RPC endpoints always come from configuration
 * (`PEPAY_RPC_<NETWORK>_<ENVIRONMENT>`, comma-separated for failover). Devnet entries are filled
 * from the embedded devnet at start.
 */
export type ChainKind = 'evm' | 'solana'
export type Environment = 'devnet' | 'mainnet'

export interface TokenDefinition {
  symbol: string
  name: string
  tokenType: 'native' | 'erc20' | 'spl'
  /** Contract (EVM) or mint (Solana); null for the native coin. */
  address: string | null
  decimals: number
  isStable: boolean
  /** A stablecoin the merchant may choose as settlement token. */
  supportsStableSettlement: boolean
  isDefaultSettlement: boolean
}

export interface NetworkDefinition {
  network: string
  kind: ChainKind
  environment: Environment
  chainId: number
  blockTimeMs: number
  /** Blocks on top of (and including) the payment's block before it counts. */
  confirmations: number
  nativeSymbol: string
  tokens: TokenDefinition[]
  rpcUrls: string[]
  /**
   * WebSocket JSON-RPC endpoint announcing new blocks (`eth_subscribe` newHeads, EVM only): the
   * watcher scans as soon as a block exists instead of at its next poll.
   */
  newHeadsUrl?: string
  /** Chainlink-style USD feed for the native coin (AggregatorV3), if any. */
  nativePriceFeed: string | null
  /** The EVM network whose RPC reads `nativePriceFeed`, when not this one (Solana has no AggregatorV3 of its own). */
  nativePriceFeedNetwork?: string
  /**
   * The cluster's genesis hash (Solana, which has no chain id): an endpoint whose node answers
   * another one (devnet, testnet) is not read from.
   */
  genesisHash?: string
}

/** Solana mainnet-beta's genesis hash (`getGenesisHash`). */
export const SOLANA_MAINNET_GENESIS_HASH = '5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d'

const usdc = (address: string, decimals = 6, isDefaultSettlement = false): TokenDefinition => ({
  symbol: 'USDC', name: 'USD Coin', tokenType: 'erc20', address, decimals, isStable: true, supportsStableSettlement: true, isDefaultSettlement,
})
const usdt = (address: string, decimals = 6): TokenDefinition => ({
  symbol: 'USDT', name: 'Tether USD', tokenType: 'erc20', address, decimals, isStable: true, supportsStableSettlement: true, isDefaultSettlement: false,
})
const native = (symbol: string, name: string, decimals = 18): TokenDefinition => ({
  symbol, name, tokenType: 'native', address: null, decimals, isStable: false, supportsStableSettlement: false, isDefaultSettlement: false,
})

/** Mainnet networks: canonical token contracts (issuer-published addresses). */
export const MAINNET_NETWORKS: Omit<NetworkDefinition, 'rpcUrls'>[] = [
  {
    network: 'ethereum', kind: 'evm', environment: 'mainnet', chainId: 1, blockTimeMs: 12_000, confirmations: 12, nativeSymbol: 'ETH',
    nativePriceFeed: '0x5f4eC3Df9cbd43714FE2740f5E3616155c5b8419',
    tokens: [usdc('0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48'), usdt('0xdAC17F958D2ee523a2206206994597C13D831ec7'), native('ETH', 'Ether')],
  },
  {
    network: 'base', kind: 'evm', environment: 'mainnet', chainId: 8453, blockTimeMs: 2_000, confirmations: 10, nativeSymbol: 'ETH',
    nativePriceFeed: null,
    tokens: [usdc('0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', 6, true), native('ETH', 'Ether')],
  },
  {
    network: 'bsc', kind: 'evm', environment: 'mainnet', chainId: 56, blockTimeMs: 3_000, confirmations: 15, nativeSymbol: 'BNB',
    nativePriceFeed: null,
    tokens: [
      usdt('0x55d398326f99059fF775485246999027B3197955', 18),
      usdc('0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d', 18),
      { symbol: 'USD1', name: 'World Liberty Financial USD', tokenType: 'erc20', address: '0x8d0D000Ee44948FC98c9B98A4FA4921476f08B0d', decimals: 18, isStable: true, supportsStableSettlement: true, isDefaultSettlement: false },
      native('BNB', 'BNB'),
    ],
  },
  {
    network: 'arbitrum', kind: 'evm', environment: 'mainnet', chainId: 42161, blockTimeMs: 250, confirmations: 20, nativeSymbol: 'ETH',
    nativePriceFeed: null,
    tokens: [usdc('0xaf88d065e77c8cC2239327C5EDb3A432268e5831'), usdt('0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9'), native('ETH', 'Ether')],
  },
  {
    network: 'optimism', kind: 'evm', environment: 'mainnet', chainId: 10, blockTimeMs: 2_000, confirmations: 10, nativeSymbol: 'ETH',
    nativePriceFeed: null,
    tokens: [usdc('0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85'), usdt('0x94b008aA00579c1307B0EF2c499aD98a8ce58e58'), native('ETH', 'Ether')],
  },
  {
    network: 'avalanche', kind: 'evm', environment: 'mainnet', chainId: 43114, blockTimeMs: 2_000, confirmations: 1, nativeSymbol: 'AVAX',
    nativePriceFeed: null,
    tokens: [usdc('0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E'), usdt('0x9702230A8Ea53601f5cD2dc00fDBc13d4dF4A8c7'), native('AVAX', 'Avalanche')],
  },
  {
    network: 'solana', kind: 'solana', environment: 'mainnet', chainId: 0, blockTimeMs: 400, confirmations: 32, nativeSymbol: 'SOL',
    nativePriceFeed: null, genesisHash: SOLANA_MAINNET_GENESIS_HASH,
    tokens: [
      { ...usdc('EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'), tokenType: 'spl' },
      { ...usdt('Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB'), tokenType: 'spl' },
      native('SOL', 'Solana', 9),
    ],
  },
]

/** Per-network settings read from the environment: RPC endpoints, confirmation depth, price feed. */
export function mainnetNetworksFromEnv(env: Record<string, string | undefined>): NetworkDefinition[] {
  const result: NetworkDefinition[] = []
  for (const definition of MAINNET_NETWORKS) {
    const upper = definition.network.toUpperCase()
    const rpc = env[`PEPAY_RPC_${upper}_MAINNET`]
    const rpcUrls = (rpc ?? '').split(',').map((u) => u.trim()).filter(Boolean)
    if (rpcUrls.length === 0) continue
    const confirmations = env[`PEPAY_CONFIRMATIONS_${upper}_MAINNET`]
    const feed = priceFeedSetting(definition, env[`PEPAY_PRICE_FEED_${upper}_MAINNET`])
    const newHeadsUrl = newHeadsSetting(definition, env[`PEPAY_WS_RPC_${upper}_MAINNET`])
    result.push({
      ...definition,
      rpcUrls,
      confirmations: confirmations ? Math.max(1, Number.parseInt(confirmations, 10)) : definition.confirmations,
      nativePriceFeed: feed?.address ?? definition.nativePriceFeed,
      ...(feed?.network !== undefined && { nativePriceFeedNetwork: feed.network }),
      ...(newHeadsUrl !== undefined && { newHeadsUrl }),
    })
  }
  return result
}

/** `PEPAY_WS_RPC_<NETWORK>_MAINNET`: a ws:// or wss:// endpoint of an EVM network's node. */
function newHeadsSetting(definition: Pick<NetworkDefinition, 'network' | 'kind'>, value: string | undefined): string | undefined {
  const text = value?.trim()
  if (!text) return undefined
  const name = `PEPAY_WS_RPC_${definition.network.toUpperCase()}_MAINNET`
  if (definition.kind !== 'evm') throw new Error(`${name}: new-block notifications are read from EVM nodes only`)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`${name}: "${text}" is not a URL`)
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`${name}: "${text}" is not a ws:// or wss:// URL`)
  return text
}

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/

/**
 * `PEPAY_PRICE_FEED_<NETWORK>_MAINNET`: an AggregatorV3 address, read on the network itself, or
 * `<evm network>:<address>`, read on that network. An AggregatorV3 feed is an EVM contract, so
 * Solana's SOL/USD feed is always read on an EVM network (e.g. Chainlink's SOL / USD on ethereum).
 */
function priceFeedSetting(definition: Pick<NetworkDefinition, 'network' | 'kind'>, value: string | undefined): { address: string; network?: string } | undefined {
  const text = value?.trim()
  if (!text) return undefined
  const name = `PEPAY_PRICE_FEED_${definition.network.toUpperCase()}_MAINNET`
  const colon = text.indexOf(':')
  const network = colon < 0 ? undefined : text.slice(0, colon).trim()
  const address = colon < 0 ? text : text.slice(colon + 1).trim()
  if (!EVM_ADDRESS.test(address)) throw new Error(`${name}: "${address}" is not an EVM contract address`)
  if (network === undefined) {
    if (definition.kind !== 'evm') throw new Error(`${name}: ${definition.network} has no price feeds of its own; name the EVM network that has it, as <network>:<address>`)
    return { address }
  }
  const reader = MAINNET_NETWORKS.find((n) => n.network === network)
  if (!reader || reader.kind !== 'evm') throw new Error(`${name}: "${network}" is not an EVM network`)
  return network === definition.network ? { address } : { address, network }
}

/** The address key that makes a token unique on its network (lowercase contract or 'native'). */
export function tokenAddressKey(token: Pick<TokenDefinition, 'address' | 'tokenType'>): string {
  if (token.address === null) return 'native'
  return token.tokenType === 'erc20' ? token.address.toLowerCase() : token.address
}
