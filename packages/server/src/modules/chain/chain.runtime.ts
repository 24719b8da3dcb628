import { join } from 'node:path'
import type { Config } from '../../config.ts'
import type { Deps } from '../../deps.ts'
import type { Executor } from '../../db/database.ts'
import { createEvmAdapter, type EvmAdapter } from '../../providers/chain/evm/evm-adapter.ts'
import { startDevnet, type Devnet } from '../../providers/chain/devnet/devnet.ts'
import { deriveEvmAccount } from '../../providers/chain/keys/derive.ts'
import { loadEncryptionKey } from '../../providers/chain/keys/encryption-key.ts'
import { openSeedVault, type SeedStore } from '../../providers/chain/keys/seed-vault.ts'
import { mainnetNetworksFromEnv, type NetworkDefinition } from '../../providers/chain/networks.ts'
import { createAggregatorRateSource, type AggregatorFeed } from '../quotes/aggregator-rate-source.ts'
import { createFixedRateSource, type RateSource } from '../quotes/rate-source.ts'
import { listAllTokens, upsertTokens, type TokenRecord } from './token.repo.ts'

/** The derivation index reserved for the platform's gas/treasury account (never a deposit index). */
export const TREASURY_DERIVATION_INDEX = 2 ** 31 - 1

export interface ChainNetwork {
  def: NetworkDefinition
  adapter: EvmAdapter
  tokens: TokenRecord[]
  /** Pays gas for sweeps and sends treasury transfers (devnet: dev account #0). */
  treasury: { address: string; privateKey: `0x${string}` }
}

export interface ChainRuntime {
  networks: ChainNetwork[]
  get(environment: string, network: string): ChainNetwork | undefined
  tokenById(id: number): TokenRecord | undefined
  seed: Uint8Array
  devnet: Devnet | undefined
  rates: Record<'devnet' | 'mainnet', RateSource>
  /** Networks whose RPC is failing, with the reason (shown on /readyz and available-tokens). */
  degraded: Map<string, string>
}

function seedStore(db: Executor): SeedStore {
  return {
    async load() {
      const row = await db.selectFrom('platform_secret').select('value').where('name', '=', 'master_seed_v1').executeTakeFirst()
      return row?.value
    },
    async save(blob) {
      const inserted = await db
        .insertInto('platform_secret')
        .values({ name: 'master_seed_v1', value: blob })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst()
      return inserted !== undefined
    },
  }
}

const DEVNET_CONFIRMATIONS_DEFAULT = 1

export async function startChainRuntime(deps: Deps, config: Config): Promise<ChainRuntime> {
  const key = await loadEncryptionKey({ envValue: config.masterKey, keyFilePath: join(config.dataDir, 'master.key') })
  const vault = await openSeedVault({ store: seedStore(deps.db), encryptionKey: key.key })
  deps.log.info({ fingerprint: vault.fingerprint, created: vault.created, keySource: key.source }, 'master seed ready')

  const definitions: NetworkDefinition[] = mainnetNetworksFromEnv(config.chainEnv)
  let devnet: Devnet | undefined
  if (config.devnet === 'embedded') {
    devnet = await startDevnet({ dataDir: config.dataDir, log: (message) => deps.log.debug({ devnet: true }, message) })
    for (const n of devnet.networks) {
      definitions.push({
        network: n.network,
        kind: 'evm',
        environment: 'devnet',
        chainId: n.chainId,
        blockTimeMs: 1_000,
        confirmations: config.devnetConfirmations ?? DEVNET_CONFIRMATIONS_DEFAULT,
        nativeSymbol: n.nativeSymbol,
        rpcUrls: [n.rpcUrl],
        nativePriceFeed: n.aggregatorAddress,
        tokens: [
          ...n.tokens.map((t) => ({
            symbol: t.symbol,
            name: t.name,
            tokenType: 'erc20' as const,
            address: t.address,
            decimals: t.decimals,
            isStable: true,
            supportsStableSettlement: true,
            isDefaultSettlement: (n.network === 'bsc' && t.symbol === 'USD1') || (n.network === 'base' && t.symbol === 'USDC'),
          })),
          { symbol: n.nativeSymbol, name: n.nativeSymbol === 'ETH' ? 'Ether' : n.nativeSymbol, tokenType: 'native' as const, address: null, decimals: 18, isStable: false, supportsStableSettlement: false, isDefaultSettlement: false },
        ],
      })
    }
  }
  await upsertTokens(deps.db, definitions)
  const allTokens = await listAllTokens(deps.db)
  const tokensById = new Map(allTokens.map((t) => [t.id, t]))

  const networks: ChainNetwork[] = definitions.map((def) => {
    const adapter = createEvmAdapter({
      network: def.network,
      chainId: def.chainId,
      rpcUrls: def.rpcUrls,
      requestTimeoutMs: def.environment === 'devnet' ? 5_000 : 10_000,
      pollingIntervalMs: def.environment === 'devnet' ? 50 : 1_000,
    })
    const treasury =
      def.environment === 'devnet' && devnet
        ? { address: devnet.platformAccount.address.toLowerCase(), privateKey: devnet.platformAccount.privateKey }
        : (() => {
            const account = deriveEvmAccount(vault.seed, TREASURY_DERIVATION_INDEX)
            return { address: account.address.toLowerCase(), privateKey: account.privateKey }
          })()
    return {
      def,
      adapter,
      treasury,
      tokens: allTokens.filter((t) => t.network === def.network && t.environment === def.environment && t.isActive),
    }
  })

  const feeds = (environment: 'devnet' | 'mainnet') =>
    new Map<string, AggregatorFeed>(
      networks
        .filter((n) => n.def.environment === environment && n.def.nativePriceFeed)
        .map((n) => [n.def.network, { read: () => n.adapter.readAggregator(n.def.nativePriceFeed as `0x${string}`) }]),
    )
  const now = () => deps.clock.now()
  const rates = {
    // devnet prices come from the devnet's own mock aggregators (deployed by the devnet), with a fixed fallback
    devnet: devnet
      ? createAggregatorRateSource({ feeds: feeds('devnet'), now, maxAgeMs: Number.MAX_SAFE_INTEGER })
      : createFixedRateSource({ ETH: { answer: 3000_00000000n, decimals: 8 }, BNB: { answer: 600_00000000n, decimals: 8 } }, { clock: now }),
    mainnet: createAggregatorRateSource({ feeds: feeds('mainnet'), now, maxAgeMs: 5 * 60_000 }),
  }

  return {
    networks,
    get: (environment, network) => networks.find((n) => n.def.environment === environment && n.def.network === network),
    tokenById: (id) => tokensById.get(id),
    seed: vault.seed,
    devnet,
    rates,
    degraded: new Map(),
  }
}
