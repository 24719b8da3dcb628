// Why: every event and every payment the chain watcher records checked three foreign keys, each
// a lookup and a row lock per inserted row (FOR KEY SHARE on the parent, which writes the
// parent's tuple and WAL): at 800 transfers a block, 2,400 checks and a quarter of the recording
// statement. The values never come from a request:
// - event.merchant_id is the merchant of the row the event describes (an invoice, a payment, an
//   order…), itself written under its own foreign key;
// - invoice_payment.deposit_address_id and token_id come from the watcher's address map and the
//   network registry, both read from these tables.
// What a foreign key still added was that the parent row cannot go away later. Merchants,
// tokens and deposit addresses are never deleted (a merchant is suspended, a token blocked, an
// address retired); the triggers below make the database refuse it, so the references stay
// whole without a check per inserted row.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    ALTER TABLE event DROP CONSTRAINT event_merchant_id_fkey;
    ALTER TABLE invoice_payment DROP CONSTRAINT invoice_payment_deposit_address_id_fkey;
    ALTER TABLE invoice_payment DROP CONSTRAINT invoice_payment_token_id_fkey;

    -- one line: the script runner splits statements at a semicolon that ends a line
    CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '% rows are never deleted: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001'; END $$;
    CREATE TRIGGER merchant_never_deleted BEFORE DELETE OR TRUNCATE ON merchant
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();
    CREATE TRIGGER token_never_deleted BEFORE DELETE OR TRUNCATE ON token
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();
    CREATE TRIGGER deposit_address_never_deleted BEFORE DELETE OR TRUNCATE ON deposit_address
      FOR EACH STATEMENT EXECUTE FUNCTION refuse_delete();
    `,
  )
}
