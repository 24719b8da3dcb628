import { AppError } from '@pepay/core'
import type { Executor } from '../../../db/database.ts'
import { PayoutProviderError, type PayoutResult } from '../../../providers/payout/payout-rail.ts'
import { decryptBankDetails } from '../bank-accounts/bank-account.service.ts'
import { findBankAccountById } from '../bank-accounts/bank-account.repo.ts'
import { RAILS, type RailId } from '../countries/country.ts'
import { ACCOUNT, fiatAsset } from '../ledger/ledger.ts'
import { findOffRampById, freezeDeposits, listDeposits, lockOffRamp, type OffRamp } from '../off-ramp/off-ramp.repo.ts'
import {
  emitOffRampUpdated,
  loadOffRampView,
  refundableUnits,
  reversalPostings,
  scheduleRefund,
  transitionOffRamp,
} from '../off-ramp/off-ramp.service.ts'
import type { OffRampInput } from '../off-ramp/off-ramp.state.ts'
import { postLedger } from '../ramp-flow.service.ts'
import { withTimeout, type RampRuntime } from '../ramp-runtime.ts'
import { claimDuePayouts, lockPayout, updatePayout, type Payout } from './payout.repo.ts'
import { nextPayoutStatus } from './payout.state.ts'

/** The lease a claim holds: a worker that dies mid-call leaves the payout to be retried after it. */
const CLAIM_LEASE_MS = 60_000
/** "Never" for rows that need no more polling (the partial index still holds them; they are final). */
const NEVER = new Date(Date.UTC(9999, 0, 1))

function backoffMs(attempts: number): number {
  return Math.min(3600_000, 1000 * 2 ** Math.min(attempts, 12))
}

/**
 * Fails an off-ramp whose payout will not happen: the conversion is reversed and everything
 * received goes back on-chain, unless the funds are frozen (a sanctions hit), in which case they
 * stay in the off-ramp's ledger account, visibly.
 */
async function failOffRamp(
  rt: RampRuntime,
  trx: Executor,
  offRamp: OffRamp,
  input: Extract<OffRampInput, 'payout_failed' | 'payout_returned'>,
  failure: { code: string; message: string },
  options: { wasPaid: boolean; conversionPosted: boolean; freeze: boolean },
  now: Date,
): Promise<OffRamp> {
  const view = await loadOffRampView(trx, offRamp)
  const moved = await transitionOffRamp(trx, offRamp, input, { failure_code: failure.code, failure_message: failure.message }, now)
  if (!moved) return offRamp
  if (options.conversionPosted) {
    await postLedger(trx, moved, `off_ramp.${input === 'payout_returned' ? 'payout_returned' : 'payout_failed'}`, `off_ramp:${moved.id}:reversal`, reversalPostings(moved, view.quote, options.wasPaid), now)
  }
  if (options.freeze) await freezeDeposits(trx, moved.id)
  else await scheduleRefund(trx, moved, await refundableUnits(trx, moved), input === 'payout_returned' ? 'payout_returned' : 'payout_failed', now)
  await emitOffRampUpdated(trx, view, moved, now)
  return moved
}

/**
 * Records what the provider said about a payout, once: payout and off-ramp statuses, ledger
 * postings and the event commit together. Repeated or stale news changes nothing.
 */
