import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { Database } from '../../../src/db/database.ts'
import { migrateToLatest } from '../../../src/db/migrate.ts'
import { openTestDatabase } from '../../helpers/server.ts'

// events and payments (migration 0008), invoices, idempotency records and webhook deliveries
// (0009) reference these rows without a foreign key: the database itself keeps the rows from
// going away
describe('tables whose rows are never deleted', () => {
  let database: Database
  let close: () => Promise<void>

  before(async () => {
    ;({ database, close } = await openTestDatabase())
    await migrateToLatest(database)
  })
  after(() => close())

  for (const table of ['merchant', 'token', 'deposit_address']) {
    it(`refuses DELETE on ${table}, even of no row`, async () => {
      await assert.rejects(sql`DELETE FROM ${sql.table(table)} WHERE false`.execute(database.db), new RegExp(`${table} rows are never deleted: DELETE refused`))
    })

    it(`refuses TRUNCATE on ${table}`, async () => {
      await assert.rejects(sql`TRUNCATE ${sql.table(table)} CASCADE`.execute(database.db), new RegExp(`${table} rows are never deleted: TRUNCATE refused`))
    })
  }

  it('leaves the event and payment tables without the per-row foreign keys', async () => {
    const result = await sql<{ name: string }>`
      SELECT conname AS name FROM pg_constraint
      WHERE contype = 'f' AND conrelid IN ('event'::regclass, 'invoice_payment'::regclass)
      ORDER BY conname`.execute(database.db)
    assert.deepEqual(result.rows.map((r) => r.name), [])
  })

  it('leaves no per-row foreign key to merchant on invoices, idempotency records and webhook deliveries', async () => {
    const result = await sql<{ name: string }>`
      SELECT conname AS name FROM pg_constraint
      WHERE contype = 'f' AND confrelid = 'merchant'::regclass
        AND conrelid IN ('invoice'::regclass, 'idempotency_key'::regclass, 'webhook_delivery'::regclass)`.execute(database.db)
    assert.deepEqual(result.rows.map((r) => r.name), [])
  })

  it('keeps the delivery-to-event key whose cascade prunes deliveries with their events', async () => {
    const result = await sql<{ name: string }>`
      SELECT conname AS name FROM pg_constraint
      WHERE contype = 'f' AND conrelid = 'webhook_delivery'::regclass ORDER BY conname`.execute(database.db)
    assert.deepEqual(result.rows.map((r) => r.name), ['webhook_delivery_endpoint_id_fkey', 'webhook_delivery_event_seq_fkey'])
  })
})
