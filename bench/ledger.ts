/**
 * Ledger benchmark: balanced transfers posted per second on Postgres at 1 and 16 connections,
 * beside a raw single-row BEGIN/INSERT/COMMIT loop measured in the same run on the same server.
 *
 * Each transfer moves a random amount of `USDC:base/6` between two random guarded accounts out of
 * BENCH_LEDGER_ACCOUNTS (default 100,000; all pre-funded through the ledger itself), so a transfer
 * locks two rows, inserts a transaction and two postings and updates two balances, with the
 * non-negative constraint checked. Two shapes:
 * - `single`: one transfer per database transaction (one durable commit each);
 * - `batched`: BENCH_LEDGER_BATCH transfers (default 128) per database transaction, accounts locked
 *   once in key order (the platform's postLedgerBatch), the way TigerBeetle batches.
 * The target (5,000 transfers/s at 16 connections) is judged on the batched shape; the single shape
 * is bounded by commits per second, which the raw loop measures.
 *
 * `npm run bench -- ledger`, or standalone `node bench/ledger.ts`; writes bench/results/ledger.json.
 */
import { randomInt } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { systemClock } from '@pepay/core'
import { openDatabase, type Database } from '../packages/server/src/db/database.ts'
import { migrateToLatest } from '../packages/server/src/db/migrate.ts'
import { insertMerchant } from '../packages/server/src/modules/merchants/merchant.repo.ts'
import { ledgerInvariants, postLedgerBatch } from '../packages/server/src/modules/ramps/ledger/ledger.repo.ts'
import type { LedgerTransactionInput } from '../packages/server/src/modules/ramps/ledger/ledger.ts'
import { runClosedLoop } from './lib/closed-loop.ts'
import { envInt, summarize, type Measurement } from './lib/measurement.ts'
import { BENCH_POSTGRES_URL, createScratchDatabase, postgresVersion } from './lib/postgres.ts'
import { rawInsertPostgres } from './lib/raw-insert.ts'

export const TARGET_TRANSFERS_PER_SECOND = 5_000
const ASSET = 'USDC:base/6'
const FUNDING = 10n ** 15n

interface Row {
  shape: 'raw_insert' | 'ledger_single' | 'ledger_batched'
  connections: number
  /** Transfers (or raw rows) per second. */
  per_second: number
  commits_per_second: number
  p50_ms: number
  p99_ms: number
  errors: number
}

function env(name: string, fallback: number): number {
  return envInt(process.env, name, fallback)
}

export async function run(): Promise<object> {
  const durationMs = env('BENCH_DURATION_MS', 5_000)
  const warmupMs = env('BENCH_WARMUP_MS', 1_000)
  const accounts = env('BENCH_LEDGER_ACCOUNTS', 100_000)
  const batch = env('BENCH_LEDGER_BATCH', 128)
  const levels = [1, 16]
  const scratch = await createScratchDatabase()
  let database: Database | undefined
  try {
    database = await openDatabase({ databaseUrl: scratch.url, poolSize: Math.max(...levels) + 1 })
    await migrateToLatest(database)
    const now = systemClock.now()
    const merchant = await insertMerchant(database.db, { name: 'Ledger bench', email: null, isDemo: false, now })
    const addresses = Array.from({ length: accounts }, (_, i) => `bench:${i}`)
    // fund every account through the ledger itself (31 postings per transaction), so invariants hold
    for (let i = 0; i < addresses.length; i += 31 * 20) {
      const inputs: LedgerTransactionInput[] = []
      for (let j = i; j < Math.min(i + 31 * 20, addresses.length); j += 31) {
        inputs.push({
          merchantId: merchant.id, environment: 'devnet', kindCode: 'bench.funding', reference: `bench:funding:${j}`,
          postings: addresses.slice(j, j + 31).map((target) => ({ source: 'world', target, asset: ASSET, amount: FUNDING })),
          occurredAt: now, recordedAt: now,
        })
      }
      await database.db.transaction().execute((trx) => postLedgerBatch(trx, inputs))
    }

    let sequence = 0
    const transfer = (): LedgerTransactionInput => {
      const a = randomInt(accounts)
      let b = randomInt(accounts - 1)
      if (b >= a) b += 1
      sequence += 1
      const at = systemClock.now()
      return {
        merchantId: merchant.id, environment: 'devnet', kindCode: 'bench.transfer', reference: `bench:t:${process.pid}:${sequence}`,
        postings: [{ source: addresses[a] as string, target: addresses[b] as string, asset: ASSET, amount: BigInt(1 + randomInt(1000)) }],
        occurredAt: at, recordedAt: at,
      }
    }
    const db = database.db
    const rows: Row[] = []
    const raw = rawInsertPostgres(scratch.url)
    for (const connections of levels) {
      const rig = await raw.rig(connections)
      try {
        const m = summarize(await rig.measure({ durationMs, warmupMs }))
        rows.push(row('raw_insert', connections, m, 1))
      } finally {
        await rig.close()
      }
      const single = summarize(await runClosedLoop(async () => {
        await db.transaction().execute((trx) => postLedgerBatch(trx, [transfer()]))
        return true
      }, { concurrency: connections, durationMs, warmupMs }))
      rows.push(row('ledger_single', connections, single, 1))
      const batched = summarize(await runClosedLoop(async () => {
        await db.transaction().execute((trx) => postLedgerBatch(trx, Array.from({ length: batch }, transfer)))
        return true
      }, { concurrency: connections, durationMs, warmupMs }))
      rows.push(row('ledger_batched', connections, batched, batch))
    }
    const invariants = await ledgerInvariants(db)
    const best16 = rows.find((r) => r.shape === 'ledger_batched' && r.connections === 16)?.per_second ?? 0
    return {
      target: { transfers_per_second_at_16_connections: TARGET_TRANSFERS_PER_SECOND, shape: 'ledger_batched', met: best16 >= TARGET_TRANSFERS_PER_SECOND },
      postgres: await postgresVersion(BENCH_POSTGRES_URL).catch(() => 'unknown'),
      settings: { duration_ms: durationMs, warmup_ms: warmupMs, accounts, batch },
      rows,
      invariants: {
        balance_mismatches: invariants.balanceMismatches,
        negative_guarded_accounts: invariants.negativeGuarded,
        asset_sums_zero: invariants.assetSums.every((s) => s.sum === 0n),
      },
    }
  } finally {
    await database?.close()
    await scratch.drop()
  }
}

function row(shape: Row['shape'], connections: number, m: Measurement, perOperation: number): Row {
  return {
    shape,
    connections,
    per_second: Math.round(m.rps * perOperation),
    commits_per_second: Math.round(m.rps),
    p50_ms: m.p50Ms,
    p99_ms: m.p99Ms,
    errors: m.errors,
  }
}

// standalone: `node bench/ledger.ts` writes the same results file the runner does
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run()
  const path = join(dirname(fileURLToPath(import.meta.url)), 'results', 'ledger.json')
  mkdirSync(dirname(path), { recursive: true })
  const document = { bench: 'ledger', finishedAt: systemClock.now().toISOString(), result }
  writeFileSync(`${path}.tmp`, `${JSON.stringify(document, null, 2)}\n`)
  renameSync(`${path}.tmp`, path)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\nwrote ${path}\n`)
  process.exit(0)
}
