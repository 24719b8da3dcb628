import { randomBytes } from 'node:crypto'
import type { Executor } from '../../db/database.ts'

/**
 * The ramps' own platform secrets (bank-data encryption, sandbox webhook signing), created on first
 * start in the same `platform_secret` table as the platform's, so every process shares them.
 */
export async function loadRampSecret(db: Executor, name: 'ramps_bank_v1' | 'ramps_kyc_sandbox_v1'): Promise<Uint8Array> {
  await db
    .insertInto('platform_secret')
    .values({ name, value: randomBytes(32).toString('base64') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const row = await db.selectFrom('platform_secret').select('value').where('name', '=', name).executeTakeFirstOrThrow()
  return Buffer.from(row.value, 'base64')
}
