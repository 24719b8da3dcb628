import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { apiClient, keyHeaders, startTestServer, TEST_DB, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, chainLayer, newInvoice, payBatch, tokenOf, watcherOf } from '../../helpers/chain.ts'
import { findCursor } from '../../../src/modules/chain/cursor.repo.ts'
import { partOf, type ChainWatcher } from '../../../src/modules/chain/watcher.ts'

// A range with many transfers is recorded by several transactions at once, the cursor moving after
// all of them (here: two writers, parts of two transfers or more). Driven tick by tick: no
// worker runs the watcher loop.
describe(
  'chain watcher recording a large range in parallel parts',
  { skip: TEST_DB !== 'postgres' && 'PGlite has one connection: a range is always one transaction' },
  () => {
    let t: TestServer
    let merchantKey = ''
    let base: ChainWatcher

    before(async () => {
      t = await startTestServer({
        devnet: true,
        runWorkers: false,
        env: { PEPAY_NO_WORKERS: 'true', PEPAY_WATCHER_WRITERS: '2', PEPAY_WATCHER_SPLIT_MIN: '2' },
      })
      merchantKey = (await t.onboard('Split Shop')).merchantKey
      base = watcherOf(t, 'devnet:base')
      await base.tick()
    })
    after(async () => t.close())

    const db = () => t.server.deps.db
    const api = () => apiClient(t.url, keyHeaders(merchantKey))
    const cursor = async () => (await findCursor(db(), 'devnet', 'base'))?.lastBlock ?? -1n
    const head = async () => (await chainLayer(t).runtime.get('devnet', 'base')!.adapter.getHead()).number

    /**
     * At least `n` invoices of 1 USD, each paid by one transfer of a single batchTransfer
     * transaction; more when needed for both writers' parts to hold one (deposit ids are random).
     */
    async function paidInOneTransaction(n: number) {
      const usdc = tokenOf(t, 'base', 'USDC')
      const invoices: { id: string; address: string }[] = []
      const parts = new Set<number>()
      while (invoices.length < n || parts.size < 2) {
        const { id, session } = await newInvoice(t, merchantKey, { amount_usd: 1 })
        const address = (await allocateAddress(session, 'base', usdc.id)).temp_address
        const deposit = await db().selectFrom('deposit_address').select('id').where('address', '=', address).executeTakeFirstOrThrow()
        parts.add(partOf(deposit.id, 2))
        invoices.push({ id, address })
      }
      const { txHash } = await payBatch(t, { network: 'base', tokenAddress: usdc.address as string, recipients: invoices.map((i) => i.address), amountsUnits: invoices.map(() => 1_000_000n) })
      return { invoices, txHash }
    }

    const rowsOf = (txHash: string) =>
      sql<{ to_address: string; status: string; block_hash: string }>`
        SELECT to_address, status, block_hash FROM invoice_payment WHERE tx_hash = ${txHash}`.execute(db()).then((r) => r.rows)

    /** Transactions that wrote the transaction's created events (events are never updated). */
    const createdBy = (txHash: string) =>
      sql<{ n: number }>`
        SELECT count(DISTINCT xmin::text)::int AS n FROM event
        WHERE type = 'invoice_payment.created' AND data->'object'->>'tx_hash' = ${txHash}`.execute(db()).then((r) => r.rows[0]?.n)

    async function eventsOf(invoiceId: string) {
      const res = await api()('GET', `/api/v1/events?invoice_id=${invoiceId}&limit=100`)
      return (res.body.data.data as { type: string; data: { object: { status: string } } }[])
        .reverse()
        .filter((e) => e.type.startsWith('invoice_payment.'))
        .map((e) => `${e.type.slice('invoice_payment.'.length)}:${e.data.object.status}`)
    }

    /** One tick whose part holding a payment to `address` fails (its insert is refused). */
    async function tickFailingFor(address: string) {
      await sql`CREATE FUNCTION pepay_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.to_address = ${sql.lit(address)} THEN RAISE EXCEPTION 'simulated writer failure'; END IF; RETURN NEW; END $$`.execute(db())
      await sql`CREATE TRIGGER pepay_test_refuse BEFORE INSERT ON invoice_payment FOR EACH ROW EXECUTE FUNCTION pepay_test_refuse()`.execute(db())
      try {
        await assert.rejects(base.tick(), /simulated writer failure/)
      } finally {
        await sql`DROP TRIGGER pepay_test_refuse ON invoice_payment`.execute(db())
        await sql`DROP FUNCTION pepay_test_refuse()`.execute(db())
      }
    }

    it('records every transfer of the range exactly once, in several transactions, then moves the cursor', async () => {
      const { invoices, txHash } = await paidInOneTransaction(6)
      await base.tick()
      const rows = await rowsOf(txHash)
      assert.equal(rows.length, invoices.length)
      assert.equal(await createdBy(txHash), 2, 'two writers')
      assert.equal(await cursor(), await head())
      for (const invoice of invoices) {
        const body = (await api()('GET', `/api/v1/invoices/${invoice.id}`)).body
        assert.equal(body.status, 'paid')
        assert.equal(body.amount_paid, 1000)
        assert.deepEqual(await eventsOf(invoice.id), ['created:pending', 'updated:confirmed'])
      }
    })

    it('keeps the cursor when one part fails, and the next scan records the rest exactly once', async () => {
      const before = await cursor()
      const { invoices, txHash } = await paidInOneTransaction(6)
      const refused = invoices[0]!.address
      await tickFailingFor(refused)
      assert.equal(await cursor(), before, 'the cursor stays')
      const partial = await rowsOf(txHash)
      assert.ok(partial.length > 0 && partial.length < invoices.length, `the other part committed (${partial.length} rows)`)
      assert.ok(!partial.some((r) => r.to_address === refused))

      await base.tick()
      assert.equal((await rowsOf(txHash)).length, invoices.length)
      assert.equal(await cursor(), await head())
      for (const invoice of invoices) {
        const body = (await api()('GET', `/api/v1/invoices/${invoice.id}`)).body
        assert.equal(body.amount_paid, 1000, 'credited once')
        assert.deepEqual(await eventsOf(invoice.id), ['created:pending', 'updated:confirmed'])
      }
    })

    it('orphans an open payment above the cursor whose block was replaced, and records the transfer again from the chain', async () => {
      const { invoices, txHash } = await paidInOneTransaction(4)
      const refused = invoices[0]!.address
      await tickFailingFor(refused)
      // the committed part's rows, as if seen on a block the chain has since replaced
      const leftover = await rowsOf(txHash)
      assert.ok(leftover.length > 0)
      const canonical = leftover[0]!.block_hash
      await sql`UPDATE invoice_payment SET block_hash = ${`0x${'ab'.repeat(32)}`} WHERE tx_hash = ${txHash}`.execute(db())

      await base.tick()
      const rows = await rowsOf(txHash)
      assert.equal(rows.length, invoices.length)
      for (const row of rows) assert.equal(row.block_hash, canonical, 'recorded again from the canonical block')
      for (const invoice of invoices) {
        const body = (await api()('GET', `/api/v1/invoices/${invoice.id}`)).body
        assert.equal(body.status, 'paid')
        assert.equal(body.amount_paid, 1000, 'credited once')
        const events = await eventsOf(invoice.id)
        if (leftover.some((r) => r.to_address === invoice.address)) {
          assert.deepEqual(events, ['created:pending', 'updated:orphaned', 'updated:pending', 'updated:confirmed'])
        } else {
          assert.deepEqual(events, ['created:pending', 'updated:confirmed'])
        }
      }
    })
  },
)
