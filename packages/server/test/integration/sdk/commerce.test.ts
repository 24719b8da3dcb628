import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { InvalidRequestError, NotFoundError, Pepay, PermissionError } from 'pepay'
import {
  CartResponse,
  CheckoutInvoiceResponse,
  CommerceSearchResponse,
  ListOrdersResponse,
  OrderResponse,
  PaymentStatusResponse,
} from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { recordingFetch, US_ADDRESS as ADDRESS, waitForCatalog } from './helpers.ts'

describe('SDK pepay.commerce', () => {
  let t: TestServer
  let shop: OnboardedMerchant
  let pepay: Pepay
  let product: {
    productId: string
    retailer: 'amazon' | 'walmart' | 'target' | 'ebay' | 'bestbuy' | 'other'
    title: string
    price: number
  }

  before(async () => {
    // a small sandbox catalog: enough to search, quick to seed
    t = await startTestServer({ env: { PEPAY_CATALOG_SIZE: '2000' } })
    shop = await t.onboard('Commerce Shop')
    await waitForCatalog(t.url, shop.commerceKey)
    pepay = new Pepay({ baseUrl: t.url, commerceApiKey: shop.commerceKey, maxRetries: 0 })
    const found = await pepay.commerce.search({ q: '', limit: 20 })
    const eligible = found.data.products.find((p) => p.price < 200)
    assert.ok(eligible, 'a product under $200 in the sandbox catalog')
    product = {
      productId: eligible.productId,
      retailer: eligible.retailer,
      title: eligible.title,
      price: eligible.price,
    }
  })
  after(async () => t.close())

  it('reads the service status and info, searches and reads a product and its offers', async () => {
    const status = await pepay.commerce.status()
    assert.equal(status.data.catalog.status, 'ready')
    const info = await pepay.commerce.info()
    assert.ok(info.data.retailers.length > 0)
    const search = await pepay.commerce.search({ q: product.title.split(' ')[0] ?? '', limit: 5 })
    CommerceSearchResponse.parse(search)
    assert.ok(search.data.products.length > 0)
    const details = await pepay.commerce.products.retrieve(product.productId, {
      retailer: product.retailer,
    })
    assert.equal(details.data.productId, product.productId)
    const offers = await pepay.commerce.products.offers(product.productId, { zip_code: '94105' })
    assert.equal(offers.success, true)
  })

  it('sends x-commerce-api-key only, even when a merchant key is configured too', async () => {
    const rec = recordingFetch()
    const both = new Pepay({
      baseUrl: t.url,
      apiKey: shop.merchantKey,
      commerceApiKey: shop.commerceKey,
      fetch: rec.fetch,
    })
    await both.commerce.status()
    assert.equal(rec.calls[0]?.headers['x-commerce-api-key'], shop.commerceKey)
    assert.equal(rec.calls[0]?.headers['x-api-key'], undefined)
  })

  it('accepts a commerce key given as apiKey (x-api-key)', async () => {
    const viaApiKey = new Pepay({ baseUrl: t.url, apiKey: shop.commerceKey })
    assert.equal((await viaApiKey.commerce.status()).success, true)
  })

  it('manages a cart: create, add, update, validate, totals, remove, clear', async () => {
    const identity = { customer_id: `cust_${randomUUID()}` }
    const created = await pepay.commerce.merchantCart.create(identity)
    assert.equal(created.message, 'Cart initialized')
    const added = await pepay.commerce.merchantCart.addItem({
      ...identity,
      ...product,
      quantity: 1,
    })
    assert.equal(added.data.quantity, 1)
    const again = await pepay.commerce.merchantCart.addItem({
      ...identity,
      ...product,
      quantity: 2,
    })
    assert.equal(again.data.quantity, 3)
    const cart = await pepay.commerce.merchantCart.get(identity)
    CartResponse.parse(cart)
    assert.equal(cart.data.itemCount, 3)
    await pepay.commerce.merchantCart.updateItem(added.data.itemId, { ...identity, quantity: 2 })
    const validated = await pepay.commerce.merchantCart.validate(identity)
    assert.equal(validated.success, true)
    const totals = await pepay.commerce.merchantCart.totals({ ...identity, zip_code: '94105' })
    assert.equal(totals.data.itemCount, 2)
    const removed = await pepay.commerce.merchantCart.removeItem(added.data.itemId, identity)
    assert.equal(removed.data.itemId, added.data.itemId)
    await pepay.commerce.merchantCart.addItem({ ...identity, ...product })
    const cleared = await pepay.commerce.merchantCart.clear(identity)
    assert.equal(cleared.data.itemsRemoved, 1)
  })

  it('checks out in three steps, then reads, simulates, pays and cancels orders', async () => {
    const identity = { customer_id: `cust_${randomUUID()}` }
    const estimate = await pepay.commerce.checkout.estimate({
      ...identity,
      items: [{ ...product, quantity: 1 }],
    })
    assert.equal(estimate.data.validItems.length, 1, JSON.stringify(estimate.data.invalidItems))
    const address = await pepay.commerce.checkout.address({
      ...identity,
      estimateId: estimate.data.estimateId,
      address: ADDRESS,
    })
    const invoice = await pepay.commerce.checkout.createInvoice({
      ...identity,
      estimateId: estimate.data.estimateId,
      addressId: address.data.addressId,
    })
    CheckoutInvoiceResponse.parse(invoice)
    assert.equal(invoice.data.status, 'unpaid')

    const orders = await pepay.commerce.orders.list({
      customer_id: identity.customer_id,
      limit: 10,
    })
    ListOrdersResponse.parse(orders)
    assert.deepEqual(
      orders.data.orders.map((o) => o.orderId),
      [invoice.data.orderId],
    )
    const order = await pepay.commerce.orders.retrieve(invoice.data.orderId)
    OrderResponse.parse(order)
    assert.equal(order.data.status, 'pending_payment')
    const linked = await pepay.commerce.merchantInvoices.status(invoice.data.invoiceId)
    assert.equal(linked.data.orderId, invoice.data.orderId)

    const simulated = await pepay.commerce.devnet.simulateOrder(invoice.data.orderId, {
      transitionTo: 'payment_confirmed',
    })
    assert.equal(simulated.data.order.status, 'processing')
    const paid = await pepay.commerce.payments.status(invoice.data.orderId)
    PaymentStatusResponse.parse(paid)
    assert.equal(paid.data.status, 'paid')
    const bulk = await pepay.commerce.payments.bulkStatus({
      orderIds: [invoice.data.orderId, randomUUID()],
    })
    assert.equal(bulk.data.length, 2)
    assert.equal(bulk.data[0]?.status, 'paid')
    assert.ok(bulk.data[1]?.error)

    const saved = await pepay.commerce.addresses.list({ customer_id: identity.customer_id })
    assert.equal(saved.data.addresses.length, 1)
    const addressId = saved.data.addresses[0]?.addressId ?? ''
    assert.equal((await pepay.commerce.addresses.remove(addressId, identity)).data.deleted, true)
    await assert.rejects(pepay.commerce.addresses.remove(addressId, identity), NotFoundError)
  })

  it('cancels an unpaid order once with a caller-chosen Idempotency-Key', async () => {
    const identity = { customer_id: `cust_${randomUUID()}` }
    const estimate = await pepay.commerce.checkout.estimate({
      ...identity,
      items: [{ ...product, quantity: 1 }],
    })
    const address = await pepay.commerce.checkout.address({
      ...identity,
      estimateId: estimate.data.estimateId,
      address: ADDRESS,
    })
    const invoice = await pepay.commerce.checkout.createInvoice({
      ...identity,
      estimateId: estimate.data.estimateId,
      addressId: address.data.addressId,
    })
    const idempotencyKey = randomUUID()
    const first = await pepay.commerce.orders.cancel(invoice.data.orderId, {}, { idempotencyKey })
    const replay = await pepay.commerce.orders.cancel(invoice.data.orderId, {}, { idempotencyKey })
    assert.equal(first.data.status, 'cancelled')
    assert.deepEqual(replay, first)
  })

  it('throws typed errors: PermissionError for a merchant key, InvalidRequestError without identity, NotFoundError for an unknown order', async () => {
    const merchantOnly = new Pepay({ baseUrl: t.url, apiKey: shop.merchantKey, maxRetries: 0 })
    await assert.rejects(merchantOnly.commerce.status(), PermissionError)
    await assert.rejects(
      pepay.commerce.merchantCart.get({}),
      (e: unknown) => e instanceof InvalidRequestError && e.status === 400,
    )
    await assert.rejects(pepay.commerce.orders.retrieve(randomUUID()), NotFoundError)
    const outsider = await t.onboard('Outsider')
    const identity = { customer_id: `cust_${randomUUID()}` }
    const estimate = await pepay.commerce.checkout.estimate({
      ...identity,
      items: [{ ...product, quantity: 1 }],
    })
    const address = await pepay.commerce.checkout.address({
      ...identity,
      estimateId: estimate.data.estimateId,
      address: ADDRESS,
    })
    const invoice = await pepay.commerce.checkout.createInvoice({
      ...identity,
      estimateId: estimate.data.estimateId,
      addressId: address.data.addressId,
    })
    await assert.rejects(
      pepay
        .withAuth({ commerceApiKey: outsider.commerceKey })
        .commerce.orders.retrieve(invoice.data.orderId),
      NotFoundError,
    )
  })

  it('imports catalog rows in dry-run mode', async () => {
    const result = await pepay.commerce.catalog.import({
      format: 'json',
      dryRun: true,
      products: [{ productId: 'SKU-1', title: 'Mug', price: '12.50' }],
    })
    assert.equal(result.data.dryRun, true)
    assert.equal(result.data.totalRows, 1)
  })

  it('manages commerce API keys with the dashboard token', async () => {
    const dashboard = pepay.withAuth({ bearerToken: shop.dashboardToken })
    const created = await dashboard.commerce.apiKeys.create({
      name: 'Commerce Server Key',
      expiresAt: null,
    })
    assert.equal(created.scope, 'commerce')
    const keys = await dashboard.commerce.apiKeys.list()
    assert.ok(
      keys.every((k) => k.scope === 'commerce') && keys.some((k) => k.key_id === created.key_id),
    )
    await dashboard.commerce.apiKeys.revoke(created.key_id)
    await assert.rejects(
      new Pepay({
        baseUrl: t.url,
        commerceApiKey: created.api_key,
        maxRetries: 0,
      }).commerce.status(),
      (e: unknown) => e instanceof Error && (e as { status?: number }).status === 401,
    )
  })
})
