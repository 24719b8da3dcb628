import { HDKey } from '@scure/bip32'
import { mnemonicToSeedSync } from '@scure/bip39'
import { join } from 'node:path'
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  getContractAddress,
  http,
  keccak256,
  slice,
  stringToBytes,
  toHex,
  type Abi,
  type Chain,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Hex } from '../chain-adapter.ts'
import { defaultAnvilMnemonic, startAnvil, type AnvilInstance } from './anvil.ts'
import mockAggregatorArtifact from './artifacts/MockAggregator.json' with { type: 'json' }
import testStablecoinArtifact from './artifacts/TestStablecoin.json' with { type: 'json' }

export type EvmAddress = `0x${string}`

export type DevnetTokenSpec = {
  symbol: string
  name: string
  decimals: number
}

export type DevnetNetworkSpec = {
  /** Platform network id; also the state file name, so lowercase letters, digits and dashes. */
  network: string
  chainId: number
  nativeSymbol: string
  /** Native coin price in USD with 8 decimals (Chainlink convention), e.g. 300000000000n = 3000 USD. */
  nativeUsdPriceAnswer: bigint
  /** Deployed in this order: reordering or inserting changes every later address. */
  tokens: readonly DevnetTokenSpec[]
  /** Interval mining; omitted = one block per transaction. */
  blockTimeSeconds?: number
}

export type DevnetToken = DevnetTokenSpec & { address: EvmAddress }

export type DevnetNetwork = {
  network: string
  chainId: number
  rpcUrl: string
  /** Changes whenever the chain is recreated from scratch, so the platform can detect a reset. */
  genesisHash: Hex
  nativeSymbol: string
  tokens: DevnetToken[]
  aggregatorAddress: EvmAddress
}

export type DevnetAccount = {
  address: EvmAddress
  privateKey: Hex
}

export type FaucetRequest = {
  tokenAddress: EvmAddress | 'native'
  amountUnits: bigint
}

export type Devnet = {
  networks: DevnetNetwork[]
  /** anvil dev account #0: contract deployer, and the platform's gas/treasury account on devnet. */
  platformAccount: DevnetAccount
  /** Mints tokens (or sends native coin) to `address`; resolves once the transaction is mined. */
  faucet: (network: string, address: EvmAddress, request: FaucetRequest) => Promise<{ txHash: Hex }>
  /** anvil dev accounts #1..#9, funded with native coin, free for payers in tests and demos. */
  fundedAccounts: (network: string) => DevnetAccount[]
  /** The node behind a network, for mining, snapshots and reorgs. */
  anvil: (network: string) => AnvilInstance
  stop: () => Promise<void>
}

export type DevnetOptions = {
  dataDir: string
  networks?: readonly DevnetNetworkSpec[]
  mnemonic?: string
  log?: (message: string) => void
  /** Bound on each wait for a devnet transaction to be mined (default 30 s). */
  txTimeoutMs?: number
}

export const nativeUsdPriceDecimals = 8

export const defaultDevnetNetworks: readonly DevnetNetworkSpec[] = [
  {
    network: 'base',
    chainId: 84532,
    nativeSymbol: 'ETH',
    nativeUsdPriceAnswer: 3000_00000000n,
    tokens: [
      { symbol: 'USDC', name: 'USD Coin', decimals: 6 },
      { symbol: 'USDT', name: 'Tether USD', decimals: 6 },
    ],
  },
  {
    network: 'bsc',
    chainId: 97,
    nativeSymbol: 'BNB',
    nativeUsdPriceAnswer: 600_00000000n,
    tokens: [
      { symbol: 'USDT', name: 'Tether USD', decimals: 18 },
      { symbol: 'USD1', name: 'World Liberty Financial USD', decimals: 18 },
      { symbol: 'USDC', name: 'USD Coin', decimals: 18 },
    ],
  },
]

const devAccountCount = 10
const devDerivationPath = "m/44'/60'/0'/0"
const receiptPollIntervalMs = 20
const networkNamePattern = /^[a-z0-9][a-z0-9-]*$/

// The faucet sends from an impersonated account nobody holds a key for, so its nonces never race with the
// platform's own use of account #0.
const faucetAddress = slice(keccak256(stringToBytes('pepay devnet faucet')), 12)
const faucetBalanceWei = 10n ** 36n

const stablecoinAbi = testStablecoinArtifact.abi as Abi
const aggregatorAbi = mockAggregatorArtifact.abi as Abi

export function deriveDevAccounts(mnemonic: string, count: number): DevnetAccount[] {
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic))
  return Array.from({ length: count }, (_, index) => {
    const key = root.derive(`${devDerivationPath}/${index}`).privateKey
    if (key === null) throw new Error(`cannot derive dev account ${index}`)
    const privateKey = toHex(key)
    return { address: privateKeyToAccount(privateKey).address, privateKey }
  })
}

