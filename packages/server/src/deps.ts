import type { Clock } from '@pepay/core'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { Database } from './db/database.ts'
import type { DB } from './db/schema.ts'
import type { KeyUsageTracker } from './modules/merchants/api-key.service.ts'
import type { PlatformSecrets } from './modules/platform/secrets.ts'

/** Everything a service needs, built once from Config and passed explicitly. */
export interface Deps {
  config: Config
  database: Database
  db: Kysely<DB>
  clock: Clock
  log: Logger
  secrets: PlatformSecrets
  keyUsage: KeyUsageTracker
  /** The externally reachable base URL (scheme://host:port), fixed once the server listens. */
  urls: { publicBase: string }
  /** Extension points filled by the chain, realtime and webhook layers when they start. */
  hooks: Hooks
}

export interface Hooks {
  /** Called after a transaction that appended events committed (wakes local realtime fan-out). */
  eventsCommitted: (() => void)[]
}

/** Request facts that travel into events (`request.id`, `request.idempotency_key`). */
export interface RequestContext {
  requestId: string | null
  idempotencyKey: string | null
}
