import type { Deps } from '../deps.ts'
import { purgeExpiredIdempotencyKeys } from '../http/idempotency.ts'
import { runEvery, type Loop } from './loop.ts'

export function startKeyUsageFlusher(deps: Deps): Loop {
  return runEvery('key-usage', 5_000, () => deps.keyUsage.flush(), deps.log)
}

export function startIdempotencyPurger(deps: Deps): Loop {
  return runEvery('idempotency-purge', 600_000, async () => {
    await purgeExpiredIdempotencyKeys(deps.db, deps.clock.now())
  }, deps.log)
}
