import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base58 } from '@scure/base'
import { sql } from 'kysely'
import { apiClient, createTestDatabase, keyHeaders, startTestServer, type TestDatabase, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, type Api, chainLayer, eventTypesOf, eventually, newInvoice, watcherOf } from '../../helpers/chain.ts'
import { RelayedError, rpcRelay, type RpcRelay } from '../../helpers/rpc-relay.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { findCursor } from '../../../src/modules/chain/cursor.repo.ts'
import { sendOnce } from '../../../src/modules/chain/sender.ts'
import { MAX_BLOCKHASH_AGE, startSolanaDevnet, type SolanaDevnet } from '../../../src/providers/chain/solana/devnet.ts'
import { deriveSolanaAccount } from '../../../src/providers/chain/keys/derive.ts'
import { isValidSolanaAddress } from '../../../src/providers/chain/keys/address.ts'
import { SOLANA_MAINNET_GENESIS_HASH } from '../../../src/providers/chain/networks.ts'
import { depositAccount, TREASURY_DERIVATION_INDEX } from '../../../src/modules/chain/chain.runtime.ts'
import { createHttpSolanaRpc } from '../../../src/providers/chain/solana/http-rpc.ts'
import { startSolanaRpcServer, type SolanaRpcServer } from '../../../src/providers/chain/solana/rpc-server.ts'
import { defaultAnvilMnemonic, startAnvil, type AnvilInstance } from '../../../src/providers/chain/devnet/anvil.ts'
import aggregatorArtifact from '../../../src/providers/chain/devnet/artifacts/MockAggregator.json' with { type: 'json' }
import { createPublicClient, createWalletClient, http as viemHttp, type Abi, type Hex } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'

// The Solana devnet runs in the server process (LiteSVM); payers are its funded accounts.

function solanaOf(t: TestServer) {
  const layer = chainLayer(t)
  const devnet = layer.runtime.solanaDevnet
  assert.ok(devnet, 'solana devnet is running')
  const network = layer.runtime.get('devnet', 'solana')
  assert.ok(network, 'solana network registered')
  const token = (symbol: string) => {
    const found = network.tokens.find((x) => x.symbol === symbol)
    assert.ok(found, `${symbol} on solana`)
    return found
  }
  return { devnet, network, token, watcher: layer.watchers.find((w) => w.network.def.network === 'solana') }
}

/** Mints `amountUnits` to a funded payer (1..9), then pays `to` from it; returns the signature. */
async function paySpl(t: TestServer, input: { mint: string; to: string; amountUnits: bigint; payer?: number }): Promise<{ txHash: string; from: string }> {
  const { devnet } = solanaOf(t)
  const payer = devnet.fundedAccounts()[(input.payer ?? 1) - 1]
  assert.ok(payer)
  await devnet.faucet(payer.address, { token: input.mint, amountUnits: input.amountUnits })
  const sent = await devnet.transfer(payer, { token: input.mint, to: input.to, amountUnits: input.amountUnits })
  return { txHash: sent.txHash, from: payer.address }
}

