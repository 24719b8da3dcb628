import type { Environment } from '@pepay/contracts'
import type { Deps } from '../../../deps.ts'
import type { CatalogScope, RetailProvider } from '../../../providers/retail/retail-provider.ts'

/** What the commerce services need besides the platform deps. */
export interface Commerce {
  deps: Deps
  provider: RetailProvider
  /** Target size of the sandbox catalog (reported by the status route). */
  catalogSize: number
  /** Wakes the refund and placement workers after a commit that gave them work. */
  kick(): void
}

export interface Tenant {
  merchantId: bigint
  environment: Environment
}

export function catalogScope(tenant: Tenant): CatalogScope {
  return { merchantId: tenant.merchantId, environment: tenant.environment }
}
