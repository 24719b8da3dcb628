/**
 * Webhook signature verification (Pepay → merchant). The signature is hex HMAC-SHA256 over
 * `${X-Pepay-Timestamp}.${rawBody}` with the endpoint's secret; during a secret rotation the
 * server also sends `X-Pepay-Signature-Previous` made with the previous secret.
 */
import { hmacSha256Hex, timingSafeEqual, toBytes, type BinaryLike } from './platform/crypto.ts'
import type { PepayEvent } from './wire.ts'

export const DEFAULT_WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000

export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined>

export interface WebhookVerifierOptions {
  /** Current secret first; the previous one while a rotation is in progress. Empty values are ignored. */
  secrets: readonly (string | null | undefined)[]
  /** Accepted clock skew either side (default 5 minutes). */
  toleranceMs?: number
  /** Current time in ms (for tests). */
  now?: () => number
}

export interface VerifyInput {
  /** The body exactly as received (Buffer, Uint8Array, ArrayBuffer or string) — not re-serialized JSON. */
  rawBody: BinaryLike
  headers: WebhookHeaders
}

export type WebhookFailureReason =
  'invalid_signature' | 'timestamp_out_of_range' | 'invalid_payload'

export type VerifyResult =
  | { valid: true; event: PepayEvent; reason?: undefined }
  | { valid: false; reason: WebhookFailureReason; event?: undefined }

export interface WebhookVerifier {
  verify(input: VerifyInput): Promise<VerifyResult>
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(
    headers as Record<string, string | readonly string[] | undefined>,
  )) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    return typeof value === 'string' ? value : value[0]
  }
  return undefined
}

function signatures(value: string | undefined): string[] {
  if (!value) return []
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => /^[0-9a-f]{64}$/.test(s))
    .slice(0, 8)
}

export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const secrets = options.secrets.filter((s): s is string => typeof s === 'string' && s.length > 0)
  if (secrets.length === 0) throw new TypeError('createWebhookVerifier needs at least one secret')
  const toleranceMs = options.toleranceMs ?? DEFAULT_WEBHOOK_TOLERANCE_MS
  const now = options.now ?? (() => Date.now())

  return {
    async verify({ rawBody, headers }: VerifyInput): Promise<VerifyResult> {
      const timestamp = header(headers, 'x-pepay-timestamp')?.trim()
      if (!timestamp || !/^\d{1,16}$/.test(timestamp))
        return { valid: false, reason: 'timestamp_out_of_range' }
      // a captured delivery replayed later fails here even though its signature is genuine
      if (Math.abs(now() - Number(timestamp)) > toleranceMs)
        return { valid: false, reason: 'timestamp_out_of_range' }
      const received = [
        ...signatures(header(headers, 'x-pepay-signature')),
        ...signatures(header(headers, 'x-pepay-signature-previous')),
      ]
      if (received.length === 0) return { valid: false, reason: 'invalid_signature' }
      const body = toBytes(rawBody)
      let matched = false
      for (const secret of secrets) {
        const expected = await hmacSha256Hex(secret, `${timestamp}.`, body)
        // compare against every candidate without short-circuiting: timing must not tell which matched
        for (const candidate of received) matched = timingSafeEqual(expected, candidate) || matched
      }
      if (!matched) return { valid: false, reason: 'invalid_signature' }
      let event: unknown
      try {
        event = JSON.parse(new TextDecoder().decode(body))
      } catch {
        return { valid: false, reason: 'invalid_payload' }
      }
      if (
        typeof event !== 'object' ||
        event === null ||
        typeof (event as { id?: unknown }).id !== 'string'
      ) {
        return { valid: false, reason: 'invalid_payload' }
      }
      return { valid: true, event: event as PepayEvent }
    },
  }
}

export interface SignWebhookInput {
  /** An event object (serialized with JSON.stringify) or the exact body text/bytes. */
  payload: object | string | Uint8Array
  secret: string
  /** Also sign with this secret into `X-Pepay-Signature-Previous` (rotation). */
  previousSecret?: string
  /** Defaults to now. */
  timestampMs?: number
}

export interface SignedWebhook {
  /** The exact body to send. */
  body: string
  timestampMs: number
  signature: string
  /** `X-Pepay-Timestamp`, `X-Pepay-Signature` (and `-Previous`), `Content-Type`. */
  headers: Record<string, string>
}

/** Signs a payload the way the server does, for tests of webhook receivers. */
export async function signWebhookPayload(input: SignWebhookInput): Promise<SignedWebhook> {
  const body =
    typeof input.payload === 'string'
      ? input.payload
      : input.payload instanceof Uint8Array
        ? new TextDecoder().decode(input.payload)
        : JSON.stringify(input.payload)
  const timestampMs = input.timestampMs ?? Date.now()
  const signature = await hmacSha256Hex(input.secret, `${timestampMs}.`, body)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-pepay-timestamp': String(timestampMs),
    'x-pepay-signature': signature,
  }
  if (input.previousSecret) {
    headers['x-pepay-signature-previous'] = await hmacSha256Hex(
      input.previousSecret,
      `${timestampMs}.`,
      body,
    )
  }
  return { body, timestampMs, signature, headers }
}
