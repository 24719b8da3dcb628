import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { sql } from 'kysely'
import { openDatabase, type Database } from '../../../src/db/database.ts'
import { migrateToLatest } from '../../../src/db/migrate.ts'
import { insertMerchant } from '../../../src/modules/merchants/merchant.repo.ts'
import { ledgerInvariants, listAccountBalances, listLedgerEntries, postLedgerBatch, postLedgerTransaction } from '../../../src/modules/ramps/ledger/ledger.repo.ts'
import { isGuardedAccount, sumPerAsset, type Posting } from '../../../src/modules/ramps/ledger/ledger.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/server.ts'

const ACCOUNTS = ['world', 'platform:treasury', 'fees', 'off_ramp:a:deposit', 'off_ramp:b:payout', 'on_ramp:c:funds']
const ASSETS = ['USDC:base/6', 'EUR/2', 'JPY/0']
const AT = new Date(Date.UTC(2026, 0, 1))

const postingArb = fc
  .record({
    source: fc.constantFrom(...ACCOUNTS),
    target: fc.constantFrom(...ACCOUNTS),
    asset: fc.constantFrom(...ASSETS),
    amount: fc.bigInt({ min: 1n, max: 10n ** 24n }),
  })
  .filter((p) => p.source !== p.target)
const transactionArb = fc.array(postingArb, { minLength: 1, maxLength: 5 })

