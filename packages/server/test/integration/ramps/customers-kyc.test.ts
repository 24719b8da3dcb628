import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@pepay/core'
import { signSandboxPayload, SANDBOX_KYC_SIGNATURE_HEADER } from '../../../src/providers/kyc/sandbox/sandbox-kyc.ts'
import { inboxCounts } from '../../../src/modules/ramps/kyc/kyc.repo.ts'
import { loadRampSecret } from '../../../src/modules/ramps/ramp-secret.repo.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { drainWorkers, merchantApi, post, testRampsExtension, verifyKyc, type Api, type Runtime } from './ramps-helpers.ts'

let t: TestServer
let api: Api
let other: Api
let rt: Runtime
const clock = new FakeClock(Date.UTC(2026, 0, 5, 12))

before(async () => {
  const ramps = testRampsExtension()
  t = await startTestServer({ clock, extensions: [ramps.extension] })
  rt = ramps.runtime()
  api = merchantApi(t, (await t.onboard('Ramp Shop')).merchantKey)
  other = merchantApi(t, (await t.onboard('Other Shop')).merchantKey)
})
after(async () => t.close())

async function newCustomer(body: Record<string, unknown> = {}) {
  const res = await post(api, '/api/v1/ramps/customers', { type: 'individual', first_name: 'Bea', last_name: 'Tester', country: 'FR', ...body })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

describe('POST /api/v1/ramps/customers', () => {
  it('creates an active, screened customer with KYC not started and emits ramp.customer.created', async () => {
    const customer = await newCustomer({ reference: 'user-42', birth_date: '1990-04-01', metadata: { tier: 'gold' } })
    assert.equal(customer.object, 'ramp_customer')
    assert.equal(customer.status, 'active')
    assert.equal(customer.birth_date, '1990-04-01')
    assert.equal((await api('GET', `/api/v1/ramps/customers/${customer.id}`)).body.birth_date, '1990-04-01')
    assert.deepEqual(customer.screening, { status: 'clear', reason: null })
    assert.deepEqual(customer.kyc, { status: 'not_started', level: null, approved_until: null, limits: null })
    const events = await api('GET', `/api/v1/events?type=ramp.customer.created&customer_id=${customer.id}`)
    assert.equal(events.body.data.data.length, 1)
    assert.equal(events.body.data.data[0].data.object.id, customer.id)
  })

  it('stores a sanctioned name as blocked with the reason, and refuses every flow for it', async () => {
    const customer = await newCustomer({ first_name: 'Ivan', last_name: 'Sanctioned' })
    assert.equal(customer.status, 'blocked')
    assert.equal(customer.screening.status, 'hit')
    assert.match(customer.screening.reason, /Ivan Sanctioned/)
    const kyc = await post(api, `/api/v1/ramps/customers/${customer.id}/kyc-verifications`, { level: 'basic' })
    assert.equal(kyc.status, 403)
    assert.equal(kyc.body.error.code, 'CUSTOMER_BLOCKED')
    const bank = await post(api, `/api/v1/ramps/customers/${customer.id}/bank-accounts`, { rail: 'sepa', country: 'DE', holder_name: 'Ivan', details: { iban: 'DE89370400440532013000' } })
    assert.equal(bank.status, 403)
    assert.equal(bank.body.error.code, 'CUSTOMER_BLOCKED')
  })

  const invalid: [string, Record<string, unknown>, string, string][] = [
    ['an individual without a last name', { type: 'individual', first_name: 'A', country: 'DE' }, 'last_name', 'VALIDATION_ERROR'],
    ['a business without a name', { type: 'business', country: 'DE' }, 'business_name', 'VALIDATION_ERROR'],
    ['an unknown type', { type: 'robot', country: 'DE' }, 'type', 'VALIDATION_ERROR'],
    ['a three-letter country', { type: 'business', business_name: 'X', country: 'DEU' }, 'country', 'VALIDATION_ERROR'],
    ['an unserved country', { type: 'business', business_name: 'X', country: 'KP' }, 'country', 'UNSUPPORTED_COUNTRY'],
    ['a future birth date', { type: 'individual', first_name: 'A', last_name: 'B', country: 'DE', birth_date: '2030-01-01' }, 'birth_date', 'VALIDATION_ERROR'],
    ['an unknown field', { type: 'business', business_name: 'X', country: 'DE', ssn: '1' }, 'ssn', 'VALIDATION_ERROR'],
  ]
  for (const [label, body, field, code] of invalid) {
    it(`answers 400 ${code} naming ${field} for ${label}, writing nothing`, async () => {
      const before = await api('GET', '/api/v1/ramps/customers?limit=100')
      const res = await post(api, '/api/v1/ramps/customers', body)
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, code)
      assert.ok((res.body.error.details as { field: string }[]).some((d) => d.field === field), JSON.stringify(res.body.error))
      const afterList = await api('GET', '/api/v1/ramps/customers?limit=100')
      assert.equal(afterList.body.data.length, before.body.data.length)
    })
  }

  it('replays a create with the same idempotency key and refuses a reused key with another body', async () => {
    const headers = { 'idempotency-key': 'cust-replay-1' }
    const body = { type: 'business', business_name: 'Replay GmbH', country: 'DE' }
    const first = await api('POST', '/api/v1/ramps/customers', { headers, body })
    const second = await api('POST', '/api/v1/ramps/customers', { headers, body })
    assert.equal(second.headers.get('idempotency-replayed'), 'true')
    assert.deepEqual(second.body, first.body)
    const third = await api('POST', '/api/v1/ramps/customers', { headers, body: { ...body, business_name: 'Other' } })
    assert.equal(third.body.error.code, 'IDEMPOTENCY_KEY_REUSED')
  })

  it("hides one merchant's customers from another (404, absent from lists)", async () => {
    const customer = await newCustomer()
    assert.equal((await other('GET', `/api/v1/ramps/customers/${customer.id}`)).status, 404)
    const kyc = await post(other, `/api/v1/ramps/customers/${customer.id}/kyc-verifications`, { level: 'basic' })
    assert.equal(kyc.status, 404)
    const list = await other('GET', '/api/v1/ramps/customers')
    assert.ok(!list.body.data.some((c: { id: string }) => c.id === customer.id))
  })
})

