// Why: the chain watcher records hundreds of payments per block, and each foreign key costs a
// lookup and a row lock per inserted row. A payment's invoice_id and merchant_id are copied from
// its deposit address (credit.service), whose own foreign keys already hold them
// (deposit_address.invoice_id → invoice, deposit_address.merchant_id → merchant), and
// invoice_payment.deposit_address_id → deposit_address stays; neither invoices, merchants nor
// deposit addresses are ever deleted. The two checks were redundant.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    ALTER TABLE invoice_payment DROP CONSTRAINT invoice_payment_invoice_id_fkey;
    ALTER TABLE invoice_payment DROP CONSTRAINT invoice_payment_merchant_id_fkey;
    `,
  )
}
