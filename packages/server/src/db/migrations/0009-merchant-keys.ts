// Why: every invoice create checked two foreign keys to its merchant (the invoice's and the
// idempotency record's), and every webhook delivery a third. A check locks the merchant row
// FOR KEY SHARE: one tuple lock and its WAL record per create, and once two transactions hold
// it, a multixact. Every create of a merchant contends on that one row; on a lone create the two
// checks were about a fifth of the statement. The merchant id never comes from a request: it is
// that of the authenticated key (invoice, idempotency record) or of the event being delivered.
// Merchants are never deleted (0008 refuses DELETE and TRUNCATE on merchant), so the references
// stay whole without a check per row.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    ALTER TABLE invoice DROP CONSTRAINT invoice_merchant_id_fkey;
    ALTER TABLE idempotency_key DROP CONSTRAINT idempotency_key_merchant_id_fkey;
    ALTER TABLE webhook_delivery DROP CONSTRAINT webhook_delivery_merchant_id_fkey;
    `,
  )
}
