import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  ApiKey,
  CreateApiKeyParams,
  CreatedApiKey,
  ListApiKeysParams,
  MessageResponse,
} from '../wire.ts'
import { Resource, segment } from './resource.ts'

const DASHBOARD: readonly AuthKind[] = ['bearer']

/** `pepay.apiKeys`: API key management (dashboard Bearer token only). */
export class ApiKeys extends Resource {
  list(params: ListApiKeysParams = {}, options?: RequestOptions): Promise<ApiKey[]> {
    return this.call({
      method: 'GET',
      path: '/api/v1/api-keys',
      auth: DASHBOARD,
      query: params,
      options,
    })
  }

  /** Creates a key; `api_key` in the result is the only time the full key is shown. */
  create(params: CreateApiKeyParams, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.call({
      method: 'POST',
      path: '/api/v1/api-keys',
      auth: DASHBOARD,
      body: params,
      options,
    })
  }

  revoke(
    keyId: string,
    params: { reason?: string } = {},
    options?: RequestOptions,
  ): Promise<MessageResponse> {
    return this.call({
      method: 'POST',
      path: `/api/v1/api-keys/${segment(keyId)}/revoke`,
      auth: DASHBOARD,
      ...(params.reason !== undefined && { body: params }),
      options,
    })
  }
}
