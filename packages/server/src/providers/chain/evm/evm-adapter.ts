import { setTimeout as delay } from 'node:timers/promises'
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  encodeFunctionData,
  erc20Abi,
  fallback,
  http,
  keccak256,
  type Transport,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { mapWithConcurrency } from '../concurrency.ts'
import { rememberedEndpointCheck } from '../endpoint-check.ts'
import type {
  BlockHeader,
  ChainAdapter,
  ChainHead,
  Hex,
  NativeTransferScanRequest,
  ObservedTransfer,
  PriceFeedReading,
  SentTransaction,
  TransactionOutcome,
  TransferScanRequest,
  WatchedAddressFilter,
} from '../chain-adapter.ts'

export type { NativeTransferScanRequest, TokenToScan, TransferScanRequest } from '../chain-adapter.ts'

export type EvmAddress = `0x${string}`

export type EvmAdapterOptions = {
  /** Platform network id, e.g. "base" or "bsc"; copied into every ObservedTransfer. */
  network: string
  chainId: number
  /** Tried in order: later URLs take over when earlier ones fail. */
  rpcUrls: readonly string[]
  requestTimeoutMs: number
  /** Retries per URL before failing over (default 0: scan loops retry on their own schedule). */
  retryCount?: number
  /** How often waitForReceipt polls (default 1000 ms; a few ms on a local devnet). */
  pollingIntervalMs?: number
  /** Upper bound of the block span of one eth_getLogs call (default 2000). */
  maxBlocksPerLogQuery?: number
  /** Concurrent eth_getBlockByNumber calls while scanning native transfers (default 4). */
  nativeScanConcurrency?: number
  nativeSymbol?: string
}

export type TransferGasEstimate = {
  gasLimit: bigint
  maxFeePerGasWei: bigint
  /** gasLimit × maxFeePerGas: native coin to hold for the transfer (excludes an OP-stack L1 data fee). */
  maxCostWei: bigint
}

/** EVM transfers carry 0x-hex hashes. */
export type EvmObservedTransfer = ObservedTransfer & { txHash: Hex; blockHash: Hex }

/** Satisfies `ChainAdapter` (checked below), plus EVM extras: chain id, direct sends, price feeds. */
export type EvmAdapter = {
  kind: 'evm'
  network: string
  chainId: number
  getChainId: () => Promise<number>
  getHead: (blockTag?: 'latest' | 'safe' | 'finalized') => Promise<ChainHead>
  getBlockHash: (blockNumber: bigint) => Promise<string | undefined>
  getBlockHeader: (blockNumber: bigint) => Promise<BlockHeader | undefined>
  scanTransfers: (request: TransferScanRequest) => Promise<EvmObservedTransfer[]>
  scanNativeTransfers: (request: NativeTransferScanRequest) => Promise<EvmObservedTransfer[]>
  signTransfer: ChainAdapter['signTransfer']
  broadcastTransfer: ChainAdapter['broadcastTransfer']
  sendToken: (request: {
    privateKey: Hex
    tokenAddress: EvmAddress
    to: EvmAddress
    amountUnits: bigint
    nonce?: number
  }) => Promise<SentTransaction>
  sendNative: (request: {
    privateKey: Hex
    to: EvmAddress
    amountUnits: bigint
    nonce?: number
  }) => Promise<SentTransaction>
  /** Undefined while the transaction is not mined (or unknown to the node). */
  getTransactionOutcome: (txHash: string) => Promise<TransactionOutcome | undefined>
  waitForReceipt: (txHash: string, timeoutMs: number) => Promise<TransactionOutcome>
  getTokenBalance: (tokenAddress: string, owner: string) => Promise<bigint>
  getNativeBalance: (owner: string) => Promise<bigint>
  estimateTransferGas: (request: {
    from: string
    to: string
    /** null for the native coin. */
    tokenAddress: string | null
    amountUnits: bigint
  }) => Promise<TransferGasEstimate>
  readAggregator: (address: EvmAddress) => Promise<PriceFeedReading>
}

/** keccak256("Transfer(address,address,uint256)") */
export const transferEventTopic =
  '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'

export const aggregatorV3Abi = [
  {
    type: 'function',
    name: 'decimals',
    stateMutability: 'view',
    inputs: [],
    outputs: [{ name: '', type: 'uint8' }],
  },
  {
    type: 'function',
    name: 'latestRoundData',
    stateMutability: 'view',
    inputs: [],
    outputs: [
      { name: 'roundId', type: 'uint80' },
      { name: 'answer', type: 'int256' },
      { name: 'startedAt', type: 'uint256' },
      { name: 'updatedAt', type: 'uint256' },
      { name: 'answeredInRound', type: 'uint80' },
    ],
  },
] as const