describe('GET /api/v1/ramps/customers (cursor pages)', () => {
  it('lists newest first and pages older with starting_after and newer with ending_before', async () => {
    const own = merchantApi(t, (await t.onboard('Paging Shop')).merchantKey)
    const ids: string[] = []
    for (const name of ['First', 'Second', 'Third']) {
      const res = await post(own, '/api/v1/ramps/customers', { type: 'business', business_name: name, country: 'DE' })
      assert.equal(res.status, 201, JSON.stringify(res.body))
      ids.push(res.body.id)
    }
    const [a, b, c] = ids
    const page = async (query: string) => {
      const res = await own('GET', `/api/v1/ramps/customers?${query}`)
      assert.equal(res.status, 200, JSON.stringify(res.body))
      return { ids: (res.body.data as { id: string }[]).map((x) => x.id), hasMore: res.body.has_more as boolean }
    }
    assert.deepEqual(await page('limit=2'), { ids: [c, b], hasMore: true })
    assert.deepEqual(await page(`limit=2&starting_after=${b}`), { ids: [a], hasMore: false })
    assert.deepEqual(await page(`limit=2&ending_before=${a}`), { ids: [c, b], hasMore: false })
    assert.deepEqual(await page(`limit=1&ending_before=${a}`), { ids: [b], hasMore: true })
    assert.deepEqual(await page(`limit=5&ending_before=${c}`), { ids: [], hasMore: false })
  })

  it('answers 400 naming ending_before when both cursors are given', async () => {
    const id = '01900000-0000-7000-8000-000000000000'
    const res = await api('GET', `/api/v1/ramps/customers?starting_after=${id}&ending_before=${id}`)
    assert.equal(res.status, 400)
    assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    assert.ok((res.body.error.details as { field: string }[]).some((d) => d.field === 'ending_before'), JSON.stringify(res.body.error))
  })
})

