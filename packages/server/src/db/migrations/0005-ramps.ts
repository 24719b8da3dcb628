// Why: tables of the ramps module.
import type { Kysely } from 'kysely'

export async function up(_db: Kysely<unknown>): Promise<void> {}
