import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { deriveSolanaAccount } from '../keys/derive.ts'
import { bytesToHex } from 'viem'
import { MAX_BLOCKHASH_AGE, startSolanaDevnet, type SolanaDevnet } from './devnet.ts'
import { createHttpSolanaRpc } from './http-rpc.ts'
import { startSolanaRpcServer } from './rpc-server.ts'
import {
  createSolanaAdapter,
  SolanaRpcError,
  type SolanaAdapter,
  type SolanaRpc,
} from './solana-adapter.ts'
import { decodeWireTransaction, type SolanaKeypair } from './transactions.ts'

const clock = { at: Date.parse('2026-03-01T12:00:00Z') }
const now = () => new Date(clock.at)
const seed = new Uint8Array(32).fill(7)

function depositKey(index: number): SolanaKeypair {
  const account = deriveSolanaAccount(seed, index)
  return { address: account.address, privateKey: bytesToHex(account.secretKey) }
}

/**
 * How the adapter reaches the devnet: its rpc in this process, or Solana's JSON-RPC over HTTP
 * (createHttpSolanaRpc against the devnet served by startSolanaRpcServer). Every scenario below
 * runs once per transport.
 */
type Transport = {
  name: string
  connect: (devnet: SolanaDevnet) => Promise<{ rpc: SolanaRpc; close: () => Promise<void> }>
}

const transports: Transport[] = [
  {
    name: 'in process',
    connect: (devnet) => Promise.resolve({ rpc: devnet.rpc, close: () => Promise.resolve() }),
  },
  {
    name: 'over Solana JSON-RPC',
    connect: async (devnet) => {
      const server = await startSolanaRpcServer({ rpc: devnet.rpc, tokens: devnet.tokens })
      return {
        rpc: createHttpSolanaRpc({ urls: [server.url], requestTimeoutMs: 5_000 }),
        close: server.close,
      }
    },
  },
]

