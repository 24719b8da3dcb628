import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  apiClient,
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from '../../helpers/server.ts'

/** Products in the sandbox catalog of commerce suites: enough to search, quick to seed. */
export const TEST_CATALOG_SIZE = 2000

export type Api = ReturnType<typeof apiClient>

/** A server with the commerce module and a small sandbox catalog, ready once seeding finished. */
export async function startCommerceServer(options: TestServerOptions = {}): Promise<TestServer> {
  const t = await startTestServer({
    ...options,
    env: { PEPAY_CATALOG_SIZE: String(TEST_CATALOG_SIZE), ...options.env },
  })
  const api = apiClient(t.url)
  const merchant = await t.onboard('Catalog Probe')
  const deadline = performance.now() + 30_000
  for (;;) {
    const status = await api('GET', '/api/commerce/status', {
      headers: { 'x-commerce-api-key': merchant.commerceKey },
    })
    assert.equal(status.status, 200, JSON.stringify(status.body))
    if (status.body.data.catalog.status === 'ready') break
    assert.ok(performance.now() < deadline, 'sandbox catalog not seeded within 30 s: ' + JSON.stringify(status.body.data.catalog))
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return t
}

export function commerceApi(t: TestServer, commerceKey: string): Api {
  return apiClient(t.url, { 'x-commerce-api-key': commerceKey })
}

export const ADDRESS = {
  first_name: 'Jane',
  last_name: 'Doe',
  street_address: '123 Main St',
  address_line2: 'Apt 4B',
  city: 'Miami',
  state: 'FL',
  zip_code: '33101',
  country: 'US',
  phone: '+13055550123',
  email: 'jane@example.com',
}

/** Steps 1–3 for a list of items; returns every response body. */
export async function checkout(
  api: Api,
  identity: Record<string, string>,
  items: { productId: string; quantity: number; retailer?: string; price?: number }[],
  extra: { refundDestinationWalletAddressBsc?: string; address?: Record<string, string> } = {},
) {
  const estimate = await api('POST', '/api/commerce/merchant/checkout/estimate', {
    body: { ...identity, items },
  })
  assert.equal(estimate.status, 200, JSON.stringify(estimate.body))
  const address = await api('POST', '/api/commerce/merchant/checkout/address', {
    body: {
      ...identity,
      estimateId: estimate.body.data.estimateId,
      address: extra.address ?? ADDRESS,
    },
  })
  assert.equal(address.status, 200, JSON.stringify(address.body))
  const invoice = await api('POST', '/api/commerce/merchant/checkout/invoice', {
    headers: { 'idempotency-key': randomUUID() },
    body: {
      ...identity,
      estimateId: estimate.body.data.estimateId,
      addressId: address.body.data.addressId,
      ...(extra.refundDestinationWalletAddressBsc && {
        refundDestinationWalletAddressBsc: extra.refundDestinationWalletAddressBsc,
      }),
    },
  })
  assert.equal(invoice.status, 201, JSON.stringify(invoice.body))
  return { estimate: estimate.body.data, address: address.body.data, invoice: invoice.body.data }
}

export async function simulate(api: Api, orderId: string, body: Record<string, unknown>) {
  return api('POST', `/api/commerce/devnet/orders/${orderId}/simulate`, { body })
}

/** Polls until `check` passes or the deadline passes (workers run asynchronously). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
  label = 'condition',
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  let last = await read()
  while (!check(last)) {
    if (performance.now() > deadline)
      assert.fail(`${label} not reached within ${timeoutMs} ms; last: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    last = await read()
  }
  return last
}
