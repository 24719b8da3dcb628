import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@pepay/core'
import { ledgerInvariants } from '../../../src/modules/ramps/ledger/ledger.repo.ts'
import { countSandboxPayouts } from '../../../src/providers/payout/sandbox/sandbox-payout.repo.ts'
import type { PayoutProvider } from '../../../src/providers/payout/payout-rail.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { approvedCustomer, drainWorkers, fakeChainServices, merchantApi, post, seedStablecoin, simulateDeposit, testRampsExtension, type Api, type Runtime } from './ramps-helpers.ts'

// Off- and on-ramp lifecycles with the chain layer replaced by a stand-in (deposits are driven
// through the same hook the watcher calls); the devnet suite runs the real chain end to end.

let t: TestServer
let api: Api
let rt: Runtime
let usdc: number
let merchantId: bigint
const chain = fakeChainServices()
const clock = new FakeClock(Date.UTC(2026, 0, 5, 12))
/** Set by a test to simulate a crash right after the provider accepted a payout. */
let crashAfterSend = false

function crashingPayouts(sandbox: PayoutProvider): PayoutProvider {
  return {
    ...sandbox,
    async send(request) {
      const result = await sandbox.send(request)
      if (crashAfterSend) {
        crashAfterSend = false
        throw new Error('process died after the provider call, before recording it')
      }
      return result
    },
  }
}

before(async () => {
  const ramps = testRampsExtension({ payouts: (sandbox) => crashingPayouts(sandbox) })
  t = await startTestServer({ clock, extensions: [ramps.extension] })
  rt = ramps.runtime()
  t.server.deps.chain = chain.services
  const merchant = await t.onboard('Flow Shop')
  merchantId = merchant.merchant.id
  api = merchantApi(t, merchant.merchantKey)
  usdc = await seedStablecoin(t)
})
after(async () => t.close())

const REFUND = '0x00000000000000000000000000000000000000aa'

async function kycDone(level: 'basic' | 'standard' | 'enhanced' = 'standard', country = 'DE') {
  const customer = await approvedCustomer(t, api, rt, { level, country })
  clock.advance(6_000)
  await drainWorkers(rt)
  return customer.id
}

async function offRamp(options: { holder?: string; rail?: string; units?: string; customerId?: string } = {}) {
  const customerId = options.customerId ?? (await kycDone())
  const rail = options.rail ?? 'sepa_instant'
  const bank = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail, country: 'DE', holder_name: options.holder ?? 'Alice Example', details: { iban: 'DE89370400440532013000' } })
  assert.equal(bank.status, 201, JSON.stringify(bank.body))
  const quote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail, source_amount: options.units ?? '100000000' })
  assert.equal(quote.status, 201, JSON.stringify(quote.body))
  const created = await post(api, '/api/v1/ramps/off-ramps', { quote_id: quote.body.id, bank_account_id: bank.body.id, refund_address: REFUND })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return { offRamp: created.body, quote: quote.body, customerId, bankId: bank.body.id }
}

/** SEPA Instant settles in 10 s on the sandbox rail. */
async function settle() {
  clock.advance(11_000)
  await drainWorkers(rt)
}
const get = async (id: string) => (await api('GET', `/api/v1/ramps/off-ramps/${id}`)).body
const deposit = (id: string, amountUnits: bigint, extra: Record<string, unknown> = {}) => simulateDeposit(t, { ownerId: id, amountUnits, network: 'base', merchantId, ...extra })

async function statusTrail(id: string) {
  const res = await api('GET', `/api/v1/events?type=ramp.off_ramp.*&limit=100`)
  return (res.body.data.data as { type: string; data: { object: { id: string; status: string } } }[])
    .filter((e) => e.data.object.id === id)
    .reverse()
    .map((e) => e.data.object.status)
    .filter((s, i, all) => i === 0 || all[i - 1] !== s)
}

async function assertLedgerHolds() {
  const inv = await ledgerInvariants(t.server.deps.db)
  assert.equal(inv.balanceMismatches, 0)
  assert.equal(inv.negativeGuarded, 0)
  for (const s of inv.assetSums) assert.equal(s.sum, 0n, s.asset)
}