export async function recordPayoutResult(rt: RampRuntime, payoutId: string, result: PayoutResult): Promise<void> {
  await rt.deps.db.transaction().execute(async (trx) => {
    const now = rt.deps.clock.now()
    const payout = await lockPayout(trx, payoutId)
    if (!payout) return
    const transition = nextPayoutStatus(payout.status, result.status)
    const rail = RAILS[payout.rail as RailId]
    if (transition.kind !== 'move') {
      if (transition.kind === 'invalid') rt.deps.log.error({ payoutId, from: payout.status, reported: result.status }, 'payout provider reported an impossible transition')
      const nextPoll = payout.status === 'submitted' ? new Date(now.getTime() + Math.max(5, Math.min(rail.settlementSeconds, 3600)) * 1000) : payout.status === 'paid' ? pollAfterPaid(payout, rail.returnWindowSeconds, now) : NEVER
      await updatePayout(trx, payoutId, { next_attempt_at: nextPoll, provider_ref: payout.providerRef ?? result.providerRef }, now)
      return
    }
    const next = transition.next
    await updatePayout(
      trx,
      payoutId,
      {
        status: next,
        provider_ref: result.providerRef,
        failure_code: result.failureCode,
        last_error: null,
        ...(payout.submittedAt === null && { submitted_at: now }),
        ...(next === 'paid' && { settled_at: now }),
        next_attempt_at:
          next === 'submitted'
            ? new Date(now.getTime() + Math.max(1, rail.settlementSeconds) * 1000)
            : next === 'paid'
              ? pollAfterPaid({ ...payout, settledAt: now }, rail.returnWindowSeconds, now)
              : NEVER,
      },
      now,
    )
    const offRamp = await lockOffRamp(trx, payout.offRampId)
    if (!offRamp) throw new Error(`payout ${payoutId} lost its off-ramp`)
    const view = await loadOffRampView(trx, offRamp)
    if (next === 'submitted') {
      const moved = await transitionOffRamp(trx, offRamp, 'payout_submitted', {}, now)
      if (moved) await emitOffRampUpdated(trx, view, moved, now)
    } else if (next === 'paid') {
      const moved = await transitionOffRamp(trx, offRamp, 'payout_paid', {}, now)
      if (moved) {
        await postLedger(trx, moved, 'off_ramp.payout_paid', `off_ramp:${moved.id}:payout_paid`, [
          { source: ACCOUNT.offRampPayout(moved.id), target: ACCOUNT.world, asset: fiatAsset(view.quote.currency, view.quote.currencyExponent), amount: moved.netFiatMinor },
        ], now)
        await emitOffRampUpdated(trx, view, moved, now)
      }
    } else {
      const input = next === 'returned' ? 'payout_returned' : 'payout_failed'
      const code = result.failureCode ?? (next === 'returned' ? 'payout_returned' : 'payout_failed')
      await failOffRamp(rt, trx, offRamp, input, { code, message: `${rail.name} payout ${next}: ${code}` }, { wasPaid: payout.status === 'paid', conversionPosted: true, freeze: false }, now)
    }
  })
}

function pollAfterPaid(payout: Pick<Payout, 'settledAt'>, returnWindowSeconds: number, now: Date): Date {
  // a paid payout is watched for returns until its rail's return window closes
  if (returnWindowSeconds <= 0) return NEVER
  const settled = payout.settledAt ?? now
  const windowEnd = settled.getTime() + returnWindowSeconds * 1000
  if (now.getTime() >= windowEnd) return NEVER
  return new Date(Math.min(windowEnd, now.getTime() + Math.max(60, returnWindowSeconds / 8) * 1000))
}

async function failPendingPayout(rt: RampRuntime, payout: Payout, failure: { code: string; message: string }, freeze: boolean): Promise<void> {
  await rt.deps.db.transaction().execute(async (trx) => {
    const now = rt.deps.clock.now()
    const locked = await lockPayout(trx, payout.id)
    if (!locked || locked.status !== 'pending') return
    await updatePayout(trx, payout.id, { status: 'failed', failure_code: failure.code, last_error: failure.message, next_attempt_at: NEVER }, now)
    const offRamp = await lockOffRamp(trx, payout.offRampId)
    if (!offRamp) return
    await failOffRamp(rt, trx, offRamp, 'payout_failed', failure, { wasPaid: false, conversionPosted: true, freeze }, now)
  })
}

/**
 * One pending payout: persisted before this call, sent with its id as the provider's idempotency
 * key, recorded after. A crash anywhere in between leaves the row pending; the next claim (after
 * the lease) sends the same id again and the provider answers with the payout it already has.
 */
