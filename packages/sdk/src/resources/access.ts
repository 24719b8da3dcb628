import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  MainnetAccessStatus,
  MainnetActivateResult,
  SetEnvironmentParams,
  SetEnvironmentResult,
} from '../wire.ts'
import { Resource } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']

/** `pepay.access`: mainnet access and the merchant's default environment. */
export class Access extends Resource {
  getStatus(options?: RequestOptions): Promise<MainnetAccessStatus> {
    return this.call({
      method: 'GET',
      path: '/api/v1/user/mainnet-access/status',
      auth: MERCHANT,
      options,
    })
  }

  activateMainnet(options?: RequestOptions): Promise<MainnetActivateResult> {
    return this.call({
      method: 'POST',
      path: '/api/v1/user/mainnet-access/activate',
      auth: MERCHANT,
      options,
    })
  }

  setEnvironment(
    params: SetEnvironmentParams,
    options?: RequestOptions,
  ): Promise<SetEnvironmentResult> {
    return this.call({
      method: 'PUT',
      path: '/api/v1/user/environment',
      auth: MERCHANT,
      body: params,
      options,
    })
  }
}