const scenarios = (transport: Transport) => () => {
  let dataDir: string
  let devnet: SolanaDevnet
  let adapter: SolanaAdapter
  let disconnect: () => Promise<void> = () => Promise.resolve()
  let dusdc: { address: string; decimals: number }
  let dusdt: { address: string; decimals: number }
  const DUSDC_ID = 41
  const DUSDT_ID = 42
  const SOL_ID = 40

  /** (Re)starts the devnet on `dataDir` and connects a fresh adapter to it. */
  const start = async () => {
    devnet = await startSolanaDevnet({ dataDir, now })
    const connection = await transport.connect(devnet)
    disconnect = connection.close
    adapter = createSolanaAdapter({
      network: 'solana',
      rpc: connection.rpc,
      requestTimeoutMs: 5_000,
      pollingIntervalMs: 5,
    })
  }
  const stop = async () => {
    await disconnect()
    await devnet.stop()
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pepay-solana-'))
    await start()
    const [first, second] = devnet.tokens
    assert.ok(first && second)
    dusdc = first
    dusdt = second
  })
  after(async () => {
    await stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('creates the DUSDC mint at the same address on every fresh chain', async () => {
    const other = await mkdtemp(join(tmpdir(), 'pepay-solana-'))
    try {
      const second = await startSolanaDevnet({ dataDir: other, now })
      assert.equal(second.tokens[0]?.symbol, 'DUSDC')
      assert.equal(second.tokens[0]?.decimals, 6)
      assert.equal(second.tokens[0]?.address, dusdc.address)
      assert.notEqual(second.genesisHash, devnet.genesisHash)
      await second.stop()
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('gives every transaction its own slot with a hash chained to its parent', async () => {
    const start = (await adapter.getHead()).number
    const owner = depositKey(1).address
    await devnet.faucet(owner, { token: dusdc.address, amountUnits: 1_000_000n })
    await devnet.faucet(owner, { token: dusdc.address, amountUnits: 1_000_000n })
    const head = await adapter.getHead()
    assert.equal(head.number, start + 2n)
    const top = await adapter.getBlockHeader(head.number)
    const below = await adapter.getBlockHeader(head.number - 1n)
    assert.ok(top && below)
    assert.equal(top.parentHash, below.hash)
    assert.notEqual(top.hash, below.hash)
    assert.equal(await adapter.getBlockHash(head.number + 1n), undefined)
    assert.equal(await adapter.getTokenBalance(dusdc.address, owner), 2_000_000n)
  })

  it('credits an SPL transfer to the owner of the receiving account, at the instruction position', async () => {
    const payer = devnet.fundedAccounts()[0]
    assert.ok(payer)
    const owner = depositKey(2).address
    const from = (await adapter.getHead()).number + 1n
    await devnet.faucet(payer.address, { token: dusdc.address, amountUnits: 5_000_000n })
    const sent = await devnet.transfer(payer, {
      token: dusdc.address,
      to: owner,
      amountUnits: 3_250_000n,
    })
    const to = (await adapter.getHead()).number
    const watched = new Set([owner])
    const transfers = await adapter.scanTransfers({
      fromBlock: from,
      toBlock: to,
      tokens: [{ address: dusdc.address, tokenId: DUSDC_ID }],
      isWatched: (a) => watched.has(a),
    })
    assert.equal(transfers.length, 1)
    const [transfer] = transfers
    assert.ok(transfer)
    assert.equal(transfer.txHash, sent.txHash)
    // instruction 0 creates the recipient's token account, instruction 1 moves the tokens
    assert.equal(transfer.logIndex, 1)
    assert.equal(transfer.to, owner)
    assert.equal(transfer.from, payer.address)
    assert.equal(transfer.tokenAddress, dusdc.address)
    assert.equal(transfer.tokenId, DUSDC_ID)
    assert.equal(transfer.amountUnits, 3_250_000n)
    assert.equal(transfer.blockNumber, to)
    assert.equal(transfer.blockHash, await adapter.getBlockHash(to))
  })

  it('skips unwatched owners and mints it was not asked about', async () => {
    const payer = devnet.fundedAccounts()[1]
    assert.ok(payer)
    const owner = depositKey(3).address
    const from = (await adapter.getHead()).number + 1n
    await devnet.faucet(payer.address, { token: dusdt.address, amountUnits: 1_000_000n })
    await devnet.transfer(payer, { token: dusdt.address, to: owner, amountUnits: 1_000_000n })
    const to = (await adapter.getHead()).number
    const onlyDusdc = await adapter.scanTransfers({
      fromBlock: from,
      toBlock: to,
      tokens: [{ address: dusdc.address, tokenId: DUSDC_ID }],
      isWatched: () => true,
    })
    assert.deepEqual(onlyDusdc, [])
    const unwatched = await adapter.scanTransfers({
      fromBlock: from,
      toBlock: to,
      tokens: [{ address: dusdt.address, tokenId: DUSDT_ID }],
      isWatched: (a) => a === 'someone else',
    })
    assert.deepEqual(unwatched, [])
    const both = await adapter.scanTransfers({
      fromBlock: from,
      toBlock: to,
      tokens: [{ address: dusdt.address, tokenId: DUSDT_ID }],
      isWatched: (a) => a === owner,
    })
    assert.deepEqual(
      both.map((t) => [t.tokenId, t.amountUnits]),
      [[DUSDT_ID, 1_000_000n]],
    )
  })

  it('reports SOL transfers with a negative index', async () => {
    const owner = depositKey(4).address
    const from = (await adapter.getHead()).number + 1n
    const sent = await devnet.faucet(owner, { token: 'native', amountUnits: 2_000_000_000n })
    const transfers = await adapter.scanNativeTransfers({
      fromBlock: from,
      toBlock: from,
      tokenId: SOL_ID,
      isWatched: (a) => a === owner,
    })
    assert.deepEqual(
      transfers.map((t) => [t.txHash, t.logIndex, t.amountUnits, t.tokenAddress]),
      [[sent.txHash, -1, 2_000_000_000n, null]],
    )
    assert.equal(await adapter.getNativeBalance(owner), 2_000_000_000n)
  })

  it('sweeps from a deposit key with the treasury paying fee and rent, creating the destination account', async () => {
    const deposit = depositKey(5)
    const destination = depositKey(6).address
    await devnet.faucet(deposit.address, { token: dusdc.address, amountUnits: 7_000_000n })
    const estimate = await adapter.estimateTransferGas({
      from: deposit.address,
      to: destination,
      tokenAddress: dusdc.address,
      amountUnits: 7_000_000n,
    })
    assert.ok(estimate.maxCostWei > 2_000_000n, 'rent for the new token account is included')
    const treasuryBefore = await adapter.getNativeBalance(devnet.treasury.address)
    const signed = await adapter.signTransfer({
      from: deposit,
      feePayer: devnet.treasury,
      to: destination,
      tokenAddress: dusdc.address,
      tokenDecimals: 6,
      amountUnits: 7_000_000n,
    })
    assert.equal(signed.nonce, null)
    assert.equal(decodeWireTransaction(signed.raw).signature, signed.txHash)
    assert.equal(await adapter.getTransactionOutcome(signed.txHash), undefined)
    assert.equal(await adapter.broadcastTransfer(signed.raw), 'sent')
    const outcome = await adapter.waitForReceipt(signed.txHash, 2_000)
    assert.equal(outcome.status, 'success')
    assert.ok(outcome.feeUnits >= 10_000n)
    assert.equal(await adapter.getTokenBalance(dusdc.address, destination), 7_000_000n)
    assert.equal(await adapter.getTokenBalance(dusdc.address, deposit.address), 0n)
    assert.equal(
      await adapter.getNativeBalance(deposit.address),
      0n,
      'the deposit key holds no SOL',
    )
    assert.ok((await adapter.getNativeBalance(devnet.treasury.address)) < treasuryBefore)
  })

  it('treats a re-broadcast of the same bytes as already sent, without a second block', async () => {
    const payer = devnet.fundedAccounts()[2]
    assert.ok(payer)
    const signed = await adapter.signTransfer({
      from: payer,
      to: depositKey(7).address,
      tokenAddress: null,
      tokenDecimals: 9,
      amountUnits: 1_000_000_000n,
    })
    assert.equal(await adapter.broadcastTransfer(signed.raw), 'sent')
    const head = (await adapter.getHead()).number
    assert.equal(await adapter.broadcastTransfer(signed.raw), 'sent')
    assert.equal((await adapter.getHead()).number, head)
    assert.equal(await adapter.getNativeBalance(depositKey(7).address), 1_000_000_000n)
  })

  it('refuses a failing transaction without recording a block', async () => {
    const broke = depositKey(8)
    const head = (await adapter.getHead()).number
    await devnet.faucet(broke.address, { token: 'native', amountUnits: 1_000_000_000n })
    const signed = await adapter.signTransfer({
      from: broke,
      to: depositKey(9).address,
      tokenAddress: dusdc.address,
      tokenDecimals: 6,
      amountUnits: 1n,
    })
    await assert.rejects(
      adapter.broadcastTransfer(signed.raw),
      (error: unknown) => error instanceof SolanaRpcError && error.code === 'TransactionFailed',
    )
    assert.equal((await adapter.getHead()).number, head + 1n)
    assert.equal(await adapter.getTransactionOutcome(signed.txHash), undefined)
  })

  it('answers expired for bytes whose blockhash is older than the newest 150 blocks', async () => {
    const payer = devnet.fundedAccounts()[3]
    assert.ok(payer)
    const stale = await adapter.signTransfer({
      from: payer,
      to: depositKey(10).address,
      tokenAddress: null,
      tokenDecimals: 9,
      amountUnits: 1_000_000_000n,
    })
    for (let i = 0; i < MAX_BLOCKHASH_AGE; i += 1)
      await devnet.faucet(depositKey(11).address, { token: 'native', amountUnits: 1_000_000_000n })
    assert.equal(await adapter.broadcastTransfer(stale.raw), 'expired')
    assert.equal(await adapter.getTransactionOutcome(stale.txHash), undefined)
  })

  it('comes back with the same slots, hashes and balances after a restart', async () => {
    const owner = depositKey(12).address
    await devnet.faucet(owner, { token: dusdc.address, amountUnits: 4_200_000n })
    const head = await adapter.getHead()
    const middle = await adapter.getBlockHeader(head.number / 2n)
    await stop()
    clock.at += 60_000
    await start()
    assert.deepEqual(await adapter.getHead(), head)
    assert.deepEqual(await adapter.getBlockHeader(head.number / 2n), middle)
    assert.equal(await adapter.getTokenBalance(dusdc.address, owner), 4_200_000n)
    const next = await devnet.faucet(owner, { token: dusdc.address, amountUnits: 1n })
    assert.equal((await adapter.getTransactionOutcome(next.txHash))?.blockNumber, head.number + 1n)
  })

  it('starts a fresh chain with a new genesis hash when the ledger file is unreadable', async () => {
    const path = join(dataDir, 'devnet', 'solana.json')
    const genesis = await adapter.getBlockHash(0n)
    await stop()
    const text = await readFile(path, 'utf8')
    await writeFile(path, text.slice(0, text.length / 2))
    await start()
    assert.equal((await adapter.getHead()).number, 0n)
    assert.notEqual(await adapter.getBlockHash(0n), genesis)
    assert.ok(existsSync(`${path}.unreadable`))
    assert.equal(await adapter.getTokenBalance(dusdc.address, depositKey(12).address), 0n)
  })
}

for (const transport of transports)
  describe(`solana devnet and adapter (${transport.name})`, scenarios(transport))
