import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock, systemClock } from '@pepay/core'
import { erc20Abi, type Hex } from 'viem'
import { rampRuntimeFor } from '../../../src/modules/ramps/index.ts'
import { chainLayer, devnetClient, devnetOf, eventually, payToken, tokenOf } from '../../helpers/chain.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { approvedCustomer, drainWorkers, merchantApi, post, type Api, type Runtime } from './ramps-helpers.ts'

// End to end on the embedded devnet: real stablecoin deposits to the derived address, seen by the
// chain watcher, paid out through the sandbox rail; refunds and on-ramp deliveries are real
// transfers from the treasury. The server clock is a FakeClock started at the real time.

let t: TestServer
let api: Api
let rt: Runtime
let clock: FakeClock
let usdc: { id: number; address: string | null; decimals: number }

before(async () => {
  clock = new FakeClock(systemClock.now())
  t = await startTestServer({ devnet: true, clock })
  const runtime = rampRuntimeFor(t.server.deps)
  assert.ok(runtime, 'ramps run by default')
  rt = runtime as Runtime
  api = merchantApi(t, (await t.onboard('Devnet Ramp')).merchantKey)
  usdc = tokenOf(t, 'base', 'USDC')
  // the treasury pays refunds and deliveries: give it stablecoin like an operator would
  const treasury = chainLayer(t).runtime.get('devnet', 'base')?.treasury.address
  assert.ok(treasury && usdc.address)
  await devnetOf(t).faucet('base', treasury as Hex, { tokenAddress: usdc.address as Hex, amountUnits: 1_000_000_000_000n })
})
after(async () => t.close())

async function balanceOf(address: string): Promise<bigint> {
  const { client } = devnetClient(t, 'base')
  return client.readContract({ address: usdc.address as Hex, abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] })
}

/** Sends the stablecoin from a funded devnet account to an off-ramp's deposit address, for real. */
export async function depositOnDevnet(to: string, amountUnits: bigint) {
  return payToken(t, { network: 'base', tokenAddress: usdc.address as string, to, amountUnits })
}

/** Drains the workers until `read` answers what `done` wants (the server's own workers run too). */
async function drainedUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, label: string): Promise<T> {
  return eventually(
    async () => {
      await drainWorkers(rt)
      return read()
    },
    done,
    20_000,
    label,
  )
}

async function kycCustomer() {
  const customer = await approvedCustomer(t, api, rt, { level: 'standard' })
  // the review's delay counts from when it was scheduled: move the clock only after that
  await drainedUntil(async () => (await api('GET', `/api/v1/ramps/kyc-verifications/${customer.verificationId}`)).body, (v) => v.status === 'pending', 'review scheduled')
  clock.advance(6_000)
  await drainedUntil(async () => (await api('GET', `/api/v1/ramps/customers/${customer.id}`)).body, (c) => c.kyc.status === 'approved', 'customer approved')
  return customer.id
}

async function createOffRamp(holder: string, refundAddress: string) {
  const customerId = await kycCustomer()
  const bank = await post(api, `/api/v1/ramps/customers/${customerId}/bank-accounts`, { rail: 'sepa_instant', country: 'DE', holder_name: holder, details: { iban: 'DE89370400440532013000' } })
  const quote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'off_ramp', network: 'base', token_id: usdc.id, country: 'DE', rail: 'sepa_instant', source_amount: '25000000' })
  assert.equal(quote.status, 201, JSON.stringify(quote.body))
  const created = await post(api, '/api/v1/ramps/off-ramps', { quote_id: quote.body.id, bank_account_id: bank.body.id, refund_address: refundAddress })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  return created.body as { id: string; deposit: { address: string } }
}

const offRampOf = async (id: string) => (await api('GET', `/api/v1/ramps/off-ramps/${id}`)).body

/**
 * Waits for the deposit to be credited and the payout submitted: the test's clock moves on only
 * once the submission has committed, so that the bank's settlement delay counts from it.
 */
const payoutSubmitted = (id: string) => drainedUntil(() => offRampOf(id), (x) => x.status === 'payout_submitted', 'deposit credited and payout submitted')

describe('ramps on the devnet', () => {
  it('pays out a real stablecoin deposit: the watcher credits it and the payout ends paid', async () => {
    const o = await createOffRamp('Dana Devnet', '0x00000000000000000000000000000000000000d1')
    await depositOnDevnet(o.deposit.address, 25_000_000n)
    await payoutSubmitted(o.id)
    clock.advance(11_000)
    await drainWorkers(rt)
    const paid = await eventually(() => offRampOf(o.id), (x) => x.status === 'paid', 10_000, 'paid')
    assert.equal(paid.deposit.received.amount, '25000000')
    assert.equal(paid.refund.status, 'none')
  })

  it('refunds the stablecoin on-chain when the payout is returned', async () => {
    const refundAddress = '0x00000000000000000000000000000000000000d2'
    const before = await balanceOf(refundAddress)
    const o = await createOffRamp('Dana Return', refundAddress)
    await depositOnDevnet(o.deposit.address, 25_000_000n)
    await payoutSubmitted(o.id)
    clock.advance(11_000)
    // the recall window counts from the settlement: move the clock only after it
    await drainedUntil(() => offRampOf(o.id), (x) => x.status === 'paid', 'payout settled')
    clock.advance(13 * 3600_000) // the sandbox returns it halfway through the one-day recall window
    await drainWorkers(rt)
    const returned = await eventually(() => offRampOf(o.id), (x) => x.status === 'returned' && x.refund.status === 'sent', 20_000, 'returned and refunded')
    assert.match(returned.refund.tx_hashes[0], /^0x[0-9a-f]{64}$/)
    assert.equal((await balanceOf(refundAddress)) - before, 25_000_000n)
  })

  it('delivers an on-ramp on-chain from the treasury once the fiat arrives', async () => {
    const customerId = await kycCustomer()
    const destination = '0x00000000000000000000000000000000000000d3'
    const before = await balanceOf(destination)
    const quote = await post(api, '/api/v1/ramps/quotes', { customer_id: customerId, direction: 'on_ramp', network: 'base', token_id: usdc.id, country: 'DE', rail: 'sepa', destination_amount: '40000000' })
    const created = await post(api, '/api/v1/ramps/on-ramps', { quote_id: quote.body.id, destination_address: destination })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    await post(api, `/api/v1/ramps/devnet/on-ramps/${created.body.id}/simulate-funds`, {})
    await drainWorkers(rt)
    const done = await eventually(async () => (await api('GET', `/api/v1/ramps/on-ramps/${created.body.id}`)).body, (x) => x.status === 'completed', 20_000, 'completed')
    assert.match(done.delivery.tx_hash, /^0x[0-9a-f]{64}$/)
    assert.equal((await balanceOf(destination)) - before, 40_000_000n)
  })
})
