import type { Deps } from '../../deps.ts'
import { signJwt, verifyJwt } from '../platform/secrets.ts'

/** Extra validity after the invoice deadline, so a payer sees the final status frames. */
const GRACE_SECONDS = 15 * 60

/**
 * The payment-session JWT for `/ws/payment?token=…` (returned as `ws_connection.token` by
 * payment-addresses): scoped to one invoice, valid for the invoice's life plus a short grace.
 */
export async function mintPaymentSessionToken(
  deps: Pick<Deps, 'secrets' | 'clock'>,
  input: { invoiceId: string; merchantId: bigint; environment: 'devnet' | 'mainnet'; expiresAt: Date },
): Promise<string> {
  const issuedAt = deps.clock.now()
  const until = Math.max(input.expiresAt.getTime(), issuedAt.getTime()) + GRACE_SECONDS * 1000
  return signJwt(
    deps.secrets.jwtKey,
    { typ: 'payment_session', mid: input.merchantId.toString(), env: input.environment },
    { issuedAt, expiresAt: new Date(until), subject: input.invoiceId },
  )
}

export type PaymentSessionTokenCheck =
  | { ok: true; invoiceId: string; merchantId: bigint; environment: 'devnet' | 'mainnet' }
  | { ok: false; reason: 'expired' | 'invalid' }

export async function verifyPaymentSessionToken(
  deps: Pick<Deps, 'secrets' | 'clock'>,
  token: string,
): Promise<PaymentSessionTokenCheck> {
  const result = await verifyJwt(deps.secrets.jwtKey, token, deps.clock.now())
  if (!result.ok) return result
  const { claims } = result
  if (claims['typ'] !== 'payment_session' || typeof claims['mid'] !== 'string' || (claims['env'] !== 'devnet' && claims['env'] !== 'mainnet')) {
    return { ok: false, reason: 'invalid' }
  }
  return { ok: true, invoiceId: claims.sub, merchantId: BigInt(claims['mid']), environment: claims['env'] }
}
