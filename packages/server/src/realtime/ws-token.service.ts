import { AppError } from '@pepay/core'
import type { Environment, WsScope, WsTokenBody } from '@pepay/contracts'
import type { Deps } from '../deps.ts'
import type { Principal } from '../http/auth.ts'
import { fieldError } from '../http/errors.ts'
import { findMerchant } from '../modules/merchants/merchant.repo.ts'
import { signJwt, verifyJwt } from '../modules/platform/secrets.ts'
import {
  mintPaymentSessionToken as mintSessionJwt,
  verifyPaymentSessionToken,
} from '../modules/payment-sessions/session-jwt.ts'
import { findInvoiceLifetime } from './realtime.repo.ts'

export function wsBaseUrl(publicBase: string): string {
  return publicBase.replace(/^http(s?):\/\//, 'ws$1://')
}

/**
 * Mints a ws_token for the caller's own stream. Merchant keys mint merchant tokens and commerce
 * keys commerce tokens (a mismatch is a 400, as the docs say); a dashboard token mints merchant
 * tokens for both environments (`network_environment: null`).
 */
export async function mintWsToken(deps: Deps, principal: Principal, body: WsTokenBody) {
  if (principal.kind === 'session')
    throw new AppError('WRONG_AUTH_MODE', 'Payment sessions cannot mint ws tokens')
  const keyScope: WsScope = principal.kind === 'api_key' ? principal.scope : 'merchant'
  if (body.scope !== keyScope) {
    throw fieldError(
      'scope',
      principal.kind === 'api_key'
        ? `a ${principal.scope} key mints ${principal.scope} tokens`
        : 'a dashboard token mints merchant tokens',
    )
  }
  const issuedAt = deps.clock.now()
  const expiresAt = new Date(issuedAt.getTime() + body.ttl_seconds * 1000)
  const environment: Environment | null =
    principal.kind === 'api_key' ? principal.environment : null
  const keyId = principal.kind === 'api_key' ? principal.keyId : null
  const token = await signJwt(
    deps.secrets.jwtKey,
    { typ: 'ws', scope: body.scope, env: environment, kid: keyId },
    { issuedAt, expiresAt, subject: principal.merchantId.toString() },
  )
  return {
    token,
    scope: body.scope,
    merchant_id: Number(principal.merchantId),
    network_environment: environment,
    expires_at: Math.floor(expiresAt.getTime() / 1000),
    ws_url: `${wsBaseUrl(deps.urls.publicBase)}/ws/${body.scope}/events`,
  }
}

/** Resolves a ws_token into the principal it was minted for; 401 when invalid or expired, 403 on the wrong stream. */
export async function principalFromWsToken(
  deps: Deps,
  token: string,
  stream: WsScope,
): Promise<Principal> {
  const result = await verifyJwt(deps.secrets.jwtKey, token, deps.clock.now())
  if (!result.ok) {
    throw result.reason === 'expired'
      ? new AppError('WS_TOKEN_EXPIRED', 'The ws_token has expired; mint a new one')
      : new AppError('WS_TOKEN_INVALID', 'The ws_token is not valid')
  }
  const claims = result.claims
  if (claims['typ'] === 'payment_session')
    throw new AppError('SCOPE_MISMATCH', 'A payment session token opens /ws/payment only')
  if (claims['typ'] !== 'ws' || !/^\d+$/.test(claims.sub))
    throw new AppError('WS_TOKEN_INVALID', 'Not a ws_token')
  if (claims['scope'] !== stream) {
    throw new AppError(
      'SCOPE_MISMATCH',
      `This token is for the ${String(claims['scope'])} stream, not ${stream}`,
    )
  }
  const merchant = await findMerchant(deps.db, BigInt(claims.sub))
  if (!merchant) throw new AppError('WS_TOKEN_INVALID', 'The ws_token names an unknown merchant')
  if (merchant.status !== 'active')
    throw new AppError('MERCHANT_SUSPENDED', 'Merchant account is suspended')
  const env = claims['env']
  const kid = claims['kid']
  if (typeof kid === 'string' && (env === 'devnet' || env === 'mainnet')) {
    return { kind: 'api_key', merchantId: merchant.id, environment: env, scope: stream, keyId: kid }
  }
  return { kind: 'bearer', merchantId: merchant.id, environment: merchant.currentEnvironment }
}

/**
 * The `/ws/payment` token handed to the payer's page (`ws_connection.token` of payment-addresses):
 * scoped to one invoice, valid for the invoice's life plus a short grace to observe its expiry.
 * The claims are those of payment-sessions/session-jwt.ts, which the chain layer also mints.
 */
export async function mintPaymentSessionToken(
  deps: Deps,
  input: { invoiceId: string; merchantId: bigint; environment: Environment },
): Promise<string> {
  const invoice = await findInvoiceLifetime(deps.db, input.invoiceId)
  if (
    !invoice ||
    invoice.merchantId !== input.merchantId ||
    invoice.environment !== input.environment
  ) {
    throw new AppError('NOT_FOUND', 'invoice not found')
  }
  return mintSessionJwt(deps, { ...input, expiresAt: invoice.expiresAt })
}

export interface PaymentStreamScope {
  invoiceId: string
  merchantId: bigint
  environment: Environment
}

export async function scopeFromPaymentToken(
  deps: Deps,
  token: string,
): Promise<PaymentStreamScope> {
  const result = await verifyJwt(deps.secrets.jwtKey, token, deps.clock.now())
  if (!result.ok) {
    throw result.reason === 'expired'
      ? new AppError('WS_TOKEN_EXPIRED', 'The payment session token has expired')
      : new AppError('WS_TOKEN_INVALID', 'The payment session token is not valid')
  }
  if (result.claims['typ'] === 'ws')
    throw new AppError('SCOPE_MISMATCH', 'A ws_token cannot open the payment stream')
  const check = await verifyPaymentSessionToken(deps, token)
  if (!check.ok) throw new AppError('WS_TOKEN_INVALID', 'Not a payment session token')
  return {
    invoiceId: check.invoiceId,
    merchantId: check.merchantId,
    environment: check.environment,
  }
}
