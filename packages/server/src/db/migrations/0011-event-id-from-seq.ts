// Why: an event's id is `evt_<ms>-<seq>`, built in SQL from its own primary key, so it is unique
// by construction, and every lookup by id can read the sequence number out of it and go through
// the primary key. The unique index on `id` was a second B-tree written with every event — the
// busiest insert in the system (each invoice create, payment, settlement and order writes one) —
// and read by nothing once the lookups use `seq`. The invariant it stood for is kept as a check
// that each new id ends in its own sequence number.
import type { Kysely } from 'kysely'
import { runSqlScript } from '../sql-script.ts'

export async function up(db: Kysely<unknown>): Promise<void> {
  await runSqlScript(
    db,
    `
    ALTER TABLE event DROP CONSTRAINT event_id_key;
    ALTER TABLE event ADD CONSTRAINT event_id_ends_in_seq CHECK (id LIKE 'evt\\_%-' || seq::text) NOT VALID;
    `,
  )
}
