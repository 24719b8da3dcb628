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

  /** A new merchant with one endpoint per event list; the notifications counted before the test's own writes. */
  async function merchantWithEndpoints(...enabledEvents: string[][]) {
    const m = await t.onboard()
    const api = apiClient(t.url, keyHeaders(m.merchantKey))
    const ids: string[] = []
    for (const [i, events] of enabledEvents.entries()) {
      const endpoint = await api('POST', '/api/v1/webhooks/endpoints', { body: { url: `https://hooks.example.test/${i}`, enabled_events: events } })
      assert.equal(endpoint.status, 201)
      ids.push(endpoint.body.data.id as string)
    }
    await settle()
    return { api, ids, before: notifications }
  }

  it('is not notified by events that no enabled endpoint receives', async () => {
    const { api, before } = await merchantWithEndpoints(['commerce.*'])
    await createInvoice(api)
    await createInvoice(api)
    await settle()
    assert.equal(notifications, before)
  })

  it('is notified at the commit of a statement that wrote deliveries, once per statement', async () => {
    const { api, before } = await merchantWithEndpoints(['invoice.*'], ['invoice.*'])
    await createInvoice(api)
    await until(() => notifications > before, 5_000, 'the deliveries notification')
    await settle()
    // two deliveries, one statement: Postgres folds identical notifications of a transaction
    assert.equal(notifications, before + 1)
  })

  it('is notified when a test ping writes its delivery', async () => {
    const { api, ids, before } = await merchantWithEndpoints(['commerce.*'])
    const ping = await api('POST', `/api/v1/webhooks/endpoints/${ids[0]}/test`)
    assert.ok(ping.status >= 200 && ping.status < 300, `test ping answered ${ping.status}`)
    await until(() => notifications > before, 5_000, 'the ping delivery notification')
  })
})
