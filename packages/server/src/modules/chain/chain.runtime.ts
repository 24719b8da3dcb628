import { toHex } from 'viem'
import type { Config } from '../../config.ts'
import type { Deps } from '../../deps.ts'
import type { Executor } from '../../db/database.ts'
import type { ChainAccountKey, Hex } from '../../providers/chain/chain-adapter.ts'
import { createEvmAdapter, type EvmAdapter } from '../../providers/chain/evm/evm-adapter.ts'
import { startDevnet, type Devnet } from '../../providers/chain/devnet/devnet.ts'
import { deriveEvmAccount, deriveSolanaAccount } from '../../providers/chain/keys/derive.ts'
import { openSeedVault, type SeedStore } from '../../providers/chain/keys/seed-vault.ts'
import { mainnetNetworksFromEnv, type ChainKind, type NetworkDefinition } from '../../providers/chain/networks.ts'
import { startSolanaDevnet, type SolanaDevnet } from '../../providers/chain/solana/devnet.ts'
import { createHttpSolanaRpc } from '../../providers/chain/solana/http-rpc.ts'
import { startSolanaRpcServer } from '../../providers/chain/solana/rpc-server.ts'
import { createSolanaAdapter, type SolanaAdapter } from '../../providers/chain/solana/solana-adapter.ts'
import { createAggregatorRateSource, type AggregatorFeed } from '../quotes/aggregator-rate-source.ts'
import { createFixedRateSource, type RateSource } from '../quotes/rate-source.ts'
import { listAllTokens, upsertTokens, type TokenRecord } from './token.repo.ts'

/** The derivation index reserved for the platform's gas/treasury account (never a deposit index). */
export const TREASURY_DERIVATION_INDEX = 2 ** 31 - 1

/** Devnet-only helpers behind one shape for every chain kind (faucet and simulated payers). */
export interface DevnetTools {
  /** Native coin (smallest unit) the faucet adds so a fresh address can move tokens. */
  gasUnits: bigint
  faucet: (address: string, token: { address: string | null }, amountUnits: bigint) => Promise<{ txHash: string }>
  /** Funds a devnet payer account with the token and pays `to` from it; resolves once included. */
  payFromFundedAccount: (token: { address: string; decimals: number }, to: string, amountUnits: bigint) => Promise<{ txHash: string; from: string }>
}

export interface ChainNetwork {
  def: NetworkDefinition
  /** Both satisfy `ChainAdapter`; `kind` narrows to chain-specific extras (EVM price feeds). */
  adapter: EvmAdapter | SolanaAdapter
  tokens: TokenRecord[]
  /** Pays gas for sweeps and sends treasury transfers (devnet: dev account #0 / the Solana devnet treasury; mainnet: derived from the seed). */
  treasury: ChainAccountKey
  /** Present for networks of the embedded devnet. */
  devnet?: DevnetTools
}

/** A deposit account's key in its storage form: lowercase hex address (EVM) or base58 (Solana). */
export function depositAccount(seed: Uint8Array, kind: ChainKind, index: number): ChainAccountKey {
  if (kind === 'solana') {
    const account = deriveSolanaAccount(seed, index)
    return { address: account.address, privateKey: toHex(account.secretKey) }
  }
  const account = deriveEvmAccount(seed, index)
  return { address: account.address.toLowerCase(), privateKey: account.privateKey }
}

/** Addresses compare as stored: EVM lowercase, Solana base58 exactly as given (it is case-sensitive). */
export function storageAddress(kind: ChainKind, address: string): string {
  return kind === 'evm' ? address.toLowerCase() : address
}

