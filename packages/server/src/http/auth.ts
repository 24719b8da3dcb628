import { AppError } from '@pepay/core'
import type { Environment } from '@pepay/contracts'
import type { FastifyRequest } from 'fastify'
import type { Deps } from '../deps.ts'
import { resolveApiKey } from '../modules/merchants/api-key.service.ts'
import { findMerchant } from '../modules/merchants/merchant.repo.ts'
import { checkSessionCredentials } from '../modules/payment-sessions/session-credentials.ts'
import { verifyJwt } from '../modules/platform/secrets.ts'

/** Which credential kinds a route accepts. */
export type AuthMode = 'merchant_key' | 'commerce_key' | 'bearer' | 'session'

export type Principal =
  | {
      kind: 'api_key'
      merchantId: bigint
      environment: Environment
      scope: 'merchant' | 'commerce'
      keyId: string
    }
  | { kind: 'bearer'; merchantId: bigint; environment: Environment }
  | { kind: 'session'; merchantId: bigint; environment: Environment; invoiceId: string }

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthMode[]
    /**
     * `required`/`optional`: the key is claimed before the handler runs and completed with its
     * response. `inline`: the header is required and checked here, and the handler claims the key
     * in the same statement as its write (`request.idempotency.inline`).
     */
    idempotency?: 'required' | 'optional' | 'inline'
  }
  interface FastifyRequest {
    principal: Principal | undefined
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

/** Resolves the request's credentials against the route's accepted modes, or throws. */
export async function authenticate(deps: Deps, request: FastifyRequest, modes: AuthMode[]): Promise<Principal> {
  const apiKey = header(request, 'x-api-key')
  const commerceKey = header(request, 'x-commerce-api-key')
  const authorization = header(request, 'authorization')
  const sessionToken = header(request, 'x-session-token')
  const signature = header(request, 'x-signature')
  const hasServerCredential = apiKey !== undefined || commerceKey !== undefined || authorization !== undefined
  const now = deps.clock.now()

  if (modes.includes('session')) {
    if (!sessionToken || !signature) {
      if (hasServerCredential) {
        throw new AppError('WRONG_AUTH_MODE', 'This route takes payment-session headers (x-session-token, x-signature), not server credentials')
      }
      throw new AppError('SESSION_INVALID', 'Missing x-session-token or x-signature header')
    }
    const check = await checkSessionCredentials(deps.db, deps.secrets.sessionKey, sessionToken, signature)
    if (!check.ok) throw new AppError(check.code, check.message)
    return { kind: 'session', ...check.session }
  }

  if (!hasServerCredential) {
    if (sessionToken || signature) {
      throw new AppError('AUTHENTICATION_REQUIRED', 'Payment-session headers are not accepted on this route; use a server credential')
    }
    throw new AppError('AUTHENTICATION_REQUIRED', 'Missing credentials: send x-api-key or Authorization: Bearer')
  }

  const keyText = commerceKey ?? apiKey
  if (keyText !== undefined && (modes.includes('merchant_key') || modes.includes('commerce_key'))) {
    const check = await resolveApiKey(deps.db, keyText, now)
    if (!check.ok) throw new AppError(check.code, check.message)
    const key = check.key
    const allowed = key.scope === 'merchant' ? modes.includes('merchant_key') : modes.includes('commerce_key')
    if (!allowed) {
      throw new AppError('FORBIDDEN', `A ${key.scope}-scoped key cannot be used on this route`)
    }
    if (commerceKey !== undefined && key.scope !== 'commerce') {
      throw new AppError('FORBIDDEN', 'x-commerce-api-key carries a merchant-scoped key')
    }
    const merchant = check.merchant
    if (!merchant || merchant.status !== 'active') throw new AppError('MERCHANT_SUSPENDED', 'Merchant account is suspended')
    if (key.environment === 'mainnet' && !merchant.hasMainnetAccess) {
      throw new AppError('MAINNET_ACCESS_REQUIRED', 'Mainnet access is not enabled for this merchant')
    }
    deps.keyUsage.touch(key.id, now)
    return { kind: 'api_key', merchantId: key.merchantId, environment: key.environment, scope: key.scope, keyId: key.id }
  }

  if (authorization !== undefined && modes.includes('bearer')) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization)
    if (!match?.[1]) throw new AppError('BEARER_TOKEN_INVALID', 'Authorization must be "Bearer <token>"')
    const result = await verifyJwt(deps.secrets.jwtKey, match[1], now)
    if (!result.ok || result.claims['typ'] !== 'dashboard' || !/^\d+$/.test(result.claims.sub)) {
      throw new AppError('BEARER_TOKEN_INVALID', result.ok ? 'Not a dashboard token' : `Bearer token is ${result.reason}`)
    }
    const merchant = await findMerchant(deps.db, BigInt(result.claims.sub))
    if (!merchant) throw new AppError('BEARER_TOKEN_INVALID', 'Bearer token subject is unknown')
    if (merchant.status !== 'active') throw new AppError('MERCHANT_SUSPENDED', 'Merchant account is suspended')
    return { kind: 'bearer', merchantId: merchant.id, environment: merchant.currentEnvironment }
  }

  throw new AppError(
    'WRONG_AUTH_MODE',
    `This route accepts ${modes.map((m) => m.replace('_', ' ')).join(' or ')} credentials`,
  )
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('AUTHENTICATION_REQUIRED', 'Missing credentials')
  return request.principal
}

export function requireSession(request: FastifyRequest): Extract<Principal, { kind: 'session' }> {
  const p = request.principal
  if (p?.kind !== 'session') throw new AppError('SESSION_INVALID', 'Missing payment session')
  return p
}
