import type { Migration, MigrationProvider } from 'kysely/migration'
import * as m0001 from './0001-foundation.ts'
import * as m0002 from './0002-chain.ts'

/** Forward-only migrations, applied in key order. Never edit one that has shipped; add a new one. */
const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-chain': m0002,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
}
