import type { Clock } from '@pepay/core'
import type { Environment } from '@pepay/contracts'
import type { Executor } from '../../db/database.ts'
import { signJwt, type PlatformSecrets } from '../platform/secrets.ts'
import { createApiKey } from './api-key.service.ts'
import { insertMerchant, updateMerchant, type Merchant } from './merchant.repo.ts'

export const DASHBOARD_TOKEN_TTL_SECONDS = 30 * 24 * 3600

/** A signed dashboard token (`Authorization: Bearer`) for one merchant. */
export async function mintDashboardToken(
  secrets: PlatformSecrets,
  clock: Clock,
  merchantId: bigint,
  ttlSeconds = DASHBOARD_TOKEN_TTL_SECONDS,
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = clock.now()
  const expiresAt = new Date(issuedAt.getTime() + ttlSeconds * 1000)
  const token = await signJwt(secrets.jwtKey, { typ: 'dashboard' }, { issuedAt, expiresAt, subject: merchantId.toString() })
  return { token, expiresAt }
}

export interface OnboardedMerchant {
  merchant: Merchant
  merchantKey: string
  commerceKey: string
  mainnetMerchantKey: string | null
  dashboardToken: string
}

/** Creates a merchant with its first devnet keys (and mainnet keys when access is granted). */
export async function onboardMerchant(
  db: Executor,
  secrets: PlatformSecrets,
  clock: Clock,
  input: { name: string; email: string | null; isDemo?: boolean; grantMainnet?: boolean },
): Promise<OnboardedMerchant> {
  let merchant = await insertMerchant(db, { name: input.name, email: input.email, isDemo: input.isDemo ?? false, now: clock.now() })
  if (input.grantMainnet) merchant = (await updateMerchant(db, merchant.id, { hasMainnetAccess: true }, clock.now())) ?? merchant
  const key = (scope: 'merchant' | 'commerce', environment: Environment, name: string) =>
    createApiKey(db, clock, { merchantId: merchant.id, name, scope, environment, expiresAt: null })
  const merchantKey = await key('merchant', 'devnet', 'Default devnet key')
  const commerceKey = await key('commerce', 'devnet', 'Default devnet commerce key')
  const mainnet = input.grantMainnet ? await key('merchant', 'mainnet', 'Default mainnet key') : undefined
  const dashboard = await mintDashboardToken(secrets, clock, merchant.id)
  return {
    merchant,
    merchantKey: merchantKey.apiKey,
    commerceKey: commerceKey.apiKey,
    mainnetMerchantKey: mainnet?.apiKey ?? null,
    dashboardToken: dashboard.token,
  }
}
