import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock, systemClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, type Api, chainLayer, devnetOf, eventTypesOf, newInvoice, payNative, payToken, tokenOf, watcherOf } from '../../helpers/chain.ts'
import { MAX_VERIFICATION_ATTEMPTS, runDueVerifications } from '../../../src/modules/chain/verification.ts'
import type { ChainWatcher } from '../../../src/modules/chain/watcher.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

// Manual verification (POST/GET /api/v1/invoice/{id}/verify) on a server without workers: no
// watcher loop runs, so payments are only found when a test ticks the watcher or runs the due
// verification jobs itself. Two confirmations are required, so "deep enough" is observable.

let t: TestServer
let clock: FakeClock
let merchant: OnboardedMerchant
let api: Api
let watcher: ChainWatcher

before(async () => {
  clock = new FakeClock(systemClock.now())
  t = await startTestServer({ devnet: true, clock, runWorkers: false, env: { PEPAY_NO_WORKERS: 'true', PEPAY_DEVNET_CONFIRMATIONS: '2' } })
  merchant = await t.onboard('Verify Shop')
  api = apiClient(t.url, keyHeaders(merchant.merchantKey))
  watcher = watcherOf(t, 'devnet:base')
  // the watcher ran once and then went down: its cursor stays at this head
  await watcher.tick()
})
after(async () => t.close())

const run = () => runDueVerifications(t.server.deps, chainLayer(t).runtime)
const invoiceOf = async (id: string) => (await api('GET', `/api/v1/invoices/${id}?expand=payments`)).body
const seconds = () => Math.floor(clock.now().getTime() / 1000)

async function paidInvoice(amountUsd: number) {
  const usdc = tokenOf(t, 'base', 'USDC')
  const invoice = await newInvoice(t, merchant.merchantKey, { amount_usd: amountUsd })
  const quote = await allocateAddress(invoice.session, 'base', usdc.id)
  const paid = await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units) })
  return { ...invoice, address: quote.temp_address, txHash: paid.txHash }
}

