import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  CreateWalletParams,
  UpdateWalletParams,
  WalletGroups,
  WalletResponse,
  WalletsParams,
} from '../wire.ts'
import { Resource, segment } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']
const DASHBOARD: readonly AuthKind[] = ['bearer']

/** `pepay.wallets`: settlement wallets; listing takes an API key, changes need the dashboard token. */
export class Wallets extends Resource {
  list(params: WalletsParams = {}, options?: RequestOptions): Promise<WalletGroups> {
    return this.call({
      method: 'GET',
      path: '/api/v1/merchant/wallets',
      auth: MERCHANT,
      query: params,
      options,
    })
  }

  create(params: CreateWalletParams, options?: RequestOptions): Promise<WalletResponse> {
    return this.call({
      method: 'POST',
      path: '/api/v1/merchant/wallets',
      auth: DASHBOARD,
      body: params,
      options,
    })
  }

  updateStatus(
    walletId: string,
    params: UpdateWalletParams,
    options?: RequestOptions,
  ): Promise<WalletResponse> {
    return this.call({
      method: 'PATCH',
      path: `/api/v1/merchant/wallets/${segment(walletId)}`,
      auth: DASHBOARD,
      body: params,
      options,
    })
  }

  remove(walletId: string, options?: RequestOptions): Promise<WalletResponse> {
    return this.call({
      method: 'DELETE',
      path: `/api/v1/merchant/wallets/${segment(walletId)}`,
      auth: DASHBOARD,
      options,
    })
  }
}
