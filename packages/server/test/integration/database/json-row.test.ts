import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql, type Generated } from 'kysely'
import type { Database } from '../../../src/db/database.ts'
import { jsonRow } from '../../../src/db/json-row.ts'
import type { Int8, Json, Numeric, Timestamp } from '../../../src/db/schema.ts'
import { openTestDatabase } from '../../helpers/server.ts'

interface ProbeTable {
  id: string
  big: Int8
  units: Numeric
  at: Timestamp
  maybe_at: Timestamp | null
  meta: Json<{ a: number[] }>
  flag: Generated<boolean>
  small: number
  note: string | null
}

const PROBE = jsonRow<ProbeTable>({
  id: 'value',
  big: 'text',
  units: 'text',
  at: 'timestamp',
  maybe_at: 'timestamp',
  meta: 'value',
  flag: 'value',
  small: 'value',
  note: 'value',
})

describe('jsonRow', () => {
  let database: Database
  let close: () => Promise<void>

  before(async () => {
    ;({ database, close } = await openTestDatabase())
    await sql`CREATE TABLE json_probe (id uuid PRIMARY KEY, big int8 NOT NULL, units numeric(78,0) NOT NULL, at timestamptz NOT NULL,
      maybe_at timestamptz, meta jsonb NOT NULL, flag boolean NOT NULL DEFAULT true, small int NOT NULL, note text)`.execute(database.db)
  })
  after(() => close())

  for (const [name, row] of [
    ['digits past 2^53 and a 78-digit amount', { big: '9007199254740993', units: '1'.repeat(78), at: '2026-11-25T14:38:10.123Z', maybe_at: '2026-11-25T23:59:59.999Z', note: 'ünïcode "quoted"' }],
    ['negative int8, zero amount and null columns', { big: '-9223372036854775808', units: '0', at: '1970-01-01T00:00:00.000Z', maybe_at: null, note: null }],
    ['a timestamp with microseconds', { big: '1', units: '5', at: '2026-11-25T14:38:10.123456Z', maybe_at: null, note: '' }],
  ] as const) {
    it(`reads ${name} exactly as the plain select does`, async () => {
      const id = crypto.randomUUID()
      await sql`INSERT INTO json_probe (id, big, units, at, maybe_at, meta, small, note)
        VALUES (${id}, ${row.big}, ${row.units}, ${row.at}, ${row.maybe_at}, ${JSON.stringify({ a: [1, 2] })}, ${7}, ${row.note})`.execute(database.db)
      const plain = await sql<Record<string, unknown>>`SELECT * FROM json_probe WHERE id = ${id}`.execute(database.db)
      const json = await sql<{ j: Record<string, unknown> }>`SELECT ${PROBE.select('p')} AS j FROM json_probe p WHERE id = ${id}`.execute(database.db)
      assert.deepEqual(PROBE.read(json.rows[0]!.j), plain.rows[0])
      assert.equal(PROBE.read(json.rows[0]!.j).big, row.big)
    })
  }
})
