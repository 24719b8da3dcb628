import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { InvalidRequestError, NotFoundError, Pepay, type RampCustomer } from 'pepay'
import {
  BankAccount,
  KycVerification,
  OffRamp,
  OnRamp,
  RampBalances,
  RampCountryList,
  RampCustomer as RampCustomerSchema,
  RampQuote,
} from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import {
  drainWorkers,
  fakeChainServices,
  seedStablecoin,
  testRampsExtension,
  type Runtime,
} from '../ramps/ramps-helpers.ts'

const IBAN = 'DE89370400440532013000'

describe('SDK pepay.ramps', () => {
  let t: TestServer
  let rt: Runtime
  let pepay: Pepay
  let outsider: Pepay
  let usdc: number

  before(async () => {
    // the sandbox decides at once: no review delay to wait out
    const ramps = testRampsExtension({ kycReviewDelaySeconds: 0 })
    t = await startTestServer({ extensions: [ramps.extension] })
    rt = ramps.runtime()
    // deterministic deposit addresses and treasury sends instead of the devnet
    t.server.deps.chain = fakeChainServices().services
    pepay = new Pepay({
      baseUrl: t.url,
      apiKey: (await t.onboard('Ramp Shop')).merchantKey,
      maxRetries: 0,
    })
    outsider = pepay.withAuth({ apiKey: (await t.onboard('Other Ramp Shop')).merchantKey })
    usdc = await seedStablecoin(t)
  })
  after(async () => t.close())

  async function approvedCustomer(level: 'basic' | 'standard' = 'standard'): Promise<RampCustomer> {
    const customer = await pepay.ramps.customers.create({
      type: 'individual',
      first_name: 'Alice',
      last_name: 'Example',
      country: 'DE',
      email: 'alice@example.com',
      reference: `ref_${randomUUID()}`,
    })
    const verification = await pepay.ramps.kycVerifications.create(customer.id, { level })
    KycVerification.parse(verification)
    const form = await fetch(verification.hosted_url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'document_number=123456789',
    })
    assert.equal(form.status, 200)
    await form.text()
    await drainWorkers(rt)
    const decided = await pepay.ramps.kycVerifications.retrieve(verification.id)
    assert.equal(decided.status, 'approved')
    return pepay.ramps.customers.retrieve(customer.id)
  }

  it('lists countries and rails', async () => {
    const countries = await pepay.ramps.listCountries()
    RampCountryList.parse(countries)
    assert.ok(countries.data.length >= 30)
    assert.ok(countries.data.some((c) => c.code === 'DE'))
  })

  it('creates customers with a generated Idempotency-Key and iterates the list', async () => {
    const created: string[] = []
    for (let i = 0; i < 3; i++)
      created.push(
        (
          await pepay.ramps.customers.create({
            type: 'business',
            business_name: `Biz ${i}`,
            country: 'FR',
          })
        ).id,
      )
    const one = await pepay.ramps.customers.retrieve(created[0] ?? '')
    RampCustomerSchema.parse(one)
    const seen: string[] = []
    for await (const c of pepay.ramps.customers.list({ limit: 2 })) seen.push(c.id)
    for (const id of created) assert.ok(seen.includes(id), id)
    assert.equal(new Set(seen).size, seen.length)
  })

  it('verifies KYC, adds a bank account, quotes and opens an off-ramp', async () => {
    const customer = await approvedCustomer()
    assert.equal(customer.kyc.status, 'approved')
    const account = await pepay.ramps.bankAccounts.create(customer.id, {
      rail: 'sepa',
      country: 'DE',
      holder_name: 'Alice Example',
      details: { iban: IBAN },
    })
    BankAccount.parse(account)
    const accounts = await pepay.ramps.bankAccounts.list(customer.id)
    assert.deepEqual(
      accounts.data.map((a) => a.id),
      [account.id],
    )
    assert.equal((await pepay.ramps.bankAccounts.retrieve(account.id)).id, account.id)

    const quote = await pepay.ramps.quotes.create({
      customer_id: customer.id,
      direction: 'off_ramp',
      network: 'base',
      token_id: usdc,
      country: 'DE',
      rail: 'sepa',
      source_amount: '100000000',
    })
    RampQuote.parse(quote)
    assert.equal((await pepay.ramps.quotes.retrieve(quote.id)).id, quote.id)
    const offRamp = await pepay.ramps.offRamps.create({
      quote_id: quote.id,
      bank_account_id: account.id,
      refund_address: '0x00000000000000000000000000000000000000aa',
    })
    OffRamp.parse(offRamp)
    assert.equal(offRamp.status, 'awaiting_deposit')
    const listed = await pepay.ramps.offRamps.list({
      customer_id: customer.id,
      status: ['awaiting_deposit'],
    })
    assert.deepEqual(
      listed.data.map((o) => o.id),
      [offRamp.id],
    )
    assert.equal((await pepay.ramps.offRamps.retrieve(offRamp.id)).id, offRamp.id)

    const spare = await pepay.ramps.bankAccounts.create(customer.id, {
      rail: 'sepa',
      country: 'DE',
      holder_name: 'Alice Example',
      details: { iban: 'DE02120300000000202051' },
    })
    assert.equal((await pepay.ramps.bankAccounts.remove(spare.id)).deleted, true)
    await assert.rejects(pepay.ramps.bankAccounts.retrieve(spare.id), NotFoundError)
  })

  it('opens an on-ramp and simulates the fiat arriving on the devnet', async () => {
    const customer = await approvedCustomer()
    const quote = await pepay.ramps.quotes.create({
      customer_id: customer.id,
      direction: 'on_ramp',
      network: 'base',
      token_id: usdc,
      country: 'DE',
      rail: 'sepa',
      source_amount: '10000',
    })
    const onRamp = await pepay.ramps.onRamps.create({
      quote_id: quote.id,
      destination_address: '0x00000000000000000000000000000000000000bb',
    })
    OnRamp.parse(onRamp)
    assert.equal(onRamp.status, 'awaiting_funds')
    const funded = await pepay.ramps.onRamps.simulateFunds(onRamp.id)
    assert.notEqual(funded.status, 'awaiting_funds')
    const all: string[] = []
    for await (const o of pepay.ramps.onRamps.list({ customer_id: customer.id })) all.push(o.id)
    assert.deepEqual(all, [onRamp.id])
    const balances = await pepay.ramps.balances()
    RampBalances.parse(balances)
    const entries = await pepay.ramps.ledgerEntries.list({ limit: 5 })
    assert.equal(entries.object, 'list')
  })

  it('throws InvalidRequestError for a bad IBAN and for a quote with both amounts', async () => {
    const customer = await pepay.ramps.customers.create({
      type: 'individual',
      first_name: 'Bob',
      last_name: 'Example',
      country: 'DE',
    })
    await assert.rejects(
      pepay.ramps.bankAccounts.create(customer.id, {
        rail: 'sepa',
        country: 'DE',
        holder_name: 'Bob',
        details: { iban: 'DE89370400440532013001' },
      }),
      (e: unknown) => e instanceof InvalidRequestError && e.code === 'INVALID_BANK_DETAILS',
    )
    await assert.rejects(
      pepay.ramps.quotes.create({
        customer_id: customer.id,
        direction: 'off_ramp',
        network: 'base',
        token_id: usdc,
        country: 'DE',
        rail: 'sepa',
        source_amount: '1',
        destination_amount: '1',
      }),
      (e: unknown) => e instanceof InvalidRequestError && e.code === 'VALIDATION_ERROR',
    )
  })

  it("throws NotFoundError for another merchant's customer", async () => {
    const customer = await pepay.ramps.customers.create({
      type: 'individual',
      first_name: 'Carol',
      last_name: 'Example',
      country: 'DE',
    })
    await assert.rejects(outsider.ramps.customers.retrieve(customer.id), NotFoundError)
    await assert.rejects(
      outsider.ramps.kycVerifications.create(customer.id, { level: 'basic' }),
      NotFoundError,
    )
  })
})
