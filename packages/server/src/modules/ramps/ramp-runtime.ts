import { AppError } from '@pepay/core'
import type { Deps } from '../../deps.ts'
import type { KycProvider } from '../../providers/kyc/kyc-provider.ts'
import type { PayoutProvider } from '../../providers/payout/payout-rail.ts'
import type { ScreeningProvider } from '../../providers/screening/screening.ts'
import type { BankCrypto } from './bank-accounts/bank-crypto.ts'
import type { FxRateSource } from './fx/fx-rate.ts'

export interface RampSettings {
  /** How long a quote can be turned into an off- or on-ramp. */
  quoteTtlSeconds: number
  /** How long an off-ramp's rate holds for its deposit; later deposits are re-quoted. */
  offRampRateLockSeconds: number
  /** How long an on-ramp's rate holds for the fiat transfer; later funds are re-quoted. */
  onRampRateLockSeconds: number
  kycLinkTtlSeconds: number
  kycApprovalDays: number
  /** Bound on every provider call (KYC, payout, screening, chain send). */
  providerTimeoutMs: number
  maxPayoutAttempts: number
  maxSendAttempts: number
}

export const DEFAULT_RAMP_SETTINGS: RampSettings = {
  quoteTtlSeconds: 10 * 60,
  offRampRateLockSeconds: 30 * 60,
  onRampRateLockSeconds: 3 * 24 * 3600,
  kycLinkTtlSeconds: 7 * 24 * 3600,
  kycApprovalDays: 365,
  providerTimeoutMs: 15_000,
  maxPayoutAttempts: 8,
  maxSendAttempts: 10,
}

/** Everything the ramps services need: the platform's deps plus the ramps' providers. */
export interface RampRuntime {
  deps: Deps
  kyc: KycProvider
  payouts: PayoutProvider
  screening: ScreeningProvider
  fx: FxRateSource
  bankCrypto: BankCrypto
  settings: RampSettings
}

/** Bounds an external call: a provider that hangs becomes a typed error, never a stuck request. */
export async function withTimeout<T>(label: string, ms: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('SERVICE_UNAVAILABLE', `${label} did not answer within ${ms} ms`, { timeout: true })), ms)
  })
  try {
    return await Promise.race([call(), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000)
}