describe('paying an invoice on the solana devnet', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: Api
  const invoiceOf = async (id: string) => (await api('GET', `/api/v1/invoices/${id}?expand=payments`)).body

  before(async () => {
    t = await startTestServer({ devnet: true })
    merchant = await t.onboard('Solana Shop')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  it('lists solana DUSDC and SOL among the payable tokens', async () => {
    const { session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 10 })
    const res = await session('GET', '/api/v1/payments/available-tokens')
    assert.equal(res.status, 200)
    const solana = (res.body as { network: string; token_symbol: string; token_type: string; token_address: string | null; token_decimals: number; availability_status: string; has_settlement_route: boolean }[]).filter((x) => x.network === 'solana')
    const dusdc = solana.find((x) => x.token_symbol === 'DUSDC')
    assert.ok(dusdc)
    assert.equal(dusdc.token_type, 'spl')
    assert.equal(dusdc.token_decimals, 6)
    assert.equal(dusdc.token_address, solanaOf(t).devnet.tokens[0]?.address)
    assert.equal(dusdc.availability_status, 'DEVNET')
    assert.equal(dusdc.has_settlement_route, true)
    const sol = solana.find((x) => x.token_symbol === 'SOL')
    assert.equal(sol?.token_type, 'native')
    assert.equal(sol.token_decimals, 9)
  })

  it('gives a base58 deposit address per invoice, derived on the Solana path, with a Solana Pay URI', async () => {
    const { token } = solanaOf(t)
    const dusdc = token('DUSDC')
    const a = await newInvoice(t, merchant.merchantKey, { amount_usd: 12.5 })
    const b = await newInvoice(t, merchant.merchantKey, { amount_usd: 12.5 })
    const first = await allocateAddress(a.session, 'solana', dusdc.id)
    const again = await allocateAddress(a.session, 'solana', dusdc.id)
    const other = await allocateAddress(b.session, 'solana', dusdc.id)
    const baseUsdc = chainLayer(t).runtime.get('devnet', 'base')?.tokens.find((x) => x.symbol === 'USDC')
    assert.ok(baseUsdc)
    const onBase = await allocateAddress(a.session, 'base', baseUsdc.id)
    assert.ok(isValidSolanaAddress(first.temp_address), first.temp_address)
    assert.equal(base58.decode(first.temp_address).length, 32)
    assert.equal(again.temp_address, first.temp_address)
    assert.notEqual(other.temp_address, first.temp_address)
    assert.match(onBase.temp_address, /^0x[0-9a-f]{40}$/)
    assert.equal(first.estimated_token_amount_units, '12500000')
    assert.equal(first.payment_uri, `solana:${first.temp_address}?amount=12.5&spl-token=${dusdc.address}`)
    const baseToken = await a.session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'solana', tokenId: baseUsdc.id } })
    assert.equal(baseToken.status, 400)
    assert.equal(baseToken.body.error.code, 'UNKNOWN_TOKEN')
    const row = await t.server.deps.db.selectFrom('deposit_address').select(['chain_kind', 'derivation_index', 'address']).where('owner_id', '=', a.id).where('network', '=', 'solana').executeTakeFirstOrThrow()
    assert.equal(row.chain_kind, 'solana')
    assert.equal(deriveSolanaAccount(chainLayer(t).runtime.seed, row.derivation_index).address, first.temp_address)
  })

  it('quotes SOL at the devnet price of 150 USD with the native buffer', async () => {
    const { session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 15 })
    const quote = await allocateAddress(session, 'solana', solanaOf(t).token('SOL').id)
    // 15 USD / 150 = 0.1 SOL, plus 0.5 %
    assert.equal(quote.estimated_token_amount_units, '100500000')
    assert.equal(quote.payment_uri, `solana:${quote.temp_address}?amount=0.1005`)
  })

  it('marks an exactly paid invoice paid with the transaction signature as the receipt', async () => {
    const dusdc = solanaOf(t).token('DUSDC')
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 25 })
    const quote = await allocateAddress(session, 'solana', dusdc.id)
    const paid = await paySpl(t, { mint: dusdc.address as string, to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units) })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'invoice paid')
    assert.equal(invoice.amount_paid, 25000)
    assert.equal(invoice.payer_wallet_address, paid.from)
    assert.equal(invoice.payments.length, 1)
    const receipt = invoice.payments[0]
    assert.equal(receipt.tx_hash, paid.txHash)
    assert.equal(receipt.network, 'solana')
    assert.equal(receipt.token_symbol, 'DUSDC')
    assert.equal(receipt.token_amount, '25000000')
    assert.equal(receipt.to_address, quote.temp_address)
    assert.equal(receipt.from_address, paid.from)
    // instruction 0 creates the deposit's token account, instruction 1 is the transfer
    assert.equal(receipt.log_index, 1)
    assert.equal(receipt.status, 'confirmed')
    const status = await api('GET', `/api/v1/invoices/${id}/status`)
    assert.equal(status.body.latest_payment.tx_hash, paid.txHash)
    const types = await eventTypesOf(api, id)
    assert.deepEqual(types.slice(0, 2), ['invoice.created', 'invoice_payment.created'])
    assert.ok(types.includes('invoice.updated'))
  })

  it('locks an underpaid invoice to solana DUSDC and credits the remainder to paid', async () => {
    const dusdc = solanaOf(t).token('DUSDC')
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 40 })
    const quote = await allocateAddress(session, 'solana', dusdc.id)
    await paySpl(t, { mint: dusdc.address as string, to: quote.temp_address, amountUnits: 15_000_000n, payer: 2 })
    const partial = await eventually(() => invoiceOf(id), (i) => i.status === 'underpaid', 10_000, 'underpaid')
    assert.equal(partial.amount_remaining, 25000)
    const details = await session('GET', '/api/v1/payments/session-details')
    assert.equal(details.body.locked_network, 'solana')
    assert.equal(details.body.locked_token_id, dusdc.id)
    assert.equal(details.body.locked_payment_address, quote.temp_address)
    const tokens = await session('GET', '/api/v1/payments/available-tokens')
    assert.deepEqual(tokens.body.map((x: { id: number }) => x.id), [dusdc.id])
    const sol = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'solana', tokenId: solanaOf(t).token('SOL').id } })
    assert.equal(sol.status, 400)
    assert.equal(sol.body.error.code, 'TOKEN_NOT_ACCEPTED')
    const rest = await allocateAddress(session, 'solana', dusdc.id)
    assert.equal(rest.temp_address, quote.temp_address)
    assert.equal(rest.estimated_token_amount_units, '25000000')
    await paySpl(t, { mint: dusdc.address as string, to: rest.temp_address, amountUnits: 25_000_000n, payer: 2 })
    const done = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid')
    assert.equal(done.payments.length, 2)
    assert.equal(done.amount_paid, 40000)
  })

  it('records a transfer of another mint as unmatched without crediting it', async () => {
    const { token } = solanaOf(t)
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 5 })
    const quote = await allocateAddress(session, 'solana', token('DUSDC').id)
    const wrong = await paySpl(t, { mint: token('DUSDT').address as string, to: quote.temp_address, amountUnits: 5_000_000n, payer: 3 })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.payments.length === 1 && i.payments[0].status === 'confirmed', 10_000, 'unmatched recorded')
    assert.equal(invoice.status, 'unpaid')
    assert.equal(invoice.amount_paid, 0)
    assert.equal(invoice.payments[0].is_unmatched, true)
    assert.equal(invoice.payments[0].token_symbol, 'DUSDT')
    assert.equal(invoice.payments[0].tx_hash, wrong.txHash)
  })

  it('sweeps a confirmed SPL payment to the merchant solana wallet with the treasury paying the fees', async () => {
    const { devnet, network, token } = solanaOf(t)
    const dusdc = token('DUSDC')
    const bearer = apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })
    const evmAddress = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'solana', wallet_address: '0x000000000000000000000000000000000000beef' } })
    assert.equal(evmAddress.status, 400)
    assert.equal(evmAddress.body.error.code, 'INVALID_ADDRESS')
    const destination = deriveSolanaAccount(new Uint8Array(32).fill(9), 0).address
    const wallet = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'solana', wallet_address: destination } })
    assert.equal(wallet.status, 201, JSON.stringify(wallet.body))
    assert.equal(wallet.body.address, destination)
    const treasuryBefore = await network.adapter.getNativeBalance(devnet.treasury.address)
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 9 })
    const quote = await allocateAddress(session, 'solana', dusdc.id)
    await paySpl(t, { mint: dusdc.address as string, to: quote.temp_address, amountUnits: 9_000_000n, payer: 4 })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.payments[0]?.settlement_status === 'settled', 20_000, 'settled')
    const receipt = invoice.payments[0]
    assert.equal(receipt.settlement.destination_address, destination)
    const sweep = await network.adapter.getTransactionOutcome(receipt.settlement.settlement_tx_hash)
    assert.equal(sweep?.status, 'success')
    // earlier tests' confirmed DUSDC payments may be swept to the new wallet too: its balance is every DUSDC sweep to it
    const sweeps = await t.server.deps.db.selectFrom('chain_send').select(['amount_units', 'status']).where('network', '=', 'solana').where('to_address', '=', destination).where('token_id', '=', dusdc.id).execute()
    assert.ok(sweeps.every((x) => x.status === 'mined'))
    assert.equal(await network.adapter.getTokenBalance(dusdc.address as string, destination), sweeps.reduce((sum, x) => sum + BigInt(x.amount_units), 0n))
    assert.equal(await network.adapter.getTokenBalance(dusdc.address as string, quote.temp_address), 0n)
    assert.equal(await network.adapter.getNativeBalance(quote.temp_address), 0n, 'the deposit key never held SOL')
    assert.ok((await network.adapter.getNativeBalance(devnet.treasury.address)) < treasuryBefore)
    const send = await t.server.deps.db.selectFrom('chain_send').selectAll().where('idempotency_key', '=', `sweep:${receipt.id}`).executeTakeFirstOrThrow()
    assert.equal(send.status, 'mined')
    assert.equal(send.tx_hash, receipt.settlement.settlement_tx_hash)
    assert.equal(send.from_address, quote.temp_address)
    assert.equal(send.amount_units, '9000000')
    assert.equal(send.nonce, null)
  })

  it('broadcasts stored bytes after a crash, and re-signs once when their blockhash expired unsent', async () => {
    const { devnet, network, token } = solanaOf(t)
    const dusdc = token('DUSDC')
    const payer = devnet.fundedAccounts()[5]
    assert.ok(payer)
    await devnet.faucet(payer.address, { token: dusdc.address as string, amountUnits: 2_000_000n })
    const db = t.server.deps.db
    // what a crash between "persist" and "send" leaves behind: a signed row the chain never saw
    const crashAfterSigning = async (key: string, to: string) => {
      const signed = await network.adapter.signTransfer({ from: payer, to, tokenAddress: dusdc.address, tokenDecimals: 6, amountUnits: 1_000_000n })
      const now = new Date(Date.parse('2026-03-01T00:00:00Z'))
      await db.insertInto('chain_send').values({ idempotency_key: key, environment: 'devnet', network: 'solana', from_address: payer.address, to_address: to, token_id: dusdc.id, amount_units: '1000000', nonce: null, raw_tx: signed.raw, tx_hash: signed.txHash, status: 'signed', created_at: now, updated_at: now }).execute()
      return signed.txHash
    }
    const request = (key: string, to: string) => ({ idempotencyKey: key, from: payer, to, tokenAddress: dusdc.address, tokenId: dusdc.id, amountUnits: 1_000_000n })
    const fresh = deriveSolanaAccount(new Uint8Array(32).fill(11), 0).address
    const freshHash = await crashAfterSigning('test:fresh', fresh)
    assert.deepEqual(await sendOnce(t.server.deps, network, request('test:fresh', fresh)), { txHash: freshHash })
    const stale = deriveSolanaAccount(new Uint8Array(32).fill(11), 1).address
    const staleHash = await crashAfterSigning('test:stale', stale)
    for (let i = 0; i <= MAX_BLOCKHASH_AGE; i += 1) await devnet.faucet(fresh, { token: 'native', amountUnits: 1_000_000_000n })
    const resent = await sendOnce(t.server.deps, network, request('test:stale', stale))
    assert.notEqual(resent.txHash, staleHash)
    assert.equal(await network.adapter.getTransactionOutcome(staleHash), undefined)
    assert.deepEqual(await sendOnce(t.server.deps, network, request('test:stale', stale)), resent, 'a mined send is not sent again')
    const row = await db.selectFrom('chain_send').selectAll().where('idempotency_key', '=', 'test:stale').executeTakeFirstOrThrow()
    assert.equal(row.tx_hash, resent.txHash)
    assert.equal(row.status, 'mined')
    assert.equal(await network.adapter.getTokenBalance(dusdc.address as string, fresh), 1_000_000n)
    assert.equal(await network.adapter.getTokenBalance(dusdc.address as string, stale), 1_000_000n)
  })

  it('serves the devnet routes for network solana: info, faucet and pay', async () => {
    const { token, network } = solanaOf(t)
    const dusdc = token('DUSDC')
    const info = await api('GET', '/api/v1/devnet')
    assert.equal(info.status, 200)
    const entry = info.body.data.networks.find((n: { network: string }) => n.network === 'solana')
    assert.deepEqual(entry.tokens.map((x: { symbol: string }) => x.symbol), ['DUSDC', 'DUSDT', 'SOL'])
    // the devnet answers Solana's JSON-RPC at rpc_url, like a Solana node
    assert.match(entry.rpc_url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const slot = await fetch(entry.rpc_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getSlot', params: [{ commitment: 'confirmed' }] }) })
    assert.equal(slot.status, 200)
    const answer = (await slot.json()) as { jsonrpc: string; id: number; result: number }
    assert.equal(answer.jsonrpc, '2.0')
    assert.equal(answer.id, 1)
    assert.equal(BigInt(answer.result), (await network.adapter.getHead()).number)
    const balance = await createHttpSolanaRpc({ urls: [entry.rpc_url], requestTimeoutMs: 5_000 }).getBalance(solanaOf(t).devnet.treasury.address)
    assert.equal(balance, await network.adapter.getNativeBalance(solanaOf(t).devnet.treasury.address))
    const someone = deriveSolanaAccount(new Uint8Array(32).fill(5), 3).address
    const faucet = await api('POST', '/api/v1/devnet/faucet', { body: { network: 'solana', address: someone, token_id: dusdc.id, amount: '12.5' } })
    assert.equal(faucet.status, 200, JSON.stringify(faucet.body))
    assert.equal(faucet.body.data.amount_units, '12500000')
    assert.equal(await network.adapter.getTokenBalance(dusdc.address as string, someone), 12_500_000n)
    assert.equal(await network.adapter.getNativeBalance(someone), 1_000_000_000n)
    const bad = await api('POST', '/api/v1/devnet/faucet', { body: { network: 'solana', address: '0x000000000000000000000000000000000000beef', token_id: dusdc.id, amount: '1' } })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.details[0].field, 'address')
    const { id } = await newInvoice(t, merchant.merchantKey, { amount_usd: 3 })
    const pay = await api('POST', '/api/v1/devnet/pay', { body: { invoice_id: id, network: 'solana' } })
    assert.equal(pay.status, 200, JSON.stringify(pay.body))
    assert.equal(pay.body.data.token_symbol, 'DUSDC')
    assert.equal(pay.body.data.amount_units, '3000000')
    const paid = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid through devnet pay')
    assert.equal(paid.payments[0].tx_hash, pay.body.data.tx_hash)
  })
})

