// Why: every chain watcher poll reads the deposit addresses of its network created since its last
// read, keyed by (created_at, id); without this index each poll scans and sorts every address.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    CREATE INDEX deposit_address_watch ON deposit_address (environment, network, created_at, id);
    `,
  )
}