describe('KYC verifications through the sandbox provider', () => {
  const outcomes: [string, string, string, string | null][] = [
    ['000000000', 'approved', 'approved', 'standard'],
    ['000000001', 'rejected', 'rejected', null],
    ['000000002', 'needs_review', 'needs_review', null],
  ]
  for (const [doc, verificationStatus, customerStatus, level] of outcomes) {
    it(`ends ${verificationStatus} for test identity ${doc} via the hosted page, signed webhook and inbox`, async () => {
      const customer = await newCustomer()
      const verification = await post(api, `/api/v1/ramps/customers/${customer.id}/kyc-verifications`, { level: 'standard' })
      assert.equal(verification.body.status, 'not_started')
      const page = await fetch(verification.body.hosted_url)
      const html = await page.text()
      assert.equal(page.status, 200)
      assert.match(html, /<form method="post"/)
      assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)/, 'the hosted page loads nothing from elsewhere')
      await fetch(verification.body.hosted_url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `document_number=${doc}` }).then((r) => r.text())
      await drainWorkers(rt)
      assert.equal((await api('GET', `/api/v1/ramps/kyc-verifications/${verification.body.id}`)).body.status, 'pending', 'decision waits for the review delay')
      clock.advance(6_000)
      await drainWorkers(rt)
      const decided = await api('GET', `/api/v1/ramps/kyc-verifications/${verification.body.id}`)
      assert.equal(decided.body.status, verificationStatus)
      const after = await api('GET', `/api/v1/ramps/customers/${customer.id}`)
      assert.equal(after.body.kyc.status, customerStatus)
      assert.equal(after.body.kyc.level, level)
      const kycEvents = await api('GET', `/api/v1/events?type=ramp.kyc.updated&customer_id=${customer.id}&limit=20`)
      const statuses = kycEvents.body.data.data.map((e: { data: { object: { status: string } } }) => e.data.object.status).reverse()
      assert.deepEqual(statuses, ['not_started', 'pending', verificationStatus])
    })
  }

  it('moves needs_review to approved when the manual review passes (000000003)', async () => {
    const customer = await newCustomer()
    const v = await verifyKyc(t, api, rt, customer.id, 'basic', '000000003')
    clock.advance(6_000)
    await drainWorkers(rt)
    assert.equal((await api('GET', `/api/v1/ramps/kyc-verifications/${v.id}`)).body.status, 'needs_review')
    clock.advance(6_000)
    await drainWorkers(rt)
    assert.equal((await api('GET', `/api/v1/ramps/kyc-verifications/${v.id}`)).body.status, 'approved')
    const after = await api('GET', `/api/v1/ramps/customers/${customer.id}`)
    assert.equal(after.body.kyc.level, 'basic')
    assert.deepEqual(after.body.kyc.limits, { daily_usd_millis: 1_000_000, monthly_usd_millis: 5_000_000 })
  })

  it('keeps a forged or stale webhook in the inbox as rejected and changes nothing', async () => {
    const customer = await newCustomer()
    const v = await post(api, `/api/v1/ramps/customers/${customer.id}/kyc-verifications`, { level: 'basic' })
    const ref = v.body.hosted_url.split('/').pop()
    const body = JSON.stringify({ id: 'evt_forged', type: 'verification.approved', created: clock.now().getTime(), data: { reference: ref } })
    const forged = await fetch(`${t.url}/api/v1/ramps/webhooks/kyc-sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SANDBOX_KYC_SIGNATURE_HEADER]: signSandboxPayload(new Uint8Array(32), body, clock.now().getTime()) },
      body,
    })
    assert.equal(forged.status, 200, 'stored first, judged later')
    const secret = await loadRampSecret(t.server.deps.db, 'ramps_kyc_sandbox_v1')
    const stale = await fetch(`${t.url}/api/v1/ramps/webhooks/kyc-sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SANDBOX_KYC_SIGNATURE_HEADER]: signSandboxPayload(secret, body, clock.now().getTime() - 10 * 60_000) },
      body,
    })
    assert.equal(stale.status, 200)
    const before = await inboxCounts(t.server.deps.db)
    await drainWorkers(rt)
    const counts = await inboxCounts(t.server.deps.db)
    assert.equal((counts['rejected'] ?? 0) - (before['rejected'] ?? 0), 2)
    assert.equal((await api('GET', `/api/v1/ramps/kyc-verifications/${v.body.id}`)).body.status, 'not_started')
  })

  it('learns the decision from the provider when every webhook was lost (reconciler)', async () => {
    const customer = await newCustomer()
    const v = await post(api, `/api/v1/ramps/customers/${customer.id}/kyc-verifications`, { level: 'basic' })
    const ref = v.body.hosted_url.split('/').pop() as string
    await fetch(v.body.hosted_url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'document_number=555' }).then((r) => r.text())
    await drainWorkers(rt) // the submitted webhook arrives: pending
    await t.server.deps.db.updateTable('ramp_sandbox_kyc_outbox').set({ status: 'delivered' }).where('provider_ref', '=', ref).execute()
    clock.advance(61 * 60_000)
    await drainWorkers(rt)
    assert.equal((await api('GET', `/api/v1/ramps/kyc-verifications/${v.body.id}`)).body.status, 'approved')
  })

  it('expires an unused verification link after its deadline', async () => {
    const customer = await newCustomer()
    const v = await post(api, `/api/v1/ramps/customers/${customer.id}/kyc-verifications`, { level: 'basic' })
    clock.advance(8 * 24 * 3600_000)
    await drainWorkers(rt)
    assert.equal((await api('GET', `/api/v1/ramps/kyc-verifications/${v.body.id}`)).body.status, 'expired')
    assert.equal((await api('GET', `/api/v1/ramps/customers/${customer.id}`)).body.kyc.status, 'expired')
  })
})