export async function processPendingPayout(rt: RampRuntime, payout: Payout): Promise<void> {
  const db = rt.deps.db
  const offRamp = await findOffRampById(db, payout.offRampId)
  if (!offRamp) return
  const deposits = await listDeposits(db, offRamp.id)
  for (const sender of new Set(deposits.flatMap((d) => (d.fromAddress ? [d.fromAddress] : [])))) {
    const screening = await withTimeout('sanctions screening', rt.settings.providerTimeoutMs, () => rt.screening.screenAddress({ network: offRamp.network, address: sender }))
    if (screening.status === 'hit') {
      await failPendingPayout(rt, payout, { code: 'SANCTIONS_HIT', message: `deposit sender is blocked: ${screening.reason ?? 'sanctions screening hit'}; funds are frozen` }, true)
      return
    }
  }
  if (payout.attempts > rt.settings.maxPayoutAttempts) {
    // out of tries: only the provider knows whether an earlier attempt landed
    const known = await withTimeout('payout provider', rt.settings.providerTimeoutMs, () => rt.payouts.getPayout(payout.id)).catch(() => undefined)
    if (known && known.status !== 'not_found') return recordPayoutResult(rt, payout.id, known)
    if (known?.status === 'not_found') return failPendingPayout(rt, payout, { code: 'provider_unavailable', message: `payout could not be submitted after ${payout.attempts - 1} attempts` }, false)
    await updatePayout(db, payout.id, { next_attempt_at: new Date(rt.deps.clock.now().getTime() + 3600_000), last_error: 'provider unreachable; outcome unknown' }, rt.deps.clock.now())
    rt.deps.log.error({ payoutId: payout.id }, 'payout provider unreachable after all attempts; needs an operator')
    return
  }
  const bank = await findBankAccountById(db, offRamp.bankAccountId)
  if (!bank) throw new Error(`off-ramp ${offRamp.id} lost its bank account`)
  let result: PayoutResult
  try {
    result = await withTimeout('payout provider', rt.settings.providerTimeoutMs, () =>
      rt.payouts.send({
        payoutId: payout.id,
        rail: payout.rail,
        currency: payout.currency,
        amountMinor: payout.amountMinor,
        destination: { holderName: bank.holderName, country: bank.country, details: decryptBankDetails(rt, bank) },
        reference: `PEPAY ${offRamp.id.slice(0, 8).toUpperCase()}`,
      }),
    )
  } catch (error) {
    const now = rt.deps.clock.now()
    const unknown = error instanceof AppError || (error instanceof PayoutProviderError && error.isOutcomeUnknown)
    if (error instanceof PayoutProviderError && !error.isOutcomeUnknown) {
      return failPendingPayout(rt, payout, { code: 'provider_refused', message: error.message }, false)
    }
    await updatePayout(db, payout.id, { next_attempt_at: new Date(now.getTime() + backoffMs(payout.attempts)), last_error: error instanceof Error ? error.message : String(error) }, now)
    if (!unknown) throw error
    return
  }
  await recordPayoutResult(rt, payout.id, result)
}

/** Sends every due pending payout; returns how many were attempted. Bounded by `limit`. */
export async function runPendingPayouts(rt: RampRuntime, limit = 20): Promise<number> {
  const due = await claimDuePayouts(rt.deps.db, ['pending'], rt.deps.clock.now(), limit, CLAIM_LEASE_MS)
  for (const payout of due) {
    try {
      await processPendingPayout(rt, payout)
    } catch (error) {
      rt.deps.log.error({ err: error, payoutId: payout.id }, 'payout attempt failed')
    }
  }
  return due.length
}

/**
 * The reconciler for payouts in flight: asks the provider about submitted payouts once their
 * rail's settlement time has passed, and about paid ones until their return window closes.
 * A payout still in flight after its deadline is flagged for an operator and kept polling.
 */
export async function reconcilePayouts(rt: RampRuntime, limit = 50): Promise<number> {
  const now = rt.deps.clock.now()
  const due = await claimDuePayouts(rt.deps.db, ['submitted', 'paid'], now, limit, CLAIM_LEASE_MS)
  for (const payout of due) {
    try {
      const status = await withTimeout('payout provider', rt.settings.providerTimeoutMs, () => rt.payouts.getPayout(payout.id))
      if (status.status === 'not_found') {
        rt.deps.log.error({ payoutId: payout.id }, 'payout provider no longer knows a submitted payout')
        await updatePayout(rt.deps.db, payout.id, { next_attempt_at: new Date(now.getTime() + 3600_000), last_error: 'provider does not know this payout' }, now)
        continue
      }
      if (payout.status === 'submitted' && status.status === 'submitted' && now > payout.deadlineAt) {
        rt.deps.log.warn({ payoutId: payout.id, deadlineAt: payout.deadlineAt }, 'payout overdue')
        await updatePayout(rt.deps.db, payout.id, { last_error: 'overdue: still in flight past the rail deadline' }, now)
      }
      await recordPayoutResult(rt, payout.id, status)
    } catch (error) {
      rt.deps.log.warn({ err: error, payoutId: payout.id }, 'payout status poll failed')
      await updatePayout(rt.deps.db, payout.id, { next_attempt_at: new Date(now.getTime() + backoffMs(payout.attempts)), last_error: error instanceof Error ? error.message : String(error) }, now)
    }
  }
  return due.length
}
