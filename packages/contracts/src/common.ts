import { z } from 'zod'

export const Environment = z.enum(['devnet', 'mainnet'])
export type Environment = z.infer<typeof Environment>

/** Instants travel as integer epoch seconds (revision B of the docs; see docs/compat.md). */
export const EpochSeconds = z.number().int().meta({ description: 'Epoch seconds' })

export const Uuid = z.uuid({ version: undefined }).meta({ format: 'uuid' })

export const ErrorBody = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>

export const RateLimitBody = z.object({
  success: z.literal(false),
  error: z.object({ code: z.literal('RATE_LIMIT_EXCEEDED'), message: z.string() }),
  message: z.string(),
  error_code: z.literal('RATE_LIMIT_EXCEEDED'),
  retry_after: z.string(),
})

/** A list in the Stripe-style cursor envelope. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() })
}

/** Envelope B: `{ success: true, data }`. */
export function envelopeB<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data })
}

/** Comma-separated list in a query string, each entry checked by `item`. */
export function commaList<T extends z.ZodType<string, string>>(item: T) {
  return z
    .string()
    .transform((value) => value.split(',').map((s) => s.trim()).filter((s) => s.length > 0))
    .pipe(z.array(item).min(1)) as unknown as z.ZodType<z.output<T>[], string>
}

/** Booleans in query strings: only the words true and false. */
export const QueryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true')

/** Error codes the API answers with; stable and documented in docs/errors.md. */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'API_KEY_INVALID',
  'API_KEY_REVOKED',
  'API_KEY_EXPIRED',
  'API_KEY_SUSPENDED',
  'AUTHENTICATION_REQUIRED',
  'WRONG_AUTH_MODE',
  'FORBIDDEN',
  'MAINNET_ACCESS_REQUIRED',
  'SESSION_INVALID',
  'SESSION_MISMATCH',
  'NOT_FOUND',
  'INVOICE_EXPIRED',
  'INVOICE_NOT_CANCELABLE',
  'INVOICE_ALREADY_PAID',
  'IDEMPOTENCY_KEY_MISSING',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_CONFLICT',
  'RATE_LIMIT_EXCEEDED',
  'INTERNAL_SERVER_ERROR',
] as const
