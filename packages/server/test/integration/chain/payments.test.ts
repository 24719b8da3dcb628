import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createPublicClient, erc20Abi, http, type Hex } from 'viem'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { chainLayer, devnetOf, eventually, payToken } from '../../helpers/chain.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

describe('paying an invoice on the devnet', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({ devnet: true })
    merchant = await t.onboard('Chain Shop')
    api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  async function newInvoice(amountUsd: number | string, extra: Record<string, unknown> = {}) {
    const created = await api('POST', '/api/v1/invoices', { headers: { 'idempotency-key': randomUUID() }, body: { amount_usd: amountUsd, ...extra } })
    assert.equal(created.status, 201)
    const session = apiClient(t.url, { 'x-session-token': created.body.session_token, 'x-signature': created.body.signature })
    return { id: created.body.invoice_id as string, session }
  }

  function tokenOf(network: string, symbol: string) {
    const layer = chainLayer(t)
    const token = layer.runtime.get('devnet', network)?.tokens.find((x) => x.symbol === symbol)
    assert.ok(token, `${symbol} on ${network}`)
    return token
  }

  async function address(session: ReturnType<typeof apiClient>, network: string, tokenId: number) {
    const res = await session('POST', '/api/v1/payments/payment-addresses', { body: { network, tokenId } })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body
  }

  const invoiceOf = (id: string) => api('GET', `/api/v1/invoices/${id}?expand=payments`).then((r) => r.body)

  /**
   * The created event's object is the payment as the API shows it while pending: the confirmed
   * update (built from the stored row) with the fields confirmation and settlement changed put back.
   */
  async function assertCreatedEventMatchesRow(invoiceId: string) {
    const events = await eventually(
      () => api('GET', `/api/v1/events?invoice_id=${invoiceId}&limit=50`).then((r) => r.body.data.data as { type: string; data: { object: Record<string, unknown> } }[]),
      (list) => list.some((e) => e.type === 'invoice_payment.updated' && e.data.object['status'] === 'confirmed'),
      10_000,
      'payment confirmed',
    )
    const created = events.find((e) => e.type === 'invoice_payment.created')?.data.object
    const confirmed = events.find((e) => e.type === 'invoice_payment.updated' && e.data.object['status'] === 'confirmed')?.data.object
    assert.ok(created && confirmed)
    assert.equal(created['status'], 'pending')
    // settlement may have moved on by the time the confirmed update was written
    const unsettled = { summary_status: 'pending', stage: 'pending', merchant_settlement_id: null, settlement_tx_hash: null, network: confirmed['network'], status: 'pending', destination_address: null }
    assert.deepEqual(created, { ...confirmed, status: 'pending', confirmations: created['confirmations'], confirmed_at: null, settlement_status: 'pending', settlement: unsettled })
  }

  it('lists devnet tokens for the payer with DEVNET availability', async () => {
    const { session } = await newInvoice(10)
    const res = await session('GET', '/api/v1/payments/available-tokens')
    assert.equal(res.status, 200)
    const symbols = res.body.map((x: { network: string; token_symbol: string }) => `${x.network}:${x.token_symbol}`)
    for (const expected of ['base:USDC', 'base:USDT', 'bsc:USD1', 'bsc:USDT']) assert.ok(symbols.includes(expected), expected)
    assert.ok(res.body.every((x: { availability_status: string }) => x.availability_status === 'DEVNET'))
  })

  it('gives a deposit address unique to the invoice and network, stable across calls', async () => {
    const usdc = tokenOf('base', 'USDC')
    const a = await newInvoice(12.5)
    const b = await newInvoice(12.5)
    const first = await address(a.session, 'base', usdc.id)
    const again = await address(a.session, 'base', usdc.id)
    const other = await address(b.session, 'base', usdc.id)
    const onBsc = await address(a.session, 'bsc', tokenOf('bsc', 'USDT').id)
    assert.equal(first.temp_address, again.temp_address)
    assert.notEqual(first.temp_address, other.temp_address)
    assert.notEqual(first.temp_address, onBsc.temp_address)
    assert.equal(first.estimated_token_amount, '12.500000')
    assert.equal(first.estimated_token_amount_units, '12500000')
    assert.equal(first.quote_status, 'available')
    assert.equal(first.quote_expires_in_seconds, 300)
    assert.equal(first.ws_connection.endpoint, '/ws/payment')
    assert.equal(onBsc.estimated_token_amount_units, '12500000000000000000')
  })

  it('marks an exactly paid invoice paid and records the receipt with its tx hash', async () => {
    const usdc = tokenOf('base', 'USDC')
    const { id, session } = await newInvoice(25)
    const quote = await address(session, 'base', usdc.id)
    const paid = await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units) })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'invoice paid')
    assert.equal(invoice.amount_paid, 25000)
    assert.equal(invoice.amount_remaining, 0)
    assert.equal(invoice.payer_wallet_address, paid.from)
    assert.equal(invoice.payments.length, 1)
    const receipt = invoice.payments[0]
    assert.equal(receipt.tx_hash, paid.txHash)
    assert.equal(receipt.status, 'confirmed')
    assert.equal(receipt.token_amount, '25000000')
    assert.equal(receipt.amount, 25000)
    const status = await api('GET', `/api/v1/invoices/${id}/status`)
    assert.equal(status.body.latest_payment.tx_hash, paid.txHash)
    const events = await api('GET', `/api/v1/events?invoice_id=${id}&limit=20`)
    const types = events.body.data.data.map((e: { type: string }) => e.type).reverse()
    assert.deepEqual(types.slice(0, 2), ['invoice.created', 'invoice_payment.created'])
    assert.ok(types.includes('invoice_payment.updated'))
    const paidEvent = events.body.data.data.find((e: { type: string; data: { object: { status: string } } }) => e.type === 'invoice.updated' && e.data.object.status === 'paid')
    assert.equal(paidEvent.data.previous_attributes.status, 'unpaid')
    assert.equal((await session('GET', '/api/v1/payments/payment-status')).body.status, 'paid')
     await assertCreatedEventMatchesRow(id)
  })

  it('locks an underpaid invoice to its token and credits the remainder to paid', async () => {
    const usdc = tokenOf('base', 'USDC')
    const { id, session } = await newInvoice(40)
    const quote = await address(session, 'base', usdc.id)
    await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 15_000_000n })
    const partial = await eventually(() => invoiceOf(id), (i) => i.status === 'underpaid', 10_000, 'underpaid')
    assert.equal(partial.amount_remaining, 25000)
    const details = await session('GET', '/api/v1/payments/session-details')
    assert.equal(details.body.locked_network, 'base')
    assert.equal(details.body.locked_token_id, usdc.id)
    assert.equal(details.body.locked_payment_address, quote.temp_address)
    assert.equal(details.body.amount_remaining_usd, 25)
    const tokens = await session('GET', '/api/v1/payments/available-tokens')
    assert.deepEqual(tokens.body.map((x: { id: number }) => x.id), [usdc.id])
    const wrong = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'bsc', tokenId: tokenOf('bsc', 'USDT').id } })
    assert.equal(wrong.status, 400)
    assert.equal(wrong.body.error.code, 'TOKEN_NOT_ACCEPTED')
    const rest = await address(session, 'base', usdc.id)
    assert.equal(rest.temp_address, quote.temp_address)
    assert.equal(rest.estimated_token_amount_units, '25000000')
    await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: rest.temp_address, amountUnits: 25_000_000n })
    const done = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid')
    assert.equal(done.payments.length, 2)
  })

  it('flags an overpaid invoice and keeps the full amount visible', async () => {
    const usdt = tokenOf('bsc', 'USDT')
    const { id, session } = await newInvoice(10)
    const quote = await address(session, 'bsc', usdt.id)
    await payToken(t, { network: 'bsc', tokenAddress: usdt.address as string, to: quote.temp_address, amountUnits: 12n * 10n ** 18n })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid')
    assert.equal(invoice.amount_paid, 12000)
    assert.deepEqual(invoice.exceptions, ['overpaid'])
     await assertCreatedEventMatchesRow(id)
  })

  it('records a token the invoice did not ask for as unmatched without crediting it', async () => {
    const usdc = tokenOf('base', 'USDC')
    const usdt = tokenOf('base', 'USDT')
    const { id, session } = await newInvoice(5)
    const quote = await address(session, 'base', usdc.id)
    await payToken(t, { network: 'base', tokenAddress: usdt.address as string, to: quote.temp_address, amountUnits: 5_000_000n })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.payments.length === 1 && i.payments[0].status === 'confirmed', 10_000, 'unmatched recorded')
    assert.equal(invoice.status, 'unpaid')
    assert.equal(invoice.amount_paid, 0)
    assert.equal(invoice.payments[0].is_unmatched, true)
     await assertCreatedEventMatchesRow(id)
  })

  it('credits two transfers made in one transaction exactly once each', async () => {
    const usdc = tokenOf('base', 'USDC')
    const a = await newInvoice(3)
    const b = await newInvoice(4)
    const qa = await address(a.session, 'base', usdc.id)
    const qb = await address(b.session, 'base', usdc.id)
    const devnet = devnetOf(t)
    const net = devnet.networks.find((n) => n.network === 'base')
    assert.ok(net)
    const payer = devnet.fundedAccounts('base')[4]
    assert.ok(payer)
    await devnet.faucet('base', payer.address, { tokenAddress: usdc.address as Hex, amountUnits: 7_000_000n })
    const { createWalletClient } = await import('viem')
    const { privateKeyToAccount } = await import('viem/accounts')
    const { default: artifact } = await import('../../../src/providers/chain/devnet/artifacts/TestStablecoin.json', { with: { type: 'json' } })
    const chain = { id: net.chainId, name: 'base', nativeCurrency: { name: 'E', symbol: 'E', decimals: 18 }, rpcUrls: { default: { http: [net.rpcUrl] } } }
    const wallet = createWalletClient({ account: privateKeyToAccount(payer.privateKey), chain, transport: http(net.rpcUrl, { retryCount: 0 }) })
    const hash = await wallet.writeContract({ address: usdc.address as Hex, abi: artifact.abi, functionName: 'batchTransfer', args: [[qa.temp_address, qb.temp_address], [3_000_000n, 4_000_000n]] })
    const client = createPublicClient({ chain, transport: http(net.rpcUrl, { retryCount: 0 }) })
    await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    const ia = await eventually(() => invoiceOf(a.id), (i) => i.status === 'paid', 10_000, 'a paid')
    const ib = await eventually(() => invoiceOf(b.id), (i) => i.status === 'paid', 10_000, 'b paid')
    assert.equal(ia.payments[0].tx_hash, hash)
    assert.equal(ib.payments[0].tx_hash, hash)
    assert.notEqual(ia.payments[0].log_index, ib.payments[0].log_index)
  })

  for (const depth of [1, 2, 3]) {
    it(`moves a payment back when a reorg of depth ${depth} removes its block, then credits the re-sent payment once`, async () => {
      const usdc = tokenOf('base', 'USDC')
      const { id, session } = await newInvoice(6)
      const quote = await address(session, 'base', usdc.id)
      await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 6_000_000n })
      await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid before reorg')
      // the payment's transfer is in the newest block: dropping `depth` blocks removes it
      await devnetOf(t).anvil('base').reorg(depth)
      const reverted = await eventually(() => invoiceOf(id), (i) => i.status === 'unpaid', 10_000, 'unpaid after reorg')
      assert.equal(reverted.amount_paid, 0)
      assert.equal(reverted.payments[0].status, 'orphaned')
      await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 6_000_000n })
      const repaid = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid again')
      assert.equal(repaid.amount_paid, 6000)
      assert.equal(repaid.payments.filter((p: { status: string }) => p.status === 'confirmed').length, 1)
    })
  }

  it('sweeps a confirmed payment to the merchant wallet and marks it settled', async () => {
    const usdc = tokenOf('base', 'USDC')
    const bearer = apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })
    const destination = '0x000000000000000000000000000000000000beef'
    const wallet = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: destination } })
    assert.equal(wallet.status, 201, JSON.stringify(wallet.body))
    const { id, session } = await newInvoice(9)
    const quote = await address(session, 'base', usdc.id)
    await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 9_000_000n })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.payments[0]?.settlement_status === 'settled', 20_000, 'settled')
    const receipt = invoice.payments[0]
    assert.match(receipt.settlement.settlement_tx_hash, /^0x[0-9a-f]{64}$/)
    assert.equal(receipt.settlement.destination_address, destination)
    const net = devnetOf(t).networks.find((n) => n.network === 'base')
    assert.ok(net)
    const client = createPublicClient({ transport: http(net.rpcUrl, { retryCount: 0 }) })
    const balance = await client.readContract({ address: usdc.address as Hex, abi: erc20Abi, functionName: 'balanceOf', args: [destination] })
    assert.ok(balance >= 9_000_000n)
  })

  it('refuses unknown networks, foreign tokens and blocked tokens with 400 and writes nothing', async () => {
    const { session } = await newInvoice(5)
    const unknownNetwork = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'ethereum', tokenId: tokenOf('base', 'USDC').id } })
    assert.equal(unknownNetwork.status, 400)
    assert.equal(unknownNetwork.body.error.code, 'UNKNOWN_NETWORK')
    const foreign = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'base', tokenId: tokenOf('bsc', 'USD1').id } })
    assert.equal(foreign.status, 400)
    assert.equal(foreign.body.error.code, 'UNKNOWN_TOKEN')
    const bad = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'base' } })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.code, 'VALIDATION_ERROR')
    const blocked = await api('POST', `/api/v1/merchant/tokens/${tokenOf('base', 'USDT').id}/block`, { body: { blocked: true } })
    assert.equal(blocked.status, 200)
    const refused = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'base', tokenId: tokenOf('base', 'USDT').id } })
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error.code, 'TOKEN_BLOCKED')
    const list = await session('GET', '/api/v1/payments/available-tokens')
    assert.ok(!list.body.some((x: { id: number }) => x.id === tokenOf('base', 'USDT').id))
    await api('POST', `/api/v1/merchant/tokens/${tokenOf('base', 'USDT').id}/block`, { body: { blocked: false } })
  })
})
