import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { RelayedError, rpcRelay, type RpcRelay } from '../../../../test/helpers/rpc-relay.ts'
import { createWalletClient, http, type Abi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Hex, ObservedTransfer } from '../chain-adapter.ts'
import testStablecoinArtifact from '../devnet/artifacts/TestStablecoin.json' with { type: 'json' }
import mockAggregatorArtifact from '../devnet/artifacts/MockAggregator.json' with { type: 'json' }
import {
  defaultDevnetNetworks,
  startDevnet,
  type Devnet,
  type DevnetAccount,
  type DevnetNetwork,
  type EvmAddress,
} from '../devnet/devnet.ts'
import {
  ChainMismatchError,
  createEvmAdapter,
  decodeTransferLogs,
  transferEventTopic,
  type EvmAdapter,
  type EvmAdapterOptions,
  type RawEvmLog,
} from './evm-adapter.ts'

const watchedA: EvmAddress = '0x00000000000000000000000000000000000a11ce'
const watchedB: EvmAddress = '0x0000000000000000000000000000000000000b0b'
const unwatched: EvmAddress = '0x000000000000000000000000000000000000c0de'
const watched = new Set<string>([watchedA, watchedB])
const isWatched = (address: string): boolean => watched.has(address)

const usdcId = 11
const usdtId = 12
const ethId = 10

type TransferSummary = { tx: string; to: string; token: number; amountUnits: bigint }

function summarize(transfers: readonly ObservedTransfer[]): TransferSummary[] {
  return transfers.map((transfer) => ({
    tx: transfer.txHash,
    to: transfer.to,
    token: transfer.tokenId,
    amountUnits: transfer.amountUnits,
  }))
}