/** A log as returned by eth_getLogs (hex quantities), e.g. recorded from a node for benchmarks. */
export type RawEvmLog = {
  address: string
  topics: readonly string[]
  data: string
  blockNumber: string | null
  blockHash: string | null
  transactionHash: string | null
  logIndex: string | null
  removed?: boolean
}

export type DecodeTransferLogsOptions = {
  network?: string
  /** Lowercase token address → tokenId; logs of other contracts are skipped. */
  tokenIdByAddress: ReadonlyMap<string, number>
  isWatched?: WatchedAddressFilter
}

const addressTopicLength = 66
const uint256DataLength = 66

/**
 * Decodes ERC-20 Transfer logs by slicing topics instead of ABI decoding (the hot path when scanning busy chains).
 * Skips removed/pending logs, ERC-721 transfers (4 topics) and malformed data.
 */
export function decodeTransferLogs(
  logs: readonly RawEvmLog[],
  options: DecodeTransferLogsOptions,
): EvmObservedTransfer[] {
  const network = options.network ?? ''
  const { tokenIdByAddress, isWatched } = options
  const transfers: EvmObservedTransfer[] = []
  for (const log of logs) {
    const topics = log.topics
    if (topics.length !== 3 || log.removed === true) continue
    const signature = topics[0]
    const fromTopic = topics[1]
    const toTopic = topics[2]
    if (signature === undefined || fromTopic === undefined || toTopic === undefined) continue
    if (signature.toLowerCase() !== transferEventTopic) continue
    if (toTopic.length !== addressTopicLength || fromTopic.length !== addressTopicLength) continue
    const to = `0x${toTopic.slice(26).toLowerCase()}`
    if (isWatched !== undefined && !isWatched(to)) continue
    const tokenAddress = log.address.toLowerCase()
    const tokenId = tokenIdByAddress.get(tokenAddress)
    if (tokenId === undefined) continue
    if (log.blockNumber === null || log.blockHash === null || log.transactionHash === null) continue
    if (log.logIndex === null || log.data.length < uint256DataLength) continue
    transfers.push({
      network,
      txHash: log.transactionHash.toLowerCase() as Hex,
      logIndex: Number.parseInt(log.logIndex, 16),
      blockNumber: BigInt(log.blockNumber),
      blockHash: log.blockHash.toLowerCase() as Hex,
      from: `0x${fromTopic.slice(26).toLowerCase()}`,
      to,
      tokenAddress,
      tokenId,
      // Some non-standard tokens append data after the amount: only the first word is the value.
      amountUnits: BigInt(
        log.data.length === uint256DataLength ? log.data : log.data.slice(0, uint256DataLength),
      ),
    })
  }
  return transfers
}

type RpcBlockHeader = {
  number: string
  hash: Hex
  parentHash: Hex
  timestamp: string
}

type RpcTransaction = {
  hash: Hex
  from: string
  to: string | null
  value: string
  transactionIndex: string
}

type RpcBlockWithTransactions = RpcBlockHeader & { transactions: RpcTransaction[] }

type RpcReceipt = {
  transactionHash: Hex
  status: string
  blockNumber: string
  blockHash: Hex
  gasUsed: string
  effectiveGasPrice?: string
  /** OP-stack chains (Base) charge an L1 data fee on top of L2 gas. */
  l1Fee?: string | null
}

/** `to`/`data`/`value` of a token transfer (tokenAddress set) or a native coin transfer. */
function transferCall(
  to: string,
  tokenAddress: string | null,
  amountUnits: bigint,
): { to: EvmAddress; data: Hex | undefined; value: bigint } {
  if (tokenAddress === null) return { to: to as EvmAddress, data: undefined, value: amountUnits }
  return {
    to: tokenAddress as EvmAddress,
    data: encodeFunctionData({
      abi: erc20Abi,
      functionName: 'transfer',
      args: [to as EvmAddress, amountUnits],
    }),
    value: 0n,
  }
}

function toQuantity(value: bigint | number): Hex {
  return `0x${value.toString(16)}`
}

function toHeader(block: RpcBlockHeader): BlockHeader {
  return {
    number: BigInt(block.number),
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: new Date(Number(BigInt(block.timestamp)) * 1000),
  }
}

