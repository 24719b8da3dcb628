// Why: request authentication keeps a resolved API key and its merchant in memory for a few
// seconds. A write in the same process drops those entries at once, but a key revoked or a
// merchant suspended through another process (a second API server, the operator CLI, plain SQL)
// kept working on this one until its entry aged out. Every such write now NOTIFYs
// `pepay_credentials` at commit, and each process drops its entries when told. `last_used_at`
// is not among the columns: usage flushes do not wake anybody.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    -- one line: the script runner splits statements at a semicolon that ends a line
    CREATE FUNCTION notify_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('pepay_credentials', TG_TABLE_NAME); RETURN NULL; END $$;
    CREATE TRIGGER api_key_credentials_changed
      AFTER UPDATE OF merchant_id, scope, environment, key_hash, status, expires_at OR DELETE ON api_key
      FOR EACH STATEMENT EXECUTE FUNCTION notify_credentials_changed();
    CREATE TRIGGER merchant_credentials_changed
      AFTER UPDATE OF name, email, status, current_environment, has_mainnet_access, payment_return_url, payment_return_url_enabled, is_demo ON merchant
      FOR EACH STATEMENT EXECUTE FUNCTION notify_credentials_changed();
    `,
  )
}