describe('createEvmAdapter (against an anvil devnet)', () => {
  let dataDir = ''
  let devnet: Devnet
  let base: DevnetNetwork
  let adapter: EvmAdapter
  let usdc: EvmAddress
  let usdt: EvmAddress
  let payer: DevnetAccount
  let tokens: { address: string; tokenId: number }[]
  let proxy: RpcRelay | undefined

  const adapterFor = (overrides: Partial<EvmAdapterOptions> = {}): EvmAdapter =>
    createEvmAdapter({
      network: 'base',
      chainId: base.chainId,
      rpcUrls: [base.rpcUrl],
      requestTimeoutMs: 5_000,
      pollingIntervalMs: 10,
      ...overrides,
    })

  const walletOf = (account: DevnetAccount) =>
    createWalletClient({
      account: privateKeyToAccount(account.privateKey),
      chain: {
        id: base.chainId,
        name: 'base',
        nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
        rpcUrls: { default: { http: [base.rpcUrl] } },
      },
      transport: http(base.rpcUrl, { retryCount: 0 }),
      cacheTime: 0,
    })

  const nextBlock = async (): Promise<bigint> => (await adapter.getHead()).number + 1n

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pepay-evm-adapter-test-'))
    const baseSpec = defaultDevnetNetworks.find((spec) => spec.network === 'base')
    assert.ok(baseSpec)
    devnet = await startDevnet({ dataDir, networks: [baseSpec] })
    const [network] = devnet.networks
    assert.ok(network)
    base = network
    adapter = adapterFor()
    const [usdcToken, usdtToken] = base.tokens
    assert.ok(usdcToken && usdtToken)
    usdc = usdcToken.address
    usdt = usdtToken.address
    tokens = [
      { address: usdc, tokenId: usdcId },
      { address: usdt, tokenId: usdtId },
    ]
    const [firstFunded] = devnet.fundedAccounts('base')
    assert.ok(firstFunded)
    payer = firstFunded
    await devnet.faucet('base', payer.address, { tokenAddress: usdc, amountUnits: 1_000_000_000n })
    await devnet.faucet('base', payer.address, { tokenAddress: usdt, amountUnits: 1_000_000_000n })
  })

  after(async () => {
    await proxy?.close()
    await devnet?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('reports the head and block headers linked by parent hash', async () => {
    await devnet.anvil('base').mine(2)
    const head = await adapter.getHead()
    const header = await adapter.getBlockHeader(head.number)
    const parent = await adapter.getBlockHeader(head.number - 1n)
    assert.ok(header && parent)
    assert.equal(header.hash, head.hash)
    assert.equal(header.parentHash, parent.hash)
    assert.ok(header.timestamp.getTime() >= parent.timestamp.getTime())
    assert.equal(await adapter.getBlockHash(head.number), head.hash)
    assert.equal(await adapter.getBlockHash(head.number + 1_000n), undefined)
    assert.equal(await adapter.getChainId(), 84532)
  })

  it('scans exactly the transfers to watched addresses, including several in one transaction', async () => {
    const fromBlock = await nextBlock()
    const wallet = walletOf(payer)
    const batchTx = await wallet.writeContract({
      address: usdc,
      abi: testStablecoinArtifact.abi as Abi,
      functionName: 'batchTransfer',
      args: [
        [watchedA, unwatched, watchedB, watchedA],
        [10n, 20n, 30n, 11n],
      ],
    })
    await adapter.waitForReceipt(batchTx, 5_000)
    const usdtTx = await adapter.sendToken({
      privateKey: payer.privateKey,
      tokenAddress: usdt,
      to: watchedA,
      amountUnits: 40n,
    })
    const unwatchedTx = await adapter.sendToken({
      privateKey: payer.privateKey,
      tokenAddress: usdc,
      to: unwatched,
      amountUnits: 50n,
    })
    const approveTx = await wallet.writeContract({
      address: usdc,
      abi: testStablecoinArtifact.abi as Abi,
      functionName: 'approve',
      args: [watchedA, 999n],
    })
    await adapter.waitForReceipt(approveTx, 5_000)
    const toBlock = (await adapter.getHead()).number

    const found = await adapter.scanTransfers({ fromBlock, toBlock, tokens, isWatched })
    assert.deepEqual(summarize(found), [
      { tx: batchTx, to: watchedA, token: usdcId, amountUnits: 10n },
      { tx: batchTx, to: watchedB, token: usdcId, amountUnits: 30n },
      { tx: batchTx, to: watchedA, token: usdcId, amountUnits: 11n },
      { tx: usdtTx.txHash, to: watchedA, token: usdtId, amountUnits: 40n },
    ])
    const batchLogIndexes = found
      .filter((transfer) => transfer.txHash === batchTx)
      .map((transfer) => transfer.logIndex)
    assert.equal(
      new Set(batchLogIndexes).size,
      3,
      'each transfer in the batch has its own log index',
    )
    for (const transfer of found) {
      assert.equal(transfer.network, 'base')
      assert.equal(transfer.from, payer.address.toLowerCase())
      assert.equal(
        transfer.tokenAddress,
        transfer.tokenId === usdcId ? usdc.toLowerCase() : usdt.toLowerCase(),
      )
      assert.equal(transfer.blockHash, await adapter.getBlockHash(transfer.blockNumber))
    }

    const chunked = await adapterFor({ maxBlocksPerLogQuery: 1 }).scanTransfers({
      fromBlock,
      toBlock,
      tokens,
      isWatched,
    })
    assert.deepEqual(chunked, found)

    const onlyUsdt = await adapter.scanTransfers({
      fromBlock,
      toBlock,
      tokens: [tokens[1]!],
      isWatched,
    })
    assert.deepEqual(summarize(onlyUsdt), [
      { tx: usdtTx.txHash, to: watchedA, token: usdtId, amountUnits: 40n },
    ])

    const everything = await adapter.scanTransfers({ fromBlock, toBlock, tokens })
    assert.equal(everything.length, 6)
    assert.ok(
      everything.some(
        (transfer) => transfer.txHash === unwatchedTx.txHash && transfer.to === unwatched,
      ),
    )
  })

  it('splits log queries that the node rejects as covering too many blocks', async () => {
    const maxSpan = 2n
    const spans: bigint[] = []
    // a node that refuses log queries over more than maxSpan blocks, anvil behind it
    proxy = await rpcRelay(base.rpcUrl, ({ method, params }) => {
      const filter = (params as { fromBlock: Hex; toBlock: Hex }[])[0]
      if (method !== 'eth_getLogs' || !filter) return undefined
      const span = BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n
      spans.push(span)
      return span > maxSpan ? new RelayedError(-32005, 'query exceeds max block range 2') : undefined
    })
    const proxyUrl = proxy.url

    const toBlock = (await adapter.getHead()).number
    const direct = await adapter.scanTransfers({ fromBlock: 0n, toBlock, tokens })
    const viaLimitedNode = await adapterFor({ rpcUrls: [proxyUrl] }).scanTransfers({
      fromBlock: 0n,
      toBlock,
      tokens,
    })
    assert.ok(direct.length > 0)
    assert.deepEqual(viaLimitedNode, direct)
    assert.ok(
      spans.some((span) => span > maxSpan),
      'the first query was rejected',
    )
    assert.ok(
      spans.some((span) => span <= maxSpan),
      'smaller queries followed',
    )
  })

  it('moves tokens and native coin and reports the mined outcome with its fee', async () => {
    const recipient: EvmAddress = '0x00000000000000000000000000000000001e5e1f'
    const tokenBefore = await adapter.getTokenBalance(usdc, recipient)
    const sent = await adapter.sendToken({
      privateKey: payer.privateKey,
      tokenAddress: usdc,
      to: recipient,
      amountUnits: 1_234_567n,
    })
    const outcome = await adapter.waitForReceipt(sent.txHash, 5_000)
    assert.equal(outcome.status, 'success')
    assert.equal(outcome.txHash, sent.txHash)
    assert.ok(outcome.gasUsed > 21_000n)
    assert.equal(outcome.feeUnits > 0n, true)
    assert.equal(outcome.blockHash, await adapter.getBlockHash(outcome.blockNumber))
    assert.equal(await adapter.getTokenBalance(usdc, recipient), tokenBefore + 1_234_567n)

    const nativeBefore = await adapter.getNativeBalance(recipient)
    const payerBefore = await adapter.getNativeBalance(payer.address)
    const native = await adapter.sendNative({
      privateKey: payer.privateKey,
      to: recipient,
      amountUnits: 10n ** 15n,
    })
    const nativeOutcome = await adapter.waitForReceipt(native.txHash, 5_000)
    assert.equal(await adapter.getNativeBalance(recipient), nativeBefore + 10n ** 15n)
    assert.equal(
      await adapter.getNativeBalance(payer.address),
      payerBefore - 10n ** 15n - nativeOutcome.feeUnits,
    )

    await assert.rejects(
      adapter.sendToken({
        privateKey: payer.privateKey,
        tokenAddress: usdc,
        to: recipient,
        amountUnits: 10n ** 30n,
      }),
    )
  })

  it('scans native transfers to watched addresses and skips reverted ones', async () => {
    const fromBlock = await nextBlock()
    const paid = await adapter.sendNative({
      privateKey: payer.privateKey,
      to: watchedB,
      amountUnits: 777n,
    })
    await adapter.sendNative({ privateKey: payer.privateKey, to: unwatched, amountUnits: 778n })
    // The token contract has no payable fallback: this call reverts yet is mined with its value attached.
    const reverted = await devnet
      .anvil('base')
      .request<Hex>('eth_sendTransaction', [
        { from: payer.address, to: usdc, value: '0x309', gas: '0x186a0' },
      ])
    assert.equal((await adapter.waitForReceipt(reverted, 5_000)).status, 'reverted')
    const toBlock = (await adapter.getHead()).number

    const watchedPlusToken = (address: string): boolean =>
      isWatched(address) || address === usdc.toLowerCase()
    const found = await adapter.scanNativeTransfers({
      fromBlock,
      toBlock,
      isWatched: watchedPlusToken,
      tokenId: ethId,
    })
    assert.equal(found.length, 1)
    const [transfer] = found
    assert.ok(transfer)
    assert.equal(transfer.txHash, paid.txHash)
    assert.equal(transfer.to, watchedB)
    assert.equal(transfer.from, payer.address.toLowerCase())
    assert.equal(transfer.amountUnits, 777n)
    assert.equal(transfer.tokenAddress, null)
    assert.equal(transfer.tokenId, ethId)
    assert.equal(transfer.logIndex, -1, 'the only transaction of its block has index 0')
    assert.equal(transfer.blockHash, await adapter.getBlockHash(transfer.blockNumber))
  })

  it('sees a new block hash at a height replaced by a depth-2 reorg, and the transfer in it is gone', async () => {
    const fromBlock = await nextBlock()
    const sent = await adapter.sendToken({
      privateKey: payer.privateKey,
      tokenAddress: usdt,
      to: watchedB,
      amountUnits: 99n,
    })
    const outcome = await adapter.waitForReceipt(sent.txHash, 5_000)
    await devnet.anvil('base').mine(1)
    const head = await adapter.getHead()
    assert.equal(head.number, outcome.blockNumber + 1n)
    assert.equal(
      (await adapter.scanTransfers({ fromBlock, toBlock: head.number, tokens, isWatched })).length,
      1,
    )

    await devnet.anvil('base').reorg(2)
    const newHash = await adapter.getBlockHash(outcome.blockNumber)
    assert.ok(newHash)
    assert.notEqual(newHash, outcome.blockHash)
    assert.notEqual((await adapter.getHead()).hash, head.hash)
    assert.equal(
      await adapter.getBlockHash(outcome.blockNumber - 1n),
      (await adapter.getBlockHeader(outcome.blockNumber))?.parentHash,
    )
    assert.deepEqual(
      await adapter.scanTransfers({ fromBlock, toBlock: head.number, tokens, isWatched }),
      [],
    )
    assert.equal(await adapter.getTransactionOutcome(sent.txHash), undefined)
  })

  it('reads the configured native coin price from the aggregator and follows updates', async () => {
    const reading = await adapter.readAggregator(base.aggregatorAddress)
    assert.equal(reading.answer, 3000_00000000n)
    assert.equal(reading.decimals, 8)

    const update = await walletOf(payer).writeContract({
      address: base.aggregatorAddress,
      abi: mockAggregatorArtifact.abi as Abi,
      functionName: 'setAnswer',
      args: [3123_45000000n],
    })
    const outcome = await adapter.waitForReceipt(update, 5_000)
    const updated = await adapter.readAggregator(base.aggregatorAddress)
    assert.equal(updated.answer, 3123_45000000n)
    assert.equal(updated.roundId, reading.roundId + 1n)
    assert.deepEqual(
      updated.updatedAt,
      (await adapter.getBlockHeader(outcome.blockNumber))?.timestamp,
    )
  })

  it('estimates the gas of token and native transfers', async () => {
    const token = await adapter.estimateTransferGas({
      from: payer.address,
      to: watchedA,
      tokenAddress: usdc,
      amountUnits: 1n,
    })
    const native = await adapter.estimateTransferGas({
      from: payer.address,
      to: watchedA,
      tokenAddress: null,
      amountUnits: 1n,
    })
    assert.equal(native.gasLimit, 21_000n)
    assert.ok(token.gasLimit > native.gasLimit)
    assert.ok(token.maxFeePerGasWei > 0n)
    assert.equal(token.maxCostWei, token.gasLimit * token.maxFeePerGasWei)
  })

  it('fails over to the next RPC URL when the first one is unreachable', async () => {
    const failover = adapterFor({ rpcUrls: ['http://127.0.0.1:1', base.rpcUrl] })
    assert.deepEqual(await failover.getHead(), await adapter.getHead())
  })

  describe('a node that serves another chain', () => {
    let other: RpcRelay
    let otherUrl = ''

    before(async () => {
      // a node of chain 1 (Ethereum): answers eth_chainId, and would answer anything else
      other = await rpcRelay(base.rpcUrl, ({ method }) => (method === 'eth_chainId' ? '0x1' : '0x10'))
      otherUrl = other.url
    })
    after(async () => {
      await other.close()
    })

    it('is refused with an error naming both chains and only the origin of its URL', async () => {
      other.calls.length = 0
      const wrong = adapterFor({ rpcUrls: [`${otherUrl}/v2/secret-api-key`] })
      const error = await wrong.getHead().then(
        () => assert.fail('a head was read from another chain'),
        (e: unknown) => e,
      )
      assert.ok(error instanceof Error)
      assert.match(error.message, new RegExp(`the node at ${otherUrl} serves chain 1, not base's chain ${base.chainId}`))
      assert.doesNotMatch(error.message, /secret-api-key/)
      let cause: unknown = error
      while (cause instanceof Error && !(cause instanceof ChainMismatchError)) cause = cause.cause
      assert.ok(cause instanceof ChainMismatchError)
      // asked which chain it serves, and nothing else
      await assert.rejects(wrong.getBlockHash(1n))
      assert.deepEqual(other.calls.map((call) => call.method), ['eth_chainId'])
    })

    it('is passed over for the next URL, which serves the right chain', async () => {
      const failover = adapterFor({ rpcUrls: [otherUrl, base.rpcUrl] })
      assert.deepEqual(await failover.getHead(), await adapter.getHead())
    })
  })

  it('gives up waiting for a transaction that is never mined', async () => {
    const unknown: Hex = `0x${'ab'.repeat(32)}`
    await assert.rejects(adapter.waitForReceipt(unknown, 200), /not mined within 200 ms/)
  })
})

