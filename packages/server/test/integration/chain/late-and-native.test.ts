import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock, systemClock } from '@pepay/core'
import { createWalletClient, erc20Abi, http, type Abi, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, chainLayer, devnetClient, devnetOf, eventTypesOf, eventually, newInvoice, payNative, payToken, tokenOf, untilWatched, type Api } from '../../helpers/chain.ts'
import { createEvmAdapter } from '../../../src/providers/chain/evm/evm-adapter.ts'
import { AGGREGATOR_PROVIDER, createAggregatorRateSource, type AggregatorFeed } from '../../../src/modules/quotes/aggregator-rate-source.ts'
import { RateUnavailableError } from '../../../src/modules/quotes/rate-source.ts'
import aggregatorArtifact from '../../../src/providers/chain/devnet/artifacts/MockAggregator.json' with { type: 'json' }
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

// Payments after expiry or cancelation, native-coin payments priced by the devnet's on-chain
// aggregator, and the aggregator rate source itself against a deployed MockAggregator.
// The server's clock is a FakeClock started at the real time, so anvil's block times and the
// clock agree until a test moves the clock forward past an invoice's deadline.

const aggregatorAbi = aggregatorArtifact.abi as Abi
const FIVE_MINUTES_MS = 5 * 60_000

let t: TestServer
let clock: FakeClock
let merchant: OnboardedMerchant
let api: Api

before(async () => {
  clock = new FakeClock(systemClock.now())
  t = await startTestServer({ devnet: true, clock })
  merchant = await t.onboard('Late Shop')
  api = apiClient(t.url, keyHeaders(merchant.merchantKey))
})
after(async () => t.close())

const invoiceOf = async (id: string) => (await api('GET', `/api/v1/invoices/${id}?expand=payments`)).body

async function eventsOf(id: string) {
  const res = await api('GET', `/api/v1/events?invoice_id=${id}&limit=100`)
  return (res.body.data.data as { type: string; data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> } }[]).reverse()
}