describe('ledger (postLedgerTransaction)', () => {
  let tdb: TestDatabase
  let database: Database
  let merchantCounter = 0

  before(async () => {
    tdb = await createTestDatabase()
    database = await openDatabase({ databaseUrl: tdb.url, dataDir: tdb.url ? undefined : tdb.dataDir })
    await migrateToLatest(database)
  })
  after(async () => {
    await database.close()
    await tdb.drop()
  })

  async function newMerchant(): Promise<bigint> {
    merchantCounter += 1
    const merchant = await insertMerchant(database.db, { name: `Ledger ${merchantCounter}`, email: null, isDemo: false, now: AT })
    return merchant.id
  }

  it('keeps every asset summing to zero, balances equal to their postings and guarded accounts non-negative (seeded property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(transactionArb, { minLength: 1, maxLength: 25 }), async (transactions) => {
        const merchantId = await newMerchant()
        const model = new Map<string, bigint>()
        let refused = 0
        for (const [index, postings] of transactions.entries()) {
          for (const [asset, sum] of sumPerAsset(postings)) assert.equal(sum, 0n, `transaction ${index} unbalanced in ${asset}`)
          const next = new Map(model)
          for (const p of postings) {
            next.set(`${p.source}|${p.asset}`, (next.get(`${p.source}|${p.asset}`) ?? 0n) - p.amount)
            next.set(`${p.target}|${p.asset}`, (next.get(`${p.target}|${p.asset}`) ?? 0n) + p.amount)
          }
          const overdraws = [...next].some(([key, balance]) => balance < 0n && isGuardedAccount(key.slice(0, key.indexOf('|'))))
          try {
            await database.db.transaction().execute((trx) =>
              postLedgerTransaction(trx, {
                merchantId,
                environment: 'devnet',
                kindCode: 'test.transfer',
                reference: `prop:${merchantId}:${index}`,
                postings,
                occurredAt: AT,
                recordedAt: AT,
              }),
            )
            assert.equal(overdraws, false, `transaction ${index} overdrew a guarded account but was accepted`)
            for (const [k, v] of next) model.set(k, v)
          } catch (error) {
            assert.equal((error as { code?: string }).code, 'INSUFFICIENT_FUNDS', String(error))
            assert.equal(overdraws, true, `transaction ${index} was refused without overdrawing`)
            refused += 1
          }
        }
        const stored = await listAccountBalances(database.db, merchantId, 'devnet')
        for (const account of stored) {
          assert.equal(account.balance, model.get(`${account.address}|${account.asset}`) ?? 0n, `${account.address} ${account.asset}`)
          if (account.isNonNegative) assert.ok(account.balance >= 0n)
        }
        const perAsset = new Map<string, bigint>()
        for (const a of stored) perAsset.set(a.asset, (perAsset.get(a.asset) ?? 0n) + a.balance)
        for (const [asset, sum] of perAsset) assert.equal(sum, 0n, `merchant balances in ${asset} sum to ${sum}`)
        const refusedRows = await database.db
          .selectFrom('ledger_transaction')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('merchant_id', '=', merchantId.toString())
          .executeTakeFirstOrThrow()
        assert.equal(Number(refusedRows.n), transactions.length - refused, 'a refused transaction left rows behind')
      }),
      { seed: 20260101, numRuns: 25 },
    )
    const invariants = await ledgerInvariants(database.db)
    assert.equal(invariants.balanceMismatches, 0)
    assert.equal(invariants.negativeGuarded, 0)
    for (const { asset, sum } of invariants.assetSums) assert.equal(sum, 0n, `global ${asset}`)
  })

  it('moves nothing when a reference is posted again', async () => {
    const merchantId = await newMerchant()
    const postings: Posting[] = [{ source: 'world', target: 'off_ramp:x:deposit', asset: 'USDC:base/6', amount: 5_000_000n }]
    const input = { merchantId, environment: 'devnet' as const, kindCode: 'test', reference: `replay:${merchantId}`, postings, occurredAt: AT, recordedAt: AT }
    const first = await postLedgerTransaction(database.db, input)
    const second = await postLedgerTransaction(database.db, { ...input, postings: [{ ...postings[0]!, amount: 9n }] })
    assert.equal(first.created, true)
    assert.equal(second.created, false)
    assert.equal(second.id, first.id)
    const balances = await listAccountBalances(database.db, merchantId, 'devnet')
    assert.equal(balances.find((b) => b.address === 'off_ramp:x:deposit')?.balance, 5_000_000n)
  })

  it('refuses to update, delete or truncate posted rows', async () => {
    const merchantId = await newMerchant()
    const posted = await postLedgerTransaction(database.db, {
      merchantId,
      environment: 'devnet',
      kindCode: 'test',
      reference: `immutable:${merchantId}`,
      postings: [{ source: 'world', target: 'fees', asset: 'EUR/2', amount: 100n }],
      occurredAt: AT,
      recordedAt: AT,
    })
    await assert.rejects(sql`UPDATE ledger_posting SET amount = 1 WHERE transaction_id = ${posted.id.toString()}::bigint`.execute(database.db), /append-only/)
    await assert.rejects(sql`DELETE FROM ledger_transaction WHERE id = ${posted.id.toString()}::bigint`.execute(database.db), /append-only/)
    await assert.rejects(sql`TRUNCATE ledger_posting`.execute(database.db), /append-only/)
  })

  it('posts a batch all or nothing: one overdraft refuses every transaction of it', async () => {
    const merchantId = await newMerchant()
    const tx = (i: number, amount: bigint, source = 'world') => ({
      merchantId, environment: 'devnet' as const, kindCode: 'test', reference: `batch:${merchantId}:${i}`,
      postings: [{ source, target: `off_ramp:b${i}:deposit`, asset: 'USDC:base/6', amount }], occurredAt: AT, recordedAt: AT,
    })
    const ok = await database.db.transaction().execute((trx) => postLedgerBatch(trx, [tx(1, 5n), tx(2, 7n)]))
    assert.deepEqual(ok.map((p) => p.created), [true, true])
    await assert.rejects(
      database.db.transaction().execute((trx) => postLedgerBatch(trx, [tx(3, 1n), tx(4, 50n, 'off_ramp:b1:deposit')])),
      { code: 'INSUFFICIENT_FUNDS' },
    )
    const balances = await listAccountBalances(database.db, merchantId, 'devnet')
    assert.equal(balances.find((b) => b.address === 'off_ramp:b3:deposit'), undefined, 'the first transaction of the refused batch left nothing')
    assert.equal(balances.find((b) => b.address === 'off_ramp:b1:deposit')?.balance, 5n)
  })

  it('lists entries newest first, paging older with startingAfter and newer with endingBefore', async () => {
    const merchantId = await newMerchant()
    const ids: bigint[] = []
    for (let i = 0; i < 3; i += 1) {
      const posted = await postLedgerTransaction(database.db, {
        merchantId,
        environment: 'devnet',
        kindCode: 'test',
        reference: `page:${merchantId}:${i}`,
        postings: [{ source: 'world', target: 'fees', asset: 'EUR/2', amount: BigInt(i + 1) }],
        occurredAt: AT,
        recordedAt: AT,
      })
      ids.push(posted.id)
    }
    const [a, b, c] = ids
    const filter = { merchantId, environment: 'devnet' as const }
    const page = async (p: { limit: number; startingAfter?: bigint; endingBefore?: bigint }) => {
      const listed = await listLedgerEntries(database.db, filter, p)
      return { ids: listed.entries.map((e) => e.id), hasMore: listed.hasMore }
    }
    assert.deepEqual(await page({ limit: 2 }), { ids: [c, b], hasMore: true })
    assert.deepEqual(await page({ limit: 2, startingAfter: b }), { ids: [a], hasMore: false })
    assert.deepEqual(await page({ limit: 2, endingBefore: a }), { ids: [c, b], hasMore: false })
    assert.deepEqual(await page({ limit: 1, endingBefore: a }), { ids: [b], hasMore: true })
    assert.deepEqual(await page({ limit: 5, endingBefore: c }), { ids: [], hasMore: false })
  })

  it('refuses malformed postings before touching the database', async () => {
    const merchantId = await newMerchant()
    const base = { merchantId, environment: 'devnet' as const, kindCode: 'test', reference: `bad:${merchantId}`, occurredAt: AT, recordedAt: AT }
    const bad: Posting[][] = [
      [],
      [{ source: 'world', target: 'fees', asset: 'EUR/2', amount: 0n }],
      [{ source: 'world', target: 'fees', asset: 'EUR/2', amount: -5n }],
      [{ source: 'fees', target: 'fees', asset: 'EUR/2', amount: 5n }],
      [{ source: 'world', target: 'fees', asset: 'eur', amount: 5n }],
    ]
    for (const postings of bad) {
      await assert.rejects(postLedgerTransaction(database.db, { ...base, postings }), { code: 'LEDGER_INVALID' })
    }
  })
})