type PlannedContract = {
  label: string
  abi: Abi
  bytecode: Hex
  args: readonly unknown[]
  address: EvmAddress
}

function planContracts(spec: DevnetNetworkSpec, deployer: EvmAddress): PlannedContract[] {
  const items = [
    ...spec.tokens.map((token) => ({
      label: `${token.symbol} token`,
      abi: stablecoinAbi,
      bytecode: testStablecoinArtifact.bytecode as Hex,
      args: [token.name, token.symbol, token.decimals] as const,
    })),
    {
      label: `${spec.nativeSymbol}/USD aggregator`,
      abi: aggregatorAbi,
      bytecode: mockAggregatorArtifact.bytecode as Hex,
      args: [
        nativeUsdPriceDecimals,
        `${spec.nativeSymbol} / USD`,
        spec.nativeUsdPriceAnswer,
      ] as const,
    },
  ]
  // CREATE addresses depend only on (deployer, nonce): deploying in a fixed order from a fresh account
  // yields the same addresses on every new chain.
  return items.map((item, nonce) => ({
    ...item,
    address: getContractAddress({ from: deployer, nonce: BigInt(nonce) }),
  }))
}

type RunningNetwork = {
  spec: DevnetNetworkSpec
  anvil: AnvilInstance
  info: DevnetNetwork
}

async function waitForMined(anvil: AnvilInstance, txHash: Hex, timeoutMs: number): Promise<void> {
  const deadline = AbortSignal.timeout(timeoutMs)
  for (;;) {
    const receipt = await anvil.request<{ status: Hex } | null>('eth_getTransactionReceipt', [
      txHash,
    ])
    if (receipt !== null) {
      if (receipt.status !== '0x1') throw new Error(`devnet transaction ${txHash} reverted`)
      return
    }
    if (deadline.aborted)
      throw new Error(`devnet transaction ${txHash} not mined within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, receiptPollIntervalMs))
  }
}

async function ensureContracts(
  spec: DevnetNetworkSpec,
  anvil: AnvilInstance,
  deployer: DevnetAccount,
  statePath: string,
  txTimeoutMs: number,
  log: (message: string) => void,
): Promise<PlannedContract[]> {
  const plan = planContracts(spec, deployer.address)
  const codes = await Promise.all(
    plan.map((item) => anvil.request<Hex>('eth_getCode', [item.address, 'latest'])),
  )
  const firstMissing = codes.findIndex((code) => code === '0x')
  if (firstMissing >= 0) {
    const laterPresent = codes.slice(firstMissing).some((code) => code !== '0x')
    const deployerNonce = Number(
      BigInt(await anvil.request<Hex>('eth_getTransactionCount', [deployer.address, 'latest'])),
    )
    if (laterPresent || deployerNonce !== firstMissing) {
      throw new Error(
        `${spec.network} devnet state ${statePath} does not match the expected contract layout ` +
          `(deployer nonce ${deployerNonce}, first missing contract #${firstMissing}); delete it to start a fresh chain`,
      )
    }
    const chain: Chain = {
      id: spec.chainId,
      name: spec.network,
      nativeCurrency: { name: spec.nativeSymbol, symbol: spec.nativeSymbol, decimals: 18 },
      rpcUrls: { default: { http: [anvil.rpcUrl] } },
    }
    const wallet = createWalletClient({
      chain,
      transport: http(anvil.rpcUrl, { retryCount: 0 }),
      cacheTime: 0,
    })
    const account = privateKeyToAccount(deployer.privateKey)
    const txHashes: Hex[] = []
    for (const [index, item] of plan.entries()) {
      if (index < firstMissing) continue
      txHashes.push(
        await wallet.deployContract({
          account,
          abi: item.abi,
          bytecode: item.bytecode,
          args: item.args,
          nonce: index,
        }),
      )
    }
    for (const txHash of txHashes) await waitForMined(anvil, txHash, txTimeoutMs)
    log(`${spec.network} devnet: deployed ${plan.length - firstMissing} contracts`)
  }
  await verifyTokenLayout(spec, anvil, plan, statePath)
  return plan
}

async function verifyTokenLayout(
  spec: DevnetNetworkSpec,
  anvil: AnvilInstance,
  plan: readonly PlannedContract[],
  statePath: string,
): Promise<void> {
  const client = createPublicClient({
    transport: http(anvil.rpcUrl, { retryCount: 0 }),
    cacheTime: 0,
  })
  await Promise.all(
    spec.tokens.map(async (token, index) => {
      const address = plan[index]?.address
      if (address === undefined) throw new Error(`no planned address for ${token.symbol}`)
      const [symbol, decimals] = await Promise.all([
        client.readContract({ address, abi: stablecoinAbi, functionName: 'symbol' }),
        client.readContract({ address, abi: stablecoinAbi, functionName: 'decimals' }),
      ])
      if (symbol !== token.symbol || Number(decimals) !== token.decimals) {
        throw new Error(
          `${spec.network} devnet state ${statePath} holds ${String(symbol)} (${String(decimals)} decimals) where ` +
            `${token.symbol} (${token.decimals} decimals) is expected; delete it to start a fresh chain`,
        )
      }
    }),
  )
}

