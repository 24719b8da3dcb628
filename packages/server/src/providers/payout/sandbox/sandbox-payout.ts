import { randomUUID } from 'node:crypto'
import type { Clock } from '@pepay/core'
import type { Kysely } from 'kysely'
import type { DB } from '../../../db/schema.ts'
import { PayoutProviderError, type PayoutProvider, type PayoutResult } from '../payout-rail.ts'
import { acceptSandboxPayout, findSandboxPayout, type SandboxPayout } from './sandbox-payout.repo.ts'

export const SANDBOX_PAYOUT_PROVIDER_ID = 'payout:sandbox'

export interface SandboxRailTiming {
  settlementSeconds: number
  returnWindowSeconds: number
}

/**
 * Scripted outcomes by the beneficiary name's last word (case-insensitive), like a vendor's test
 * accounts: `… Fail` is refused at once (account_closed), `… Return` is paid and then returned
 * (account_closed) within the rail's return window, `… Timeout` is accepted but the first answer is
 * lost (the caller sees a timeout and must reconcile). Anything else is paid after the rail's timing.
 */
export function sandboxPayoutScript(holderName: string): 'paid' | 'fail' | 'return' | 'timeout' {
  const last = holderName.trim().split(/\s+/).pop()?.toLowerCase()
  if (last === 'fail') return 'fail'
  if (last === 'return') return 'return'
  if (last === 'timeout') return 'timeout'
  return 'paid'
}

function statusAt(payout: SandboxPayout, now: Date): PayoutResult {
  const base = { providerRef: payout.providerRef }
  if (payout.outcome === 'failed') return { ...base, status: 'failed', failureCode: payout.failureCode }
  if (now < payout.settlesAt) return { ...base, status: 'submitted', failureCode: null }
  if (payout.outcome === 'returned' && payout.returnsAt && now >= payout.returnsAt) {
    return { ...base, status: 'returned', failureCode: payout.failureCode }
  }
  return { ...base, status: 'paid', failureCode: null }
}

/** Sandbox rails: realistic timings per rail, driven by the injected clock; state kept like a vendor would. */
export function createSandboxPayoutProvider(options: {
  db: Kysely<DB>
  clock: Clock
  timing: (rail: string) => SandboxRailTiming | undefined
}): PayoutProvider {
  const { db, clock } = options
  const lostAnswers = new Set<string>()
  return {
    id: SANDBOX_PAYOUT_PROVIDER_ID,
    supportsRail: (rail) => options.timing(rail) !== undefined,

    async send(request) {
      const timing = options.timing(request.rail)
      if (!timing) throw new PayoutProviderError(`rail ${request.rail} is not served`, false)
      const script = sandboxPayoutScript(request.destination.holderName)
      const now = clock.now()
      const settlesAt = new Date(now.getTime() + timing.settlementSeconds * 1000)
      const stored = await acceptSandboxPayout(db, {
        payoutId: request.payoutId,
        providerRef: `po_sbx_${randomUUID().replaceAll('-', '')}`,
        rail: request.rail,
        currency: request.currency,
        amountMinor: request.amountMinor,
        outcome: script === 'fail' ? 'failed' : script === 'return' ? 'returned' : 'paid',
        failureCode: script === 'fail' || script === 'return' ? 'account_closed' : null,
        acceptedAt: now,
        settlesAt,
        // a return lands halfway through the rail's return window (at least one minute after settlement)
        returnsAt: script === 'return' ? new Date(settlesAt.getTime() + Math.max(60, timing.returnWindowSeconds / 2) * 1000) : null,
      })
      if (script === 'timeout' && !lostAnswers.has(request.payoutId)) {
        lostAnswers.add(request.payoutId)
        throw new PayoutProviderError('sandbox: the answer to this payout was lost (timeout)', true)
      }
      return statusAt(stored, clock.now())
    },

    async getPayout(payoutId) {
      const stored = await findSandboxPayout(db, payoutId)
      return stored ? statusAt(stored, clock.now()) : { status: 'not_found' }
    },
  }
}