function toOutcome(receipt: RpcReceipt): TransactionOutcome {
  const gasUsed = BigInt(receipt.gasUsed)
  const gasFee = gasUsed * BigInt(receipt.effectiveGasPrice ?? '0x0')
  const l1Fee = receipt.l1Fee === undefined || receipt.l1Fee === null ? 0n : BigInt(receipt.l1Fee)
  return {
    txHash: receipt.transactionHash,
    status: receipt.status === '0x1' ? 'success' : 'reverted',
    blockNumber: BigInt(receipt.blockNumber),
    blockHash: receipt.blockHash,
    gasUsed,
    feeUnits: gasFee + l1Fee,
  }
}

// Providers word this differently; these mean "ask for fewer blocks", not "node is down" or "slow down"
// (bisecting on a rate limit would multiply the requests that caused it).
const rangeTooLargePattern =
  /range|too many (results|logs|blocks)|more than \d+|response size|too large|limit exceeded|exceeds? (the )?(max|limit)/i
const rateLimitedPattern = /rate.?limit|too many requests|\b429\b|capacity/i

function isRangeTooLarge(error: unknown): boolean {
  let current: unknown = error
  // Walk a bounded cause chain: viem wraps RPC errors two or three levels deep.
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (rateLimitedPattern.test(current.message)) return false
    if (rangeTooLargePattern.test(current.message)) return true
    current = current.cause
  }
  return false
}

/** A configured RPC endpoint that serves another chain than its network's. */
export class ChainMismatchError extends Error {
  constructor(network: string, origin: string, expected: number, served: number) {
    super(`the node at ${origin} serves chain ${served}, not ${network}'s chain ${expected}`)
    this.name = 'ChainMismatchError'
  }
}

/** Where a URL points, without its path or query (a hosted node's API key lives there). */
function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return 'a configured RPC URL'
  }
}

/**
 * `transport`, whose node is first asked which chain it serves (`eth_chainId`, remembered for
 * every client of the URL: see `rememberedEndpointCheck`). A URL of another chain fails every
 * request with an error that names the chain, and `fallback` moves on to the next URL.
 */
function chainChecked(transport: Transport, url: string, network: string, chainId: number): Transport {
  const verify = rememberedEndpointCheck(async (client: ReturnType<Transport>) => {
    const answer: unknown = await client.request({ method: 'eth_chainId', params: [] })
    if (typeof answer !== 'string' || !/^0x[0-9a-f]+$/i.test(answer)) throw new Error(`${network}: eth_chainId answered ${JSON.stringify(answer)}`)
    const served = Number(BigInt(answer))
    return served === chainId ? undefined : new ChainMismatchError(network, originOf(url), chainId, served)
  })
  return (config) => {
    const inner = transport(config)
    const request: typeof inner.request = async (args, options) => {
      await verify(inner)
      return inner.request(args, options)
    }
    return { ...inner, request }
  }
}

