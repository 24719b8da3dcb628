/**
 * A second platform process for the leader-election suite: it opens the same Postgres as the
 * test's server, follows one devnet network through that server's anvil, and runs the same
 * ChainWatcher loop. It prints `{"leader":…,"iterations":…}` lines so the test can see whether
 * it holds the network's advisory lock, and stops its loop and database cleanly on SIGTERM.
 *
 * Environment: PEPAY_TEST_DATABASE_URL, PEPAY_TEST_DATA_DIR, PEPAY_TEST_RPC_URL,
 * PEPAY_TEST_NETWORK, PEPAY_TEST_CHAIN_ID.
 */
import { systemClock } from '@pepay/core'
import { loadConfig } from '../../../src/config.ts'
import type { ChainNetwork, ChainRuntime } from '../../../src/modules/chain/chain.runtime.ts'
import { listAllTokens } from '../../../src/modules/chain/token.repo.ts'
import { ChainWatcher } from '../../../src/modules/chain/watcher.ts'
import { createFixedRateSource } from '../../../src/modules/quotes/rate-source.ts'
import { createEvmAdapter } from '../../../src/providers/chain/evm/evm-adapter.ts'
import { startServer } from '../../../src/server.ts'

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}

const network = required('PEPAY_TEST_NETWORK')
const rpcUrl = required('PEPAY_TEST_RPC_URL')
const chainId = Number.parseInt(required('PEPAY_TEST_CHAIN_ID'), 10)
const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: required('PEPAY_TEST_DATABASE_URL'),
  PEPAY_DATA_DIR: required('PEPAY_TEST_DATA_DIR'),
  PEPAY_DEVNET: 'off',
  PEPAY_NO_WORKERS: 'true',
  LOG_LEVEL: 'silent',
  DATABASE_POOL_SIZE: '4',
})
// the database, secrets and hooks of a real server process; no HTTP, no other workers
const server = await startServer(config, { extensions: [], serveHttp: false, runWorkers: false })
const tokens = (await listAllTokens(server.deps.db)).filter((t) => t.environment === 'devnet' && t.network === network && t.isActive)
const chainNetwork: ChainNetwork = {
  def: { network, kind: 'evm', environment: 'devnet', chainId, blockTimeMs: 1_000, confirmations: 1, nativeSymbol: 'ETH', tokens: [], rpcUrls: [rpcUrl], nativePriceFeed: null },
  adapter: createEvmAdapter({ network, chainId, rpcUrls: [rpcUrl], requestTimeoutMs: 5_000, pollingIntervalMs: 50 }),
  tokens,
  // this process never sends: no treasury key
  treasury: { address: '0x0000000000000000000000000000000000000000', privateKey: '0x' },
}
const byId = new Map(tokens.map((t) => [t.id, t]))
const fixed = createFixedRateSource({ ETH: { answer: 3000_00000000n, decimals: 8 } }, { clock: () => systemClock.now() })
const runtime: ChainRuntime = {
  networks: [chainNetwork],
  get: (environment, name) => (environment === 'devnet' && name === network ? chainNetwork : undefined),
  tokenById: (id) => byId.get(id),
  seed: new Uint8Array(32),
  devnet: undefined,
  rates: { devnet: fixed, mainnet: fixed },
  degraded: new Map(),
}
const watcher = new ChainWatcher(server.deps, runtime, chainNetwork)
const loop = watcher.start(100)
const report = (): void => {
  process.stdout.write(`${JSON.stringify({ leader: watcher.isLeader, iterations: watcher.stats.iterations })}\n`)
}
const reporter = setInterval(report, 50)
process.on('SIGTERM', () => {
  clearInterval(reporter)
  void (async () => {
    await loop.stop()
    await server.stop()
    report()
    process.exit(0)
  })()
})