describe('POST /api/v1/invoice/{invoiceId}/verify', () => {
  it('queues a pending job with the documented shape (202) that GET returns', async () => {
    const { id, session } = await paidInvoice(2)
    const res = await session('POST', `/api/v1/invoice/${id}/verify`, { body: { network: 'base' } })
    assert.equal(res.status, 202, JSON.stringify(res.body))
    assert.equal(res.body.success, true)
    const job = res.body.data
    assert.deepEqual(Object.keys(job).sort(), ['attempt_count', 'completed_at', 'created_at', 'error', 'id', 'invoice_id', 'job_status', 'max_attempts', 'network', 'next_attempt_at', 'object', 'result', 'status', 'updated_at'])
    assert.equal(job.object, 'invoice_manual_verification')
    assert.match(job.id, /^[0-9a-f-]{36}$/)
    assert.equal(job.invoice_id, id)
    assert.equal(job.network, 'base')
    assert.equal(job.job_status, 'pending')
    assert.equal(job.status, 'pending')
    assert.equal(job.attempt_count, 0)
    assert.equal(job.max_attempts, MAX_VERIFICATION_ATTEMPTS)
    assert.equal(job.next_attempt_at, seconds())
    assert.equal(job.created_at, seconds())
    assert.equal(job.completed_at, null)
    assert.deepEqual(job.result, {})
    assert.deepEqual(job.error, {})
    const read = await session('GET', `/api/v1/invoice/${id}/verify`)
    assert.equal(read.status, 200)
    assert.deepEqual(read.body, { success: true, data: job })
    // a body is optional: the invoice's active network is used
    const bare = await session('POST', `/api/v1/invoice/${id}/verify`)
    assert.equal(bare.status, 202)
    assert.equal(bare.body.data.network, 'base')
    await run()
  })

  it('credits a payment made while the watcher was down exactly once, however often it runs', async () => {
    const { id, session, txHash } = await paidInvoice(7)
    await devnetOf(t).anvil('base').mine(1)
    assert.equal((await invoiceOf(id)).status, 'unpaid')
    assert.equal((await session('POST', `/api/v1/invoice/${id}/verify`)).status, 202)
    assert.equal(await run(), 1)
    const paid = await invoiceOf(id)
    assert.equal(paid.status, 'paid')
    assert.equal(paid.amount_paid, 7000)
    assert.equal(paid.payments.length, 1)
    assert.equal(paid.payments[0].tx_hash, txHash)
    assert.equal(paid.payments[0].status, 'confirmed')
    const done = await session('GET', `/api/v1/invoice/${id}/verify`)
    assert.equal(done.body.data.status, 'completed')
    assert.equal(done.body.data.job_status, 'completed')
    assert.equal(done.body.data.attempt_count, 1)
    assert.equal(done.body.data.next_attempt_at, null)
    assert.equal(done.body.data.completed_at, seconds())
    assert.equal(done.body.data.result.transfers_found, 1)
    assert.equal(done.body.data.result.payments_recorded, 1)
    assert.equal(done.body.data.result.transfers_awaiting_confirmations, 0)

    for (let i = 0; i < 2; i += 1) {
      // GET reads the newest job: a later second keeps "newest" unambiguous
      clock.advance(1_000)
      assert.equal((await session('POST', `/api/v1/invoice/${id}/verify`)).status, 202)
      assert.equal(await run(), 1)
      const again = await session('GET', `/api/v1/invoice/${id}/verify`)
      assert.equal(again.body.data.status, 'completed')
      assert.equal(again.body.data.result.transfers_found, 1)
      assert.equal(again.body.data.result.payments_recorded, 0)
    }
    // the watcher comes back and scans the same range: still one payment, one credit
    await watcher.tick()
    const final = await invoiceOf(id)
    assert.equal(final.amount_paid, 7000)
    assert.equal(final.payments.length, 1)
    const types = await eventTypesOf(api, id)
    assert.equal(types.filter((x) => x === 'invoice_payment.created').length, 1)
    assert.equal(types.filter((x) => x === 'invoice.updated').length, 1)
  })

  it('answers a repeated request with the job already queued instead of a second one', async () => {
    const { id, session } = await paidInvoice(5)
    const requests = await Promise.all([1, 2, 3].map(() => session('POST', `/api/v1/invoice/${id}/verify`)))
    assert.deepEqual(requests.map((r) => r.status), [202, 202, 202])
    assert.equal(new Set(requests.map((r) => r.body.data.id)).size, 1)
    const jobs = await t.server.deps.db.selectFrom('manual_verification').select('id').where('invoice_id', '=', id).execute()
    assert.equal(jobs.length, 1)
    await devnetOf(t).anvil('base').mine(1)
    assert.equal(await run(), 1)
    // once it completed, a new request queues a new scan
    clock.advance(1_000)
    const next = await session('POST', `/api/v1/invoice/${id}/verify`)
    assert.notEqual(next.body.data.id, requests[0]?.body.data.id)
    assert.equal(next.body.data.status, 'pending')
    await run()
  })

  it('credits a native coin payment made while the watcher was down', async () => {
    const eth = tokenOf(t, 'base', 'ETH')
    const invoice = await newInvoice(t, merchant.merchantKey, { amount_usd: 6 })
    const quote = await allocateAddress(invoice.session, 'base', eth.id)
    const paid = await payNative(t, { network: 'base', to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units) })
    await devnetOf(t).anvil('base').mine(1)
    assert.equal((await invoice.session('POST', `/api/v1/invoice/${invoice.id}/verify`)).status, 202)
    assert.equal(await run(), 1)
    const credited = await invoiceOf(invoice.id)
    assert.equal(credited.status, 'paid')
    assert.equal(credited.payments.length, 1)
    assert.equal(credited.payments[0].tx_hash, paid.txHash)
    const done = await invoice.session('GET', `/api/v1/invoice/${invoice.id}/verify`)
    assert.equal(done.body.data.result.payments_recorded, 1)
  })

  it('credits once when two jobs for the same invoice run at the same time', async () => {
    const { id, session } = await paidInvoice(4)
    await devnetOf(t).anvil('base').mine(1)
    await session('POST', `/api/v1/invoice/${id}/verify`)
    // a second job for the same invoice, as two processes that each queued one would leave
    const first = await t.server.deps.db.selectFrom('manual_verification').selectAll().where('invoice_id', '=', id).executeTakeFirstOrThrow()
    await t.server.deps.db.insertInto('manual_verification').values({ ...first, id: crypto.randomUUID(), result: null, error: null }).execute()
    const [a, b] = await Promise.all([run(), run()])
    assert.equal(a + b, 2)
    const invoice = await invoiceOf(id)
    assert.equal(invoice.status, 'paid')
    assert.equal(invoice.amount_paid, 4000)
    assert.equal(invoice.payments.length, 1)
    const types = await eventTypesOf(api, id)
    assert.equal(types.filter((x) => x === 'invoice_payment.created').length, 1)
  })

  it('leaves a transfer without its confirmations above the watcher’s cursor to the watcher', async () => {
    const { id, session } = await paidInvoice(3)
    await session('POST', `/api/v1/invoice/${id}/verify`)
    await run()
    const job = (await session('GET', `/api/v1/invoice/${id}/verify`)).body.data
    assert.equal(job.status, 'completed')
    assert.equal(job.result.transfers_found, 1)
    assert.equal(job.result.payments_recorded, 0)
    assert.equal(job.result.transfers_awaiting_confirmations, 1)
    assert.equal((await invoiceOf(id)).payments.length, 0)
    // the watcher records it pending, then confirms it one block later
    await watcher.tick()
    const pending = await invoiceOf(id)
    assert.equal(pending.payments[0].status, 'pending')
    assert.equal(pending.status, 'unpaid')
    await devnetOf(t).anvil('base').mine(1)
    await watcher.tick()
    assert.equal((await invoiceOf(id)).status, 'paid')
  })

  it('retries a failing scan with attempts and next_attempt_at, then fails after the last attempt', async () => {
    const { id, session } = await paidInvoice(5)
    await devnetOf(t).anvil('base').mine(1)
    const adapter = chainLayer(t).runtime.get('devnet', 'base')?.adapter
    assert.ok(adapter)
    const getHead = adapter.getHead
    adapter.getHead = async () => {
      throw new Error('fetch failed: connection refused')
    }
    try {
      await session('POST', `/api/v1/invoice/${id}/verify`)
      for (let attempt = 1; attempt <= MAX_VERIFICATION_ATTEMPTS; attempt += 1) {
        assert.equal(await run(), 1, `attempt ${attempt} runs`)
        const job = (await session('GET', `/api/v1/invoice/${id}/verify`)).body.data
        assert.equal(job.attempt_count, attempt)
        assert.match(job.error.message, /connection refused/)
        if (attempt < MAX_VERIFICATION_ATTEMPTS) {
          assert.equal(job.status, 'running')
          assert.equal(job.next_attempt_at, seconds() + 15)
          assert.equal(await run(), 0, 'not due before next_attempt_at')
          clock.advance(15_000)
        } else {
          assert.equal(job.status, 'failed')
          assert.equal(job.next_attempt_at, null)
        }
      }
      clock.advance(15_000)
      assert.equal(await run(), 0, 'a failed job is not retried')
    } finally {
      adapter.getHead = getHead
    }
    assert.equal((await invoiceOf(id)).status, 'unpaid')
    await session('POST', `/api/v1/invoice/${id}/verify`)
    await run()
    assert.equal((await invoiceOf(id)).status, 'paid')
  })

  it('answers 400 naming network for a network the invoice has no address on, and writes no job', async () => {
    const usdc = tokenOf(t, 'base', 'USDC')
    const { id, session } = await newInvoice(t, merchant.merchantKey, { amount_usd: 1 })
    const none = await session('POST', `/api/v1/invoice/${id}/verify`)
    assert.equal(none.status, 400)
    assert.equal(none.body.error.code, 'VALIDATION_ERROR')
    assert.equal(none.body.error.details[0].field, 'network')
    await allocateAddress(session, 'base', usdc.id)
    const bad: [Record<string, unknown>, string][] = [
      [{ network: 'bsc' }, 'network'],
      [{ network: 'solana' }, 'network'],
      [{ network: 'ethereum' }, 'network'],
      [{ network: 7 }, 'network'],
      [{ network: 'base', force: true }, 'force'],
    ]
    for (const [body, field] of bad) {
      const res = await session('POST', `/api/v1/invoice/${id}/verify`, { body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.equal(res.body.error.details[0].field, field)
    }
    const missing = await session('GET', `/api/v1/invoice/${id}/verify`)
    assert.equal(missing.status, 404)
    assert.equal(missing.body.error.code, 'NOT_FOUND')
  })

  it('answers 403 for another session’s invoice id and for server credentials, 401 without headers', async () => {
    const a = await paidInvoice(1)
    const b = await newInvoice(t, merchant.merchantKey, { amount_usd: 1 })
    for (const method of ['POST', 'GET']) {
      const crossed = await b.session(method, `/api/v1/invoice/${a.id}/verify`)
      assert.equal(crossed.status, 403, method)
      assert.equal(crossed.body.error.code, 'SESSION_MISMATCH')
      const key = await api(method, `/api/v1/invoice/${a.id}/verify`)
      assert.equal(key.status, 403)
      assert.equal(key.body.error.code, 'WRONG_AUTH_MODE')
      assert.equal((await apiClient(t.url)(method, `/api/v1/invoice/${a.id}/verify`)).status, 401)
    }
    const malformed = await a.session('POST', '/api/v1/invoice/not-a-uuid/verify')
    assert.equal(malformed.status, 400)
    assert.equal((await a.session('GET', `/api/v1/invoice/${a.id}/verify`)).status, 404)
  })
})
