import { Migrator } from 'kysely/migration'
import type { Database } from './database.ts'
import { migrationProvider } from './migrations/index.ts'

/** Applies every pending migration; Kysely's lock table makes concurrent starts safe. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrationProvider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error('migration failed', { cause: error })
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
