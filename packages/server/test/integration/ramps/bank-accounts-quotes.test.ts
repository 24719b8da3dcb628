import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@pepay/core'
import { sql } from 'kysely'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { approvedCustomer, merchantApi, post, seedStablecoin, testRampsExtension, verifyKyc, type Api, type Runtime } from './ramps-helpers.ts'

let t: TestServer
let api: Api
let other: Api
let rt: Runtime
let usdc: number
const clock = new FakeClock(Date.UTC(2026, 0, 5, 12))
const IBAN = 'DE89370400440532013000'

before(async () => {
  const ramps = testRampsExtension()
  t = await startTestServer({ clock, extensions: [ramps.extension] })
  rt = ramps.runtime()
  api = merchantApi(t, (await t.onboard('Bank Shop')).merchantKey)
  other = merchantApi(t, (await t.onboard('Other Bank Shop')).merchantKey)
  usdc = await seedStablecoin(t)
})
after(async () => t.close())

describe('GET /api/v1/ramps/countries', () => {
  it('lists at least 30 countries with currency, rails, limits, bank fields and KYC level', async () => {
    const res = await api('GET', '/api/v1/ramps/countries')
    assert.equal(res.status, 200)
    assert.ok(res.body.data.length >= 30)
    const de = res.body.data.find((c: { code: string }) => c.code === 'DE')
    assert.deepEqual(de.rails.map((r: { rail: string }) => r.rail), ['sepa', 'sepa_instant'])
    assert.equal(de.rails[1].max_amount, '10000000')
    assert.equal(de.rails[1].max_amount_decimal, '100000.00')
    const jp = res.body.data.find((c: { code: string }) => c.code === 'JP')
    assert.equal(jp.currency_exponent, 0)
    assert.deepEqual(jp.rails[0].required_fields, ['bank_code', 'branch_code', 'account_number', 'account_type'])
    const us = res.body.data.find((c: { code: string }) => c.code === 'US')
    assert.equal(us.rails.find((r: { rail: string }) => r.rail === 'fedwire').kyc_level, 'standard')
  })
})

describe('OpenAPI document', () => {
  it('describes every ramps route', async () => {
    const doc = (await api('GET', '/openapi.json')).body as { paths: Record<string, unknown> }
    for (const path of ['/api/v1/ramps/countries', '/api/v1/ramps/customers', '/api/v1/ramps/quotes', '/api/v1/ramps/off-ramps', '/api/v1/ramps/on-ramps/{id}', '/api/v1/ramps/balances', '/api/v1/ramps/ledger-entries']) {
      assert.ok(doc.paths[path], `missing ${path}`)
    }
  })
})

