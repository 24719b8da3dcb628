import { uuidv7 } from '@pepay/core'
import type { Config } from '../../config.ts'
import type { ChainServices, Deps } from '../../deps.ts'
import { addReadinessCheck } from '../../http/operations.ts'
import type { ServerExtension } from '../../server.ts'
import { runEvery, type Loop } from '../../workers/loop.ts'
import { chainRoutes } from './chain.routes.ts'
import { depositAccount, startChainRuntime, type ChainRuntime } from './chain.runtime.ts'
import { findDepositAddress, insertDepositAddress, nextDerivationIndex } from './deposit.repo.ts'
import { sendOnce } from './sender.ts'
import { settleDuePayments } from './settlement.ts'
import { runDueVerifications } from './verification.ts'
import { ChainWatcher, type BlockSource } from './watcher.ts'

export interface ChainLayer {
  runtime: ChainRuntime
  watchers: ChainWatcher[]
}

/** Handle for tests and the bench: the running chain layer of a server. */
export const chainLayers = new WeakMap<Deps, ChainLayer>()

function chainServices(deps: Deps, runtime: ChainRuntime): ChainServices {
  return {
    listNetworks: (environment) =>
      runtime.networks
        .filter((n) => n.def.environment === environment)
        .map((n) => ({ network: n.def.network, chainId: n.def.chainId, tokens: n.tokens.map((t) => ({ id: t.id, symbol: t.symbol, decimals: t.decimals, address: t.address })) })),
    async allocateDepositAddress(trx, input) {
      const network = runtime.get(input.environment, input.network)
      if (!network) throw new Error(`network ${input.network} is not available on ${input.environment}`)
      const existing = await findDepositAddress(trx, input.ownerType, input.ownerId, input.network)
      if (existing) return { id: existing.id, address: existing.address }
      const kind = network.def.kind
      const index = await nextDerivationIndex(trx, kind)
      const account = depositAccount(runtime.seed, kind, index)
      const now = deps.clock.now()
      const created = await insertDepositAddress(trx, {
        id: uuidv7(now.getTime()),
        ownerType: input.ownerType,
        ownerId: input.ownerId,
        invoiceId: null,
        merchantId: input.merchantId,
        environment: input.environment,
        network: input.network,
        chainKind: kind,
        derivationIndex: index,
        address: account.address,
        tokenId: input.tokenId,
        createdBlock: null,
        createdAt: now,
      })
      return { id: created.id, address: created.address }
    },
    async sendFromTreasury(input) {
      const network = runtime.get(input.environment, input.network)
      if (!network) throw new Error(`network ${input.network} is not available on ${input.environment}`)
      const token = network.tokens.find((t) => t.id === input.tokenId)
      if (!token) throw new Error(`token ${input.tokenId} is not a ${input.network} token`)
      return sendOnce(deps, network, {
        idempotencyKey: `treasury:${input.idempotencyKey}`,
        from: network.treasury,
        to: input.to,
        tokenAddress: token.address,
        tokenId: token.id,
        amountUnits: input.amountUnits,
      })
    },
  }
}

/** Networks, embedded devnet, deposit addresses, watchers, settlement and manual verification. */
/**
 * How a network's watcher polls (`ChainWatcher.start`). Mainnet: half a block time (at least
 * 500 ms), two block times while the node's announcements keep up. Devnet: 100 ms, and 1 s while
 * anvil's new-block subscription is open: anvil mines on demand and announces each block at
 * once, so the poll is only the safety net there (an idle `npm start` made some 20 scans a
 * second of its two EVM devnets for nothing). The Solana devnet runs in this process and
 * announces each block it makes to its watcher (`SolanaDevnet.onBlock`), which polls at the
 * same pace.
 */
export function watcherPolling(def: { environment: 'devnet' | 'mainnet'; blockTimeMs: number }): { pollMs: number; notifiedPollMs: number; minedOnDemand: boolean } {
  if (def.environment === 'devnet') return { pollMs: 100, notifiedPollMs: 1_000, minedOnDemand: true }
  return { pollMs: Math.max(500, Math.floor(def.blockTimeMs / 2)), notifiedPollMs: 2 * def.blockTimeMs, minedOnDemand: false }
}

/** The embedded Solana devnet's own announcements, for its watcher. */
function devnetBlocks(runtime: ChainRuntime, def: { kind: string; environment: string; network: string }): { blocks?: BlockSource } {
  const devnet = runtime.solanaDevnet
  if (!devnet || def.kind !== 'solana' || def.environment !== 'devnet' || def.network !== devnet.network) return {}
  return { blocks: (onBlock) => devnet.onBlock(onBlock) }
}

export function chainExtension(config: Config): ServerExtension {
  return {
    async start(deps) {
      const runtime = await startChainRuntime(deps, config)
      const stopDevnets = async () => {
        await Promise.all([runtime.devnet?.stop(), runtime.solanaDevnet?.stop()])
      }
      const workers: Loop[] = []
      try {
        deps.chain = chainServices(deps, runtime)
        const watchers = runtime.networks.map((network) => new ChainWatcher(deps, runtime, network))
        chainLayers.set(deps, { runtime, watchers })
        addReadinessCheck(deps, async () =>
          runtime.networks.map((n) => {
            const key = `${n.def.environment}:${n.def.network}`
            const reason = runtime.degraded.get(key)
            return reason ? { name: `chain:${key}`, ok: false, detail: reason } : { name: `chain:${key}`, ok: true }
          }),
        )
        if (deps.config.runWorkers) {
          for (const watcher of watchers) {
            const { pollMs, ...options } = watcherPolling(watcher.network.def)
            workers.push(watcher.start(pollMs, { ...options, ...devnetBlocks(runtime, watcher.network.def) }))
            workers.push(
              runEvery(`settlement:${watcher.key}`, 1_000, async () => {
                if (watcher.isLeader) await settleDuePayments(deps, runtime, watcher.network)
              }, deps.log),
            )
          }
          workers.push(runEvery('manual-verification', 1_000, async () => {
            await runDueVerifications(deps, runtime)
          }, deps.log))
        }
      } catch (error) {
        await Promise.all(workers.map((w) => w.stop()))
        await stopDevnets()
        throw error
      }
      return {
        plugins: [chainRoutes(deps, runtime)],
        workers,
        stop: stopDevnets,
      }
    },
  }
}
