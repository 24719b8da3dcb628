import { ErrorBody } from '@pepay/contracts'
import type { FastifyRequest } from 'fastify'
import { requirePrincipal } from '../../../http/auth.ts'
import type { Tenant } from './context.ts'

/** Commerce routes: commerce keys (x-commerce-api-key or x-api-key with a commerce key). */
export const COMMERCE_AUTH = { auth: ['commerce_key' as const] }
/** Orders and payments also accept the dashboard token. */
export const COMMERCE_OR_DASHBOARD_AUTH = { auth: ['commerce_key' as const, 'bearer' as const] }

export const commerceErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

/** The merchant and environment a request acts in: a key's own environment, a dashboard's current one. */
export function tenantOf(request: FastifyRequest): Tenant {
  const principal = requirePrincipal(request)
  return { merchantId: principal.merchantId, environment: principal.environment }
}