describe('the solana devnet across server restarts', () => {
  let db: TestDatabase
  let t: TestServer | undefined
  let merchantKey = ''
  const server = () => {
    assert.ok(t, 'a server is running')
    return t
  }
  const api = () => apiClient(server().url, keyHeaders(merchantKey))
  const invoiceOf = async (id: string) => (await api()('GET', `/api/v1/invoices/${id}?expand=payments`)).body
  const createdEvents = async (id: string) => {
    const res = await api()('GET', `/api/v1/events?invoice_id=${id}&type=invoice_payment.created&limit=100`)
    return (res.body.data.data as { data: { object: { tx_hash: string; log_index: number } } }[]).map((e) => `${e.data.object.tx_hash}:${e.data.object.log_index}`)
  }
  const restart = async (workers: boolean) => {
    await t?.stopServer()
    t = await startTestServer({ database: db, devnet: true, ...(!workers && { runWorkers: false, env: { PEPAY_NO_WORKERS: 'true' } }) })
  }
  const head = () => solanaOf(server()).network.adapter.getHead()
  const cursorAtHead = async () => {
    const target = (await head()).number
    await eventually(async () => (await findCursor(server().server.deps.db, 'devnet', 'solana'))?.lastBlock ?? -1n, (c) => c >= target, 10_000, 'solana cursor at head')
  }

  before(async () => {
    db = await createTestDatabase()
  })
  after(async () => {
    await t?.stopServer()
    await db.drop()
  })

  it('keeps the chain and credits every payment once across restarts, including one made while the watcher was down', async () => {
    await restart(true)
    merchantKey = (await server().onboard('Solana Restart Shop')).merchantKey
    const dusdc = solanaOf(server()).token('DUSDC')
    const before = await newInvoice(server(), merchantKey, { amount_usd: 4 })
    const beforeQuote = await allocateAddress(before.session, 'solana', dusdc.id)
    const first = await paySpl(server(), { mint: dusdc.address as string, to: beforeQuote.temp_address, amountUnits: 4_000_000n })
    await eventually(() => invoiceOf(before.id), (i) => i.status === 'paid', 10_000, 'paid before restart')
    await cursorAtHead()
    const genesis = await solanaOf(server()).network.adapter.getBlockHash(0n)
    const headBefore = await head()

    // the watcher is down: the payment lands on the chain, nobody scans it
    await restart(false)
    assert.equal(await solanaOf(server()).network.adapter.getBlockHash(0n), genesis, 'same genesis after a restart')
    assert.deepEqual(await head(), headBefore, 'same head slot and hash after a restart')
    assert.equal(await solanaOf(server()).network.adapter.getTokenBalance(dusdc.address as string, beforeQuote.temp_address), 4_000_000n)
    const missed = await newInvoice(server(), merchantKey, { amount_usd: 2 })
    const missedQuote = await allocateAddress(missed.session, 'solana', dusdc.id)
    const second = await paySpl(server(), { mint: dusdc.address as string, to: missedQuote.temp_address, amountUnits: 2_000_000n, payer: 2 })
    const missedSlot = (await solanaOf(server()).network.adapter.getTransactionOutcome(second.txHash))?.blockNumber
    assert.ok(missedSlot !== undefined && missedSlot > headBefore.number)

    await restart(true)
    assert.equal((await solanaOf(server()).network.adapter.getTransactionOutcome(second.txHash))?.blockNumber, missedSlot, 'the missed payment is still on chain')
    await eventually(() => invoiceOf(missed.id), (i) => i.status === 'paid', 10_000, 'missed payment credited after restart')
    await cursorAtHead()
    // one more full pass over the same range changes nothing
    await solanaOf(server()).watcher?.tick()
    assert.deepEqual(await createdEvents(before.id), [`${first.txHash}:1`])
    assert.deepEqual(await createdEvents(missed.id), [`${second.txHash}:1`])
    const payments = await server().server.deps.db.selectFrom('invoice_payment').select(['tx_hash']).where('network', '=', 'solana').execute()
    assert.deepEqual(payments.map((p) => p.tx_hash).sort(), [first.txHash, second.txHash].sort())
    assert.equal((await invoiceOf(before.id)).amount_paid, 4000)
  })
})