describe('a payment that arrives after the invoice closed', () => {
  const cases: { label: string; close: 'expire' | 'cancel'; partialUnits: bigint; finalStatus: string; paidBefore: number }[] = [
    { label: 'an expired unpaid invoice', close: 'expire', partialUnits: 0n, finalStatus: 'expired', paidBefore: 0 },
    { label: 'an underpaid invoice that then expired', close: 'expire', partialUnits: 2_000_000n, finalStatus: 'expired', paidBefore: 2000 },
    { label: 'a canceled invoice', close: 'cancel', partialUnits: 0n, finalStatus: 'canceled', paidBefore: 0 },
  ]
  for (const c of cases) {
    it(`records the transfer to ${c.label} as late, flags the invoice and keeps it ${c.finalStatus}`, async () => {
      const usdc = tokenOf(t, 'base', 'USDC')
      const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 5, expires_in: 60_000 })
      const quote = await allocateAddress(session, 'base', usdc.id)
      // the address must be watched before the clock jumps past the watcher's re-read window
      await untilWatched(t, 'base', quote.temp_address)
      if (c.partialUnits > 0n) {
        await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: c.partialUnits })
        await eventually(() => invoiceOf(id), (i) => i.status === 'underpaid', 10_000, 'underpaid')
      }
      if (c.close === 'expire') {
        clock.advance(61_000)
        // the expiry worker (every 100 ms on the server's clock) stores the expiry and emits it
        await eventually(() => eventsOf(id), (events) => events.some((e) => e.type === 'invoice.updated' && e.data.object['status'] === 'expired'), 10_000, 'expired by the worker')
      } else {
        const canceled = await api('POST', `/api/v1/invoices/${id}/cancel`)
        assert.equal(canceled.status, 200, JSON.stringify(canceled.body))
      }
      const refused = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'base', tokenId: usdc.id } })
      assert.equal(refused.status, 400)
      assert.equal(refused.body.error.code, 'INVOICE_NOT_PAYABLE')

      const late = await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 3_000_000n })
      const invoice = await eventually(() => invoiceOf(id), (i) => i.payments.some((p: { tx_hash: string; status: string }) => p.tx_hash === late.txHash && p.status === 'confirmed'), 10_000, 'late payment confirmed')
      assert.equal(invoice.status, c.finalStatus)
      assert.deepEqual(invoice.exceptions, ['late_payment'], JSON.stringify(invoice))
      assert.equal(invoice.amount_paid, c.paidBefore)
      const receipt = invoice.payments.find((p: { tx_hash: string }) => p.tx_hash === late.txHash)
      assert.equal(receipt.is_late, true)
      assert.equal(receipt.is_unmatched, false)
      assert.equal(receipt.token_amount, '3000000')
      assert.equal(receipt.amount, 3000)
      assert.equal(receipt.from_address, late.from)
      const status = await session('GET', '/api/v1/payments/payment-status')
      assert.equal(status.body.status, c.finalStatus === 'canceled' ? 'canceled' : 'expired')

      const events = await eventsOf(id)
      const types = events.map((e) => e.type)
      assert.equal(types.filter((x) => x === 'invoice_payment.created').length, c.partialUnits > 0n ? 2 : 1)
      const confirmedLate = events.find((e) => e.type === 'invoice_payment.updated' && e.data.object['tx_hash'] === late.txHash && e.data.object['status'] === 'confirmed')
      assert.ok(confirmedLate, 'invoice_payment.updated for the late payment')
      assert.equal(confirmedLate.data.object['is_late'], true)
      const flagged = events.filter((e) => e.type === 'invoice.updated').at(-1)
      assert.ok(flagged)
      assert.deepEqual(flagged.data.object['exceptions'], ['late_payment'])
      assert.equal(flagged.data.object['status'], c.finalStatus)
      assert.deepEqual(flagged.data.previous_attributes?.['exceptions'], [])
    })
  }

  it('sweeps a late payment to the merchant wallet like any other: nothing is lost', async () => {
    const owner = await t.onboard('Late Sweep Shop')
    const bearer = apiClient(t.url, { authorization: `Bearer ${owner.dashboardToken}` })
    const wallet = '0x000000000000000000000000000000000000a7e1'
    assert.equal((await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: wallet } })).status, 201)
    const usdc = tokenOf(t, 'base', 'USDC')
    const { id, session } = await newInvoice(t, owner.merchantKey, { amount_usd: 1, expires_in: 60_000 })
    const quote = await allocateAddress(session, 'base', usdc.id)
    await untilWatched(t, 'base', quote.temp_address)
    clock.advance(61_000)
    const ownerApi = apiClient(t.url, keyHeaders(owner.merchantKey))
    await eventually(async () => (await ownerApi('GET', `/api/v1/invoices/${id}`)).body.status, (s) => s === 'expired', 10_000, 'expired')
    await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 1_000_000n })
    // time moves on while the sweep runs: a failed attempt is retried once its backoff (on this clock) has passed
    const invoice = await eventually(
      async () => {
        clock.advance(1_000)
        return (await ownerApi('GET', `/api/v1/invoices/${id}?expand=payments`)).body
      },
      (i) => i.payments[0]?.settlement_status === 'settled',
      20_000,
      'late payment settled',
    )
    assert.equal(invoice.payments[0].is_late, true)
    assert.equal(invoice.payments[0].settlement.destination_address, wallet)
    const { client } = devnetClient(t, 'base')
    assert.equal(await client.readContract({ address: usdc.address as Hex, abi: erc20Abi, functionName: 'balanceOf', args: [wallet] }), 1_000_000n)
  })
})