async function startNetwork(
  spec: DevnetNetworkSpec,
  options: DevnetOptions,
  mnemonic: string,
  deployer: DevnetAccount,
): Promise<RunningNetwork> {
  if (!networkNamePattern.test(spec.network))
    throw new Error(`invalid devnet network name ${spec.network}`)
  const log = options.log ?? (() => {})
  const statePath = join(options.dataDir, 'devnet', `${spec.network}.json`)
  const anvil = await startAnvil({
    chainId: spec.chainId,
    statePath,
    mnemonic,
    log,
    ...(spec.blockTimeSeconds === undefined ? {} : { blockTimeSeconds: spec.blockTimeSeconds }),
  })
  try {
    const plan = await ensureContracts(
      spec,
      anvil,
      deployer,
      statePath,
      options.txTimeoutMs ?? 30_000,
      log,
    )
    await anvil.request('anvil_impersonateAccount', [faucetAddress])
    const faucetBalance = BigInt(
      await anvil.request<Hex>('eth_getBalance', [faucetAddress, 'latest']),
    )
    if (faucetBalance < faucetBalanceWei / 2n) {
      await anvil.request('anvil_setBalance', [faucetAddress, toHex(faucetBalanceWei)])
    }
    const genesis = await anvil.request<{ hash: Hex } | null>('eth_getBlockByNumber', [
      '0x0',
      false,
    ])
    if (genesis === null) throw new Error(`${spec.network} devnet has no genesis block`)
    const aggregator = plan[plan.length - 1]
    if (aggregator === undefined) throw new Error('aggregator missing from the contract plan')
    return {
      spec,
      anvil,
      info: {
        network: spec.network,
        chainId: spec.chainId,
        rpcUrl: anvil.rpcUrl,
        genesisHash: genesis.hash,
        nativeSymbol: spec.nativeSymbol,
        tokens: spec.tokens.map((token, index) => ({
          ...token,
          address: plan[index]?.address as EvmAddress,
        })),
        aggregatorAddress: aggregator.address,
      },
    }
  } catch (error) {
    await anvil.stop()
    throw error
  }
}

export async function startDevnet(options: DevnetOptions): Promise<Devnet> {
  const specs = options.networks ?? defaultDevnetNetworks
  const names = new Set(specs.map((spec) => spec.network))
  if (names.size !== specs.length) throw new Error('devnet network names must be unique')
  const mnemonic = options.mnemonic ?? defaultAnvilMnemonic
  const txTimeoutMs = options.txTimeoutMs ?? 30_000
  const accounts = deriveDevAccounts(mnemonic, devAccountCount)
  const [deployer, ...funded] = accounts
  if (deployer === undefined) throw new Error('no dev accounts derived')

  const started = await Promise.allSettled(
    specs.map((spec) => startNetwork(spec, options, mnemonic, deployer)),
  )
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const failure = started.find((result) => result.status === 'rejected')
  if (failure !== undefined) {
    await Promise.all(running.map((entry) => entry.anvil.stop()))
    throw failure.reason
  }

  const byName = new Map(running.map((entry) => [entry.spec.network, entry]))
  const lookup = (network: string): RunningNetwork => {
    const entry = byName.get(network)
    if (entry === undefined) throw new Error(`unknown devnet network ${network}`)
    return entry
  }

  return {
    networks: running.map((entry) => entry.info),
    platformAccount: deployer,
    faucet: async (network, address, { tokenAddress, amountUnits }) => {
      const { anvil } = lookup(network)
      if (amountUnits <= 0n) throw new RangeError('faucet amount must be positive')
      const tx =
        tokenAddress === 'native'
          ? { from: faucetAddress, to: address, value: toHex(amountUnits) }
          : {
              from: faucetAddress,
              to: tokenAddress,
              data: encodeFunctionData({
                abi: stablecoinAbi,
                functionName: 'mint',
                args: [address, amountUnits],
              }),
            }
      const txHash = await anvil.request<Hex>('eth_sendTransaction', [tx])
      await waitForMined(anvil, txHash, txTimeoutMs)
      return { txHash }
    },
    fundedAccounts: (network) => {
      lookup(network)
      return funded.map((account) => ({ ...account }))
    },
    anvil: (network) => lookup(network).anvil,
    stop: async () => {
      await Promise.all(running.map((entry) => entry.anvil.stop()))
    },
  }
}
