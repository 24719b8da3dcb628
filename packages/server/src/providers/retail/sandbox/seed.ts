import { setTimeout as delay } from 'node:timers/promises'
import type { Clock } from '@pepay/core'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { DB } from '../../../db/schema.ts'
import {
  analyzeCatalog,
  claimSeedingLease,
  findCatalogState,
  insertSandboxProducts,
  insertSearchWords,
  insertShowcaseProducts,
  recordSeedProgress,
  releaseSeedingLease,
  type CatalogState,
} from './sandbox-catalog.repo.ts'
import { sandboxWords } from './vocabulary.ts'

export const DEFAULT_CATALOG_SIZE = 100_000
/**
 * Rows per transaction: small enough to let other queries in between. The embedded database has
 * one connection, so a payment detected during the first start's seed waits for the batch in
 * progress: 2,500 rows took 620 ms there, 500 take 120 ms, and the whole seed takes as long.
 */
const DEFAULT_BATCH = 500
/** Between batches: what lets a short run of other queries through (200 batches: 4 s more in all). */
const BATCH_PAUSE_MS = 20
const LEASE_MS = 60_000

export interface SeedProgress {
  status: 'not_started' | 'seeding' | 'ready'
  seeded: number
  target: number
}

export async function catalogProgress(db: Kysely<DB>): Promise<SeedProgress> {
  const state = await findCatalogState(db)
  if (!state) return { status: 'not_started', seeded: 0, target: 0 }
  return {
    status: state.status,
    seeded: Math.min(state.seededCount, state.targetSize),
    target: state.targetSize,
  }
}

/**
 * Seeds the sandbox catalog up to `targetSize` generated products (plus the documented showcase
 * products), resuming from the committed count. Safe to run in many processes: a lease lets one
 * seed while the others return at once. Stops early when `signal` aborts.
 */
export async function seedSandboxCatalog(
  deps: { db: Kysely<DB>; clock: Clock; log: Logger },
  options: { targetSize: number; owner: string; batchSize?: number; signal?: AbortSignal },
): Promise<CatalogState | undefined> {
  const batch = options.batchSize ?? DEFAULT_BATCH
  const claimed = await claimSeedingLease(deps.db, {
    owner: options.owner,
    targetSize: options.targetSize,
    now: deps.clock.now(),
    leaseMs: LEASE_MS,
  })
  if (!claimed) return findCatalogState(deps.db)
  try {
    if (claimed.seededCount === 0) {
      await deps.db.transaction().execute(async (trx) => {
        await insertShowcaseProducts(trx, deps.clock.now())
        await insertSearchWords(trx, 'sandbox', sandboxWords())
      })
    }
    let seeded = claimed.seededCount
    const target = claimed.targetSize
    const started = seeded
    // bounded: one iteration per batch of the remaining range
    const maxBatches = Math.ceil(Math.max(0, target - seeded) / batch)
    for (let n = 0; n < maxBatches && seeded < target; n += 1) {
      if (options.signal?.aborted) break
      const from = seeded + 1
      const to = Math.min(target, seeded + batch)
      await deps.db.transaction().execute(async (trx) => {
        await insertSandboxProducts(trx, from, to, deps.clock.now())
        await recordSeedProgress(trx, {
          owner: options.owner,
          seededCount: to,
          targetSize: target,
          now: deps.clock.now(),
          leaseMs: LEASE_MS,
        })
      })
      seeded = to
      // a pause, not just a turn of the event loop: a watcher iteration or a request makes several
      // queries in a row, and on the embedded database's one connection each of them would
      // otherwise wait for the next batch
      await delay(BATCH_PAUSE_MS)
    }
    if (seeded >= target && target > started) {
      await recordSeedProgress(deps.db, {
        owner: options.owner,
        seededCount: seeded,
        targetSize: target,
        now: deps.clock.now(),
        leaseMs: LEASE_MS,
      })
      await analyzeCatalog(deps.db)
      deps.log.info({ products: seeded }, 'sandbox catalog ready')
    }
  } finally {
    await releaseSeedingLease(deps.db, options.owner).catch(() => undefined)
  }
  return findCatalogState(deps.db)
}