describe('paying with the native coin (ETH on base)', () => {
  // first in this suite: no deposit address was allocated for ETH before, only for USDC
  it('detects an ETH payment after the payer switched the invoice from USDC to ETH', async () => {
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 3 })
    const first = await allocateAddress(session, 'base', tokenOf(t, 'base', 'USDC').id)
    await untilWatched(t, 'base', first.temp_address)
    const quote = await allocateAddress(session, 'base', tokenOf(t, 'base', 'ETH').id)
    assert.equal(quote.temp_address, first.temp_address)
    await payNative(t, { network: 'base', to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units), payer: 4 })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 10_000, 'paid in ETH after switching')
    assert.equal(invoice.payments[0].token_symbol, 'ETH')
  })

  it('quotes from the devnet aggregator at 3000 USD with a 0.5% buffer and marks the invoice paid', async () => {
    const eth = tokenOf(t, 'base', 'ETH')
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 30 })
    const tokens = await session('GET', '/api/v1/payments/available-tokens')
    const row = tokens.body.find((x: { id: number }) => x.id === eth.id)
    assert.equal(row.token_type, 'native')
    assert.equal(row.token_address, null)
    assert.equal(row.availability_status, 'DEVNET')
    assert.equal(row.unavailable_reason, null)
    assert.equal(typeof row.rate_updated_at, 'number')

    const quote = await allocateAddress(session, 'base', eth.id)
    // $30 / $3000 = 0.01 ETH; +0.5% = 0.01005 ETH = 10_050_000_000_000_000 wei
    assert.equal(quote.estimated_token_amount_units, '10050000000000000')
    assert.equal(quote.estimated_token_amount, '0.010050')
    assert.equal(quote.exchange_rate, '0.000333')
    assert.equal(quote.usd_amount_millis, 30000)
    assert.equal(quote.token_symbol, 'ETH')
    assert.equal(quote.payment_uri, `ethereum:${quote.temp_address}@84532?value=10050000000000000`)

    const paid = await payNative(t, { network: 'base', to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units), payer: 3 })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 15_000, 'paid in ETH')
    assert.equal(invoice.amount_paid, 30000)
    assert.deepEqual(invoice.exceptions, [])
    assert.equal(invoice.payments.length, 1)
    const receipt = invoice.payments[0]
    assert.equal(receipt.tx_hash, paid.txHash)
    assert.equal(receipt.token_symbol, 'ETH')
    assert.equal(receipt.token_address, null)
    assert.equal(receipt.token_amount, '10050000000000000')
    assert.equal(receipt.token_amount_decimal, '0.01005')
    assert.equal(receipt.amount, 30000)
    assert.ok(receipt.log_index < 0, 'native transfers carry a negative log index')
    assert.equal(invoice.payer_wallet_address, paid.from)
    const types = await eventTypesOf(api, id)
    assert.deepEqual(types.slice(0, 2), ['invoice.created', 'invoice_payment.created'])
  })

  it('credits a native underpayment at the quoted rate (floor) and leaves the invoice underpaid', async () => {
    const eth = tokenOf(t, 'base', 'ETH')
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 60 })
    const quote = await allocateAddress(session, 'base', eth.id)
    assert.equal(quote.estimated_token_amount_units, '20100000000000000')
    // half of the quoted amount is worth half of the invoice
    await payNative(t, { network: 'base', to: quote.temp_address, amountUnits: 10_050_000_000_000_000n, payer: 3 })
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'underpaid', 15_000, 'underpaid in ETH')
    assert.equal(invoice.amount_paid, 30000)
    assert.equal(invoice.amount_remaining, 30000)
    const rest = await allocateAddress(session, 'base', eth.id)
    assert.equal(rest.temp_address, quote.temp_address)
    assert.equal(rest.estimated_token_amount_units, '10050000000000000')
  })

  it('answers a quote_unavailable quote and STALE availability while the feed reads a non-positive price', async () => {
    const network = chainLayer(t).runtime.get('devnet', 'base')
    assert.ok(network?.def.nativePriceFeed)
    const feed = network.def.nativePriceFeed as Hex
    await setAnswer(feed, 0n)
    try {
      const eth = tokenOf(t, 'base', 'ETH')
      const { session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 10 })
      const tokens = await session('GET', '/api/v1/payments/available-tokens')
      const row = tokens.body.find((x: { id: number }) => x.id === eth.id)
      assert.equal(row.availability_status, 'STALE')
      assert.match(row.unavailable_reason, /non-positive/)
      const onlyAvailable = await session('GET', '/api/v1/payments/available-tokens?available_only=true')
      assert.ok(!onlyAvailable.body.some((x: { id: number }) => x.id === eth.id))
      assert.ok(onlyAvailable.body.some((x: { id: number }) => x.id === tokenOf(t, 'base', 'USDC').id))
      const quote = await allocateAddress(session, 'base', eth.id)
      assert.equal(quote.quote_status, 'unavailable')
      assert.equal((quote as unknown as { status_code: string }).status_code, 'quote_unavailable')
      assert.equal((quote as unknown as { retryable: boolean }).retryable, true)
      assert.equal(quote.estimated_token_amount_units, '0')
    } finally {
      await setAnswer(feed, 3000_00000000n)
    }
  })
})

/** Sends setAnswer to a MockAggregator from dev account #9 and waits for it to be mined. */
async function setAnswer(address: Hex, answer: bigint): Promise<void> {
  const { chain, client, net } = devnetClient(t, 'base')
  const account = devnetOf(t).fundedAccounts('base')[8]
  assert.ok(account)
  const wallet = createWalletClient({ account: privateKeyToAccount(account.privateKey), chain, transport: http(net.rpcUrl, { retryCount: 0 }) })
  const hash = await wallet.writeContract({ address, abi: aggregatorAbi, functionName: 'setAnswer', args: [answer] })
  await client.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 20_000 })
}

