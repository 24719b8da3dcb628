import { AppError } from '@pepay/core'
import type { Environment } from '@pepay/contracts'
import type { FastifyRequest } from 'fastify'
import type { RequestContext } from '../deps.ts'
import type { Principal } from './auth.ts'

export function requestContext(request: FastifyRequest): RequestContext {
  return { requestId: request.id, idempotencyKey: request.idempotency?.key ?? null }
}

/**
 * The environment a request may read. An API key is bound to one environment and never reads
 * another's data; a dashboard token may ask for either.
 */
export function scopedEnvironment(principal: Principal, requested: Environment | undefined): Environment | undefined {
  if (principal.kind === 'api_key' || principal.kind === 'session') {
    if (requested !== undefined && requested !== principal.environment) {
      throw new AppError('VALIDATION_ERROR', `environment: this credential is bound to ${principal.environment}`, [
        { field: 'environment', message: `must be ${principal.environment} for this credential`, code: 'invalid' },
      ])
    }
    return principal.environment
  }
  return requested
}

/** The environment a write lands in: the key's, or the dashboard's current one. */
export function writeEnvironment(principal: Principal): Environment {
  return principal.environment
}
