import { systemClock } from '@pepay/core'
import { loadConfig } from './config.ts'
import { openDatabase } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import { updateMerchant } from './modules/merchants/merchant.repo.ts'
import { mintDashboardToken, onboardMerchant, type OnboardedMerchant } from './modules/merchants/merchant.service.ts'
import { loadPlatformSecrets } from './modules/platform/secrets.ts'

export interface OperatorDeps {
  onboard(input: { name: string; email: string | null; grantMainnet: boolean }): Promise<OnboardedMerchant>
  grantMainnet(merchantId: bigint): Promise<void>
  dashboardToken(merchantId: bigint): Promise<string>
  close(): Promise<void>
}

/** Direct database access for operator commands (`pepay merchants …`). */
export async function openOperatorDeps(): Promise<OperatorDeps> {
  const config = loadConfig()
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  await migrateToLatest(database)
  const secrets = await loadPlatformSecrets(database.db)
  const clock = systemClock
  return {
    onboard: (input) => onboardMerchant(database.db, secrets, clock, input),
    async grantMainnet(merchantId) {
      const updated = await updateMerchant(database.db, merchantId, { hasMainnetAccess: true }, clock.now())
      if (!updated) throw new Error(`merchant ${merchantId} not found`)
    },
    async dashboardToken(merchantId) {
      return (await mintDashboardToken(secrets, clock, merchantId)).token
    },
    close: () => database.close(),
  }
}