describe('createAggregatorRateSource against a deployed MockAggregator', () => {
  let aggregator: Hex
  let feed: AggregatorFeed

  before(async () => {
    const { chain, client, net } = devnetClient(t, 'base')
    const account = devnetOf(t).fundedAccounts('base')[8]
    assert.ok(account)
    const wallet = createWalletClient({ account: privateKeyToAccount(account.privateKey), chain, transport: http(net.rpcUrl, { retryCount: 0 }) })
    const hash = await wallet.deployContract({ abi: aggregatorAbi, bytecode: aggregatorArtifact.bytecode as Hex, args: [8, 'ETH / USD', 2500_12345678n] })
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20, timeout: 20_000 })
    assert.ok(receipt.contractAddress)
    aggregator = receipt.contractAddress
    const adapter = chainLayer(t).runtime.get('devnet', 'base')?.adapter
    assert.ok(adapter?.kind === 'evm')
    feed = { read: () => adapter.readAggregator(aggregator) }
  })

  const native = { network: 'base', symbol: 'ETH', kind: 'native' as const }
  // the mainnet settings: readings older than five minutes are refused
  const mainnetSource = (now: Date) => createAggregatorRateSource({ feeds: new Map([['base', feed]]), now: () => now, maxAgeMs: FIVE_MINUTES_MS })

  it('reads the answer, decimals and update time of the feed', async () => {
    const reading = await feed.read()
    assert.equal(reading.answer, 2500_12345678n)
    assert.equal(reading.decimals, 8)
    const price = await mainnetSource(reading.updatedAt).getPrice(native)
    assert.deepEqual(price, { answer: 2500_12345678n, decimals: 8, updatedAt: reading.updatedAt, provider: AGGREGATOR_PROVIDER })
  })

  const ages: [string, number, boolean][] = [
    ['a reading just made', 0, true],
    ['a reading exactly five minutes old', FIVE_MINUTES_MS, true],
    ['a reading five minutes and one second old', FIVE_MINUTES_MS + 1_000, false],
    ['a reading an hour old', 3_600_000, false],
  ]
  for (const [label, ageMs, accepted] of ages) {
    it(`${accepted ? 'accepts' : 'refuses'} ${label} on mainnet settings`, async () => {
      const { updatedAt } = await feed.read()
      const source = mainnetSource(new Date(updatedAt.getTime() + ageMs))
      if (accepted) {
        assert.equal((await source.getPrice(native)).answer, 2500_12345678n)
      } else {
        await assert.rejects(source.getPrice(native), (error: unknown) => error instanceof RateUnavailableError && error.code === 'SERVICE_UNAVAILABLE' && /older than 5 minutes/.test(error.message))
      }
    })
  }

  for (const answer of [0n, -1n, -3000_00000000n]) {
    it(`refuses a non-positive answer (${answer}) written on chain`, async () => {
      await setAnswer(aggregator, answer)
      const reading = await feed.read()
      assert.equal(reading.answer, answer)
      await assert.rejects(mainnetSource(reading.updatedAt).getPrice(native), (error: unknown) => error instanceof RateUnavailableError && /non-positive/.test(error.message))
    })
  }

  it('takes a new positive answer with its new round time', async () => {
    await setAnswer(aggregator, 3100_00000000n)
    const reading = await feed.read()
    const price = await mainnetSource(reading.updatedAt).getPrice(native)
    assert.equal(price.answer, 3100_00000000n)
    assert.ok(reading.roundId >= 5n)
  })

  it('refuses a network without a feed and an unreachable feed, and prices stablecoins at par', async () => {
    const now = systemClock.now()
    const dead = createEvmAdapter({ network: 'base', chainId: 84532, rpcUrls: ['http://127.0.0.1:9'], requestTimeoutMs: 2_000 })
    const source = createAggregatorRateSource({ feeds: new Map([['base', feed], ['bsc', { read: () => dead.readAggregator(aggregator) }]]), now: () => now, maxAgeMs: FIVE_MINUTES_MS })
    await assert.rejects(source.getPrice({ network: 'ethereum', symbol: 'ETH', kind: 'native' }), /no price feed configured for ethereum/)
    await assert.rejects(source.getPrice({ network: 'bsc', symbol: 'BNB', kind: 'native' }), (error: unknown) => error instanceof RateUnavailableError && /unreachable/.test(error.message))
    const par = await source.getPrice({ network: 'ethereum', symbol: 'USDC', kind: 'stable' })
    assert.equal(par.answer, 100_000_000n)
    assert.equal(par.decimals, 8)
    assert.equal(par.provider, 'par')
  })
})
