import type { Executor } from '../../../db/database.ts'

export interface SandboxPayout {
  payoutId: string
  providerRef: string
  rail: string
  currency: string
  amountMinor: bigint
  outcome: 'paid' | 'failed' | 'returned'
  failureCode: string | null
  acceptedAt: Date
  settlesAt: Date
  returnsAt: Date | null
}

/** Records a payout once per payout id (the idempotency key) and returns the stored record. */
export async function acceptSandboxPayout(db: Executor, input: SandboxPayout): Promise<SandboxPayout> {
  await db
    .insertInto('ramp_sandbox_payout')
    .values({
      payout_id: input.payoutId,
      provider_ref: input.providerRef,
      rail: input.rail,
      currency: input.currency,
      amount_minor: input.amountMinor.toString(),
      outcome: input.outcome,
      failure_code: input.failureCode,
      accepted_at: input.acceptedAt,
      settles_at: input.settlesAt,
      returns_at: input.returnsAt,
    })
    .onConflict((oc) => oc.column('payout_id').doNothing())
    .execute()
  const stored = await findSandboxPayout(db, input.payoutId)
  if (!stored) throw new Error('sandbox payout vanished')
  return stored
}

export async function findSandboxPayout(db: Executor, payoutId: string): Promise<SandboxPayout | undefined> {
  const row = await db.selectFrom('ramp_sandbox_payout').selectAll().where('payout_id', '=', payoutId).executeTakeFirst()
  if (!row) return undefined
  return {
    payoutId: row.payout_id,
    providerRef: row.provider_ref,
    rail: row.rail,
    currency: row.currency,
    amountMinor: BigInt(row.amount_minor),
    outcome: row.outcome,
    failureCode: row.failure_code,
    acceptedAt: row.accepted_at,
    settlesAt: row.settles_at,
    returnsAt: row.returns_at,
  }
}

export async function countSandboxPayouts(db: Executor, payoutId: string): Promise<number> {
  const row = await db
    .selectFrom('ramp_sandbox_payout')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('payout_id', '=', payoutId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
