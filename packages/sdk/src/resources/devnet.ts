import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  DevnetInfo,
  DevnetPayParams,
  DevnetPayResult,
  FaucetParams,
  FaucetResult,
} from '../wire.ts'
import { Resource } from './resource.ts'

const ANY_KEY: readonly AuthKind[] = ['apiKey', 'commerceApiKey', 'bearer']
const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']

/** `pepay.devnet`: the embedded devnet (RPC info, faucet, simulated payer). Devnet credentials only. */
export class Devnet extends Resource {
  info(options?: RequestOptions): Promise<DevnetInfo> {
    return this.call({ method: 'GET', path: '/api/v1/devnet', auth: ANY_KEY, options })
  }

  faucet(params: FaucetParams, options?: RequestOptions): Promise<FaucetResult> {
    return this.call({
      method: 'POST',
      path: '/api/v1/devnet/faucet',
      auth: ANY_KEY,
      body: params,
      options,
    })
  }

  /** Pays an invoice from a funded devnet account (whole quoted amount unless `amount` is given). */
  pay(params: DevnetPayParams, options?: RequestOptions): Promise<DevnetPayResult> {
    return this.call({
      method: 'POST',
      path: '/api/v1/devnet/pay',
      auth: MERCHANT,
      body: params,
      options,
    })
  }
}
