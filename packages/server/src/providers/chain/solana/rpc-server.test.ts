import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { base58 } from '@scure/base'
import { startSolanaDevnet, type SolanaDevnet } from './devnet.ts'
import { startSolanaRpcServer, type SolanaRpcServer } from './rpc-server.ts'
import {
  associatedTokenAccount,
  keypairFromLabel,
  signerOf,
  signTransaction,
  transferInstructions,
  TOKEN_PROGRAM,
} from './transactions.ts'

const now = () => new Date(Date.parse('2026-03-01T12:00:00Z'))

describe('startSolanaRpcServer', () => {
  let dataDir: string
  let devnet: SolanaDevnet
  let server: SolanaRpcServer
  let owner: string
  let mint: string

  /** Posts `body` as is and returns the status and the raw text of the answer. */
  const post = async (body: string) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    return { status: response.status, text: await response.text() }
  }
  /** One JSON-RPC call; the parsed answer (numbers as JSON.parse reads them) and its raw text. */
  const call = async (method: string, params?: unknown[]) => {
    const { text } = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 7, method, ...(params && { params }) }),
    )
    return { body: JSON.parse(text), text }
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pepay-solana-rpc-'))
    devnet = await startSolanaDevnet({ dataDir, now })
    server = await startSolanaRpcServer({ rpc: devnet.rpc, tokens: devnet.tokens })
    mint = devnet.tokens[0]?.address ?? ''
    owner = (await keypairFromLabel('rpc server test owner')).address
    await devnet.faucet(owner, { token: 'native', amountUnits: 1_000_000_000n })
    await devnet.faucet(owner, { token: mint, amountUnits: 12_345_678n })
  })
  after(async () => {
    await server.close()
    await devnet.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('listens on 127.0.0.1 and answers GET /health', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const response = await fetch(`${server.url}/health`)
    assert.equal(response.status, 200)
    assert.equal(await response.text(), 'ok')
  })

  it('answers -32601 for an unknown method, -32700 for text that is not JSON, -32600 for a request that is not JSON-RPC 2.0', async () => {
    assert.deepEqual((await call('getTheMoon')).body, {
      jsonrpc: '2.0',
      error: { code: -32601, message: 'Method not found' },
      id: 7,
    })
    assert.deepEqual((await call('toString')).body.error.code, -32601)
    const notJson = await post('{"jsonrpc":"2.0",')
    assert.equal(notJson.status, 200)
    assert.deepEqual(JSON.parse(notJson.text), {
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    })
    for (const request of [
      { jsonrpc: '1.0', id: 1, method: 'getSlot' },
      { jsonrpc: '2.0', id: 1 },
      { jsonrpc: '2.0', id: 1, method: 'getSlot', params: { a: 1 } },
      42,
      [],
    ]) {
      assert.equal(
        JSON.parse((await post(JSON.stringify(request))).text).error.code,
        -32600,
        JSON.stringify(request),
      )
    }
    const get = await fetch(server.url)
    assert.equal(get.status, 405)
    const huge = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getSlot', params: ['x'.repeat(2 << 20)] }),
    )
    assert.equal(huge.status, 413)
    assert.equal(JSON.parse(huge.text).error.code, -32600)
  })

  it('answers a batch with one response per request, in order, each with its id', async () => {
    const { text } = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'getSlot' },
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
        { jsonrpc: '2.0', id: 'c', method: 'getHealth' },
      ]),
    )
    const answers = JSON.parse(text)
    assert.deepEqual(
      answers.map((a: { id: string }) => a.id),
      ['a', 'b', 'c'],
    )
    assert.equal(answers[0].result, Number(devnet.headSlot()))
    assert.equal(answers[1].error.code, -32601)
    assert.equal(answers[2].result, 'ok')
  })

  it('wraps values in context like Solana and writes u64 values as exact JSON numbers', async () => {
    const faucet = (await keypairFromLabel('pepay solana devnet faucet')).address
    const balance = await call('getBalance', [faucet])
    assert.equal(balance.body.result.context.slot, Number(devnet.headSlot()))
    const lamports = await devnet.rpc.getBalance(faucet)
    assert.ok(lamports > BigInt(Number.MAX_SAFE_INTEGER))
    assert.match(balance.text, new RegExp(`"value":${lamports}[,}]`), 'every digit of the u64')
    const latest = (await call('getLatestBlockhash', [{ commitment: 'confirmed' }])).body.result
    assert.equal(latest.value.blockhash, await devnet.rpc.getLatestBlockhash())
    assert.equal(latest.value.lastValidBlockHeight, latest.context.slot + 150)
    const info = await call('getAccountInfo', [owner, { encoding: 'base64' }])
    assert.equal(info.body.result.value.owner, '11111111111111111111111111111111')
    assert.equal(info.body.result.value.lamports, Number(await devnet.rpc.getBalance(owner)))
    assert.match(info.text, /"rentEpoch":18446744073709551615[,}]/)
    assert.equal(
      (await call('getAccountInfo', [(await keypairFromLabel('nobody')).address])).body.result
        .value,
      null,
    )
    assert.equal(
      (await call('getAccountInfo', [await associatedTokenAccount(owner, mint)])).body.result.value
        .owner,
      TOKEN_PROGRAM,
    )
    assert.deepEqual((await call('getBalance', ['not-an-address'])).body.error, {
      code: -32602,
      message: 'Invalid param: Invalid',
    })
  })

  it('answers getTokenAccountBalance with the amount as a string and the mint’s decimals, and "could not find account" for a missing one', async () => {
    const account = await associatedTokenAccount(owner, mint)
    const { body } = await call('getTokenAccountBalance', [account])
    assert.deepEqual(body.result.value, {
      amount: '12345678',
      decimals: 6,
      uiAmount: 12.345678,
      uiAmountString: '12.345678',
    })
    const missing = await associatedTokenAccount(owner, devnet.tokens[1]?.address ?? '')
    assert.deepEqual((await call('getTokenAccountBalance', [missing])).body.error, {
      code: -32602,
      message: 'Invalid param: could not find account',
    })
    assert.deepEqual((await call('getTokenAccountBalance', [owner])).body.error, {
      code: -32602,
      message: 'Invalid param: not a Token account',
    })
  })

  it('serves getBlock as Solana does: transactions, signatures or none; -32004 past the head; no commitment below confirmed', async () => {
    const slot = devnet.headSlot()
    const full = (
      await call('getBlock', [
        Number(slot),
        { encoding: 'json', maxSupportedTransactionVersion: 0, rewards: false },
      ])
    ).body.result
    const block = await devnet.rpc.getBlock(slot, { transactions: true })
    assert.ok(block)
    assert.equal(full.blockhash, block.blockhash)
    assert.equal(full.parentSlot, Number(slot) - 1)
    assert.equal(full.rewards, undefined)
    const [tx] = full.transactions
    assert.equal(tx.transaction.signatures[0], block.transactions[0]?.signature)
    assert.deepEqual(tx.meta.status, { Ok: null })
    assert.equal(tx.meta.postTokenBalances[0].uiTokenAmount.amount, '12345678')
    assert.equal(tx.meta.postTokenBalances[0].owner, owner)
    const signatures = (
      await call('getBlock', [Number(slot), { transactionDetails: 'signatures' }])
    ).body.result
    assert.deepEqual(signatures.signatures, [block.transactions[0]?.signature])
    assert.equal(signatures.transactions, undefined)
    const none = (await call('getBlock', [Number(slot), { transactionDetails: 'none' }])).body
      .result
    assert.equal(none.transactions, undefined)
    assert.equal(none.signatures, undefined)
    assert.deepEqual((await call('getBlock', [Number(slot) + 1])).body.error, {
      code: -32004,
      message: `Block not available for slot ${slot + 1n}`,
    })
    assert.equal(
      (await call('getBlock', [Number(slot), { commitment: 'processed' }])).body.error.code,
      -32602,
    )
    assert.equal(
      (await call('getBlock', [Number(slot), { encoding: 'base64' }])).body.error.code,
      -32602,
    )
  })

  it('sends transactions in base58 (Solana’s default) and base64, with Solana’s preflight errors', async () => {
    const payer = devnet.fundedAccounts()[0]
    assert.ok(payer)
    const signer = await signerOf(payer)
    const sign = async (amountUnits: bigint, blockhash?: string) =>
      signTransaction({
        feePayer: signer,
        instructions: await transferInstructions({
          from: signer,
          feePayer: signer,
          to: owner,
          mint: null,
          decimals: 9,
          amountUnits,
        }),
        blockhash: blockhash ?? (await devnet.rpc.getLatestBlockhash()),
      })
    const first = await sign(1_000n)
    const base58Wire = base58.encode(new Uint8Array(Buffer.from(first.wire, 'base64')))
    const sent = (await call('sendTransaction', [base58Wire])).body
    assert.equal(sent.result, first.signature, JSON.stringify(sent))
    const again = (await call('sendTransaction', [first.wire, { encoding: 'base64' }])).body.error
    assert.equal(again.code, -32002)
    assert.equal(
      again.message,
      'Transaction simulation failed: This transaction has already been processed',
    )
    assert.equal(again.data.err, 'AlreadyProcessed')
    const stale = await sign(2_000n, base58.encode(new Uint8Array(32).fill(1)))
    const expired = (await call('sendTransaction', [stale.wire, { encoding: 'base64' }])).body.error
    assert.deepEqual(
      [expired.code, expired.message, expired.data.err],
      [-32002, 'Transaction simulation failed: Blockhash not found', 'BlockhashNotFound'],
    )
    const tooMuch = await sign(10n ** 15n)
    const failed = (await call('sendTransaction', [tooMuch.wire, { encoding: 'base64' }])).body
      .error
    assert.equal(failed.code, -32002)
    assert.deepEqual(failed.data.err, { InstructionError: [0, { Custom: 1 }] })
    assert.ok(failed.data.logs.length > 0)
    assert.equal(
      (await call('sendTransaction', ['%%%', { encoding: 'base64' }])).body.error.code,
      -32602,
    )
    const statuses = (
      await call('getSignatureStatuses', [
        [first.signature, stale.signature],
        { searchTransactionHistory: true },
      ])
    ).body.result.value
    assert.equal(statuses[0].err, null)
    assert.deepEqual(statuses[0].status, { Ok: null })
    assert.equal(statuses[0].confirmationStatus, 'finalized')
    assert.equal(statuses[1], null)
  })
})
