import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { Database } from '../../../src/db/database.ts'
import { pgArray } from '../../../src/db/pg-array.ts'
import { openTestDatabase } from '../../helpers/server.ts'

describe('pgArray against the database', () => {
  let database: Database
  let close: () => Promise<void>

  before(async () => {
    ;({ database, close } = await openTestDatabase())
  })
  after(() => close())

  for (const [name, values] of [
    ['plain tokens, NULL and the word null', ['0xAbC', 'devnet', null, 'NULL', 'null', '']],
    ['json texts with quotes, backslashes and escapes', [JSON.stringify({ a: 'q"u', b: 'back\\slash', c: 'line\nbreak', d: [1, { e: null }] }), '{"x":"\\u0000"}']],
    ['delimiters, braces and whitespace', ['a b', 'a,b', '{x}', ' lead', 'trail ', 'tab\there', 'new\nline', 'cr\rlf']],
    ['characters beyond ASCII', ['é', '😀 pair', 'line\u2028separator', '\u007f del', '中文']],
  ] as const) {
    it(`reads back ${name} exactly`, async () => {
      const result = await sql<{ v: (string | null)[] }>`SELECT ${pgArray(values)}::text[] AS v`.execute(database.db)
      assert.deepEqual(result.rows[0]?.v, values)
    })
  }
})
