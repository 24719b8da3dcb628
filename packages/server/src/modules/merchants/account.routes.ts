import { AppError } from '@pepay/core'
import {
  ApiKey,
  CreateApiKeyBody,
  CreatedApiKey,
  ErrorBody,
  KeyIdParams,
  ListApiKeysQuery,
  MainnetAccessStatus,
  MainnetActivateResponse,
  MessageResponse,
  PaymentReturnUrl,
  SetEnvironmentBody,
  SetEnvironmentResponse,
  UpdatePaymentReturnUrlBody,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Deps } from '../../deps.ts'
import { requirePrincipal } from '../../http/auth.ts'
import { fieldError, NotFoundError } from '../../http/errors.ts'
import { listApiKeys, revokeApiKey, type ApiKeyRecord } from './api-key.repo.ts'
import { createApiKey } from './api-key.service.ts'
import { findMerchant, updateMerchant } from './merchant.repo.ts'

const seconds = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null)
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

export function serializeApiKey(key: ApiKeyRecord): z.infer<typeof ApiKey> {
  return {
    key_id: key.id,
    name: key.name,
    scope: key.scope,
    environment: key.environment,
    key_hint: `${key.keyPrefix}…${key.keyLast4}`,
    expires_at: seconds(key.expiresAt),
    status: key.status,
    last_used_at: seconds(key.lastUsedAt),
    created_at: seconds(key.createdAt) ?? 0,
    revoked_at: seconds(key.revokedAt),
    revoked_reason: key.revokedReason,
  }
}

export function accountRoutes(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.get('/api/v1/api-keys', {
      config: { auth: ['bearer'] },
      schema: { tags: ['API keys'], summary: 'List API keys (masked)', querystring: ListApiKeysQuery, response: { 200: z.array(ApiKey), ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const keys = await listApiKeys(deps.db, principal.merchantId, request.query)
      return keys.map(serializeApiKey)
    })

    r.post('/api/v1/api-keys', {
      // not idempotent on purpose: a stored replay would keep the plaintext key in the database
      config: { auth: ['bearer'] },
      schema: { tags: ['API keys'], summary: 'Create an API key (shown once)', body: CreateApiKeyBody, response: { 201: CreatedApiKey, ...errors } },
    }, async (request, reply) => {
      const principal = requirePrincipal(request)
      const body = request.body
      let expiresAt: Date | null = null
      if (body.expires_at !== undefined) {
        expiresAt = typeof body.expires_at === 'number' ? new Date(body.expires_at * 1000) : new Date(body.expires_at)
        if (Number.isNaN(expiresAt.getTime())) throw fieldError('expires_at', 'not a valid date-time')
      }
      const { record, apiKey } = await createApiKey(deps.db, deps.clock, {
        merchantId: principal.merchantId,
        name: body.name,
        scope: body.scope,
        environment: body.environment ?? principal.environment,
        expiresAt,
      })
      return reply.status(201).send({
        key_id: record.id,
        name: record.name,
        scope: record.scope,
        environment: record.environment,
        api_key: apiKey,
        expires_at: seconds(record.expiresAt),
      })
    })

    for (const path of ['/api/v1/api-keys/:keyId/revoke', '/api/v1/merchant-api-keys/:keyId/revoke']) {
      r.post(path, {
        config: { auth: ['bearer'] },
        schema: {
          tags: ['API keys'],
          summary: path.includes('merchant-api-keys') ? 'Revoke an API key (legacy alias)' : 'Revoke an API key',
          params: KeyIdParams,
          response: { 200: MessageResponse, ...errors },
        },
      }, async (request) => {
        const principal = requirePrincipal(request)
        const body = request.body as { reason?: unknown } | undefined
        const reason = typeof body?.reason === 'string' ? body.reason.slice(0, 255) : null
        const revoked = await revokeApiKey(deps.db, principal.merchantId, request.params.keyId, reason, deps.clock.now())
        if (!revoked) throw new NotFoundError('API key')
        return { message: 'API key revoked successfully' }
      })
    }

    r.get('/api/v1/user/mainnet-access/status', {
      config: { auth: ['merchant_key', 'bearer'] },
      schema: { tags: ['Access'], summary: 'Mainnet access and current environment', response: { 200: MainnetAccessStatus, ...errors } },
    }, async (request) => {
      const merchant = await findMerchant(deps.db, requirePrincipal(request).merchantId)
      if (!merchant) throw new NotFoundError('merchant')
      return { has_mainnet_access: merchant.hasMainnetAccess, current_environment: merchant.currentEnvironment }
    })

    r.post('/api/v1/user/mainnet-access/activate', {
      config: { auth: ['merchant_key', 'bearer'] },
      schema: { tags: ['Access'], summary: 'Activate mainnet access (operator-approved or self-service)', response: { 200: MainnetActivateResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const merchant = await findMerchant(deps.db, principal.merchantId)
      if (!merchant) throw new NotFoundError('merchant')
      if (!merchant.hasMainnetAccess) {
        if (!deps.config.mainnetSelfService) {
          throw new AppError('MAINNET_ACCESS_REQUIRED', 'Mainnet access must be granted by the platform operator (pepay merchants grant-mainnet)')
        }
        await updateMerchant(deps.db, merchant.id, { hasMainnetAccess: true }, deps.clock.now())
      }
      return { success: true as const, has_mainnet_access: true, current_environment: merchant.currentEnvironment, message: 'Mainnet access is active' }
    })

    r.put('/api/v1/user/environment', {
      config: { auth: ['merchant_key', 'bearer'] },
      schema: { tags: ['Access'], summary: "Set the merchant's default environment", body: SetEnvironmentBody, response: { 200: SetEnvironmentResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const merchant = await findMerchant(deps.db, principal.merchantId)
      if (!merchant) throw new NotFoundError('merchant')
      if (request.body.environment === 'mainnet' && !merchant.hasMainnetAccess) {
        throw new AppError('MAINNET_ACCESS_REQUIRED', 'Mainnet access is not enabled for this merchant')
      }
      await updateMerchant(deps.db, merchant.id, { currentEnvironment: request.body.environment }, deps.clock.now())
      return { success: true as const, current_environment: request.body.environment }
    })

    r.get('/api/v1/merchant/payment-return-url', {
      config: { auth: ['merchant_key', 'bearer'] },
      schema: { tags: ['Merchant settings'], summary: 'Default payment return URL', response: { 200: PaymentReturnUrl, ...errors } },
    }, async (request) => {
      const merchant = await findMerchant(deps.db, requirePrincipal(request).merchantId)
      if (!merchant) throw new NotFoundError('merchant')
      return { payment_return_url: merchant.paymentReturnUrl, payment_return_url_enabled: merchant.paymentReturnUrlEnabled }
    })

    r.put('/api/v1/merchant/payment-return-url', {
      config: { auth: ['merchant_key', 'bearer'] },
      schema: { tags: ['Merchant settings'], summary: 'Set or clear the default payment return URL (HTTPS)', body: UpdatePaymentReturnUrlBody, response: { 200: PaymentReturnUrl, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const url = request.body.payment_return_url
      const enabled = request.body.payment_return_url_enabled ?? url !== null
      const merchant = await updateMerchant(
        deps.db,
        principal.merchantId,
        { paymentReturnUrl: url, paymentReturnUrlEnabled: url === null ? false : enabled },
        deps.clock.now(),
      )
      if (!merchant) throw new NotFoundError('merchant')
      return { payment_return_url: merchant.paymentReturnUrl, payment_return_url_enabled: merchant.paymentReturnUrlEnabled }
    })
  }
}
