import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { base58 } from '@scure/base'
import { startSolanaDevnet, type SolanaDevnet } from './devnet.ts'
import { createHttpSolanaRpc, wireSignature } from './http-rpc.ts'
import { startSolanaRpcServer, type SolanaRpcServer } from './rpc-server.ts'
import {
  SolanaRpcError,
  type SolanaBlock,
  type SolanaBlockTransaction,
  type SolanaRpc,
  type SolanaRpcErrorCode,
} from './solana-adapter.ts'
import {
  decodeWireTransaction,
  genesisBlockHash,
  keypairFromLabel,
  signerOf,
  signTransaction,
  transferInstructions,
  type SolanaKeypair,
} from './transactions.ts'

const now = () => new Date(Date.parse('2026-03-01T12:00:00Z'))

/** The fields of the SolanaRpc types, nothing else the devnet keeps alongside them. */
function blockFields(block: SolanaBlock | undefined): SolanaBlock | undefined {
  if (!block) return undefined
  const tx = (t: SolanaBlockTransaction): SolanaBlockTransaction => ({
    signature: t.signature,
    accountKeys: t.accountKeys,
    instructions: t.instructions,
    innerInstructions: t.innerInstructions,
    err: t.err,
    fee: t.fee,
    preTokenBalances: t.preTokenBalances,
    postTokenBalances: t.postTokenBalances,
  })
  return { ...block, transactions: block.transactions.map(tx) }
}

const rejectsWith =
  (code: SolanaRpcErrorCode, check?: (message: string) => void) => (error: unknown) => {
    assert.ok(error instanceof SolanaRpcError, String(error))
    assert.equal(error.code, code, error.message)
    check?.(error.message)
    return true
  }

type CannedServer = { url: string; hits: () => number; close: () => Promise<void> }

/** An HTTP endpoint answering every request with `answer` (a stand-in for a node in a given state). */
async function cannedServer(
  answer: (request: { method: string; id: unknown }, response: ServerResponse) => void,
): Promise<CannedServer> {
  let hits = 0
  const server: Server = createServer((request: IncomingMessage, response) => {
    hits += 1
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        method: string
        id: unknown
      }
      answer(body, response)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

const jsonRpcError =
  (code: number, message: string) => (request: { id: unknown }, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: request.id }))
  }

/** A URL on which nothing listens: connections are refused. */
async function refusedUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

