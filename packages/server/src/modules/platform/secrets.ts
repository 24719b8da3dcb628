import { createHmac, hash, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose'
import type { Executor } from '../../db/database.ts'

export interface PlatformSecrets {
  /** HMAC key for payment-session signatures. */
  sessionKey: Uint8Array
  /** HS256 key for dashboard bearer tokens, ws tokens and payment-session JWTs. */
  jwtKey: Uint8Array
}

/**
 * Loads the platform's signing secrets, creating them on first start. Stored in the database so
 * that every server process of one deployment signs and verifies with the same keys.
 */
export async function loadPlatformSecrets(db: Executor): Promise<PlatformSecrets> {
  const read = async (name: string): Promise<Uint8Array> => {
    await db
      .insertInto('platform_secret')
      .values({ name, value: randomBytes(32).toString('base64') })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
    const row = await db.selectFrom('platform_secret').select('value').where('name', '=', name).executeTakeFirstOrThrow()
    return Buffer.from(row.value, 'base64')
  }
  return { sessionKey: await read('session_hmac_v1'), jwtKey: await read('jwt_hs256_v1') }
}

export function sha256(text: string): Buffer {
  // the one-shot form: about half the cost of a Hash object, on every authenticated request
  return hash('sha256', text, 'buffer')
}

/** Imported key objects of the long-lived signing keys: importing raw bytes costs more than the HMAC itself. */
const keyObjects = new WeakMap<Uint8Array, KeyObject>()

export function hmacHex(key: Uint8Array, message: string): string {
  let keyObject = keyObjects.get(key)
  if (!keyObject) {
    keyObject = createSecretKey(key)
    keyObjects.set(key, keyObject)
  }
  return createHmac('sha256', keyObject).update(message).digest('hex')
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * A random secret, base64url. Bytes come from a pool refilled from the CSPRNG 4 KiB at a time:
 * one call into the generator costs far more than copying 24 bytes, and every invoice takes a
 * session secret. Every byte is handed out once.
 */
export function randomSecret(bytes = 24): string {
  if (bytes > RANDOM_POOL_SIZE) return randomBytes(bytes).toString('base64url')
  if (randomPoolOffset + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_SIZE)
    randomPoolOffset = 0
  }
  const secret = randomPool.toString('base64url', randomPoolOffset, randomPoolOffset + bytes)
  randomPool.fill(0, randomPoolOffset, randomPoolOffset + bytes)
  randomPoolOffset += bytes
  return secret
}

const RANDOM_POOL_SIZE = 4096
let randomPool = Buffer.alloc(0)
let randomPoolOffset = 0

export type JwtClaims = Record<string, string | number | boolean | null>

export async function signJwt(
  key: Uint8Array,
  claims: JwtClaims,
  options: { issuedAt: Date; expiresAt: Date; subject: string },
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuer('pepay')
    .setIssuedAt(Math.floor(options.issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(options.expiresAt.getTime() / 1000))
    .sign(key)
}

export type JwtResult =
  | { ok: true; claims: JwtClaims & { sub: string; exp: number } }
  | { ok: false; reason: 'expired' | 'invalid' }

export async function verifyJwt(key: Uint8Array, token: string, now: Date): Promise<JwtResult> {
  try {
    const { payload } = await jwtVerify(token, key, {
      issuer: 'pepay',
      algorithms: ['HS256'],
      currentDate: now,
    })
    if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return { ok: false, reason: 'invalid' }
    return { ok: true, claims: payload as JwtClaims & { sub: string; exp: number } }
  } catch (error) {
    return { ok: false, reason: error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' }
  }
}
