import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import {
  ADDRESS,
  checkout,
  commerceApi,
  eventually,
  simulate,
  startCommerceServer,
  type Api,
} from './harness.ts'

const BSC_WALLET = '0x2222222222222222222222222222222222222222'

describe('commerce checkout, orders, payments and addresses', () => {
  let t: TestServer
  let clock: FakeClock
  let merchant: OnboardedMerchant
  let other: OnboardedMerchant
  let api: Api
  let otherApi: Api

  before(async () => {
    clock = new FakeClock(Date.UTC(2026, 2, 1))
    t = await startCommerceServer({ clock })
    merchant = await t.onboard('Checkout Shop')
    other = await t.onboard('Rival Shop')
    api = commerceApi(t, merchant.commerceKey)
    otherApi = commerceApi(t, other.commerceKey)
  })
  after(async () => t.close())

  const customer = () => ({ customer_id: `cust_${randomUUID()}` })
  const estimate = (body: Record<string, unknown>) =>
    api('POST', '/api/commerce/merchant/checkout/estimate', { body })

  describe('POST /api/commerce/merchant/checkout/estimate', () => {
    it('prices direct items, reports invalid ones with reasons, and accepts product_id', async () => {
      const res = await estimate({
        ...customer(),
        items: [
          { productId: 'B08N5WRWNW', quantity: 2, price: 99.99, title: 'Echo', retailer: 'amazon' },
          { product_id: 'B0B844T634', quantity: 1 },
          { productId: 'B000000000', quantity: 1 },
          { productId: 'B0NOTHERE1', quantity: 1 },
        ],
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const d = res.body.data
      assert.deepEqual(
        d.validItems.map((i: { productId: string }) => i.productId),
        ['B08N5WRWNW', 'B0B844T634'],
      )
      assert.deepEqual(d.invalidItems, [
        {
          productId: 'B000000000',
          retailer: 'amazon',
          error:
            'No eligible offers (must be New, Prime/marketplace fulfilled, delivery within 10 days)',
        },
        { productId: 'B0NOTHERE1', retailer: 'amazon', error: 'Product not found' },
      ])
      // 2 × 99.99 + 24.99 = 224.97; fee 1.00 + 2.5% = 5.6243 → 5.63; Prime ships free
      assert.deepEqual(d.pricing, {
        subtotal: 224.97,
        shipping: 0,
        tax: 0,
        fees: { fixed: 1, percentage: 2.5, percentageAmount: 5.63, total: 6.63 },
        total: 231.6,
      })
      assert.deepEqual(d.feeBreakdown, { shippingBase: 0, commerceFee: 6.63, totalFees: 6.63 })
      assert.equal(d.expiresAt - d.createdAt, 900)
      assert.equal(d.networkEnvironment, 'devnet')
    })

    it('charges the current price when it changed since the item was put in the cart', async () => {
      const id = customer()
      await api('POST', '/api/commerce/merchant/carts/items', {
        body: { ...id, productId: 'B08N5WRWNW', retailer: 'amazon', title: 'Echo', price: 79.99 },
      })
      const res = await estimate({ ...id, useCart: true })
      const item = res.body.data.validItems[0]
      assert.equal(item.price, 99.99)
      assert.equal(item.metadata.priceChanged, true)
      assert.equal(item.metadata.requestedPrice, 79.99)
    })

    it('applies itemOverrides to the cart for this estimate only', async () => {
      const id = customer()
      await api('POST', '/api/commerce/merchant/carts/items', {
        body: {
          ...id,
          productId: 'B08N5WRWNW',
          retailer: 'amazon',
          title: 'Echo',
          price: 99.99,
          quantity: 3,
        },
      })
      await api('POST', '/api/commerce/merchant/carts/items', {
        body: { ...id, productId: 'B0B844T634', retailer: 'amazon', title: 'Bottle', price: 24.99 },
      })
      const res = await estimate({
        ...id,
        useCart: true,
        itemOverrides: [
          { productId: 'B08N5WRWNW', quantity: 1 },
          { productId: 'B0B844T634', quantity: 0 },
        ],
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.deepEqual(
        res.body.data.validItems.map((i: { productId: string; quantity: number }) => [
          i.productId,
          i.quantity,
        ]),
        [['B08N5WRWNW', 1]],
      )
      const cart = await api('GET', `/api/commerce/merchant/carts?customer_id=${id.customer_id}`)
      assert.deepEqual(
        Object.fromEntries(
          cart.body.data.items.map((i: { productId: string; quantity: number }) => [
            i.productId,
            i.quantity,
          ]),
        ),
        { B08N5WRWNW: 3, B0B844T634: 1 },
      )
    })

    const invalid: [string, Record<string, unknown>, string][] = [
      [
        'items with useCart',
        { customer_id: 'c', useCart: true, items: [{ productId: 'B08N5WRWNW', quantity: 1 }] },
        'items',
      ],
      [
        'itemOverrides without useCart',
        {
          customer_id: 'c',
          items: [{ productId: 'B08N5WRWNW', quantity: 1 }],
          itemOverrides: [{ productId: 'B08N5WRWNW', quantity: 1 }],
        },
        'itemOverrides',
      ],
      ['neither items nor useCart', { customer_id: 'c' }, 'items'],
      ['an empty cart', { customer_id: `empty_${randomUUID()}`, useCart: true }, 'useCart'],
      [
        'an item without productId',
        { customer_id: 'c', items: [{ quantity: 1 }] },
        'items.0.productId',
      ],
      [
        'quantity 0 in items',
        { customer_id: 'c', items: [{ productId: 'B08N5WRWNW', quantity: 0 }] },
        'items.0.quantity',
      ],
      [
        'quantity 100',
        { customer_id: 'c', items: [{ productId: 'B08N5WRWNW', quantity: 100 }] },
        'items.0.quantity',
      ],
      [
        'a price below 0.01',
        { customer_id: 'c', items: [{ productId: 'B08N5WRWNW', quantity: 1, price: 0 }] },
        'items.0.price',
      ],
      [
        'an order above $2,500',
        { customer_id: 'c', items: [{ productId: 'B08N5WRWNW', quantity: 26 }] },
        'items',
      ],
      ['no identity', { items: [{ productId: 'B08N5WRWNW', quantity: 1 }] }, 'customer_id'],
      [
        '51 items',
        {
          customer_id: 'c',
          items: Array.from({ length: 51 }, (_, i) => ({ productId: `P${i}`, quantity: 1 })),
        },
        'items',
      ],
    ]
    for (const [label, body, field] of invalid) {
      it(`answers 400 naming ${field} for ${label}`, async () => {
        const res = await estimate(body)
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error),
        )
      })
    }
  })

  describe('POST /api/commerce/merchant/checkout/address and /invoice', () => {
    const badAddresses: [string, Record<string, string>, string][] = [
      ['an unknown state', { state: 'XX' }, 'address.state'],
      ['a ZIP in another state', { zip_code: '10001' }, 'address.zip_code'],
      ['a malformed ZIP', { zip_code: '3310A' }, 'address.zip_code'],
      ['a foreign country', { country: 'CA' }, 'address.country'],
      ['an invalid phone', { phone: '+1 555 0100' }, 'address.phone'],
      ['an invalid e-mail', { email: 'not-mail' }, 'address.email'],
      ['an empty street', { street_address: '' }, 'address.street_address'],
    ]
    for (const [label, patch, field] of badAddresses) {
      it(`answers 400 naming ${field} for ${label} and saves nothing`, async () => {
        const id = customer()
        const e = await estimate({ ...id, items: [{ productId: 'B08N5WRWNW', quantity: 1 }] })
        const res = await api('POST', '/api/commerce/merchant/checkout/address', {
          body: { ...id, estimateId: e.body.data.estimateId, address: { ...ADDRESS, ...patch } },
        })
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error),
        )
        const saved = await api(
          'GET',
          `/api/v1/commerce/merchant/addresses?customer_id=${id.customer_id}`,
        )
        assert.deepEqual(saved.body.data.addresses, [])
      })
    }

    it('saves one address per identity however often it is submitted, lists and deletes it', async () => {
      const id = customer()
      const first = await checkout(api, id, [{ productId: 'B08N5WRWNW', quantity: 1 }])
      const second = await checkout(api, id, [{ productId: 'B0B844T634', quantity: 1 }])
      assert.equal(first.address.addressId, second.address.addressId)
      assert.deepEqual(first.address.shippingOptions[0], {
        id: 'standard',
        name: 'Standard Shipping',
        price: 0,
        estimatedDays: '2-4 business days',
      })
      const list = await api(
        'GET',
        `/api/v1/commerce/merchant/addresses?customer_id=${id.customer_id}`,
      )
      assert.equal(list.body.data.addresses.length, 1)
      const saved = list.body.data.addresses[0]
      assert.equal(saved.addressLine1, '123 Main St')
      assert.equal(saved.phoneNumber, '+13055550123')
      assert.equal(saved.isValidated, true)
      assert.equal(
        (await otherApi('DELETE', `/api/v1/commerce/merchant/addresses/${saved.addressId}`)).status,
        404,
      )
      assert.equal(
        (
          await api(
            'DELETE',
            `/api/v1/commerce/merchant/addresses/${saved.addressId}?customer_id=someone_else`,
          )
        ).status,
        404,
      )
      const deleted = await api('DELETE', `/api/v1/commerce/merchant/addresses/${saved.addressId}`)
      assert.deepEqual(deleted.body, {
        success: true,
        data: { addressId: saved.addressId, deleted: true },
      })
      assert.equal((await api('GET', '/api/v1/commerce/merchant/addresses')).status, 400)
      assert.equal(
        (await api('GET', `/api/v1/commerce/merchant/addresses?customer_id=x&limit=101`)).status,
        400,
      )
    })

    it('refuses another identity’s estimate and address with 404 and an expired estimate with ESTIMATE_EXPIRED', async () => {
      const a = customer()
      const b = customer()
      const mine = await checkout(api, a, [{ productId: 'B08N5WRWNW', quantity: 1 }])
      const fresh = await estimate({ ...b, items: [{ productId: 'B08N5WRWNW', quantity: 1 }] })
      const foreignEstimate = await api('POST', '/api/commerce/merchant/checkout/invoice', {
        body: { ...b, estimateId: mine.estimate.estimateId, addressId: mine.address.addressId },
      })
      assert.equal(foreignEstimate.status, 404)
      const foreignAddress = await api('POST', '/api/commerce/merchant/checkout/invoice', {
        body: { ...b, estimateId: fresh.body.data.estimateId, addressId: mine.address.addressId },
      })
      assert.equal(foreignAddress.status, 404)
      assert.equal(foreignAddress.body.error.message, 'address not found')
      const rival = await otherApi('POST', '/api/commerce/merchant/checkout/address', {
        body: { ...a, estimateId: mine.estimate.estimateId, address: ADDRESS },
      })
      assert.equal(rival.status, 404)

      const late = await estimate({ ...a, items: [{ productId: 'B08N5WRWNW', quantity: 1 }] })
      clock.advance(15 * 60 * 1000 + 1000)
      const expired = await api('POST', '/api/commerce/merchant/checkout/address', {
        body: { ...a, estimateId: late.body.data.estimateId, address: ADDRESS },
      })
      assert.equal(expired.status, 400)
      assert.equal(expired.body.error.code, 'ESTIMATE_EXPIRED')
      const list = await api('GET', `/api/commerce/merchant/orders?customer_id=${b.customer_id}`)
      assert.equal(list.body.data.pagination.count, 0)
    })

    it('refuses an order whose total with tax passes $2,500 and writes nothing', async () => {
      const id = customer()
      // 24 × 99.99 = 2399.76 + fees 61.00 = 2460.76 before tax; NY 4% tax passes the limit
      const e = await estimate({ ...id, items: [{ productId: 'B08N5WRWNW', quantity: 24 }] })
      assert.equal(e.status, 200, JSON.stringify(e.body))
      const addr = await api('POST', '/api/commerce/merchant/checkout/address', {
        body: {
          ...id,
          estimateId: e.body.data.estimateId,
          address: { ...ADDRESS, state: 'NY', zip_code: '10001', city: 'New York' },
        },
      })
      assert.equal(addr.status, 200)
      const inv = await api('POST', '/api/commerce/merchant/checkout/invoice', {
        body: { ...id, estimateId: e.body.data.estimateId, addressId: addr.body.data.addressId },
      })
      assert.equal(inv.status, 400)
      assert.equal(inv.body.error.details[0].field, 'estimateId')
      assert.equal(
        (await api('GET', `/api/commerce/merchant/orders?customer_id=${id.customer_id}`)).body.data
          .pagination.count,
        0,
      )
    })

    it('validates the refund destination format', async () => {
      const id = customer()
      const { estimate: e, address } = await checkout(api, id, [
        { productId: 'B08N5WRWNW', quantity: 1 },
      ])
      const res = await api('POST', '/api/commerce/merchant/checkout/invoice', {
        body: {
          ...id,
          estimateId: e.estimateId,
          addressId: address.addressId,
          refundDestinationWalletAddressBsc: '0x12',
        },
      })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.details[0].field, 'refundDestinationWalletAddressBsc')
    })
  })

  describe('orders, cancellation and the devnet simulator', () => {
    it('lists orders with filters and offset pagination', async () => {
      const id = customer()
      const wallet = { wallet_address: BSC_WALLET, wallet_network: 'bsc' }
      const a = await checkout(api, id, [{ productId: 'B08N5WRWNW', quantity: 1 }])
      clock.advance(1000)
      const b = await checkout(api, id, [{ productId: 'B0B844T634', quantity: 3 }])
      await checkout(api, wallet, [{ productId: 'B0B844T634', quantity: 1 }])
      await simulate(api, b.invoice.orderId, { transitionTo: 'payment_confirmed' })
      const all = await api(
        'GET',
        `/api/commerce/merchant/orders?customer_id=${id.customer_id}&limit=1`,
      )
      assert.equal(all.body.data.pagination.count, 2)
      assert.equal(all.body.data.orders.length, 1)
      assert.equal(all.body.data.orders[0].orderId, b.invoice.orderId)
      const page2 = await api(
        'GET',
        `/api/commerce/merchant/orders?customer_id=${id.customer_id}&limit=1&offset=1`,
      )
      assert.equal(page2.body.data.orders[0].orderId, a.invoice.orderId)
      assert.equal(page2.body.data.orders[0].itemCount, 1)
      const processing = await api(
        'GET',
        `/api/commerce/merchant/orders?customer_id=${id.customer_id}&status=processing`,
      )
      assert.deepEqual(
        processing.body.data.orders.map((o: { orderId: string }) => o.orderId),
        [b.invoice.orderId],
      )
      assert.equal(processing.body.data.orders[0].itemCount, 3)
      const byWallet = await api(
        'GET',
        `/api/commerce/merchant/orders?wallet=${BSC_WALLET}&walletNetwork=bsc`,
      )
      assert.ok(byWallet.body.data.orders.length >= 1)
      assert.ok(
        byWallet.body.data.orders.every(
          (o: { walletAddress: string }) => o.walletAddress === BSC_WALLET,
        ),
      )
      const now = Math.floor(clock.now().getTime() / 1000)
      assert.equal(
        (
          await api(
            'GET',
            `/api/commerce/merchant/orders?customer_id=${id.customer_id}&createdFrom=${now + 10}`,
          )
        ).body.data.pagination.count,
        0,
      )
      assert.equal(
        (
          await api(
            'GET',
            `/api/commerce/merchant/orders?customer_id=${id.customer_id}&createdTo=${new Date((now + 10) * 1000).toISOString()}`,
          )
        ).body.data.pagination.count,
        2,
      )
      assert.equal(
        (await api('GET', `/api/commerce/merchant/orders?wallet=${BSC_WALLET}`)).status,
        400,
      )
      assert.equal((await api('GET', '/api/commerce/merchant/orders?status=fulfilled')).status, 400)
      const dashboard = apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })
      assert.equal(
        (await dashboard('GET', `/api/commerce/merchant/orders?customer_id=${id.customer_id}`)).body
          .data.pagination.count,
        2,
      )
      assert.equal(
        (await otherApi('GET', `/api/commerce/merchant/orders/${a.invoice.orderId}`)).status,
        404,
      )
      assert.equal(
        (await otherApi('GET', `/api/commerce/merchant/orders?customer_id=${id.customer_id}`)).body
          .data.pagination.count,
        0,
      )
    })

    it('cancels an unpaid order with its invoice; requires Idempotency-Key and replays the answer', async () => {
      const { invoice } = await checkout(api, customer(), [
        { productId: 'B08N5WRWNW', quantity: 1 },
      ])
      const missing = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
        body: {},
      })
      assert.equal(missing.status, 400)
      assert.equal(missing.body.error.code, 'IDEMPOTENCY_KEY_MISSING')
      const key = randomUUID()
      const first = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
        headers: { 'idempotency-key': key },
        body: {},
      })
      assert.equal(first.status, 200, JSON.stringify(first.body))
      assert.equal(first.body.data.status, 'cancelled')
      assert.equal(first.body.data.refundQuote.status, 'NONE')
      const again = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
        headers: { 'idempotency-key': key },
        body: {},
      })
      assert.equal(again.headers.get('idempotency-replayed'), 'true')
      assert.deepEqual(again.body, first.body)
      const merchantApi = apiClient(t.url, keyHeaders(merchant.merchantKey))
      assert.equal(
        (await merchantApi('GET', `/api/v1/invoices/${invoice.invoiceId}`)).body.status,
        'canceled',
      )
      const twice = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
        headers: { 'idempotency-key': randomUUID() },
        body: {},
      })
      assert.equal(twice.status, 400)
      assert.equal(twice.body.error.code, 'ORDER_NOT_CANCELLABLE')
      assert.equal(
        (
          await otherApi('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
            headers: { 'idempotency-key': randomUUID() },
            body: {},
          })
        ).status,
        404,
      )
    })

    it('cancels a paid order into a pending refund to the payer’s BSC wallet, and never a shipped one', async () => {
      const { invoice } = await checkout(api, customer(), [
        { productId: 'B08N5WRWNW', quantity: 1 },
      ])
      await simulate(api, invoice.orderId, {
        transitionTo: 'payment_confirmed',
        walletNetwork: 'bsc',
        walletAddress: BSC_WALLET,
      })
      const res = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
        headers: { 'idempotency-key': randomUUID() },
        body: {},
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.deepEqual(res.body.data.refundQuote, {
        status: 'PENDING',
        amountUsd: '109.49',
        feeUsd: '0.00',
        network: 'bsc',
        destinationWalletAddressBsc: BSC_WALLET,
      })
      // the fulfilment worker tries the refund once (no bsc network runs in this suite), shows it
      // PROCESSING while the attempt is in flight, and puts it back to PENDING with the reason;
      // the clock stands still, so no second attempt falls due
      const order = await eventually(
        async () =>
          (await api('GET', `/api/commerce/merchant/orders/${invoice.orderId}`)).body.data,
        (o) => o.refund.lastError !== null && o.refundStatus === 'PENDING',
        10_000,
        'refund attempted and pending again',
      )
      assert.match(order.refund.lastError, /no bsc network is configured/)
      assert.equal(order.refund.destinationWalletAddressBsc, BSC_WALLET)

      const shipped = await checkout(api, customer(), [{ productId: 'B08N5WRWNW', quantity: 1 }])
      for (const transitionTo of ['payment_confirmed', 'placed', 'shipped'])
        await simulate(api, shipped.invoice.orderId, { transitionTo })
      const refused = await api(
        'POST',
        `/api/commerce/merchant/orders/${shipped.invoice.orderId}/cancel`,
        {
          headers: { 'idempotency-key': randomUUID() },
          body: { refundDestinationWalletAddressBsc: BSC_WALLET },
        },
      )
      assert.equal(refused.status, 400)
      assert.equal(refused.body.error.code, 'ORDER_NOT_CANCELLABLE')
    })

    it('refuses to cancel a paid order without any BSC refund destination', async () => {
      const { invoice } = await checkout(api, customer(), [
        { productId: 'B08N5WRWNW', quantity: 1 },
      ])
      await simulate(api, invoice.orderId, {
        transitionTo: 'payment_confirmed',
        walletNetwork: 'ethereum',
        walletAddress: BSC_WALLET,
      })
      const res = await api('POST', `/api/commerce/merchant/orders/${invoice.orderId}/cancel`, {
        headers: { 'idempotency-key': randomUUID() },
        body: {},
      })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.details[0].field, 'refundDestinationWalletAddressBsc')
      assert.equal(
        (await api('GET', `/api/commerce/merchant/orders/${invoice.orderId}`)).body.data.status,
        'processing',
      )
    })

    // from status, transition → resulting status or the refusal code
    const table: [string[], string, string][] = [
      [[], 'payment_settled', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [[], 'placed', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [[], 'failed', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [[], 'cancelled', 'ORDER_NOT_CANCELLABLE'],
      [[], 'refunded', 'ORDER_NOT_PAID'],
      [['payment_confirmed'], 'payment_confirmed', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [['payment_confirmed'], 'shipped', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [['payment_confirmed'], 'cancelled', 'ORDER_NOT_CANCELLABLE'],
      [['payment_confirmed'], 'failed', 'failed'],
      [['payment_confirmed', 'placed'], 'failed', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [['payment_confirmed', 'placed'], 'cancelled', 'cancelled'],
      [['payment_confirmed', 'placed'], 'delivery_confirmed', 'ORDER_TRANSITION_NOT_ALLOWED'],
      [['payment_confirmed', 'placed', 'shipped'], 'shipped', 'shipped'],
      [
        ['payment_confirmed', 'placed', 'shipped', 'delivery_confirmed'],
        'refunded',
        'ORDER_TRANSITION_NOT_ALLOWED',
      ],
      [
        ['payment_confirmed', 'placed', 'shipped', 'delivery_confirmed'],
        'placed',
        'ORDER_TRANSITION_NOT_ALLOWED',
      ],
    ]
    for (const [path, transitionTo, expected] of table) {
      it(`simulates ${transitionTo} after [${path.join(', ')}] → ${expected}`, async () => {
        const { invoice } = await checkout(api, customer(), [
          { productId: 'B0B844T634', quantity: 1 },
        ])
        for (const step of path) {
          const res = await simulate(api, invoice.orderId, {
            transitionTo: step,
            ...(step === 'payment_confirmed' && {
              walletNetwork: 'bsc',
              walletAddress: BSC_WALLET,
            }),
          })
          assert.equal(res.status, 200, `${step}: ${JSON.stringify(res.body)}`)
        }
        const res = await simulate(api, invoice.orderId, { transitionTo })
        if (/^[A-Z_]+$/.test(expected)) {
          assert.equal(res.status, 400, JSON.stringify(res.body))
          assert.equal(res.body.error.code, expected)
        } else {
          assert.equal(res.status, 200, JSON.stringify(res.body))
          assert.equal(res.body.data.order.status, expected)
        }
      })
    }

    it('opens a refund when a paid order fails, and refunded needs a BSC destination', async () => {
      const { invoice } = await checkout(api, customer(), [
        { productId: 'B0B844T634', quantity: 1 },
      ])
      await simulate(api, invoice.orderId, { transitionTo: 'payment_confirmed' })
      const failed = await simulate(api, invoice.orderId, {
        transitionTo: 'failed',
        reason: 'out of stock',
      })
      assert.equal(failed.body.data.order.status, 'failed')
      assert.equal(failed.body.data.order.substatus, 'REFUND_DESTINATION_REQUIRED')
      assert.equal(failed.body.data.order.refundStatus, 'NONE')
      const missing = await simulate(api, invoice.orderId, { transitionTo: 'refunded' })
      assert.equal(missing.status, 400)
      assert.equal(missing.body.error.details[0].field, 'walletAddress')
      const wrongNetwork = await simulate(api, invoice.orderId, {
        transitionTo: 'refunded',
        walletNetwork: 'base',
        walletAddress: BSC_WALLET,
      })
      assert.equal(wrongNetwork.status, 400)
      const ok = await simulate(api, invoice.orderId, {
        transitionTo: 'refunded',
        walletNetwork: 'bsc',
        walletAddress: BSC_WALLET,
      })
      assert.equal(ok.status, 200, JSON.stringify(ok.body))
      // no chain layer runs in this suite: the refund waits, pending, with the reason
      assert.equal(ok.body.data.order.refundStatus, 'PENDING')
      assert.equal(ok.body.data.order.refund.destinationWalletAddressBsc, BSC_WALLET)
      assert.equal(ok.body.data.order.status, 'failed')
    })

    it('cancels the order when its invoice expires unpaid', async () => {
      const { invoice } = await checkout(api, customer(), [
        { productId: 'B0B844T634', quantity: 1 },
      ])
      clock.advance(30 * 60 * 1000 + 1000)
      const order = await eventually(
        async () =>
          (await api('GET', `/api/commerce/merchant/orders/${invoice.orderId}`)).body.data,
        (o) => o.status === 'cancelled',
        10_000,
        'order cancelled by expiry',
      )
      assert.equal(order.substatus, 'PAYMENT_EXPIRED')
      assert.equal(order.payment.status, 'expired')
      const pay = await simulate(api, invoice.orderId, { transitionTo: 'payment_confirmed' })
      assert.equal(pay.status, 400)
    })

    it('answers payment status in bulk (at most 50) and resolves orders by invoice', async () => {
      const { invoice } = await checkout(api, customer(), [
        { productId: 'B0B844T634', quantity: 1 },
      ])
      const unknown = randomUUID()
      const bulk = await api('POST', '/api/commerce/merchant/payments/bulk-status', {
        body: { orderIds: [invoice.orderId, unknown] },
      })
      assert.equal(bulk.status, 200)
      assert.deepEqual(bulk.body.data, [
        {
          orderId: invoice.orderId,
          invoiceId: invoice.invoiceId,
          status: 'unpaid',
          orderStatus: 'pending_payment',
          error: null,
        },
        {
          orderId: unknown,
          invoiceId: null,
          status: null,
          orderStatus: null,
          error: 'Order not found',
        },
      ])
      const tooMany = await api('POST', '/api/commerce/merchant/payments/bulk-status', {
        body: { orderIds: Array.from({ length: 51 }, () => randomUUID()) },
      })
      assert.equal(tooMany.status, 400)
      assert.equal(tooMany.body.error.details[0].field, 'orderIds')
      assert.equal(
        (
          await api('POST', '/api/commerce/merchant/payments/bulk-status', {
            body: { orderIds: ['nope'] },
          })
        ).status,
        400,
      )
      const payment = await api('GET', `/api/commerce/merchant/payments/${invoice.orderId}/status`)
      assert.equal(payment.body.data.status, 'unpaid')
      assert.equal(payment.body.data.paymentDetails, null)
      const byInvoice = await api(
        'GET',
        `/api/commerce/merchant/invoices/${invoice.invoiceId}/status`,
      )
      assert.equal(byInvoice.body.data.order.orderId, invoice.orderId)
      assert.equal(byInvoice.body.data.order.actions.canCancel, true)
      assert.equal(
        (await otherApi('GET', `/api/commerce/merchant/invoices/${invoice.invoiceId}/status`))
          .status,
        404,
      )
      const merchantApi = apiClient(t.url, keyHeaders(merchant.merchantKey))
      const standard = await merchantApi('POST', '/api/v1/invoices', {
        headers: { 'idempotency-key': randomUUID() },
        body: { amount_usd: 5 },
      })
      assert.equal(
        (
          await merchantApi(
            'GET',
            `/api/commerce/merchant/invoices/${standard.body.invoice_id}/status`,
          )
        ).status,
        404,
      )
    })

    it('shows a commerce key only commerce events of its environment', async () => {
      const merchantApi = apiClient(t.url, keyHeaders(merchant.merchantKey))
      const standard = await merchantApi('POST', '/api/v1/invoices', {
        headers: { 'idempotency-key': randomUUID() },
        body: { amount_usd: 5 },
      })
      const seen = await api('GET', `/api/v1/events?invoice_id=${standard.body.invoice_id}`)
      assert.deepEqual(seen.body.data.data, [])
      const commerceEvents = await api('GET', '/api/v1/events?type=commerce.order.*&limit=100')
      assert.ok(commerceEvents.body.data.data.length > 0)
      const rivalEvents = await otherApi('GET', '/api/v1/events?type=commerce.order.*&limit=100')
      assert.deepEqual(rivalEvents.body.data.data, [])
    })
  })
})
