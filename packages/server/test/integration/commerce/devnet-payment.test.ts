import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { erc20Abi, type Hex } from 'viem'
import { apiClient, type TestServer } from '../../helpers/server.ts'
import { chainLayer, devnetClient, devnetOf, payToken, tokenOf } from '../../helpers/chain.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { checkout, commerceApi, eventually, startCommerceServer, type Api } from './harness.ts'

describe('commerce orders paid on the devnet (anvil)', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: Api

  before(async () => {
    t = await startCommerceServer({ devnet: true })
    merchant = await t.onboard('Devnet Shop')
    api = commerceApi(t, merchant.commerceKey)
    // the merchant's BSC settlement wallet: settlement of the payment unlocks placement
    const wallet = await apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })(
      'POST',
      '/api/v1/merchant/wallets',
      {
        body: { network: 'bsc', wallet_address: `0x${randomBytes(20).toString('hex')}` },
      },
    )
    assert.equal(wallet.status, 201, JSON.stringify(wallet.body))
  })
  after(async () => t.close())

  const orderOf = async (id: string) =>
    (await api('GET', `/api/commerce/merchant/orders/${id}`)).body.data

  it('moves the order to processing when the invoice is paid on-chain, places it once settled, and refunds a cancellation on-chain', async () => {
    const refundTo = `0x${randomBytes(20).toString('hex')}`
    const identity = { customer_id: `cust_${randomUUID()}` }
    const { invoice } = await checkout(api, identity, [{ productId: 'B0B844T634', quantity: 2 }], {
      refundDestinationWalletAddressBsc: refundTo,
    })

    // the payer pays through the hosted-page session, exactly as a standard invoice
    const session = apiClient(t.url, invoice.payment_session_headers)
    const usdt = tokenOf(t, 'bsc', 'USDT')
    const quote = await session('POST', '/api/v1/payments/payment-addresses', {
      body: { network: 'bsc', tokenId: usdt.id },
    })
    assert.equal(quote.status, 200, JSON.stringify(quote.body))
    const paid = await payToken(t, {
      network: 'bsc',
      tokenAddress: usdt.address as string,
      to: quote.body.temp_address,
      amountUnits: BigInt(quote.body.estimated_token_amount_units),
    })

    const processing = await eventually(
      () => orderOf(invoice.orderId),
      (o) => o.status !== 'pending_payment',
      20_000,
      'order paid',
    )
    assert.equal(processing.payment.status, 'paid')
    assert.equal(processing.payment.txHash, paid.txHash)
    assert.equal(processing.payment.network, 'bsc')
    assert.equal(processing.timeline[1].message, 'Payment received, processing order')

    // settlement of the payment unlocks placement with the (sandbox) retailer
    const placed = await eventually(
      () => orderOf(invoice.orderId),
      (o) => o.status === 'placed',
      30_000,
      'order placed',
    )
    assert.equal(placed.payment.settlement.status, 'settled')
    assert.equal(placed.substatus, 'AWAITING_TRACKING')

    // refunds are paid from the platform treasury: fund it with the devnet faucet
    const treasury = chainLayer(t).runtime.get('devnet', 'bsc')?.treasury.address
    assert.ok(treasury)
    await devnetOf(t).faucet('bsc', treasury as Hex, {
      tokenAddress: usdt.address as Hex,
      amountUnits: 1_000n * 10n ** 18n,
    })

    const cancel = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
      headers: { 'idempotency-key': randomUUID() },
      body: {},
    })
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body))
    assert.equal(cancel.body.data.status, 'cancelled')
    assert.equal(cancel.body.data.refundQuote.destinationWalletAddressBsc, refundTo)
    assert.equal(cancel.body.data.refundQuote.amountUsd, placed.totalAmountUsd)

    const refunded = await eventually(
      () => orderOf(invoice.orderId),
      (o) => o.status === 'refunded',
      30_000,
      'order refunded',
    )
    assert.equal(refunded.refundStatus, 'REFUNDED')
    assert.match(refunded.refund.txHash, /^0x[0-9a-f]{64}$/)
    const { client } = devnetClient(t, 'bsc')
    const balance = await client.readContract({
      address: usdt.address as Hex,
      abi: erc20Abi,
      functionName: 'balanceOf',
      args: [refundTo as Hex],
    })
    assert.equal(balance.toString(), refunded.refund.tokenAmount)
    // par at 18 decimals: the USD total in token units
    assert.equal(balance, BigInt(refunded.totalAmountUsd.replace('.', '')) * 10n ** 16n)
    const receipt = await client.getTransactionReceipt({ hash: refunded.refund.txHash as Hex })
    assert.equal(receipt.status, 'success')
  })
})