describe('solana mainnet over JSON-RPC', () => {
  // a Solana JSON-RPC node for the server to use as mainnet: a devnet of its own, served over HTTP
  // behind a relay that answers mainnet-beta's genesis hash; and an EVM node standing in for
  // ethereum mainnet, holding the SOL / USD feed
  let node: SolanaDevnet
  let endpoint: SolanaRpcServer
  let mainnet: RpcRelay
  let nodeDir: string
  let ethereum: AnvilInstance
  let solUsdFeed: Hex
  let t: TestServer
  const SOL_USD = 151_23456789n

  before(async () => {
    nodeDir = await mkdtemp(join(tmpdir(), 'pepay-solana-node-'))
    node = await startSolanaDevnet({ dataDir: nodeDir, now: () => new Date(Date.parse('2026-03-01T00:00:00Z')) })
    endpoint = await startSolanaRpcServer({ rpc: node.rpc, tokens: node.tokens })
    // a relay answering mainnet-beta's genesis hash: the local node stands in for mainnet
    mainnet = await rpcRelay(endpoint.url, (call) => (call.method === 'getGenesisHash' ? SOLANA_MAINNET_GENESIS_HASH : undefined))
    await node.faucet(node.fundedAccounts()[0]?.address ?? '', { token: 'native', amountUnits: 1_000_000_000n })
    ethereum = await startAnvil({ chainId: 1 })
    const chain = { id: 1, name: 'ethereum', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [ethereum.rpcUrl] } } }
    const wallet = createWalletClient({ account: mnemonicToAccount(defaultAnvilMnemonic), chain, transport: viemHttp(ethereum.rpcUrl, { retryCount: 0 }) })
    const deployed = await wallet.deployContract({ abi: aggregatorArtifact.abi as Abi, bytecode: aggregatorArtifact.bytecode as Hex, args: [8, 'SOL / USD', SOL_USD] })
    const receipt = await createPublicClient({ chain, transport: viemHttp(ethereum.rpcUrl, { retryCount: 0 }) }).waitForTransactionReceipt({ hash: deployed, pollingInterval: 20, timeout: 20_000 })
    assert.ok(receipt.contractAddress)
    solUsdFeed = receipt.contractAddress
    // nothing listens on the first URL: the second one serves
    const refused = createServer()
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve))
    const refusedUrl = `http://127.0.0.1:${(refused.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => refused.close(() => resolve()))
    t = await startTestServer({
      env: {
        PEPAY_RPC_SOLANA_MAINNET: `${refusedUrl},${mainnet.url}`,
        PEPAY_CONFIRMATIONS_SOLANA_MAINNET: '2',
        PEPAY_RPC_ETHEREUM_MAINNET: ethereum.rpcUrl,
        PEPAY_PRICE_FEED_SOLANA_MAINNET: `ethereum:${solUsdFeed}`,
      },
    })
  })
  after(async () => {
    await t.close()
    await mainnet.close()
    await endpoint.close()
    await node.stop()
    await ethereum.stop()
    await rm(nodeDir, { recursive: true, force: true })
  })

  it('prices SOL from the SOL / USD feed its setting names on ethereum', async () => {
    const price = await chainLayer(t).runtime.rates.mainnet.getPrice({ network: 'solana', symbol: 'SOL', kind: 'native' })
    assert.equal(price.answer, SOL_USD)
    assert.equal(price.decimals, 8)
  })

  it('refuses to start with a feed on a network that has no RPC, leaving no connection open', async () => {
    const db = await createTestDatabase()
    try {
      await assert.rejects(
        startTestServer({ database: db, env: { PEPAY_RPC_SOLANA_MAINNET: endpoint.url, PEPAY_PRICE_FEED_SOLANA_MAINNET: `ethereum:${solUsdFeed}` } }),
        /the solana price feed is read on ethereum, which is not configured: set PEPAY_RPC_ETHEREUM_MAINNET/,
      )
      if (db.url) {
        const name = new URL(db.url).pathname.slice(1)
        // a closed connection's backend leaves pg_stat_activity a moment after the client hangs up;
        // one left open stays there
        const open = () => sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name}`.execute(t.server.deps.db).then((r) => r.rows[0]?.n ?? 0)
        await eventually(open, (n) => n === 0, 3_000, 'the failed start closed its connections')
      }
    } finally {
      await db.drop()
    }
  })

  it('does not read a node of another cluster (a devnet) as mainnet: the network stays degraded, saying why', async () => {
    const wrong = await startTestServer({ runWorkers: false, env: { PEPAY_RPC_SOLANA_MAINNET: endpoint.url } })
    try {
      const layer = chainLayer(wrong)
      const watcher = watcherOf(wrong, 'mainnet:solana')
      await watcher.tick()
      assert.equal(watcher.stats.lastHead, 0n, 'no slot was taken from the devnet')
      assert.match(
        layer.runtime.degraded.get('mainnet:solana') ?? '',
        new RegExp(`the node at ${new URL(endpoint.url).host} serves the cluster with genesis hash \\w+, not Solana mainnet-beta`),
      )
    } finally {
      await wrong.close()
    }
  })

  it('asks a node without the genesis block for it once, not on every iteration', async () => {
    // mainnet nodes keep no ledger back to slot 0: they answer that slot as missing
    const pruned = await rpcRelay(endpoint.url, (call) =>
      call.method === 'getGenesisHash'
        ? SOLANA_MAINNET_GENESIS_HASH
        : call.method === 'getBlock' && call.params[0] === 0
          ? new RelayedError(-32009, 'Slot 0 was skipped, or missing in long-term storage')
          : undefined,
    )
    const own = await startTestServer({ runWorkers: false, env: { PEPAY_RPC_SOLANA_MAINNET: pruned.url } })
    try {
      const watcher = watcherOf(own, 'mainnet:solana')
      for (let i = 0; i < 3; i += 1) await watcher.tick()
      assert.equal(watcher.stats.lastError, null)
      assert.equal(pruned.calls.filter((c) => c.method === 'getBlock' && c.params[0] === 0).length, 1)
    } finally {
      await own.close()
      await pruned.close()
    }
  })

  it('follows the chain at PEPAY_RPC_SOLANA_MAINNET, failing over between its URLs, with a treasury derived from the seed', async () => {
    const layer = chainLayer(t)
    const network = layer.runtime.get('mainnet', 'solana')
    assert.ok(network, 'solana mainnet registered')
    assert.equal(network.def.kind, 'solana')
    assert.equal(network.def.confirmations, 2)
    assert.equal(network.devnet, undefined)
    assert.deepEqual(network.tokens.map((x) => x.symbol), ['USDC', 'USDT', 'SOL'])
    assert.deepEqual(network.treasury, depositAccount(layer.runtime.seed, 'solana', TREASURY_DERIVATION_INDEX))
    assert.ok(isValidSolanaAddress(network.treasury.address))
    assert.deepEqual(await network.adapter.getHead(), { number: node.headSlot(), hash: await node.rpc.getLatestBlockhash() })
    const watcher = layer.watchers.find((w) => w.network === network)
    assert.ok(watcher)
    await watcher.tick()
    assert.equal(watcher.stats.lastError, null)
    assert.equal(watcher.stats.lastHead, node.headSlot())
    assert.equal(layer.runtime.degraded.get('mainnet:solana'), undefined)
  })
})
