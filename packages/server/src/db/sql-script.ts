import { sql, type Kysely } from 'kysely'

/**
 * Runs a migration script statement by statement: PGlite's extended protocol accepts one
 * statement per query. Statements are separated by a semicolon at the end of a line.
 */
export async function runSqlScript(db: Kysely<unknown>, script: string): Promise<void> {
  const statements = script
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0)
  for (const statement of statements) await sql.raw(statement).execute(db)
}