export interface ChainRuntime {
  networks: ChainNetwork[]
  get(environment: string, network: string): ChainNetwork | undefined
  tokenById(id: number): TokenRecord | undefined
  seed: Uint8Array
  devnet: Devnet | undefined
  /** The embedded Solana devnet, when the devnet runs; stopping it also closes its JSON-RPC endpoint. */
  solanaDevnet?: SolanaDevnet
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
/** Devnet SOL price (USD, 8 decimals): there is no on-chain feed for it on the embedded devnet. */
const DEVNET_SOL_USD = { answer: 150_00000000n, decimals: 8 }

/** Prices from `overrides[network]` when present, otherwise from `fallback`. */
function ratesByNetwork(fallback: RateSource, overrides: Record<string, RateSource>): RateSource {
  return { getPrice: (ref) => (overrides[ref.network] ?? fallback).getPrice(ref) }
}

const unreadableFeed = (def: NetworkDefinition, on: string) =>
  new Error(`the ${def.network} price feed is read on ${on}, which is not configured: set PEPAY_RPC_${on.toUpperCase()}_${def.environment.toUpperCase()}`)

export async function startChainRuntime(deps: Deps, config: Config): Promise<ChainRuntime> {
  const key = deps.masterKey
  const vault = await openSeedVault({ store: seedStore(deps.db), encryptionKey: key.key })
  deps.log.info({ fingerprint: vault.fingerprint, created: vault.created, keySource: key.source }, 'master seed ready')

  const definitions: NetworkDefinition[] = mainnetNetworksFromEnv(config.chainEnv)
  // a feed read on another network needs that network configured: checked before anything starts
  for (const def of definitions) {
    const on = def.nativePriceFeedNetwork
    if (on !== undefined && !definitions.some((d) => d.kind === 'evm' && d.environment === def.environment && d.network === on)) throw unreadableFeed(def, on)
  }
  let devnet: Devnet | undefined
  let solanaDevnet: SolanaDevnet | undefined
  if (config.devnet === 'embedded') {
    const log = (message: string) => deps.log.debug({ devnet: true }, message)
    const [evm, solana] = await Promise.allSettled([
      startDevnet({ dataDir: config.dataDir, log }),
      startSolanaDevnet({ dataDir: config.dataDir, now: () => deps.clock.now(), log }),
    ])
    if (evm.status === 'rejected' || solana.status === 'rejected') {
      if (evm.status === 'fulfilled') await evm.value.stop()
      throw evm.status === 'rejected' ? evm.reason : (solana as PromiseRejectedResult).reason
    }
    devnet = evm.value
    const started = solana.value
    // the Solana devnet's JSON-RPC endpoint (the URL in GET /api/v1/devnet); the platform itself reads the devnet in-process
    const server = await startSolanaRpcServer({ rpc: started.rpc, tokens: started.tokens }).catch(async (error: unknown) => {
      await Promise.all([evm.value.stop(), started.stop()])
      throw error
    })
    solanaDevnet = {
      ...started,
      stop: async () => {
        await server.close()
        await started.stop()
      },
    }
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
        // anvil answers JSON-RPC over WebSocket on the same port
        newHeadsUrl: n.rpcUrl.replace(/^http/, 'ws'),
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
    definitions.push({
      network: solanaDevnet.network,
      kind: 'solana',
      environment: 'devnet',
      chainId: 0,
      blockTimeMs: 400,
      confirmations: config.devnetConfirmations,
      nativeSymbol: 'SOL',
      rpcUrls: [server.url],
      nativePriceFeed: null,
      tokens: [
        ...solanaDevnet.tokens.map((t) => ({
          symbol: t.symbol,
          name: t.name,
          tokenType: 'spl' as const,
          address: t.address,
          decimals: t.decimals,
          isStable: true,
          supportsStableSettlement: true,
          isDefaultSettlement: t.symbol === 'DUSDC',
        })),
        { symbol: 'SOL', name: 'Solana', tokenType: 'native' as const, address: null, decimals: 9, isStable: false, supportsStableSettlement: false, isDefaultSettlement: false },
      ],
    })
  }
  try {
    await upsertTokens(deps.db, definitions)
    const allTokens = await listAllTokens(deps.db)
    const tokensById = new Map(allTokens.map((t) => [t.id, t]))

    const evmAdapters = new Map<NetworkDefinition, EvmAdapter>()
    const networks: ChainNetwork[] = definitions.map((def) => {
      const tokens = allTokens.filter((t) => t.network === def.network && t.environment === def.environment && t.isActive)
      if (def.kind === 'solana' && def.environment === 'mainnet') {
        // Solana's JSON-RPC API at the configured endpoints (see docs/compat.md)
        return {
          def,
          adapter: createSolanaAdapter({
            network: def.network,
            rpc: createHttpSolanaRpc({ urls: def.rpcUrls, requestTimeoutMs: 10_000, ...(def.genesisHash && { genesisHash: { hash: def.genesisHash, cluster: 'Solana mainnet-beta' } }) }),
            requestTimeoutMs: 10_000,
            pollingIntervalMs: 1_000,
          }),
          tokens,
          treasury: depositAccount(vault.seed, 'solana', TREASURY_DERIVATION_INDEX),
        }
      }
      if (def.kind === 'solana') {
        if (!solanaDevnet) throw new Error(`no Solana devnet for ${def.network} on ${def.environment}`)
        const sol = solanaDevnet
        return {
          def,
          adapter: createSolanaAdapter({ network: def.network, rpc: sol.rpc, requestTimeoutMs: 5_000, pollingIntervalMs: 20 }),
          tokens,
          treasury: sol.treasury,
          devnet: {
            gasUnits: 1_000_000_000n,
            faucet: (address, token, amountUnits) => sol.faucet(address, { token: token.address ?? 'native', amountUnits }),
            payFromFundedAccount: async (token, to, amountUnits) => {
              const payer = sol.fundedAccounts().at(-1)
              if (!payer) throw new Error('no funded solana devnet account')
              await sol.faucet(payer.address, { token: token.address, amountUnits })
              const sent = await sol.transfer(payer, { token: token.address, to, amountUnits })
              return { txHash: sent.txHash, from: payer.address }
            },
          },
        }
      }
      const adapter = createEvmAdapter({
        network: def.network,
        chainId: def.chainId,
        rpcUrls: def.rpcUrls,
        requestTimeoutMs: def.environment === 'devnet' ? 5_000 : 10_000,
        pollingIntervalMs: def.environment === 'devnet' ? 50 : 1_000,
      })
      evmAdapters.set(def, adapter)
      const treasury =
        def.environment === 'devnet' && devnet
          ? { address: devnet.platformAccount.address.toLowerCase(), privateKey: devnet.platformAccount.privateKey }
          : depositAccount(vault.seed, 'evm', TREASURY_DERIVATION_INDEX)
      const evmDevnet = def.environment === 'devnet' ? devnet : undefined
      return {
        def,
        adapter,
        treasury,
        tokens,
        ...(evmDevnet && {
          devnet: {
            gasUnits: 10n ** 17n,
            faucet: (address: string, token: { address: string | null }, amountUnits: bigint) =>
              evmDevnet.faucet(def.network, address as Hex, { tokenAddress: (token.address ?? 'native') as Hex | 'native', amountUnits }),
            payFromFundedAccount: async (token: { address: string }, to: string, amountUnits: bigint) => {
              const payer = evmDevnet.fundedAccounts(def.network).at(-1)
              if (!payer) throw new Error('no funded devnet account')
              await evmDevnet.faucet(def.network, payer.address, { tokenAddress: token.address as Hex, amountUnits })
              const sent = await adapter.sendToken({ privateKey: payer.privateKey, tokenAddress: token.address as Hex, to: to as Hex, amountUnits })
              await adapter.waitForReceipt(sent.txHash, 30_000)
              return { txHash: sent.txHash, from: payer.address.toLowerCase() }
            },
          },
        }),
      }
    })

    // each network's native-coin feed, read through the EVM network it lives on (its own, or the
    // one its setting names: Solana's SOL / USD is an EVM contract)
    const feeds = (environment: 'devnet' | 'mainnet') => {
      const map = new Map<string, AggregatorFeed>()
      for (const def of definitions) {
        if (def.environment !== environment || !def.nativePriceFeed) continue
        const on = def.nativePriceFeedNetwork ?? def.network
        const reader = [...evmAdapters.entries()].find(([d]) => d.environment === environment && d.network === on)?.[1]
        if (!reader) throw unreadableFeed(def, on)
        const address = def.nativePriceFeed as Hex
        map.set(def.network, { read: () => reader.readAggregator(address) })
      }
      return map
    }
    const now = () => deps.clock.now()
    const rates = {
      // devnet prices come from the devnet's own mock aggregators (deployed by the devnet), with a fixed
      // fallback; SOL has no devnet aggregator and a fixed price
      devnet: ratesByNetwork(
        devnet
          ? createAggregatorRateSource({ feeds: feeds('devnet'), now, maxAgeMs: Number.MAX_SAFE_INTEGER })
          : createFixedRateSource({ ETH: { answer: 3000_00000000n, decimals: 8 }, BNB: { answer: 600_00000000n, decimals: 8 } }, { clock: now }),
        { solana: createFixedRateSource({ SOL: DEVNET_SOL_USD }, { clock: now }) },
      ),
      mainnet: createAggregatorRateSource({ feeds: feeds('mainnet'), now, maxAgeMs: 5 * 60_000 }),
    }

    return {
      networks,
      get: (environment, network) => networks.find((n) => n.def.environment === environment && n.def.network === network),
      tokenById: (id) => tokensById.get(id),
      seed: vault.seed,
      devnet,
      ...(solanaDevnet && { solanaDevnet }),
      rates,
      degraded: new Map(),
    }
  } catch (error) {
    // the devnets are child processes and servers of this process: a start that fails after them
    // (the database refusing the token registry, say) stops them before it reports
    await Promise.all([devnet?.stop(), solanaDevnet?.stop()])
    throw error
  }
}
