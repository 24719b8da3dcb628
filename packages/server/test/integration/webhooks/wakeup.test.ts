import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { until } from '../../helpers/wait.ts'
import { WEBHOOK_DELIVERIES_CHANNEL } from '../../../src/modules/events/event.repo.ts'
import { webhooksExtension } from '../../../src/modules/webhooks/index.ts'

describe('webhook deliveries channel', () => {
  let t: TestServer
  let notifications = 0
  let unlisten: () => Promise<void>

  before(async () => {
    // the routes without a worker: nothing here claims the deliveries
    t = await startTestServer({ extensions: [webhooksExtension({ runWorker: false, resolve: async () => ['93.184.216.34'] })] })
    unlisten = await t.server.deps.database.listen(WEBHOOK_DELIVERIES_CHANNEL, () => {
      notifications += 1
    })
  })
  after(async () => {
    await unlisten()
    await t.close()
  })

  const createInvoice = async (api: ReturnType<typeof apiClient>) => {
    const res = await api('POST', '/api/v1/invoices', { headers: { 'idempotency-key': randomUUID() }, body: { amount_usd: '3.00' } })
    assert.equal(res.status, 201)
  }

  /** Waits long enough for a notification sent at commit to have arrived. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 150))

  it('is not notified by events that no enabled endpoint receives', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    // one endpoint, for other events only
    const other = await api('POST', '/api/v1/webhooks/endpoints', { body: { url: 'https://hooks.example.test/a', enabled_events: ['commerce.*'] } })
    assert.equal(other.status, 201)
    await settle()
    const before = notifications
    await createInvoice(api)
    await createInvoice(api)
    await settle()
    assert.equal(notifications, before)
  })

  it('is notified at the commit of a statement that wrote deliveries, once per statement', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    for (const url of ['https://hooks.example.test/1', 'https://hooks.example.test/2']) {
      const endpoint = await api('POST', '/api/v1/webhooks/endpoints', { body: { url, enabled_events: ['invoice.*'] } })
      assert.equal(endpoint.status, 201)
    }
    await settle()
    const before = notifications
    await createInvoice(api)
    await until(() => notifications > before, 5_000, 'the deliveries notification')
    await settle()
    // two deliveries, one statement: Postgres folds identical notifications of a transaction
    assert.equal(notifications, before + 1)
  })

  it('is notified when a test ping writes its delivery', async () => {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const endpoint = await api('POST', '/api/v1/webhooks/endpoints', { body: { url: 'https://hooks.example.test/ping', enabled_events: ['commerce.*'] } })
    assert.equal(endpoint.status, 201)
    await settle()
    const before = notifications
    const ping = await api('POST', `/api/v1/webhooks/endpoints/${endpoint.body.data.id}/test`)
    assert.ok(ping.status >= 200 && ping.status < 300, `test ping answered ${ping.status}`)
    await until(() => notifications > before, 5_000, 'the ping delivery notification')
  })
})
