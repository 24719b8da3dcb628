import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@pepay/core'
import { sql } from 'kysely'
import { eventually } from '../../helpers/chain.ts'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { CREDENTIAL_CACHE_TTL_MS } from '../../../src/modules/merchants/api-key.service.ts'
import { CREDENTIALS_CHANNEL, updateMerchant } from '../../../src/modules/merchants/merchant.repo.ts'

/**
 * Auth keeps a resolved key and its merchant in memory for a few seconds; these cases use a key
 * (so it is cached), change it, and expect the very next request to see the change.
 */
describe('API key authentication cache', () => {
  const clock = new FakeClock(Date.UTC(2026, 9, 1))
  let t: TestServer

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
  })
  after(async () => t.close())

  async function freshKey(options: { grantMainnet?: boolean; expiresAt?: string } = {}) {
    const merchant = await t.onboard(undefined, { grantMainnet: options.grantMainnet ?? false })
    const dashboard = apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })
    const body: Record<string, unknown> = { name: 'cached', scope: 'merchant', ...(options.grantMainnet && { environment: 'mainnet' }) }
    if (options.expiresAt) body['expires_at'] = options.expiresAt
    const created = await dashboard('POST', '/api/v1/api-keys', { body })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    const api = apiClient(t.url, keyHeaders(created.body.api_key as string))
    const warm = await api('GET', '/api/v1/invoices')
    assert.equal(warm.status, 200, JSON.stringify(warm.body))
    return { merchant, dashboard, api, keyId: created.body.key_id as string }
  }

  it('refuses a cached key on the next request once it is revoked', async () => {
    const { dashboard, api, keyId } = await freshKey()
    const revoke = await dashboard('POST', `/api/v1/api-keys/${keyId}/revoke`)
    assert.equal(revoke.status, 200)
    const res = await api('GET', '/api/v1/invoices')
    assert.equal(res.status, 401)
    assert.equal(res.body.error.code, 'API_KEY_REVOKED')
  })

  it('refuses a cached key on the next request once its merchant is suspended', async () => {
    const { merchant, api } = await freshKey()
    await updateMerchant(t.server.deps.db, merchant.merchant.id, { status: 'suspended' }, clock.now())
    const res = await api('GET', '/api/v1/invoices')
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'MERCHANT_SUSPENDED')
  })

  it('refuses a cached mainnet key on the next request once mainnet access is withdrawn', async () => {
    const { merchant, api } = await freshKey({ grantMainnet: true })
    await updateMerchant(t.server.deps.db, merchant.merchant.id, { hasMainnetAccess: false }, clock.now())
    const res = await api('GET', '/api/v1/invoices')
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'MAINNET_ACCESS_REQUIRED')
  })

  it('judges expiry against the clock on every request, cached or not', async () => {
    const { api } = await freshKey({ expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() })
    clock.advance(61_000)
    const res = await api('GET', '/api/v1/invoices')
    assert.equal(res.status, 401)
    assert.equal(res.body.error.code, 'API_KEY_EXPIRED')
  })

  /**
   * Writes another process makes (plain SQL here: nothing in this process learns of them) reach
   * the cache through the database's NOTIFY, well inside the cache's lifetime.
   */
  const untilStatus = (api: ReturnType<typeof apiClient>, status: number) =>
    eventually(() => api('GET', '/api/v1/invoices'), (res) => res.status === status, CREDENTIAL_CACHE_TTL_MS / 2, `HTTP ${status}`)

  it('refuses a cached key soon after another process revokes it', async () => {
    const { api, keyId } = await freshKey()
    await sql`UPDATE api_key SET status = 'revoked', revoked_at = now() WHERE id = ${keyId}`.execute(t.server.deps.db)
    const res = await untilStatus(api, 401)
    assert.equal(res.status, 401, 'still accepted half a cache lifetime after the revocation')
    assert.equal(res.body.error.code, 'API_KEY_REVOKED')
  })

  it('refuses a cached key soon after another process suspends its merchant', async () => {
    const { merchant, api } = await freshKey()
    await sql`UPDATE merchant SET status = 'suspended' WHERE id = ${merchant.merchant.id.toString()}`.execute(t.server.deps.db)
    const res = await untilStatus(api, 403)
    assert.equal(res.status, 403, 'still accepted half a cache lifetime after the suspension')
    assert.equal(res.body.error.code, 'MERCHANT_SUSPENDED')
  })

  it('announces key and merchant writes but not usage flushes', async () => {
    const { keyId } = await freshKey()
    const heard: string[] = []
    const unlisten = await t.server.deps.database.listen(CREDENTIALS_CHANNEL, (payload) => heard.push(payload))
    try {
      // the warm-up request's usage, written as the flusher does
      await t.server.deps.keyUsage.flush()
      await sql`UPDATE api_key SET last_used_at = now() WHERE id = ${keyId}`.execute(t.server.deps.db)
      await sql`UPDATE api_key SET status = 'suspended' WHERE id = ${keyId}`.execute(t.server.deps.db)
      for (let i = 0; i < 200 && heard.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10))
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.deepEqual(heard, ['api_key'])
    } finally {
      await unlisten()
    }
  })
})