describe('decodeTransferLogs', () => {
  const word = (hex: string): string => `0x${hex.padStart(64, '0')}`
  const tokenAddress = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
  const recipient = '1111111111111111111111111111111111111111'
  const logOf = (overrides: Partial<RawEvmLog> = {}): RawEvmLog => ({
    address: tokenAddress,
    topics: [transferEventTopic, word('2222222222222222222222222222222222222222'), word(recipient)],
    data: word('3e8'),
    blockNumber: '0x10',
    blockHash: word('aa'),
    transactionHash: word('bb'),
    logIndex: '0x2',
    removed: false,
    ...overrides,
  })

  it('decodes sender, recipient, amount and position of an ERC-20 Transfer log', () => {
    const [transfer] = decodeTransferLogs([logOf()], {
      network: 'base',
      tokenIdByAddress: new Map([[tokenAddress, usdcId]]),
    })
    assert.deepEqual(transfer, {
      network: 'base',
      txHash: word('bb'),
      logIndex: 2,
      blockNumber: 16n,
      blockHash: word('aa'),
      from: '0x2222222222222222222222222222222222222222',
      to: `0x${recipient}`,
      tokenAddress,
      tokenId: usdcId,
      amountUnits: 1000n,
    })
  })

  it('skips removed, pending, ERC-721, foreign-contract and malformed logs', () => {
    const erc721Topics = [transferEventTopic, word('22'), word(recipient), word('7')]
    const skipped = decodeTransferLogs(
      [
        logOf({ removed: true }),
        logOf({ blockHash: null, blockNumber: null, logIndex: null, transactionHash: null }),
        logOf({ topics: erc721Topics, data: '0x' }),
        logOf({ address: '0x000000000000000000000000000000000000dead' }),
        logOf({ data: '0x1234' }),
        logOf({ topics: [word('ff'), word('22'), word(recipient)] }),
      ],
      { tokenIdByAddress: new Map([[tokenAddress, usdcId]]) },
    )
    assert.deepEqual(skipped, [])
  })

  it('decodes a large recorded batch and keeps exactly the watched recipients (throughput is measured in bench/watcher)', () => {
    const watchedRecipients = new Set<string>()
    const logs: RawEvmLog[] = []
    for (let index = 0; index < 60_000; index += 1) {
      const to = index.toString(16).padStart(40, 'c')
      if (index % 2 === 0) watchedRecipients.add(`0x${to}`)
      logs.push(
        logOf({
          topics: [transferEventTopic, word('2222222222222222222222222222222222222222'), word(to)],
          data: word((index * 1_000_003).toString(16)),
          logIndex: `0x${(index % 500).toString(16)}`,
          blockNumber: `0x${(1_000_000 + Math.floor(index / 500)).toString(16)}`,
        }),
      )
    }
    const options = {
      network: 'base',
      tokenIdByAddress: new Map([[tokenAddress, usdcId]]),
      isWatched: (address: string) => watchedRecipients.has(address),
    }
    const matched = decodeTransferLogs(logs, options)
    assert.equal(matched.length, 30_000)
    assert.ok(matched.every((t) => watchedRecipients.has(t.to)))
    const third = matched[3]
    assert.equal(third?.amountUnits, BigInt(6 * 1_000_003))
  })
})