export function createEvmAdapter(options: EvmAdapterOptions): EvmAdapter {
  const { network, chainId } = options
  if (options.rpcUrls.length === 0) throw new Error(`no RPC URL configured for ${network}`)
  const retryCount = options.retryCount ?? 0
  const pollingIntervalMs = options.pollingIntervalMs ?? 1_000
  const maxBlocksPerLogQuery = BigInt(options.maxBlocksPerLogQuery ?? 2_000)
  const nativeScanConcurrency = options.nativeScanConcurrency ?? 4
  if (maxBlocksPerLogQuery < 1n) throw new RangeError('maxBlocksPerLogQuery must be at least 1')

  const transports = options.rpcUrls.map((url) =>
    chainChecked(http(url, { retryCount, timeout: options.requestTimeoutMs }), url, network, chainId),
  )
  const transport: Transport =
    transports.length === 1 && transports[0] !== undefined
      ? transports[0]
      : fallback(transports, { retryCount: 0 })
  const chain = defineChain({
    id: chainId,
    name: network,
    nativeCurrency: {
      name: options.nativeSymbol ?? 'ETH',
      symbol: options.nativeSymbol ?? 'ETH',
      decimals: 18,
    },
    rpcUrls: { default: { http: [...options.rpcUrls] } },
  })
  const publicClient = createPublicClient({
    chain,
    transport,
    cacheTime: 0,
    pollingInterval: pollingIntervalMs,
  })
  const walletClient = createWalletClient({
    chain,
    transport,
    cacheTime: 0,
    pollingInterval: pollingIntervalMs,
  })

  const rpc = publicClient.request as unknown as <T>(args: {
    method: string
    params: unknown[]
  }) => Promise<T>

  const getBlockHeader = async (blockNumber: bigint): Promise<BlockHeader | undefined> => {
    const block = await rpc<RpcBlockHeader | null>({
      method: 'eth_getBlockByNumber',
      params: [toQuantity(blockNumber), false],
    })
    return block === null ? undefined : toHeader(block)
  }

  const getLogsBisecting = async (
    fromBlock: bigint,
    toBlock: bigint,
    addresses: readonly string[],
  ): Promise<RawEvmLog[]> => {
    try {
      return await rpc<RawEvmLog[]>({
        method: 'eth_getLogs',
        params: [
          {
            fromBlock: toQuantity(fromBlock),
            toBlock: toQuantity(toBlock),
            address: addresses,
            topics: [transferEventTopic],
          },
        ],
      })
    } catch (error) {
      // Halving terminates: the span shrinks every level and a single block is never split.
      if (fromBlock === toBlock || !isRangeTooLarge(error)) throw error
      const middle = fromBlock + (toBlock - fromBlock) / 2n
      const lower = await getLogsBisecting(fromBlock, middle, addresses)
      const upper = await getLogsBisecting(middle + 1n, toBlock, addresses)
      return lower.concat(upper)
    }
  }

  const scanTransfers = async (request: TransferScanRequest): Promise<EvmObservedTransfer[]> => {
    if (request.tokens.length === 0 || request.fromBlock > request.toBlock) return []
    const tokenIdByAddress = new Map(
      request.tokens.map((token) => [token.address.toLowerCase(), token.tokenId]),
    )
    const addresses = [...tokenIdByAddress.keys()]
    const decodeOptions: DecodeTransferLogsOptions = { network, tokenIdByAddress }
    if (request.isWatched !== undefined) decodeOptions.isWatched = request.isWatched
    const transfers: EvmObservedTransfer[] = []
    for (
      let chunkStart = request.fromBlock;
      chunkStart <= request.toBlock;
      chunkStart += maxBlocksPerLogQuery
    ) {
      const chunkEnd = chunkStart + maxBlocksPerLogQuery - 1n
      const logs = await getLogsBisecting(
        chunkStart,
        chunkEnd < request.toBlock ? chunkEnd : request.toBlock,
        addresses,
      )
      for (const transfer of decodeTransferLogs(logs, decodeOptions)) transfers.push(transfer)
    }
    return transfers
  }

  const getTransactionOutcome = async (txHash: string): Promise<TransactionOutcome | undefined> => {
    const receipt = await rpc<RpcReceipt | null>({
      method: 'eth_getTransactionReceipt',
      params: [txHash],
    })
    return receipt === null ? undefined : toOutcome(receipt)
  }

  const scanNativeTransfers = async (
    request: NativeTransferScanRequest,
  ): Promise<EvmObservedTransfer[]> => {
    if (request.fromBlock > request.toBlock) return []
    const { tokenId } = request
    const blockNumbers: bigint[] = []
    for (let number = request.fromBlock; number <= request.toBlock; number += 1n)
      blockNumbers.push(number)
    const blocks = await mapWithConcurrency(blockNumbers, nativeScanConcurrency, async (number) => {
      const block = await rpc<RpcBlockWithTransactions | null>({
        method: 'eth_getBlockByNumber',
        params: [toQuantity(number), true],
      })
      if (block === null) throw new Error(`${network} block ${number} does not exist yet`)
      return block
    })
    const candidates: { block: RpcBlockWithTransactions; tx: RpcTransaction; to: string }[] = []
    for (const block of blocks) {
      for (const tx of block.transactions) {
        if (tx.to === null || BigInt(tx.value) === 0n) continue
        const to = tx.to.toLowerCase()
        if (request.isWatched !== undefined && !request.isWatched(to)) continue
        candidates.push({ block, tx, to })
      }
    }
    // A reverted call keeps its value: only successful transactions moved coins.
    const outcomes = await mapWithConcurrency(candidates, nativeScanConcurrency, (candidate) =>
      getTransactionOutcome(candidate.tx.hash),
    )
    const transfers: EvmObservedTransfer[] = []
    candidates.forEach(({ block, tx, to }, index) => {
      if (outcomes[index]?.status !== 'success') return
      transfers.push({
        network,
        txHash: tx.hash.toLowerCase() as Hex,
        logIndex: -1 - Number.parseInt(tx.transactionIndex, 16),
        blockNumber: BigInt(block.number),
        blockHash: block.hash.toLowerCase() as Hex,
        from: tx.from.toLowerCase(),
        to,
        tokenAddress: null,
        tokenId,
        amountUnits: BigInt(tx.value),
      })
    })
    return transfers
  }

  const waitForReceipt = async (txHash: string, timeoutMs: number): Promise<TransactionOutcome> => {
    const deadline = AbortSignal.timeout(timeoutMs)
    for (;;) {
      const outcome = await getTransactionOutcome(txHash)
      if (outcome !== undefined) return outcome
      if (deadline.aborted) {
        throw new Error(`${network} transaction ${txHash} not mined within ${timeoutMs} ms`)
      }
      await delay(pollingIntervalMs)
    }
  }

  const estimateFeePerGas = async (): Promise<bigint> => {
    try {
      const fees = await publicClient.estimateFeesPerGas({ type: 'eip1559' })
      return fees.maxFeePerGas
    } catch {
      // Chains without EIP-1559 blocks only quote a legacy gas price.
      return publicClient.getGasPrice()
    }
  }

  return {
    kind: 'evm',
    network,
    chainId,
    getChainId: async () => Number(BigInt(await rpc<Hex>({ method: 'eth_chainId', params: [] }))),
    getHead: async (blockTag = 'latest') => {
      const block = await rpc<RpcBlockHeader | null>({
        method: 'eth_getBlockByNumber',
        params: [blockTag, false],
      })
      if (block === null) throw new Error(`${network} node returned no ${blockTag} block`)
      return { number: BigInt(block.number), hash: block.hash }
    },
    getBlockHash: async (blockNumber) => (await getBlockHeader(blockNumber))?.hash,
    getBlockHeader,
    scanTransfers,
    scanNativeTransfers,
    sendToken: async ({ privateKey, tokenAddress, to, amountUnits, nonce }) => {
      const txHash = await walletClient.sendTransaction({
        account: privateKeyToAccount(privateKey),
        to: tokenAddress,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: 'transfer',
          args: [to, amountUnits],
        }),
        ...(nonce === undefined ? {} : { nonce }),
      })
      return { txHash }
    },
    sendNative: async ({ privateKey, to, amountUnits, nonce }) => {
      const txHash = await walletClient.sendTransaction({
        account: privateKeyToAccount(privateKey),
        to,
        value: amountUnits,
        ...(nonce === undefined ? {} : { nonce }),
      })
      return { txHash }
    },
    getTransactionOutcome,
    waitForReceipt,
    getTokenBalance: (tokenAddress, owner) =>
      publicClient.readContract({
        address: tokenAddress as EvmAddress,
        abi: erc20Abi,
        functionName: 'balanceOf',
        args: [owner as EvmAddress],
      }),
    getNativeBalance: (owner) => publicClient.getBalance({ address: owner as EvmAddress }),
    estimateTransferGas: async ({ from, to, tokenAddress, amountUnits }) => {
      const gasLimit = await publicClient.estimateGas({
        account: from as EvmAddress,
        ...transferCall(to, tokenAddress, amountUnits),
      })
      const maxFeePerGasWei = await estimateFeePerGas()
      return { gasLimit, maxFeePerGasWei, maxCostWei: gasLimit * maxFeePerGasWei }
    },
    signTransfer: async ({ from, to, tokenAddress, amountUnits }) => {
      const account = privateKeyToAccount(from.privateKey)
      const nonce = await publicClient.getTransactionCount({
        address: account.address,
        blockTag: 'pending',
      })
      const fees = await publicClient.estimateFeesPerGas()
      const call = transferCall(to, tokenAddress, amountUnits)
      const gas = await publicClient.estimateGas({ account: account.address, ...call })
      const raw = await account.signTransaction({
        chainId,
        type: 'eip1559',
        nonce,
        // headroom: state may change between estimate and inclusion
        gas: (gas * 12n) / 10n,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        ...call,
      })
      return { raw, txHash: keccak256(raw), nonce: BigInt(nonce) }
    },
    broadcastTransfer: async (raw) => {
      try {
        await publicClient.sendRawTransaction({ serializedTransaction: raw as Hex })
      } catch (error) {
        const message = (error as Error).message.toLowerCase()
        // the node already has it (a re-broadcast after a crash): the receipt tells the rest
        if (
          message.includes('already known') ||
          message.includes('nonce too low') ||
          message.includes('already imported')
        ) {
          return 'sent'
        }
        throw error
      }
      return 'sent'
    },
    readAggregator: async (address) => {
      const [decimals, round] = await Promise.all([
        publicClient.readContract({ address, abi: aggregatorV3Abi, functionName: 'decimals' }),
        publicClient.readContract({
          address,
          abi: aggregatorV3Abi,
          functionName: 'latestRoundData',
        }),
      ])
      const [roundId, answer, , updatedAtSeconds] = round
      return { answer, decimals, roundId, updatedAt: new Date(Number(updatedAtSeconds) * 1000) }
    },
  }
}
