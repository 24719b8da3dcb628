import type { KycLevel } from '../countries/country.ts'
import { kycLevelRank } from '../countries/country.ts'
import type { Transition } from '../off-ramp/off-ramp.state.ts'

export type KycStatus = 'not_started' | 'pending' | 'approved' | 'rejected' | 'needs_review' | 'expired'
export type KycInput = 'submitted' | 'approved' | 'rejected' | 'needs_review' | 'expire'

export type KycTransition = Transition<KycStatus>

const move = (next: KycStatus): KycTransition => ({ kind: 'move', next })
const ignore: KycTransition = { kind: 'ignore' }
const invalid: KycTransition = { kind: 'invalid' }

/**
 * Verification lifecycle: not_started → pending → approved | rejected | needs_review | expired.
 * Provider webhooks arrive late, twice or out of order: a stale or repeated event is ignored, an
 * event that would reverse a final decision is invalid (logged, never applied).
 */
const TABLE: Record<KycStatus, Record<KycInput, KycTransition>> = {
  not_started: { submitted: move('pending'), approved: move('approved'), rejected: move('rejected'), needs_review: move('needs_review'), expire: move('expired') },
  pending: { submitted: ignore, approved: move('approved'), rejected: move('rejected'), needs_review: move('needs_review'), expire: ignore },
  needs_review: { submitted: ignore, approved: move('approved'), rejected: move('rejected'), needs_review: ignore, expire: ignore },
  approved: { submitted: ignore, approved: ignore, rejected: invalid, needs_review: ignore, expire: move('expired') },
  rejected: { submitted: ignore, approved: invalid, rejected: ignore, needs_review: ignore, expire: ignore },
  expired: { submitted: ignore, approved: invalid, rejected: ignore, needs_review: ignore, expire: ignore },
}

export function nextKycStatus(current: KycStatus, input: KycInput): KycTransition {
  return TABLE[current][input]
}

export interface VerificationFacts {
  status: KycStatus
  level: KycLevel
  approvedUntil: Date | null
  createdAt: Date
}

/**
 * What a customer's KYC is, from all their verifications: the highest level still approved at
 * `now` wins; without one, the latest verification's status; without any, not_started.
 */
export function customerKyc(verifications: VerificationFacts[], now: Date): { status: KycStatus; level: KycLevel | null; approvedUntil: Date | null } {
  let best: VerificationFacts | undefined
  for (const v of verifications) {
    if (v.status !== 'approved' || (v.approvedUntil !== null && v.approvedUntil <= now)) continue
    if (!best || kycLevelRank(v.level) > kycLevelRank(best.level)) best = v
  }
  if (best) return { status: 'approved', level: best.level, approvedUntil: best.approvedUntil }
  const latest = [...verifications].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]
  return { status: latest?.status ?? 'not_started', level: null, approvedUntil: null }
}