describe('createHttpSolanaRpc', () => {
  let dataDir: string
  let devnet: SolanaDevnet
  let server: SolanaRpcServer
  let http: SolanaRpc
  let payer: SolanaKeypair
  let owner: SolanaKeypair
  let mint: string
  /** More token units than a float holds exactly. */
  const minted = 2n ** 60n + 7n

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pepay-solana-http-'))
    devnet = await startSolanaDevnet({ dataDir, now })
    server = await startSolanaRpcServer({ rpc: devnet.rpc, tokens: devnet.tokens })
    http = createHttpSolanaRpc({ urls: [server.url], requestTimeoutMs: 2_000 })
    const first = devnet.fundedAccounts()[0]
    assert.ok(first && devnet.tokens[0])
    payer = first
    mint = devnet.tokens[0].address
    owner = await keypairFromLabel('http rpc test owner')
    await devnet.faucet(payer.address, { token: mint, amountUnits: minted })
    await devnet.transfer(payer, { token: mint, to: owner.address, amountUnits: 3_250_000n })
    await devnet.faucet(owner.address, { token: 'native', amountUnits: 2_000_000_000n })
    await devnet.transfer(payer, { token: 'native', to: owner.address, amountUnits: 5n })
  })
  after(async () => {
    await server.close()
    await devnet.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('reads the head slot and the latest blockhash the devnet reports', async () => {
    assert.equal(await http.getSlot(), await devnet.rpc.getSlot())
    assert.equal(await http.getLatestBlockhash(), await devnet.rpc.getLatestBlockhash())
  })

  it('returns every block equal to the devnet’s, with SPL and SOL transfers, inner instructions and token balances', async () => {
    const head = await devnet.rpc.getSlot()
    assert.ok(head >= 4n)
    for (let slot = 0n; slot <= head; slot += 1n) {
      for (const transactions of [true, false]) {
        assert.deepEqual(
          await http.getBlock(slot, { transactions }),
          blockFields(await devnet.rpc.getBlock(slot, { transactions })),
          `slot ${slot}, transactions ${transactions}`,
        )
      }
    }
    const all = (
      await Promise.all([1n, 2n, 3n, 4n].map((slot) => http.getBlock(slot, { transactions: true })))
    ).flatMap((block) => block?.transactions ?? [])
    assert.ok(
      all.some((tx) => tx.postTokenBalances.some((b) => b.amount === minted)),
      'a u64 token amount above 2^53 is exact',
    )
    assert.ok(
      all.some((tx) => tx.innerInstructions.length > 0),
      'the account creation invoked programs',
    )
    assert.ok(all.every((tx) => tx.fee > 0n && tx.err === null))
  })

  it('answers undefined for a slot without a block, however large', async () => {
    const head = await http.getSlot()
    assert.equal(await http.getBlock(head + 1n, { transactions: true }), undefined)
    assert.equal(await http.getBlock(2n ** 63n + 1n, { transactions: false }), undefined)
  })

  it('answers undefined for slots a node reports skipped or missing (-32007, -32009, -32004, null)', async () => {
    const answers = [
      jsonRpcError(-32007, 'Slot 7 was skipped, or missing due to ledger jump to recent snapshot'),
      jsonRpcError(-32009, 'Slot 7 was skipped, or missing in long-term storage'),
      jsonRpcError(-32004, 'Block not available for slot 7'),
      (request: { id: unknown }, response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ jsonrpc: '2.0', result: null, id: request.id }))
      },
    ]
    for (const answer of answers) {
      const node = await cannedServer(answer)
      try {
        const rpc = createHttpSolanaRpc({ urls: [node.url], requestTimeoutMs: 1_000 })
        assert.equal(await rpc.getBlock(7n, { transactions: true }), undefined)
      } finally {
        await node.close()
      }
    }
  })

  it('reads a mainnet-shaped v0 block: lookup-table accounts after the static keys, errors as text', async () => {
    const key = (n: number) => base58.encode(new Uint8Array(32).fill(n))
    const signature = base58.encode(new Uint8Array(64).fill(3))
    // the shape of getBlock(encoding json, transactionDetails full) for a v0 transaction with an address lookup table
    const answer = `{"jsonrpc":"2.0","id":1,"result":{"blockHeight":310000000,"blockTime":1772366400,"blockhash":"${key(1)}","parentSlot":330000000,"previousBlockhash":"${key(2)}","transactions":[{"meta":{"computeUnitsConsumed":6000,"err":{"InstructionError":[0,{"Custom":1}]},"fee":18446744073709551615,"innerInstructions":[{"index":0,"instructions":[{"accounts":[1,3],"data":"3Bxs4h24hBtQy9rw","programIdIndex":2,"stackHeight":2}]}],"loadedAddresses":{"readonly":["${key(11)}"],"writable":["${key(10)}"]},"logMessages":[],"postBalances":[1,2,3,4,5],"postTokenBalances":[{"accountIndex":3,"mint":"${key(20)}","owner":"${key(21)}","programId":"TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA","uiTokenAmount":{"amount":"18446744073709551615","decimals":6,"uiAmount":1.8446744073709552e13,"uiAmountString":"18446744073709.551615"}}],"preBalances":[1,2,3,4,5],"preTokenBalances":[],"rewards":[],"status":{"Err":{"InstructionError":[0,{"Custom":1}]}}},"transaction":{"message":{"accountKeys":["${key(5)}","${key(6)}","11111111111111111111111111111111"],"addressTableLookups":[{"accountKey":"${key(30)}","readonlyIndexes":[1],"writableIndexes":[0]}],"header":{"numReadonlySignedAccounts":0,"numReadonlyUnsignedAccounts":1,"numRequiredSignatures":1},"instructions":[{"accounts":[0,3],"data":"3Bxs4h24hBtQy9rw","programIdIndex":2,"stackHeight":null}],"recentBlockhash":"${key(2)}"},"signatures":["${signature}"]},"version":0}]}}`
    const node = await cannedServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(answer)
    })
    try {
      const rpc = createHttpSolanaRpc({ urls: [node.url], requestTimeoutMs: 1_000 })
      const block = await rpc.getBlock(330000001n, { transactions: true })
      assert.ok(block)
      assert.equal(block.slot, 330000001n)
      assert.equal(block.blockhash, key(1))
      assert.equal(block.previousBlockhash, key(2))
      assert.equal(block.blockTime, 1772366400)
      const [tx] = block.transactions
      assert.ok(tx)
      assert.equal(tx.signature, signature)
      assert.deepEqual(tx.accountKeys, [
        key(5),
        key(6),
        '11111111111111111111111111111111',
        key(10),
        key(11),
      ])
      assert.equal(tx.err, '{"InstructionError":[0,{"Custom":1}]}')
      assert.equal(tx.fee, 2n ** 64n - 1n)
      assert.deepEqual(tx.instructions, [
        { programIdIndex: 2, accounts: [0, 3], data: base58.decode('3Bxs4h24hBtQy9rw') },
      ])
      assert.deepEqual(tx.innerInstructions, [
        {
          index: 0,
          instructions: [
            { programIdIndex: 2, accounts: [1, 3], data: base58.decode('3Bxs4h24hBtQy9rw') },
          ],
        },
      ])
      assert.deepEqual(tx.preTokenBalances, [])
      assert.deepEqual(tx.postTokenBalances, [
        { accountIndex: 3, mint: key(20), owner: key(21), amount: 2n ** 64n - 1n },
      ])
    } finally {
      await node.close()
    }
  })

  it('reads lamport and token balances exactly, beyond 2^53', async () => {
    const faucet = await keypairFromLabel('pepay solana devnet faucet')
    const lamports = await http.getBalance(faucet.address)
    assert.ok(lamports > BigInt(Number.MAX_SAFE_INTEGER))
    assert.equal(lamports, await devnet.rpc.getBalance(faucet.address))
    assert.equal(await http.getBalance(owner.address), await devnet.rpc.getBalance(owner.address))
    assert.equal(await http.getBalance(owner.address), 2_000_000_005n)
    assert.equal(await http.getTokenBalance(payer.address, mint), minted - 3_250_000n)
    assert.equal(await http.getTokenBalance(owner.address, mint), 3_250_000n)
    const other = devnet.tokens[1]?.address ?? ''
    assert.equal(
      await http.getTokenBalance(owner.address, other),
      0n,
      'no token account: nothing held',
    )
    assert.equal(await devnet.rpc.getTokenBalance(owner.address, other), 0n)
  })

  it('tells existing accounts from missing ones and reads the rent-exempt minimum', async () => {
    const fresh = await keypairFromLabel('http rpc test nobody')
    for (const address of [owner.address, fresh.address, mint]) {
      assert.equal(
        await http.accountExists(address),
        await devnet.rpc.accountExists(address),
        address,
      )
    }
    assert.equal(await http.accountExists(fresh.address), false)
    assert.equal(await http.accountExists(owner.address), true)
    for (const size of [0n, 165n]) {
      assert.equal(
        await http.getMinimumBalanceForRentExemption(size),
        await devnet.rpc.getMinimumBalanceForRentExemption(size),
      )
    }
  })

  it('reads the status of a processed signature, and undefined for an unknown one', async () => {
    const sent = await devnet.faucet(owner.address, { token: 'native', amountUnits: 1n })
    const status = await http.getSignatureStatus(sent.txHash)
    assert.deepEqual(status, await devnet.rpc.getSignatureStatus(sent.txHash))
    assert.equal(status?.err, null)
    assert.equal(
      await http.getSignatureStatus(base58.encode(new Uint8Array(64).fill(9))),
      undefined,
    )
  })

  /** A signed SOL transfer from `from` to the owner against `blockhash` (the head's by default). */
  const solTransfer = async (from: SolanaKeypair, amountUnits: bigint, blockhash?: string) => {
    const signer = await signerOf(from)
    const instructions = await transferInstructions({
      from: signer,
      feePayer: signer,
      to: owner.address,
      mint: null,
      decimals: 9,
      amountUnits,
    })
    return signTransaction({
      feePayer: signer,
      instructions,
      blockhash: blockhash ?? (await http.getLatestBlockhash()),
    })
  }

  it('sends a transaction and returns its signature; the same bytes again are success without a new block', async () => {
    const payerTwo = devnet.fundedAccounts()[1]
    assert.ok(payerTwo)
    const head = await http.getSlot()
    const signed = await solTransfer(payerTwo, 1_000n)
    assert.equal(wireSignature(signed.wire), decodeWireTransaction(signed.wire).signature)
    assert.equal(await http.sendTransaction(signed.wire), signed.signature)
    assert.equal(await http.getSlot(), head + 1n)
    assert.equal((await http.getSignatureStatus(signed.signature))?.slot, head + 1n)
    assert.equal(await http.sendTransaction(signed.wire), signed.signature, 'already processed')
    assert.equal(await http.getSlot(), head + 1n)
  })

  it('reports BlockhashNotFound for a blockhash the chain does not know', async () => {
    const payerThree = devnet.fundedAccounts()[2]
    assert.ok(payerThree)
    const stale = await solTransfer(payerThree, 1_000n, genesisBlockHash('another chain'))
    await assert.rejects(http.sendTransaction(stale.wire), rejectsWith('BlockhashNotFound'))
    assert.equal(await http.getSignatureStatus(stale.signature), undefined)
  })

  it('reports TransactionFailed for a transfer that fails, recording nothing', async () => {
    const broke = await keypairFromLabel('http rpc test broke')
    await devnet.faucet(broke.address, { token: 'native', amountUnits: 1_000_000_000n })
    const head = await http.getSlot()
    const signer = await signerOf(broke)
    const instructions = await transferInstructions({
      from: signer,
      feePayer: signer,
      to: owner.address,
      mint,
      decimals: 6,
      amountUnits: 1n,
    })
    const failing = await signTransaction({
      feePayer: signer,
      instructions,
      blockhash: await http.getLatestBlockhash(),
    })
    await assert.rejects(
      http.sendTransaction(failing.wire),
      rejectsWith('TransactionFailed', (message) =>
        assert.match(message, /Transaction simulation failed: Error processing Instruction 1/),
      ),
    )
    const tooMuch = await solTransfer(broke, 10n ** 12n)
    await assert.rejects(
      http.sendTransaction(tooMuch.wire),
      rejectsWith('TransactionFailed', (message) =>
        assert.match(message, /custom program error: 0x1/),
      ),
    )
    assert.equal(await http.getSlot(), head)
  })

  it('reports InvalidTransaction for bytes that are not a transaction', async () => {
    await assert.rejects(http.sendTransaction('AAAA'), rejectsWith('InvalidTransaction'))
    // a signature, then no message: refused by the node
    const junk = Buffer.concat([
      Buffer.from([1]),
      Buffer.alloc(64, 7),
      Buffer.from('junk'),
    ]).toString('base64')
    await assert.rejects(
      http.sendTransaction(junk),
      rejectsWith('InvalidTransaction', (message) =>
        assert.match(message, /-32602 invalid transaction/),
      ),
    )
  })

  it('is Unavailable when the endpoint does not answer within the timeout', async () => {
    const silent = await cannedServer(() => {})
    try {
      const rpc = createHttpSolanaRpc({ urls: [silent.url], requestTimeoutMs: 150 })
      await assert.rejects(
        rpc.getSlot(),
        rejectsWith('Unavailable', (message) => assert.match(message, /no answer within 150 ms/)),
      )
    } finally {
      await silent.close()
    }
  })

  it('fails over to the next URL when one refuses connections', async () => {
    const rpc = createHttpSolanaRpc({
      urls: [await refusedUrl(), server.url],
      requestTimeoutMs: 1_000,
    })
    assert.equal(await rpc.getSlot(), await devnet.rpc.getSlot())
    assert.equal(await rpc.getBalance(owner.address), await devnet.rpc.getBalance(owner.address))
  })

  describe('with the cluster it must serve (genesisHash)', () => {
    it('reads from an endpoint that answers that genesis hash, asking it once', async () => {
      const genesis = await devnet.rpc.getBlock(0n, { transactions: false })
      assert.ok(genesis)
      const calls: string[] = []
      const counting: typeof fetch = async (input, init) => {
        calls.push((JSON.parse(init?.body as string) as { method: string }).method)
        return fetch(input, init)
      }
      const rpc = createHttpSolanaRpc({ urls: [server.url], requestTimeoutMs: 2_000, genesisHash: { hash: genesis.blockhash, cluster: 'this devnet' }, fetch: counting })
      assert.equal(await rpc.getSlot(), await devnet.rpc.getSlot())
      assert.equal(await rpc.getBalance(owner.address), await devnet.rpc.getBalance(owner.address))
      assert.deepEqual(calls, ['getGenesisHash', 'getSlot', 'getBalance'])
    })

    it('passes over an endpoint of another cluster, naming its host only, and reads nothing from it', async () => {
      const calls: string[] = []
      const counting: typeof fetch = async (input, init) => {
        calls.push(`${new URL(input as string).port} ${(JSON.parse(init?.body as string) as { method: string }).method}`)
        return fetch(input, init)
      }
      const mainnet = { hash: '5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d', cluster: 'Solana mainnet-beta' }
      const keyed = `${server.url}/?api-key=secret-key`
      const alone = createHttpSolanaRpc({ urls: [keyed], requestTimeoutMs: 1_000, genesisHash: mainnet, fetch: counting })
      await assert.rejects(
        alone.getSlot(),
        rejectsWith('Unavailable', (message) => {
          assert.match(message, new RegExp(`the node at ${new URL(server.url).host} serves the cluster with genesis hash \\w+, not Solana mainnet-beta`))
          assert.doesNotMatch(message, /secret-key/)
        }),
      )
      await assert.rejects(alone.getBalance(owner.address), rejectsWith('Unavailable', () => undefined))
      // one question, then nothing: the mismatch is remembered
      assert.deepEqual(calls, [`${new URL(server.url).port} getGenesisHash`])

      const standIn = await cannedServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: mainnet.hash }))
      })
      try {
        const withMainnet = createHttpSolanaRpc({ urls: [server.url, standIn.url], requestTimeoutMs: 1_000, genesisHash: mainnet })
        // the stand-in answers every call with the hash: a slot that is that text is refused as an unexpected answer,
        // which shows the call reached it and not the devnet
        await assert.rejects(withMainnet.getSlot(), rejectsWith('Unavailable', (message) => assert.match(message, /unexpected answer/)))
      } finally {
        await standIn.close()
      }
    })
  })

  it('is Unavailable on HTTP 429 and 503, naming the host but never the URL’s key, and fails over from them', async () => {
    for (const status of [429, 503]) {
      const busy = await cannedServer((_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(
          JSON.stringify({
            jsonrpc: '2.0',
            error: { code: -32429, message: 'rate limited' },
            id: null,
          }),
        )
      })
      try {
        const keyed = `${busy.url}/?api-key=secret-key`
        const alone = createHttpSolanaRpc({ urls: [keyed], requestTimeoutMs: 1_000 })
        await assert.rejects(
          alone.getSlot(),
          rejectsWith('Unavailable', (message) => {
            assert.match(message, new RegExp(`${new URL(busy.url).host} getSlot: HTTP ${status}`))
            assert.doesNotMatch(message, /secret-key/)
          }),
        )
        const hitsBefore = busy.hits()
        const withBackup = createHttpSolanaRpc({
          urls: [keyed, server.url],
          requestTimeoutMs: 1_000,
        })
        assert.equal(await withBackup.getSlot(), await devnet.rpc.getSlot())
        assert.equal(await withBackup.getLatestBlockhash(), await devnet.rpc.getLatestBlockhash())
        assert.equal(
          busy.hits(),
          hitsBefore + 1,
          'the endpoint that answered is preferred from then on',
        )
      } finally {
        await busy.close()
      }
    }
  })

  it('is Unavailable when a node reports itself unhealthy (-32005)', async () => {
    const unhealthy = await cannedServer(jsonRpcError(-32005, 'Node is behind by 42 slots'))
    try {
      const rpc = createHttpSolanaRpc({ urls: [unhealthy.url], requestTimeoutMs: 1_000 })
      await assert.rejects(
        rpc.getSlot(),
        rejectsWith('Unavailable', (message) => assert.match(message, /behind by 42 slots/)),
      )
    } finally {
      await unhealthy.close()
    }
  })
})
