import type { Migration, MigrationProvider } from 'kysely/migration'
import * as m0001 from './0001-foundation.ts'
import * as m0002 from './0002-chain.ts'
import * as m0003 from './0003-webhooks.ts'
import * as m0004 from './0004-commerce.ts'
import * as m0005 from './0005-ramps.ts'
import * as m0006 from './0006-chain-watch.ts'
import * as m0007 from './0007-payment-implied-keys.ts'
import * as m0008 from './0008-hot-path-keys.ts'
import * as m0009 from './0009-merchant-keys.ts'
import * as m0010 from './0010-credential-notify.ts'
import * as m0011 from './0011-event-id-from-seq.ts'

/** Forward-only migrations, applied in key order. Never edit one that has shipped; add a new one. */
const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-chain': m0002,
  '0003-webhooks': m0003,
  '0004-commerce': m0004,
  '0005-ramps': m0005,
  '0006-chain-watch': m0006,
  '0007-payment-implied-keys': m0007,
  '0008-hot-path-keys': m0008,
  '0009-merchant-keys': m0009,
  '0010-credential-notify': m0010,
  '0011-event-id-from-seq': m0011,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
}