describe('off-ramp lifecycle', () => {
  it('pays out an exact deposit: awaiting_deposit → funds_received → payout_submitted → paid, balanced on the ledger', async () => {
    const { offRamp: o } = await offRamp({ rail: 'sepa' })
    assert.equal(o.status, 'awaiting_deposit')
    assert.match(o.deposit.address, /^0x[0-9a-f]{40}$/)
    await deposit(o.id, 100_000_000n)
    assert.equal((await get(o.id)).status, 'funds_received')
    await drainWorkers(rt)
    const submitted = await get(o.id)
    assert.equal(submitted.status, 'payout_submitted')
    assert.equal(submitted.payout.status, 'submitted')
    clock.advance(86_400_000 + 1000)
    await drainWorkers(rt)
    const paid = await get(o.id)
    assert.equal(paid.status, 'paid')
    assert.equal(paid.payout.amount.amount, '8526')
    assert.deepEqual(await statusTrail(o.id), ['awaiting_deposit', 'funds_received', 'payout_submitted', 'paid'])
    const entries = await api('GET', `/api/v1/ramps/ledger-entries?reference=off_ramp:${o.id}`)
    assert.deepEqual(entries.body.data.map((e: { kind: string }) => e.kind).reverse(), ['off_ramp.deposit', 'off_ramp.conversion', 'off_ramp.payout_paid'])
    const balances = await api('GET', '/api/v1/ramps/balances')
    const fees = balances.body.balances.find((b: { account: string; asset: string }) => b.account === 'fees' && b.asset === 'EUR/2')
    assert.ok(BigInt(fees.amount) >= 94n)
    await assertLedgerHolds()
  })

  it('fails a refused payout and refunds the stablecoin on-chain to the refund address', async () => {
    const { offRamp: o } = await offRamp({ holder: 'Alice Fail' })
    await deposit(o.id, 100_000_000n)
    await drainWorkers(rt)
    const failed = await get(o.id)
    assert.equal(failed.status, 'failed')
    assert.equal(failed.failure.code, 'account_closed')
    assert.equal(failed.refund.status, 'sent')
    assert.equal(failed.refund.amount, '100000000')
    const send = [...chain.sends.values()].find((s) => s.txHash === failed.refund.tx_hashes[0])
    assert.equal(send?.to, REFUND)
    assert.equal(send?.amountUnits, 100_000_000n)
    await assertLedgerHolds()
  })

  it('refunds on-chain after a paid payout is returned by the bank (paid → returned)', async () => {
    const { offRamp: o } = await offRamp({ holder: 'Alice Return', rail: 'sepa' })
    await deposit(o.id, 100_000_000n)
    await drainWorkers(rt)
    clock.advance(86_400_000 + 1000)
    await drainWorkers(rt)
    assert.equal((await get(o.id)).status, 'paid')
    clock.advance(2 * 86_400_000)
    await drainWorkers(rt)
    const returned = await get(o.id)
    assert.equal(returned.status, 'returned')
    assert.equal(returned.refund.status, 'sent')
    assert.equal(returned.refund.amount, '100000000')
    assert.deepEqual(await statusTrail(o.id), ['awaiting_deposit', 'funds_received', 'payout_submitted', 'paid', 'returned'])
    await assertLedgerHolds()
  })

  it('pays exactly once when the process dies between the provider call and its record', async () => {
    const { offRamp: o } = await offRamp()
    await deposit(o.id, 100_000_000n)
    crashAfterSend = true
    await drainWorkers(rt)
    const pending = await get(o.id)
    assert.equal(pending.status, 'funds_received', 'nothing recorded: the crash came first')
    assert.equal(pending.payout.status, 'pending')
    clock.advance(61_000) // the claim's lease runs out, as after a restart
    await drainWorkers(rt)
    const paid = await get(o.id)
    assert.equal(paid.status, 'paid', 'SEPA Instant answers paid at once')
    const payout = await t.server.deps.db.selectFrom('ramp_payout').select(['id', 'attempts']).where('off_ramp_id', '=', o.id).executeTakeFirstOrThrow()
    assert.equal(payout.attempts, 2)
    assert.equal(await countSandboxPayouts(t.server.deps.db, payout.id), 1)
    const entries = await api('GET', `/api/v1/ramps/ledger-entries?reference=off_ramp:${o.id}:payout_paid`)
    assert.equal(entries.body.data.length, 1)
    await assertLedgerHolds()
  })

  it('records an unknown outcome (timeout) as pending and reconciles it to paid without paying twice', async () => {
    const { offRamp: o } = await offRamp({ holder: 'Alice Timeout' })
    await deposit(o.id, 100_000_000n)
    await drainWorkers(rt)
    assert.equal((await get(o.id)).payout.status, 'pending')
    clock.advance(5_000)
    await drainWorkers(rt)
    await settle()
    assert.equal((await get(o.id)).status, 'paid')
  })

  it('pays the quoted amount of an over-deposit and refunds the excess', async () => {
    const { offRamp: o } = await offRamp()
    await deposit(o.id, 130_000_000n)
    await drainWorkers(rt)
    await settle()
    const done = await get(o.id)
    assert.equal(done.status, 'paid')
    assert.equal(done.deposit.received.amount, '130000000')
    assert.equal(done.refund.amount, '30000000')
    assert.equal(done.refund.status, 'sent')
    assert.equal(done.is_requoted, false)
    await assertLedgerHolds()
  })

  it('re-quotes an under-deposit for what arrived', async () => {
    const { offRamp: o } = await offRamp()
    await deposit(o.id, 60_000_000n)
    await drainWorkers(rt)
    await settle()
    const done = await get(o.id)
    assert.equal(done.status, 'paid')
    assert.equal(done.is_requoted, true)
    assert.equal(done.payout.gross.amount, '5172') // 60 USD × 0.862
    assert.equal(done.refund.status, 'none')
  })

  it('re-quotes a deposit that arrives after the rate lock, and refunds one too small to pay out', async () => {
    const late = await offRamp()
    clock.advance(31 * 60_000)
    await deposit(late.offRamp.id, 100_000_000n)
    await drainWorkers(rt)
    await settle()
    assert.equal((await get(late.offRamp.id)).is_requoted, true)
    assert.equal((await get(late.offRamp.id)).status, 'paid')
    const tiny = await offRamp()
    await deposit(tiny.offRamp.id, 500_000n)
    await drainWorkers(rt)
    const refunded = await get(tiny.offRamp.id)
    assert.equal(refunded.status, 'failed')
    assert.equal(refunded.failure.code, 'AMOUNT_OUT_OF_RANGE')
    assert.equal(refunded.refund.amount, '500000')
    assert.equal(refunded.refund.status, 'sent')
    await assertLedgerHolds()
  })

  it('refunds a second deposit to an off-ramp that was already funded', async () => {
    const { offRamp: o } = await offRamp()
    await deposit(o.id, 100_000_000n)
    await deposit(o.id, 7_000_000n)
    await drainWorkers(rt)
    await settle()
    const done = await get(o.id)
    assert.equal(done.refund.amount, '7000000')
    assert.equal(done.status, 'paid')
  })

  it('credits a transfer once when the watcher reports it twice', async () => {
    const { offRamp: o } = await offRamp()
    const tx = `0x${'ab'.repeat(32)}`
    await deposit(o.id, 100_000_000n, { txHash: tx })
    await deposit(o.id, 100_000_000n, { txHash: tx })
    assert.equal((await get(o.id)).deposit.received.amount, '100000000')
  })

  it('freezes the funds of a deposit from a sanctioned address and never pays out', async () => {
    const { offRamp: o } = await offRamp()
    await deposit(o.id, 100_000_000n, { fromAddress: '0x000000000000000000000000000000000000bad1' })
    await drainWorkers(rt)
    const frozen = await get(o.id)
    assert.equal(frozen.status, 'failed')
    assert.equal(frozen.failure.code, 'SANCTIONS_HIT')
    assert.equal(frozen.refund.status, 'none')
    const balances = await api('GET', '/api/v1/ramps/balances')
    assert.ok(balances.body.balances.some((b: { account: string; amount: string }) => b.account === 'off_ramp:deposit' && BigInt(b.amount) >= 100_000_000n))
    await assertLedgerHolds()
  })

  it('keeps refunds pending while the chain layer is unreachable and sends them when it is back', async () => {
    const { offRamp: o } = await offRamp({ holder: 'Alice Fail' })
    chain.failNext(1)
    await deposit(o.id, 100_000_000n)
    await drainWorkers(rt)
    assert.equal((await get(o.id)).refund.status, 'pending')
    clock.advance(10_000)
    await drainWorkers(rt)
    assert.equal((await get(o.id)).refund.status, 'sent')
  })
})

