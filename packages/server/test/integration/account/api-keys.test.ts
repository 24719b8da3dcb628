import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

const LISTED_KEYS = [
  'created_at',
  'environment',
  'expires_at',
  'key_hint',
  'key_id',
  'last_used_at',
  'name',
  'revoked_at',
  'revoked_reason',
  'scope',
  'status',
]

interface ListedKey {
  key_id: string
  name: string
  scope: string
  environment: string
  key_hint: string
  status: string
  last_used_at: number | null
  created_at: number
  expires_at: number | null
  revoked_at: number | null
  revoked_reason: string | null
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000)

describe('/api/v1/api-keys', () => {
  const clock = new FakeClock(Date.UTC(2026, 9, 1))
  let t: TestServer
  let merchant: OnboardedMerchant
  let dashboard: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
    merchant = await t.onboard('Keys Merchant', { grantMainnet: true })
    dashboard = apiClient(t.url, { authorization: `Bearer ${merchant.dashboardToken}` })
  })
  after(async () => t.close())

  async function listKeys(query = ''): Promise<ListedKey[]> {
    const res = await dashboard('GET', `/api/v1/api-keys${query}`)
    assert.equal(res.status, 200, JSON.stringify(res.body))
    return res.body as ListedKey[]
  }

  describe('POST /api/v1/api-keys', () => {
    const prefixes: [string, string, string][] = [
      ['merchant', 'devnet', 'pk_test_'],
      ['commerce', 'devnet', 'ck_test_'],
      ['merchant', 'mainnet', 'pk_live_'],
      ['commerce', 'mainnet', 'ck_live_'],
    ]
    for (const [scope, environment, prefix] of prefixes) {
      it(`creates a ${environment} ${scope} key prefixed ${prefix} and shows it once`, async () => {
        const res = await dashboard('POST', '/api/v1/api-keys', {
          body: { name: `${scope} ${environment}`, scope, environment },
        })
        assert.equal(res.status, 201, JSON.stringify(res.body))
        assert.deepEqual(Object.keys(res.body).sort(), [
          'api_key',
          'environment',
          'expires_at',
          'key_id',
          'name',
          'scope',
        ])
        assert.equal(res.body.scope, scope)
        assert.equal(res.body.environment, environment)
        assert.equal(res.body.expires_at, null)
        assert.ok(res.body.api_key.startsWith(prefix), res.body.api_key)
        assert.ok(res.body.api_key.length >= prefix.length + 40, 'at least 32 random bytes')
        const listed = (await listKeys()).find((k) => k.key_id === res.body.key_id)
        assert.ok(listed)
        assert.equal(listed.key_hint, `${prefix}…${res.body.api_key.slice(-4)}`)
        assert.equal(listed.status, 'active')
      })
    }

    it('defaults the environment to the merchant current environment', async () => {
      const res = await dashboard('POST', '/api/v1/api-keys', {
        body: { name: 'default env', scope: 'merchant' },
      })
      assert.equal(res.status, 201)
      assert.equal(res.body.environment, 'devnet')
      assert.ok(res.body.api_key.startsWith('pk_test_'))
      const works = await apiClient(t.url, keyHeaders(res.body.api_key))('GET', '/api/v1/invoices')
      assert.equal(works.status, 200)
    })

    it('accepts expires_at as epoch seconds or an ISO date-time and answers it in epoch seconds', async () => {
      const at = new Date(clock.now().getTime() + 86_400_000)
      const bySeconds = await dashboard('POST', '/api/v1/api-keys', {
        body: { name: 'sec', scope: 'merchant', expires_at: seconds(at) },
      })
      assert.equal(bySeconds.status, 201)
      assert.equal(bySeconds.body.expires_at, seconds(at))
      const byIso = await dashboard('POST', '/api/v1/api-keys', {
        body: { name: 'iso', scope: 'merchant', expires_at: at.toISOString() },
      })
      assert.equal(byIso.status, 201)
      assert.equal(byIso.body.expires_at, seconds(at))
    })

    const invalid: [string, unknown, string][] = [
      ['a missing name', { scope: 'merchant' }, 'name'],
      ['an empty name', { name: '', scope: 'merchant' }, 'name'],
      ['a 256-character name', { name: 'n'.repeat(256), scope: 'merchant' }, 'name'],
      ['a missing scope', { name: 'x' }, 'scope'],
      ['an unknown scope', { name: 'x', scope: 'admin' }, 'scope'],
      [
        'an unknown environment',
        { name: 'x', scope: 'merchant', environment: 'testnet' },
        'environment',
      ],
      [
        'an expires_at in the past',
        { name: 'x', scope: 'merchant', expires_at: 1_000_000 },
        'expires_at',
      ],
      [
        'an expires_at that is not a date',
        { name: 'x', scope: 'merchant', expires_at: 'tomorrow' },
        'expires_at',
      ],
      ['a negative expires_at', { name: 'x', scope: 'merchant', expires_at: -5 }, 'expires_at'],
      ['an unknown field', { name: 'x', scope: 'merchant', permissions: ['all'] }, 'permissions'],
    ]
    for (const [label, body, field] of invalid) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label} and creates nothing`, async () => {
        const before = (await listKeys()).length
        const res = await dashboard('POST', '/api/v1/api-keys', { body })
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error.details),
        )
        assert.equal((await listKeys()).length, before)
      })
    }

    it('never stores the plaintext key, even when the request carries an Idempotency-Key', async () => {
      const res = await dashboard('POST', '/api/v1/api-keys', {
        headers: { 'idempotency-key': randomUUID() },
        body: { name: 'hash only', scope: 'merchant' },
      })
      assert.equal(res.status, 201)
      const secret: string = res.body.api_key
      const secretPart = secret.slice('pk_test_'.length)
      const db = t.server.deps.db
      const keyRows = await db.selectFrom('api_key').selectAll().execute()
      const idempotencyRows = await db.selectFrom('idempotency_key').selectAll().execute()
      for (const [table, rows] of [
        ['api_key', keyRows],
        ['idempotency_key', idempotencyRows],
      ] as const) {
        const dump = JSON.stringify(rows, (_k, v: unknown) =>
          typeof v === 'bigint' ? v.toString() : v,
        )
        assert.equal(dump.includes(secretPart), false, `plaintext key found in ${table}`)
      }
    })
  })

  describe('GET /api/v1/api-keys', () => {
    it('lists every key masked, newest first, with no plaintext anywhere', async () => {
      const created = await dashboard('POST', '/api/v1/api-keys', {
        body: { name: 'masked', scope: 'commerce' },
      })
      const res = await dashboard('GET', '/api/v1/api-keys')
      assert.equal(res.status, 200)
      assert.ok(Array.isArray(res.body))
      const text = JSON.stringify(res.body)
      for (const key of [
        created.body.api_key,
        merchant.merchantKey,
        merchant.commerceKey,
        merchant.mainnetMerchantKey ?? '',
      ]) {
        assert.equal(text.includes(key.slice(8, 20)), false, 'a plaintext fragment leaked')
      }
      for (const key of res.body as ListedKey[]) {
        assert.deepEqual(Object.keys(key).sort(), LISTED_KEYS)
        assert.match(key.key_hint, /^(pk|ck)_(test|live)_….{4}$/)
      }
      const createdAt = (res.body as ListedKey[]).map((k) => k.created_at)
      assert.deepEqual(
        createdAt,
        [...createdAt].sort((a, b) => b - a),
      )
    })

    it('filters by scope and environment', async () => {
      const commerce = await listKeys('?scope=commerce')
      assert.ok(commerce.length > 0 && commerce.every((k) => k.scope === 'commerce'))
      const mainnet = await listKeys('?environment=mainnet')
      assert.ok(mainnet.length > 0 && mainnet.every((k) => k.environment === 'mainnet'))
      const both = await listKeys('?scope=merchant&environment=mainnet')
      assert.ok(both.every((k) => k.scope === 'merchant' && k.environment === 'mainnet'))
      for (const query of ['?scope=admin', '?environment=prod', '?status=active']) {
        const res = await dashboard('GET', `/api/v1/api-keys${query}`)
        assert.equal(res.status, 400, query)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      }
    })

    it('records last_used_at after a key is used, without a write per request', async () => {
      const created = await dashboard('POST', '/api/v1/api-keys', {
        body: { name: 'usage', scope: 'merchant' },
      })
      const before = (await listKeys()).find((k) => k.key_id === created.body.key_id)
      assert.equal(before?.last_used_at, null)
      clock.advance(30_000)
      const usedAt = seconds(clock.now())
      const key = apiClient(t.url, keyHeaders(created.body.api_key))
      for (let i = 0; i < 5; i += 1)
        assert.equal((await key('GET', '/api/v1/invoices')).status, 200)
      const unflushed = (await listKeys()).find((k) => k.key_id === created.body.key_id)
      assert.equal(unflushed?.last_used_at, null, 'usage is batched, not written per request')
      await t.server.deps.keyUsage.flush()
      const after = (await listKeys()).find((k) => k.key_id === created.body.key_id)
      assert.equal(after?.last_used_at, usedAt)
      // an older touch never moves it backwards
      clock.advance(-10_000)
      await key('GET', '/api/v1/invoices')
      await t.server.deps.keyUsage.flush()
      clock.advance(10_000)
      const still = (await listKeys()).find((k) => k.key_id === created.body.key_id)
      assert.equal(still?.last_used_at, usedAt)
    })
  })

  describe('POST /api/v1/api-keys/{keyId}/revoke', () => {
    for (const path of ['/api/v1/api-keys', '/api/v1/merchant-api-keys']) {
      it(`revokes a key through ${path}/{keyId}/revoke and the key stops working`, async () => {
        const created = await dashboard('POST', '/api/v1/api-keys', {
          body: { name: 'doomed', scope: 'merchant' },
        })
        const key = apiClient(t.url, keyHeaders(created.body.api_key))
        assert.equal((await key('GET', '/api/v1/invoices')).status, 200)
        clock.advance(1_000)
        const res = await dashboard('POST', `${path}/${created.body.key_id}/revoke`, {
          body: { reason: 'leaked in a log' },
        })
        assert.equal(res.status, 200)
        assert.deepEqual(res.body, { message: 'API key revoked successfully' })
        const refused = await key('GET', '/api/v1/invoices')
        assert.equal(refused.status, 401)
        assert.equal(refused.body.error.code, 'API_KEY_REVOKED')
        const listed = (await listKeys()).find((k) => k.key_id === created.body.key_id)
        assert.equal(listed?.status, 'revoked')
        assert.equal(listed?.revoked_at, seconds(clock.now()))
        assert.equal(listed?.revoked_reason, 'leaked in a log')
      })
    }

    it('keeps the first revocation time and reason when revoked again', async () => {
      const created = await dashboard('POST', '/api/v1/api-keys', {
        body: { name: 'twice', scope: 'commerce' },
      })
      await dashboard('POST', `/api/v1/api-keys/${created.body.key_id}/revoke`)
      const firstAt = seconds(clock.now())
      clock.advance(5_000)
      const again = await dashboard('POST', `/api/v1/api-keys/${created.body.key_id}/revoke`, {
        body: { reason: 'later' },
      })
      assert.equal(again.status, 200)
      const listed = (await listKeys()).find((k) => k.key_id === created.body.key_id)
      assert.equal(listed?.revoked_at, firstAt)
      assert.equal(listed?.revoked_reason, 'later')
    })

    it('answers 404 for an unknown key and 400 for a malformed key id', async () => {
      const unknown = await dashboard('POST', `/api/v1/api-keys/${randomUUID()}/revoke`)
      assert.equal(unknown.status, 404)
      assert.equal(unknown.body.error.code, 'NOT_FOUND')
      const malformed = await dashboard('POST', '/api/v1/api-keys/key_123/revoke')
      assert.equal(malformed.status, 400)
      assert.equal(malformed.body.error.details[0].field, 'keyId')
    })
  })

  describe('active key limit', () => {
    it('allows 25 active keys, refuses the 26th with 403 KEY_LIMIT_REACHED, and frees a slot on revoke', async () => {
      const fresh = await t.onboard('Limit Merchant')
      const api = apiClient(t.url, { authorization: `Bearer ${fresh.dashboardToken}` })
      // onboarding created two active keys
      const ids: string[] = []
      for (let i = 0; i < 23; i += 1) {
        const res = await api('POST', '/api/v1/api-keys', {
          body: { name: `key ${i}`, scope: i % 2 === 0 ? 'merchant' : 'commerce' },
        })
        assert.equal(res.status, 201, `key ${i}: ${JSON.stringify(res.body)}`)
        ids.push(res.body.key_id)
      }
      const refused = await api('POST', '/api/v1/api-keys', {
        body: { name: 'one too many', scope: 'merchant' },
      })
      assert.equal(refused.status, 403)
      assert.equal(refused.body.error.code, 'KEY_LIMIT_REACHED')
      const listed = await api('GET', '/api/v1/api-keys')
      assert.equal(listed.body.length, 25)
      assert.equal((await api('POST', `/api/v1/api-keys/${ids[0]}/revoke`)).status, 200)
      const accepted = await api('POST', '/api/v1/api-keys', {
        body: { name: 'replacement', scope: 'merchant' },
      })
      assert.equal(accepted.status, 201)
    })
  })
})
