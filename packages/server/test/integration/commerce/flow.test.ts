import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { apiClient, keyHeaders, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { WsProbe, wsUrl } from '../realtime/ws-probe.ts'
import { checkout, commerceApi, simulate, startCommerceServer, type Api } from './harness.ts'

const PAYER = '0x00000000000000000000000000000000000000a1'

describe('commerce flow through real HTTP (search → cart → checkout → simulator → delivered)', () => {
  let t: TestServer
  let merchant: OnboardedMerchant
  let api: Api
  let merchantApi: Api

  before(async () => {
    t = await startCommerceServer()
    merchant = await t.onboard('Flow Shop')
    api = commerceApi(t, merchant.commerceKey)
    merchantApi = apiClient(t.url, keyHeaders(merchant.merchantKey))
  })
  after(async () => t.close())

  it('takes an order from search to delivered with one event per transition', async () => {
    const search = await api('GET', '/api/commerce/search?q=wireless%20headphones&limit=10')
    assert.equal(search.status, 200)
    assert.ok(search.body.data.products.length > 0)
    let chosen: { productId: string; retailer: string; title: string; price: number } | undefined
    for (const p of search.body.data.products) {
      const offers = await api('GET', `/api/commerce/products/${p.productId}/offers`)
      assert.equal(offers.status, 200)
      if (offers.body.data.offers.some((o: { eligible: boolean }) => o.eligible)) {
        chosen = p
        break
      }
    }
    assert.ok(chosen, 'an eligible headphone')
    assert.match(chosen.title, /headphone/i)

    const identity = { customer_id: `cust_${randomUUID()}` }
    const added = await api('POST', '/api/commerce/merchant/carts/items', {
      body: {
        ...identity,
        productId: chosen.productId,
        retailer: chosen.retailer,
        title: chosen.title,
        price: chosen.price,
        quantity: 2,
      },
    })
    assert.equal(added.status, 200, JSON.stringify(added.body))
    assert.equal(added.body.message, 'Item added to cart')

    const estimate = await api('POST', '/api/commerce/merchant/checkout/estimate', {
      body: { ...identity, useCart: true },
    })
    assert.equal(estimate.status, 200, JSON.stringify(estimate.body))
    const e = estimate.body.data
    assert.equal(e.validItems.length, 1)
    assert.equal(e.validItems[0].quantity, 2)
    assert.equal(e.expiresAt - e.createdAt, 15 * 60)
    assert.equal(
      e.pricing.total,
      Number((e.pricing.subtotal + e.pricing.shipping + e.pricing.fees.total).toFixed(2)),
    )

    const address = await api('POST', '/api/commerce/merchant/checkout/address', {
      body: {
        ...identity,
        estimateId: e.estimateId,
        address: {
          first_name: 'jane',
          last_name: 'DOE',
          street_address: '123 main st',
          city: 'miami',
          state: 'florida',
          zip_code: '33101',
          country: 'USA',
          phone: '(305) 555-0123',
          email: 'Jane@Example.com',
        },
      },
    })
    assert.equal(address.status, 200, JSON.stringify(address.body))
    assert.deepEqual(address.body.data.standardized, {
      first_name: 'Jane',
      last_name: 'Doe',
      street_address: '123 Main St',
      address_line2: '',
      city: 'Miami',
      state: 'FL',
      zip_code: '33101',
      country: 'US',
      phone: '+13055550123',
      email: 'jane@example.com',
    })
    assert.equal(address.body.data.tax.rate, 6)

    const invoice = await api('POST', '/api/commerce/merchant/checkout/invoice', {
      headers: { 'idempotency-key': randomUUID() },
      body: { ...identity, estimateId: e.estimateId, addressId: address.body.data.addressId },
    })
    assert.equal(invoice.status, 201, JSON.stringify(invoice.body))
    const inv = invoice.body.data
    assert.equal(inv.status, 'unpaid')
    assert.equal(inv.amount, address.body.data.total)
    assert.equal(inv.payment_session_headers['x-session-token'], inv.session)
    assert.ok(inv.invoiceUrl.includes('/pay?session='))
    assert.equal(inv.endpoints.checkOrder, `/api/commerce/merchant/orders/${inv.orderId}`)

    const rawInvoice = await merchantApi('GET', `/api/v1/invoices/${inv.invoiceId}`)
    assert.equal(rawInvoice.body.invoice_type, 'commerce')
    assert.equal(rawInvoice.body.commerce_order_id, inv.orderId)
    assert.equal(rawInvoice.body.expires_at - rawInvoice.body.created_at, 30 * 60)

    let order = await api('GET', `/api/commerce/merchant/orders/${inv.orderId}`)
    assert.equal(order.body.data.status, 'pending_payment')
    assert.equal(order.body.data.actions.canCancel, true)

    const steps: [string, Record<string, unknown>, string, string | null][] = [
      [
        'payment_confirmed',
        { walletNetwork: 'bsc', walletAddress: PAYER },
        'processing',
        'AWAITING_SETTLEMENT',
      ],
      ['payment_settled', {}, 'processing', 'PROVIDER_PLACEMENT_SUBMITTED'],
      ['placed', {}, 'placed', 'AWAITING_TRACKING'],
      [
        'shipped',
        { tracking: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784' } },
        'shipped',
        'IN_TRANSIT',
      ],
      ['delivery_confirmed', {}, 'delivered', null],
    ]
    for (const [transitionTo, extra, status, substatus] of steps) {
      const res = await simulate(api, inv.orderId, { transitionTo, ...extra })
      assert.equal(res.status, 200, `${transitionTo}: ${JSON.stringify(res.body)}`)
      assert.equal(res.body.data.order.status, status, transitionTo)
      assert.equal(res.body.data.order.substatus, substatus, transitionTo)
    }

    order = await api('GET', `/api/commerce/merchant/orders/${inv.orderId}`)
    const snapshot = order.body.data
    assert.deepEqual(
      snapshot.timeline.map((x: { status: string }) => x.status),
      ['pending_payment', 'processing', 'processing', 'placed', 'shipped', 'delivered'],
    )
    assert.equal(snapshot.timeline[1].message, 'Payment received, processing order')
    assert.equal(snapshot.timeline[3].message, 'Order placed with retailer')
    assert.equal(snapshot.payment.status, 'paid')
    assert.equal(snapshot.payment.settlement.status, 'settled')
    assert.equal(snapshot.fulfillment.shipments.length, 1)
    assert.equal(snapshot.fulfillment.shipments[0].trackingNumber, '1Z999AA10123456784')
    assert.equal(snapshot.fulfillment.shipments[0].deliveryStatus, 'Delivered')
    assert.equal(snapshot.lineItems[0].quantity, 2)
    assert.equal(snapshot.actions.canCancel, false)
    assert.equal(snapshot.refund.destinationWalletAddressBsc, PAYER)

    const payment = await api('GET', `/api/commerce/merchant/payments/${inv.orderId}/status`)
    assert.equal(payment.body.data.status, 'paid')
    assert.equal(payment.body.data.orderStatus, 'delivered')
    assert.equal(payment.body.data.paymentDetails.walletAddress, PAYER)
    assert.equal(payment.body.data.paymentDetails.network, 'bsc')

    const byInvoice = await merchantApi(
      'GET',
      `/api/commerce/merchant/invoices/${inv.invoiceId}/status`,
    )
    assert.equal(byInvoice.status, 200, JSON.stringify(byInvoice.body))
    assert.equal(byInvoice.body.data.orderId, inv.orderId)

    const events = await api('GET', `/api/v1/events?order_id=${inv.orderId}&limit=100`)
    assert.equal(events.status, 200)
    const types = (
      events.body.data.data as { type: string; data: { object: { status: string } } }[]
    )
      .map((x) => `${x.type}:${x.data.object.status}`)
      .reverse()
    assert.deepEqual(
      types.filter((x) => x.startsWith('commerce.')),
      [
        'commerce.order.created:pending_payment',
        'commerce.order.updated:processing',
        'commerce.order.updated:processing',
        'commerce.order.updated:placed',
        'commerce.order.updated:shipped',
        'commerce.order.updated:delivered',
      ],
    )
    assert.ok(types.includes('invoice.updated:paid'), types.join(','))
    // each update names the status and substatus it replaced, and nothing that stayed
    const orderEvents = (
      events.body.data.data as {
        type: string
        data: {
          object: { status: string; substatus: string | null }
          previous_attributes?: Record<string, unknown>
        }
      }[]
    )
      .filter((x) => x.type.startsWith('commerce.order.'))
      .reverse()
    for (const [i, event] of orderEvents.entries()) {
      const prior = orderEvents[i - 1]
      if (!prior) continue
      const expected: Record<string, unknown> = {}
      if (prior.data.object.status !== event.data.object.status)
        expected['status'] = prior.data.object.status
      if (prior.data.object.substatus !== event.data.object.substatus)
        expected['substatus'] = prior.data.object.substatus
      assert.deepEqual(event.data.previous_attributes, expected, `${event.type} #${i}`)
    }
    assert.equal(orderEvents[1]?.data.previous_attributes?.['status'], 'pending_payment')
    const created = (
      events.body.data.data as { type: string; data: { object: Record<string, unknown> } }[]
    ).find((x) => x.type === 'commerce.order.created')
    assert.equal(created?.data.object['object'], 'commerce_order')
    assert.equal(created?.data.object['id'], inv.orderId)
    assert.equal(created?.data.object['invoice_id'], inv.invoiceId)

    // the cart is left as it was
    const cart = await api(
      'GET',
      `/api/commerce/merchant/carts?customer_id=${identity.customer_id}`,
    )
    assert.equal(cart.body.data.items.length, 1)
  })

  it('streams the order’s events on the commerce WebSocket, filtered by order and scoped to the merchant', async () => {
    const { invoice } = await checkout(api, { customer_id: `cust_${randomUUID()}` }, [
      { productId: 'B0B844T634', quantity: 1 },
    ])
    const probe = await WsProbe.connect(
      wsUrl(t.url, '/ws/commerce/events', { order_id: invoice.orderId, types: 'commerce.order.*' }),
      { 'x-commerce-api-key': merchant.commerceKey },
    )
    const rival = await t.onboard('Rival Listener')
    const rivalProbe = await WsProbe.connect(
      wsUrl(t.url, '/ws/commerce/events', { types: 'commerce.order.*' }),
      { 'x-commerce-api-key': rival.commerceKey },
    )
    try {
      await simulate(api, invoice.orderId, { transitionTo: 'payment_confirmed' })
      await simulate(api, invoice.orderId, { transitionTo: 'placed' })
      const events = (
        frames: {
          object: string
          type: string
          data: { object: { status: string; id: string } }
        }[],
      ) => frames.filter((f) => f.object === 'event' && f.type === 'commerce.order.updated')
      await probe.waitFor((frames) => events(frames).length >= 2, 10_000, 'two order updates')
      assert.deepEqual(
        events(probe.frames).map((f) => f.data.object.status),
        ['processing', 'placed'],
      )
      assert.ok(events(probe.frames).every((f) => f.data.object.id === invoice.orderId))
      assert.deepEqual(events(rivalProbe.frames), [])
    } finally {
      probe.ws.close()
      rivalProbe.ws.close()
    }
  })

  it('replays the checkout invoice for a reused Idempotency-Key and creates one order', async () => {
    const identity = { customer_id: `cust_${randomUUID()}` }
    const { estimate, address } = await checkout(api, identity, [
      { productId: 'B08N5WRWNW', quantity: 1 },
    ])
    const key = randomUUID()
    const body = { ...identity, estimateId: estimate.estimateId, addressId: address.addressId }
    const first = await api('POST', '/api/commerce/merchant/checkout/invoice', {
      headers: { 'idempotency-key': key },
      body,
    })
    const second = await api('POST', '/api/commerce/merchant/checkout/invoice', {
      headers: { 'idempotency-key': key },
      body,
    })
    assert.equal(first.status, 201)
    assert.equal(second.status, 201)
    assert.equal(second.headers.get('idempotency-replayed'), 'true')
    assert.equal(second.body.data.orderId, first.body.data.orderId)
    const list = await api(
      'GET',
      `/api/commerce/merchant/orders?customer_id=${identity.customer_id}`,
    )
    // one from checkout() above, one from the replayed key
    assert.equal(list.body.data.pagination.count, 2)
  })
})