describe('GET /api/v1/ramps/off-ramps', () => {
  it('lists each off-ramp exactly as GET by id shows it, with its payout and refunds', async () => {
    const customerId = await kycDone()
    const paid = await offRamp({ customerId })
    await deposit(paid.offRamp.id, 100_000_000n)
    await drainWorkers(rt)
    await settle()
    const refunded = await offRamp({ customerId, holder: 'Alice Fail', rail: 'sepa' })
    await deposit(refunded.offRamp.id, 100_000_000n)
    await drainWorkers(rt)
    const list = await api('GET', `/api/v1/ramps/off-ramps?customer_id=${customerId}`)
    assert.equal(list.status, 200)
    const ids = [refunded.offRamp.id, paid.offRamp.id]
    assert.deepEqual(list.body.data.map((o: { id: string }) => o.id), ids)
    for (const [i, id] of ids.entries()) assert.deepEqual(list.body.data[i], await get(id))
    assert.equal(list.body.data[0].refund.status, 'sent')
    assert.equal(list.body.data[1].status, 'paid')
    assert.notEqual(list.body.data[1].payout, null)
  })
})

describe('POST /api/v1/ramps/off-ramps refusals', () => {
  it('answers 503 SERVICE_UNAVAILABLE without a chain layer and writes nothing', async () => {
    const customerId = await kycDone()
    const bank = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa', country: 'DE', holder_name: 'A', details: { iban: 'DE89370400440532013000' } })
    const quote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa', source_amount: '100000000' })
    t.server.deps.chain = undefined
    try {
      const res = await post(api, '/api/v1/ramps/off-ramps', { quote_id: quote.body.id, bank_account_id: bank.body.id, refund_address: REFUND })
      assert.equal(res.status, 503)
      assert.equal(res.body.error.code, 'SERVICE_UNAVAILABLE')
    } finally {
      t.server.deps.chain = chain.services
    }
    const list = await api('GET', `/api/v1/ramps/off-ramps?customer_id=${customerId}`)
    assert.equal(list.body.data.length, 0)
  })

  it('refuses an expired quote, a used quote, a sanctioned refund address and another customer’s bank account', async () => {
    const { quote, bankId, customerId } = await offRamp()
    const reuse = await post(api, '/api/v1/ramps/off-ramps', { quote_id: quote.id, bank_account_id: bankId, refund_address: REFUND })
    assert.equal(reuse.status, 409)
    assert.equal(reuse.body.error.code, 'QUOTE_ALREADY_USED')
    const fresh = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa_instant', source_amount: '10000000' })
    const sanctioned = await post(api, '/api/v1/ramps/off-ramps', { quote_id: fresh.body.id, bank_account_id: bankId, refund_address: '0x000000000000000000000000000000000000bad2' })
    assert.equal(sanctioned.status, 403)
    assert.equal(sanctioned.body.error.code, 'SANCTIONS_HIT')
    const badAddress = await post(api, '/api/v1/ramps/off-ramps', { quote_id: fresh.body.id, bank_account_id: bankId, refund_address: '0x1234567890123456789012345678901234567890zz' })
    assert.equal(badAddress.status, 400)
    const otherCustomer = await kycDone()
    const otherBank = await post(api, `/api/v1/ramps/customers/${otherCustomer}/bank-accounts`, { rail: 'sepa_instant', country: 'DE', holder_name: 'B', details: { iban: 'DE89370400440532013000' } })
    const mismatch = await post(api, '/api/v1/ramps/off-ramps', { quote_id: fresh.body.id, bank_account_id: otherBank.body.id, refund_address: REFUND })
    assert.equal(mismatch.body.error.code, 'QUOTE_MISMATCH')
    clock.advance(11 * 60_000)
    const expired = await post(api, '/api/v1/ramps/off-ramps', { quote_id: fresh.body.id, bank_account_id: bankId, refund_address: REFUND })
    assert.equal(expired.status, 400)
    assert.equal(expired.body.error.code, 'QUOTE_EXPIRED')
  })

  it('enforces limits again at execution: two quotes that each fit cannot both run', async () => {
    const customerId = await kycDone('basic')
    const bank = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa_instant', country: 'DE', holder_name: 'A', details: { iban: 'DE89370400440532013000' } })
    const q = () => post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa_instant', source_amount: '600000000' })
    const [a, b] = [await q(), await q()]
    assert.equal((await post(api, '/api/v1/ramps/off-ramps', { quote_id: a.body.id, bank_account_id: bank.body.id, refund_address: REFUND })).status, 201)
    const second = await post(api, '/api/v1/ramps/off-ramps', { quote_id: b.body.id, bank_account_id: bank.body.id, refund_address: REFUND })
    assert.equal(second.status, 400)
    assert.equal(second.body.error.code, 'LIMIT_EXCEEDED')
  })
})