describe('POST /api/v1/ramps/customers/:id/bank-accounts', () => {
  let customerId: string
  before(async () => {
    const res = await post(api, '/api/v1/ramps/customers', { type: 'individual', first_name: 'Cleo', last_name: 'Banks', country: 'DE' })
    customerId = res.body.id
  })

  it('stores the details encrypted, shows them masked and never in clear anywhere', async () => {
    const res = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa', country: 'DE', holder_name: 'Cleo Banks', details: { iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX' } })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.equal(res.body.currency, 'EUR')
    assert.ok(res.body.details.iban.endsWith('3000'))
    assert.ok(!JSON.stringify(res.body).includes('0532013'))
    const rows = await sql<{ row: string }>`SELECT row_to_json(b)::text AS row FROM ramp_bank_account b WHERE id = ${res.body.id}::uuid`.execute(t.server.deps.db)
    assert.ok(!rows.rows[0]?.row.includes('0532013'), 'no clear IBAN in the stored row')
    const events = await sql<{ data: string }>`SELECT data::text AS data FROM event`.execute(t.server.deps.db)
    assert.ok(events.rows.every((e) => !e.data.includes('0532013')), 'no clear IBAN in any event')
    const list = await api('GET', `/api/v1/ramps/customers/${customerId}/bank-accounts`)
    assert.equal(list.body.data.length, 1)
  })

  it('refuses the same account twice for the customer whatever its spelling', async () => {
    const res = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa', country: 'DE', holder_name: 'Cleo Banks', details: { iban: 'de89370400440532013000' } })
    assert.equal(res.status, 409)
    assert.equal(res.body.error.code, 'BANK_ACCOUNT_EXISTS')
  })

  const invalid: [string, Record<string, unknown>, string, string][] = [
    ['a bad IBAN checksum', { rail: 'sepa', country: 'DE', holder_name: 'C', details: { iban: 'DE89370400440532013001' } }, 'INVALID_BANK_DETAILS', 'IBAN_CHECKSUM'],
    ['a wrong routing number', { rail: 'ach', country: 'US', holder_name: 'C', details: { routing_number: '021000022', account_number: '12345678', account_type: 'checking' } }, 'INVALID_BANK_DETAILS', 'ROUTING_NUMBER_CHECKSUM'],
    ['a sort code failing the modulus check', { rail: 'faster_payments', country: 'GB', holder_name: 'C', details: { sort_code: '089999', account_number: '66374959' } }, 'INVALID_BANK_DETAILS', 'SORT_CODE_MODULUS'],
    ['a bad CLABE', { rail: 'spei', country: 'MX', holder_name: 'C', details: { clabe: '002010077777777772' } }, 'INVALID_BANK_DETAILS', 'CLABE_CHECKSUM'],
    ['an invalid Pix key', { rail: 'pix', country: 'BR', holder_name: 'C', details: { pix_key: '123.456.789-00' } }, 'INVALID_BANK_DETAILS', 'PIX_KEY_INVALID'],
    ['a rail the country does not have', { rail: 'pix', country: 'DE', holder_name: 'C', details: { pix_key: 'a@b.co' } }, 'UNSUPPORTED_RAIL', 'UNSUPPORTED_RAIL'],
    ['an unserved country', { rail: 'sepa', country: 'KP', holder_name: 'C', details: { iban: IBAN } }, 'UNSUPPORTED_COUNTRY', 'UNSUPPORTED_COUNTRY'],
    ['an unknown rail', { rail: 'swift', country: 'DE', holder_name: 'C', details: { iban: IBAN } }, 'VALIDATION_ERROR', 'invalid_value'],
  ]
  for (const [label, body, code, detailCode] of invalid) {
    it(`answers 400 ${code} (${detailCode}) for ${label}, writing nothing`, async () => {
      const res = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, body)
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, code)
      assert.ok((res.body.error.details as { code: string }[]).some((d) => d.code === detailCode), JSON.stringify(res.body.error))
      assert.ok(!JSON.stringify(res.body).includes('0532013001'))
      const list = await api('GET', `/api/v1/ramps/customers/${customerId}/bank-accounts`)
      assert.equal(list.body.data.length, 1)
    })
  }

  it('refuses a sanctioned account holder with 403 SANCTIONS_HIT and writes nothing', async () => {
    const res = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa_instant', country: 'DE', holder_name: 'Embargo Trading LLC', details: { iban: 'DE02120300000000202051' } })
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'SANCTIONS_HIT')
    assert.equal((await api('GET', `/api/v1/ramps/customers/${customerId}/bank-accounts`)).body.data.length, 1)
  })

  it('deletes an account, and hides accounts from other merchants', async () => {
    const res = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa_instant', country: 'DE', holder_name: 'Cleo Banks', details: { iban: 'DE02120300000000202051' } })
    assert.equal((await other('GET', `/api/v1/ramps/bank-accounts/${res.body.id}`)).status, 404)
    assert.equal((await other('DELETE', `/api/v1/ramps/bank-accounts/${res.body.id}`)).status, 404)
    const deleted = await api('DELETE', `/api/v1/ramps/bank-accounts/${res.body.id}`)
    assert.deepEqual(deleted.body, { object: 'ramp_bank_account', id: res.body.id, deleted: true })
    assert.equal((await api('GET', `/api/v1/ramps/bank-accounts/${res.body.id}`)).status, 404)
  })
})

