import { ID_PREFIX } from '@pepay/core'
import type { Executor } from '../../db/database.ts'
import { constantTimeEqual, hmacHex, randomSecret, sha256 } from '../platform/secrets.ts'

export interface SessionCredentials {
  sessionToken: string
  signature: string
  tokenHash: Buffer
  issuedAtMs: number
}

/**
 * Mints the browser-safe pair: `pst_<random>` and `<hex hmac>.<issued_at_ms>`, where the HMAC is
 * over `${session_token}.${issued_at_ms}` with the platform session key. Only the token's hash is
 * stored; the pair is valid for the invoice's life.
 */
export function mintSessionCredentials(sessionKey: Uint8Array, issuedAtMs: number): SessionCredentials {
  const sessionToken = `${ID_PREFIX.sessionToken}${randomSecret(24)}`
  return {
    sessionToken,
    signature: `${hmacHex(sessionKey, `${sessionToken}.${issuedAtMs}`)}.${issuedAtMs}`,
    tokenHash: sha256(sessionToken),
    issuedAtMs,
  }
}

export interface SessionInvoice {
  invoiceId: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
}

export type SessionCheck =
  | { ok: true; session: SessionInvoice }
  | { ok: false; code: 'SESSION_INVALID' | 'SESSION_MISMATCH'; message: string }

const SIGNATURE = /^([0-9a-f]{64})\.(\d{13})$/

export async function checkSessionCredentials(
  db: Executor,
  sessionKey: Uint8Array,
  sessionToken: string,
  signature: string,
): Promise<SessionCheck> {
  if (!sessionToken.startsWith(ID_PREFIX.sessionToken) || sessionToken.length > 100) {
    return { ok: false, code: 'SESSION_INVALID', message: 'Invalid session token' }
  }
  const match = SIGNATURE.exec(signature)
  if (!match?.[1] || !match[2]) return { ok: false, code: 'SESSION_INVALID', message: 'Invalid session signature' }
  const row = await db
    .selectFrom('invoice')
    .select(['id', 'merchant_id', 'environment', 'session_issued_at_ms'])
    .where('session_token_hash', '=', sha256(sessionToken))
    .executeTakeFirst()
  if (!row) return { ok: false, code: 'SESSION_INVALID', message: 'Payment session not found' }
  const expected = hmacHex(sessionKey, `${sessionToken}.${match[2]}`)
  if (!constantTimeEqual(expected, match[1]) || BigInt(row.session_issued_at_ms) !== BigInt(match[2])) {
    return { ok: false, code: 'SESSION_MISMATCH', message: 'Session signature does not match the session token' }
  }
  return { ok: true, session: { invoiceId: row.id, merchantId: BigInt(row.merchant_id), environment: row.environment } }
}
