import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  AcceptancePolicyParams,
  BlockTokenParams,
  BlockTokenResult,
  MerchantTokens,
  MerchantTokensParams,
  SearchMerchantTokensParams,
  TokenSearchResult,
} from '../wire.ts'
import { Resource, segment } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']

/** `pepay.tokens`: which tokens the merchant accepts. */
export class Tokens extends Resource {
  listMerchantSupported(
    params: MerchantTokensParams = {},
    options?: RequestOptions,
  ): Promise<MerchantTokens> {
    return this.call({
      method: 'GET',
      path: '/api/v1/merchant/tokens',
      auth: MERCHANT,
      query: params,
      options,
    })
  }

  /** Offset-paginated search (`limit` 1–200, `offset`). */
  searchMerchantTokens(
    params: SearchMerchantTokensParams = {},
    options?: RequestOptions,
  ): Promise<TokenSearchResult> {
    return this.call({
      method: 'GET',
      path: '/api/v1/merchant/tokens/search',
      auth: MERCHANT,
      query: params,
      options,
    })
  }

  blockOrUnblock(
    tokenId: number,
    params: BlockTokenParams,
    options?: RequestOptions,
  ): Promise<BlockTokenResult> {
    return this.call({
      method: 'POST',
      path: `/api/v1/merchant/tokens/${segment(tokenId)}/block`,
      auth: MERCHANT,
      body: params,
      options,
    })
  }

  setAcceptancePolicy(
    params: AcceptancePolicyParams,
    options?: RequestOptions,
  ): Promise<AcceptancePolicyParams> {
    return this.call({
      method: 'PUT',
      path: '/api/v1/merchant/acceptance-policy',
      auth: MERCHANT,
      body: params,
      options,
    })
  }
}