describe('POST /api/v1/ramps/quotes', () => {
  const quote = (customerId: string, extra: Record<string, unknown> = {}) =>
    post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa', source_amount: '100000000', ...extra })

  it('prices an off-ramp of 100 USDC to EUR with rate, fee, expiry and integer units', async () => {
    const customer = await approvedCustomer(t, api, rt, { level: 'basic' })
    clock.advance(6_000)
    await import('./ramps-helpers.ts').then((h) => h.drainWorkers(rt))
    const res = await quote(customer.id)
    assert.equal(res.status, 201, JSON.stringify(res.body))
    assert.deepEqual(res.body.source, { kind: 'token', currency: 'USDC', decimals: 6, amount: '100000000', amount_decimal: '100' })
    assert.deepEqual(res.body.destination, { kind: 'fiat', currency: 'EUR', decimals: 2, amount: '8526', amount_decimal: '85.26' })
    assert.deepEqual(res.body.fee, { kind: 'fiat', currency: 'EUR', decimals: 2, amount: '94', amount_decimal: '0.94' })
    assert.equal(res.body.rate.value, '0.862')
    assert.equal(res.body.usd_millis, 100_000)
    assert.equal(res.body.expires_at - res.body.created_at, 600)
  })

  it('refuses a customer without approved KYC with 403 KYC_REQUIRED', async () => {
    const customer = await post(api, '/api/v1/ramps/customers', { type: 'individual', first_name: 'No', last_name: 'Kyc', country: 'DE' })
    const res = await quote(customer.body.id)
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'KYC_REQUIRED')
    assert.equal(res.body.error.details.required_level, 'basic')
  })

  it('refuses a rejected customer and a level below the rail’s (Fedwire needs standard)', async () => {
    const rejected = await post(api, '/api/v1/ramps/customers', { type: 'individual', first_name: 'Re', last_name: 'Jected', country: 'US' })
    await verifyKyc(t, api, rt, rejected.body.id, 'standard', '000000001')
    clock.advance(6_000)
    await import('./ramps-helpers.ts').then((h) => h.drainWorkers(rt))
    const refused = await quote(rejected.body.id, { country: 'US', rail: 'ach' })
    assert.equal(refused.body.error.code, 'KYC_REQUIRED')
    const basic = await approvedCustomer(t, api, rt, { level: 'basic', country: 'US' })
    clock.advance(6_000)
    await import('./ramps-helpers.ts').then((h) => h.drainWorkers(rt))
    assert.equal((await quote(basic.id, { country: 'US', rail: 'ach' })).status, 201)
    const fedwire = await quote(basic.id, { country: 'US', rail: 'fedwire', source_amount: '500000000' })
    assert.equal(fedwire.status, 403)
    assert.equal(fedwire.body.error.details.required_level, 'standard')
  })

  it('enforces the level’s daily limit (basic: 1,000 USD) with 400 LIMIT_EXCEEDED', async () => {
    const customer = await approvedCustomer(t, api, rt, { level: 'basic' })
    clock.advance(6_000)
    await import('./ramps-helpers.ts').then((h) => h.drainWorkers(rt))
    assert.equal((await quote(customer.id, { source_amount: '1000000000' })).status, 201)
    const over = await quote(customer.id, { source_amount: '1000001000' })
    assert.equal(over.status, 400)
    assert.equal(over.body.error.code, 'LIMIT_EXCEEDED')
    assert.equal(over.body.error.details.window, 'daily')
  })

  const ranges: [string, Record<string, unknown>, string][] = [
    ['a payout below the rail minimum', { source_amount: '1000000' }, 'AMOUNT_OUT_OF_RANGE'],
    ['a SEPA Instant payout above 100,000 EUR', { rail: 'sepa_instant', source_amount: undefined, destination_amount: '10000001' }, 'AMOUNT_OUT_OF_RANGE'],
    ['both amounts', { destination_amount: '5000' }, 'VALIDATION_ERROR'],
    ['a fractional amount', { source_amount: '1.5' }, 'VALIDATION_ERROR'],
    ['a token that is not a served stablecoin', { token_id: 999999 }, 'UNSUPPORTED_TOKEN'],
    ['a rail the country lacks', { rail: 'ach' }, 'UNSUPPORTED_RAIL'],
  ]
  for (const [label, extra, code] of ranges) {
    it(`answers 400 ${code} for ${label}`, async () => {
      const customer = await approvedCustomer(t, api, rt, { level: 'enhanced' })
      clock.advance(6_000)
      await import('./ramps-helpers.ts').then((h) => h.drainWorkers(rt))
      const res = await quote(customer.id, extra)
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error.code, code)
    })
  }

  it('answers 404 for another merchant’s customer', async () => {
    const customer = await approvedCustomer(t, api, rt, { level: 'basic' })
    const res = await post(other, '/api/v1/ramps/quotes', { customer_id: customer.id, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa', source_amount: '100000000' })
    assert.equal(res.status, 404)
  })
})
