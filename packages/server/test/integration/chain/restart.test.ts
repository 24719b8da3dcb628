import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock, systemClock } from '@pepay/core'
import { sql } from 'kysely'
import { apiClient, createTestDatabase, keyHeaders, startTestServer, type TestDatabase, type TestServer } from '../../helpers/server.ts'
import type { Hex } from 'viem'
import { allocateAddress, chainLayer, devnetOf, eventually, newInvoice, payBatch, payToken, tokenOf, type Api } from '../../helpers/chain.ts'
import { findCursor } from '../../../src/modules/chain/cursor.repo.ts'
import type { ChainWatcher } from '../../../src/modules/chain/watcher.ts'

// One database and one devnet data directory through four server lifetimes:
//   1. a server with workers allocates deposit addresses and its watchers commit a cursor;
//   2. a server without workers (the watcher is down) sees payments made, a scan that dies between
//      recording the transfers and saving its cursor, and an address whose row committed late;
//   3. a server with workers, started after that crash, credits every transfer exactly once;
//   4. the same server scans a range again after losing its cursor save: nothing is credited twice.
// anvil keeps its chain in the data directory, so the devnet comes back with every block.

interface Invoice {
  id: string
  session: Api
  address: string
}

describe('chain watcher across crashes and restarts', () => {
  let db: TestDatabase
  let t: TestServer | undefined
  let merchantKey = ''
  const inv: Record<'full' | 'partial' | 'batch' | 'bsc' | 'late', Invoice> = {} as never
  const txs: Record<string, string> = {}

  const server = (): TestServer => {
    assert.ok(t, 'a server is running')
    return t
  }
  const api = () => apiClient(server().url, keyHeaders(merchantKey))
  const invoiceOf = async (id: string) => (await api()('GET', `/api/v1/invoices/${id}?expand=payments`)).body
  const watcherOf = (network: string): ChainWatcher => {
    const w = chainLayer(server()).watchers.find((x) => x.network.def.network === network)
    assert.ok(w)
    return w
  }
  const cursorOf = async (network: string) => (await findCursor(server().server.deps.db, 'devnet', network))?.lastBlock ?? -1n
  const createdEvents = async (id: string) => {
    const res = await api()('GET', `/api/v1/events?invoice_id=${id}&type=invoice_payment.created&limit=100`)
    return (res.body.data.data as { data: { object: { tx_hash: string; log_index: number } } }[]).map((e) => `${e.data.object.tx_hash}:${e.data.object.log_index}`)
  }
  const restart = async (options: { workers: boolean; clock?: FakeClock }) => {
    await t?.stopServer()
    t = await startTestServer({
      database: db,
      devnet: true,
      ...(options.clock && { clock: options.clock }),
      ...(!options.workers && { runWorkers: false, env: { PEPAY_NO_WORKERS: 'true' } }),
    })
  }

  before(async () => {
    db = await createTestDatabase()
  })
  after(async () => {
    await t?.stopServer()
    await db.drop()
  })

  it('commits a cursor for each network while the first server runs', async () => {
    await restart({ workers: true })
    merchantKey = (await t!.onboard('Restart Shop')).merchantKey
    const usdc = tokenOf(server(), 'base', 'USDC')
    for (const name of ['full', 'partial', 'batch'] as const) {
      const { id, session } = await newInvoice(server(), merchantKey, { amount_usd: 6 })
      inv[name] = { id, session, address: (await allocateAddress(session, 'base', usdc.id)).temp_address }
    }
    const onBsc = await newInvoice(server(), merchantKey, { amount_usd: 2 })
    inv.bsc = { ...onBsc, address: (await allocateAddress(onBsc.session, 'bsc', tokenOf(server(), 'bsc', 'USDT').id)).temp_address }
    for (const network of ['base', 'bsc']) {
      const head = (await chainLayer(server()).runtime.get('devnet', network)!.adapter.getHead()).number
      await eventually(() => cursorOf(network), (c) => c >= head, 10_000, `${network} cursor at head`)
    }
  })

  it('records nothing from a range whose scan dies before its cursor is saved', async () => {
    const clock = new FakeClock(systemClock.now())
    await restart({ workers: false, clock })
    const usdc = tokenOf(server(), 'base', 'USDC')
    const base = watcherOf('base')
    await base.tick()

    // an allocation whose row commits after the watcher loaded a newer one: stamped 5 s earlier
    clock.advance(-5_000)
    const late = await newInvoice(server(), merchantKey, { amount_usd: 1 })
    inv.late = { ...late, address: (await allocateAddress(late.session, 'base', usdc.id)).temp_address }
    clock.advance(5_000)
    txs['late'] = (await payToken(server(), { network: 'base', tokenAddress: usdc.address as string, to: inv.late.address, amountUnits: 1_000_000n })).txHash
    await base.tick()
    const latePaid = await invoiceOf(inv.late.id)
    assert.equal(latePaid.status, 'paid', 'the watcher picks up an address whose row committed late')

    // payments while no watcher runs
    txs['full'] = (await payToken(server(), { network: 'base', tokenAddress: usdc.address as string, to: inv.full.address, amountUnits: 6_000_000n })).txHash
    txs['partial'] = (await payToken(server(), { network: 'base', tokenAddress: usdc.address as string, to: inv.partial.address, amountUnits: 2_500_000n })).txHash
    txs['batch'] = (await payBatch(server(), { network: 'base', tokenAddress: usdc.address as string, recipients: [inv.batch.address, inv.batch.address], amountsUnits: [4_000_000n, 2_000_000n] })).txHash
    const usdt = tokenOf(server(), 'bsc', 'USDT')
    txs['bsc'] = (await payToken(server(), { network: 'bsc', tokenAddress: usdt.address as string, to: inv.bsc.address, amountUnits: 2n * 10n ** 18n })).txHash

    // the scan records the transfers, then dies before the cursor save: the transaction never commits
    const cursorBefore = await cursorOf('base')
    const deps = server().server.deps
    await sql`CREATE FUNCTION pepay_test_crash() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated crash before the cursor save'; END $$`.execute(deps.db)
    await sql`CREATE TRIGGER pepay_test_crash BEFORE INSERT OR UPDATE ON chain_cursor FOR EACH ROW EXECUTE FUNCTION pepay_test_crash()`.execute(deps.db)
    try {
      await assert.rejects(base.tick(), /simulated crash/)
    } finally {
      await sql`DROP TRIGGER pepay_test_crash ON chain_cursor`.execute(deps.db)
      await sql`DROP FUNCTION pepay_test_crash()`.execute(deps.db)
    }
    assert.equal(await cursorOf('base'), cursorBefore)
    for (const name of ['full', 'partial', 'batch', 'bsc'] as const) {
      const invoice = await invoiceOf(inv[name].id)
      assert.equal(invoice.status, 'unpaid', name)
      assert.deepEqual(invoice.payments, [], name)
      assert.deepEqual(await createdEvents(inv[name].id), [], name)
    }
  })

  it('credits every payment made while the watcher was down exactly once after a restart', async () => {
    await restart({ workers: true })
    await eventually(() => invoiceOf(inv.full.id), (i) => i.status === 'paid', 15_000, 'full paid')
    await eventually(() => invoiceOf(inv.batch.id), (i) => i.status === 'paid', 15_000, 'batch paid')
    await eventually(() => invoiceOf(inv.partial.id), (i) => i.status === 'underpaid', 15_000, 'partial underpaid')
    await eventually(() => invoiceOf(inv.bsc.id), (i) => i.status === 'paid', 15_000, 'bsc paid')
    const expected: [keyof typeof inv, number, number][] = [
      ['full', 6000, 1],
      ['partial', 2500, 1],
      ['batch', 6000, 2],
      ['bsc', 2000, 1],
      ['late', 1000, 1],
    ]
    for (const [name, paid, transfers] of expected) {
      const invoice = await invoiceOf(inv[name].id)
      assert.equal(invoice.amount_paid, paid, name)
      assert.equal(invoice.payments.length, transfers, name)
      assert.ok(invoice.payments.every((p: { tx_hash: string; status: string }) => p.tx_hash === txs[name] && p.status === 'confirmed'), name)
      const created = await createdEvents(inv[name].id)
      assert.equal(created.length, transfers, `${name}: one invoice_payment.created per transfer`)
      assert.equal(new Set(created).size, transfers)
    }
    const batch = await invoiceOf(inv.batch.id)
    assert.deepEqual(batch.payments.map((p: { token_amount: string }) => p.token_amount).sort(), ['2000000', '4000000'])

    // the watcher is live again: the rest of the partial payment arrives and is credited
    const usdc = tokenOf(server(), 'base', 'USDC')
    await payToken(server(), { network: 'base', tokenAddress: usdc.address as string, to: inv.partial.address, amountUnits: 3_500_000n })
    const done = await eventually(() => invoiceOf(inv.partial.id), (i) => i.status === 'paid', 15_000, 'partial paid')
    assert.equal(done.amount_paid, 6000)
  })

  it('records nothing twice when the cursor is rewound to rescan a range', async () => {
    const deps = server().server.deps
    const before = new Map<string, { paid: number; created: string[] }>()
    for (const name of Object.keys(inv) as (keyof typeof inv)[]) {
      before.set(name, { paid: (await invoiceOf(inv[name].id)).amount_paid, created: await createdEvents(inv[name].id) })
    }
    const firstPayment = (await invoiceOf(inv.late.id)).payments[0]
    const head = await cursorOf('base')
    // back to a block the watcher committed before the first payment (as a restored backup or an
    // operator's rescan would): its hash is still canonical, so this is a rescan, not a reorg
    const stored = await deps.db.selectFrom('chain_block').select('number').where('network', '=', 'base').where('environment', '=', 'devnet').where('number', '<', firstPayment.block_number).orderBy('number', 'desc').limit(1).executeTakeFirst()
    assert.ok(stored, 'a committed block before the first payment')
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('chain_block').where('network', '=', 'base').where('environment', '=', 'devnet').where('number', '>', stored.number).execute()
      await trx.updateTable('chain_cursor').set({ last_block: stored.number }).where('network', '=', 'base').where('environment', '=', 'devnet').execute()
    })
    await eventually(() => cursorOf('base'), (c) => c >= head, 15_000, 'base watcher back at its head')
    for (const [name, was] of before) {
      const invoice = await invoiceOf(inv[name as keyof typeof inv].id)
      assert.equal(invoice.amount_paid, was.paid, name)
      assert.ok(invoice.payments.every((p: { status: string }) => p.status === 'confirmed'), name)
      assert.deepEqual(await createdEvents(inv[name as keyof typeof inv].id), was.created, name)
    }
  })

  // the rewind commits at two points of an iteration: after the cursor read, before the search for
  // a reorg (a half-old, half-new read taken for a reorg would orphan every payment above it), and
  // between the scan and its cursor save (a save over the rewind would skip the rescan)
  for (const [point, hook] of [
    ['between the cursor read and the reorg check', 'getBlockHash'],
    ['between the scan and its cursor save', 'getBlockHeader'],
  ] as const) {
    it(`keeps a cursor rewound ${point} and scans again from it`, async () => {
      const deps = server().server.deps
      const adapter = chainLayer(server()).runtime.get('devnet', 'base')!.adapter
      const before = new Map<string, { paid: number; created: string[] }>()
      for (const name of Object.keys(inv) as (keyof typeof inv)[]) {
        before.set(name, { paid: (await invoiceOf(inv[name].id)).amount_paid, created: await createdEvents(inv[name].id) })
      }
      const firstPayment = (await invoiceOf(inv.late.id)).payments[0]
      const stored = await deps.db.selectFrom('chain_block').select('number').where('network', '=', 'base').where('environment', '=', 'devnet').where('number', '<', firstPayment.block_number).orderBy('number', 'desc').limit(1).executeTakeFirstOrThrow()
      const { getBlockHeader, getBlockHash, scanTransfers } = adapter
      const scannedFrom: bigint[] = []
      let rewound = false
      const rewind = async () => {
        if (rewound) return
        rewound = true
        await deps.db.transaction().execute(async (trx) => {
          await trx.deleteFrom('chain_block').where('network', '=', 'base').where('environment', '=', 'devnet').where('number', '>', stored.number).execute()
          await trx.updateTable('chain_cursor').set({ last_block: stored.number }).where('network', '=', 'base').where('environment', '=', 'devnet').execute()
        })
      }
      if (hook === 'getBlockHash') {
        // the genesis hash is read right after the cursor
        adapter.getBlockHash = async (n) => {
          if (n === 0n) await rewind()
          return getBlockHash(n)
        }
      } else {
        adapter.getBlockHeader = async (n) => {
          await rewind()
          return getBlockHeader(n)
        }
      }
      adapter.scanTransfers = async (range) => {
        scannedFrom.push(range.fromBlock)
        return scanTransfers(range)
      }
      try {
        await devnetOf(server()).anvil('base').mine(1)
        const head = (await adapter.getHead()).number
        await eventually(() => cursorOf('base'), (c) => c >= head && rewound, 15_000, 'base watcher at its head after the rewind')
      } finally {
        adapter.getBlockHeader = getBlockHeader
        adapter.getBlockHash = getBlockHash
        adapter.scanTransfers = scanTransfers
      }
      assert.ok(scannedFrom.includes(BigInt(stored.number) + 1n), 'the watcher scanned again from the rewound cursor')
      for (const [name, was] of before) {
        const invoice = await invoiceOf(inv[name as keyof typeof inv].id)
        assert.equal(invoice.amount_paid, was.paid, name)
        assert.ok(invoice.payments.every((p: { status: string }) => p.status === 'confirmed'), name)
        assert.deepEqual(await createdEvents(inv[name as keyof typeof inv].id), was.created, name)
      }
      const res = await api()('GET', `/api/v1/events?invoice_id=${inv.full.id}&limit=100`)
      assert.ok(!(res.body.data.data as { data: { object: { status: string } } }[]).some((e) => e.data.object.status === 'orphaned'), 'no payment was orphaned')
    })
  }

  it('takes a changed genesis hash for a reset only when the cursor’s own block is gone too', async () => {
    const deps = server().server.deps
    const adapter = chainLayer(server()).runtime.get('devnet', 'base')!.adapter
    const genesis = await adapter.getBlockHash(0n)
    const paidBefore = (await invoiceOf(inv.full.id)).amount_paid
    // anvil regenerates block 0 after some state reloads while every later block stays: the same as
    // a cursor that remembers another genesis
    await deps.db.updateTable('chain_cursor').set({ genesis_hash: `0x${'ab'.repeat(32)}` }).where('network', '=', 'base').where('environment', '=', 'devnet').execute()
    const iterations = watcherOf('base').stats.iterations
    await eventually(async () => watcherOf('base').stats.iterations, (n) => n >= iterations + 3, 15_000, 'three more iterations')
    // the next scanned block stores the genesis the node reports now
    await devnetOf(server()).anvil('base').mine(1)
    const head = (await adapter.getHead()).number
    await eventually(() => cursorOf('base'), (c) => c >= head, 15_000, 'cursor at head')
    const cursor = await deps.db.selectFrom('chain_cursor').select('genesis_hash').where('network', '=', 'base').where('environment', '=', 'devnet').executeTakeFirstOrThrow()
    assert.equal(cursor.genesis_hash, genesis)
    const full = await invoiceOf(inv.full.id)
    assert.equal(full.amount_paid, paidBefore)
    const res = await api()('GET', `/api/v1/events?invoice_id=${inv.full.id}&limit=100`)
    assert.ok(!(res.body.data.data as { data: { object: { status: string } } }[]).some((e) => e.data.object.status === 'orphaned'), 'no payment was orphaned')
  })

  it('retries a range whose newest block the node cannot return yet instead of treating it as a reorg', async () => {
    const network = chainLayer(server()).runtime.get('devnet', 'base')
    assert.ok(network)
    const adapter = network.adapter
    const getBlockHeader = adapter.getBlockHeader
    const usdc = tokenOf(server(), 'base', 'USDC')
    const payer = devnetOf(server()).fundedAccounts('base')[0]
    assert.ok(payer)
    await devnetOf(server()).faucet('base', payer.address, { tokenAddress: usdc.address as Hex, amountUnits: 2_000_000n })
    const armedFrom = (await adapter.getHead()).number + 1n
    await eventually(() => cursorOf('base'), (c) => c >= armedFrom - 1n, 15_000, 'cursor past the mint')
    let misses = 0
    // a load-balanced RPC whose backend has not seen the block its head report named yet
    adapter.getBlockHeader = async (n) => {
      if (misses === 0 && n >= armedFrom) {
        misses += 1
        return undefined
      }
      return getBlockHeader(n)
    }
    try {
      const { id, session } = await newInvoice(server(), merchantKey, { amount_usd: 2 })
      const quote = await allocateAddress(session, 'base', usdc.id)
      await payToken(server(), { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: 2_000_000n, payer: 1, mint: false })
      await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 15_000, 'paid')
      const head = (await adapter.getHead()).number
      await eventually(() => cursorOf('base'), (c) => c >= head, 15_000, 'cursor at head')
      // two more full iterations: a cursor saved without its block would be taken for a reorg now
      const iterations = watcherOf('base').stats.iterations
      await eventually(async () => watcherOf('base').stats.iterations, (n) => n >= iterations + 2, 15_000, 'two more iterations')
      assert.equal(misses, 1)
      const res = await api()('GET', `/api/v1/events?invoice_id=${id}&limit=100`)
      const events = res.body.data.data as { type: string; data: { object: { status: string } } }[]
      assert.ok(!events.some((e) => e.type === 'invoice_payment.updated' && e.data.object.status === 'orphaned'), 'no payment was orphaned')
      assert.equal(events.filter((e) => e.type === 'invoice.updated').length, 1)
    } finally {
      adapter.getBlockHeader = getBlockHeader
    }
  })
})