describe('on-ramp lifecycle', () => {
  async function onRamp(customerId: string, gross = '10000') {
    const quote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'on_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa_instant', source_amount: gross })
    assert.equal(quote.status, 201, JSON.stringify(quote.body))
    const created = await post(api, '/api/v1/ramps/on-ramps', { quote_id: quote.body.id, destination_address: '0x00000000000000000000000000000000000000cc' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    return created.body
  }

  it('gives IBAN deposit instructions with a reference, and delivers the stablecoin on-chain once funds arrive', async () => {
    const customerId = await kycDone()
    const o = await onRamp(customerId)
    assert.equal(o.status, 'awaiting_funds')
    assert.match(o.deposit_instructions.reference, /^PPY[0-9A-Z]{10}$/)
    assert.match(o.deposit_instructions.account.iban, /^DE\d{20}$/)
    assert.equal(o.deposit_instructions.amount.amount, '10000')
    const funded = await post(api, `/api/v1/ramps/devnet/on-ramps/${o.id}/simulate-funds`, {})
    assert.equal(funded.status, 200, JSON.stringify(funded.body))
    assert.equal(funded.body.status, 'funds_received')
    await drainWorkers(rt)
    const done = (await api('GET', `/api/v1/ramps/on-ramps/${o.id}`)).body
    assert.equal(done.status, 'completed')
    assert.match(done.delivery.tx_hash, /^0x[0-9a-f]{64}$/)
    const send = [...chain.sends.values()].find((s) => s.txHash === done.delivery.tx_hash)
    assert.equal(send?.amountUnits, 114_733_000n) // (100.00 − 0.60% − 0.50) EUR / 0.862
    assert.equal(send?.to, '0x00000000000000000000000000000000000000cc')
    const again = await post(api, `/api/v1/ramps/devnet/on-ramps/${o.id}/simulate-funds`, {})
    assert.equal(again.status, 409)
    await assertLedgerHolds()
  })

  it('re-quotes fiat that differs from the instructions, and returns fiat too small to convert', async () => {
    const customerId = await kycDone()
    const o = await onRamp(customerId)
    const more = await post(api, `/api/v1/ramps/devnet/on-ramps/${o.id}/simulate-funds`, { amount: '20000' })
    assert.equal(more.body.is_requoted, true)
    assert.equal(more.body.delivery.amount.amount, '230046000')
    const small = await onRamp(customerId)
    const tooSmall = await post(api, `/api/v1/ramps/devnet/on-ramps/${small.id}/simulate-funds`, { amount: '50' })
    assert.equal(tooSmall.body.status, 'failed')
    assert.equal(tooSmall.body.failure.code, 'AMOUNT_OUT_OF_RANGE')
    await assertLedgerHolds()
  })

  it('lists each on-ramp exactly as GET by id shows it', async () => {
    const customerId = await kycDone()
    const first = await onRamp(customerId)
    const second = await onRamp(customerId, '20000')
    const list = await api('GET', `/api/v1/ramps/on-ramps?customer_id=${customerId}`)
    assert.equal(list.status, 200)
    assert.deepEqual(list.body.data.map((o: { id: string }) => o.id), [second.id, first.id])
    assert.deepEqual(list.body.data[0], (await api('GET', `/api/v1/ramps/on-ramps/${second.id}`)).body)
    assert.deepEqual(list.body.data[1], (await api('GET', `/api/v1/ramps/on-ramps/${first.id}`)).body)
  })

  it('refuses a sanctioned destination wallet and an off-ramp quote', async () => {
    const customerId = await kycDone()
    const quote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'on_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa', source_amount: '10000' })
    const res = await post(api, '/api/v1/ramps/on-ramps', { quote_id: quote.body.id, destination_address: '0x000000000000000000000000000000000000BAD1' })
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'SANCTIONS_HIT')
    const offQuote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc, country: 'DE', rail: 'sepa', source_amount: '100000000' })
    const wrong = await post(api, '/api/v1/ramps/on-ramps', { quote_id: offQuote.body.id, destination_address: '0x00000000000000000000000000000000000000cc' })
    assert.equal(wrong.body.error.code, 'QUOTE_MISMATCH')
  })
})
