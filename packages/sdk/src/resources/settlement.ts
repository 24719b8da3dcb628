import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  SettlementPreference,
  UpdateSettlementTokenParams,
  UpdateSettlementTokenResult,
} from '../wire.ts'
import { Resource } from './resource.ts'

const DASHBOARD: readonly AuthKind[] = ['bearer']

/** `pepay.settlement`: the settlement stablecoin (dashboard Bearer token). */
export class Settlement extends Resource {
  getPreferences(options?: RequestOptions): Promise<SettlementPreference> {
    return this.call({
      method: 'GET',
      path: '/api/v1/merchant/settlement-preference',
      auth: DASHBOARD,
      options,
    })
  }

  /** `settlement_token_id: null` returns to the system default. */
  updateSettlementToken(
    params: UpdateSettlementTokenParams,
    options?: RequestOptions,
  ): Promise<UpdateSettlementTokenResult> {
    return this.call({
      method: 'PUT',
      path: '/api/v1/merchant/settlement-token',
      auth: DASHBOARD,
      body: params,
      options,
    })
  }
}
