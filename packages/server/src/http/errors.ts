import { AppError } from '@pepay/core'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ZodError, type z } from 'zod'

/** code → HTTP status. Domain code never knows HTTP; this table is the only mapping. */
const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_ERROR: 400,
  INVALID_AMOUNT_FORMAT: 400,
  INVALID_AMOUNT_RANGE: 400,
  IDEMPOTENCY_KEY_MISSING: 400,
  IDEMPOTENCY_KEY_REUSED: 400,
  INVOICE_NOT_CANCELABLE: 400,
  INVOICE_ALREADY_PAID: 400,
  INVOICE_NOT_PAYABLE: 400,
  UNKNOWN_NETWORK: 400,
  UNKNOWN_TOKEN: 400,
  TOKEN_BLOCKED: 400,
  TOKEN_NOT_ACCEPTED: 400,
  INVALID_ADDRESS: 400,
  BAD_REQUEST: 400,
  AUTHENTICATION_REQUIRED: 401,
  API_KEY_INVALID: 401,
  API_KEY_REVOKED: 401,
  API_KEY_EXPIRED: 401,
  BEARER_TOKEN_INVALID: 401,
  SESSION_INVALID: 401,
  WS_TOKEN_INVALID: 401,
  WS_TOKEN_EXPIRED: 401,
  WRONG_AUTH_MODE: 403,
  FORBIDDEN: 403,
  API_KEY_SUSPENDED: 403,
  MERCHANT_SUSPENDED: 403,
  MAINNET_ACCESS_REQUIRED: 403,
  SESSION_MISMATCH: 403,
  SCOPE_MISMATCH: 403,
  DEVNET_ONLY: 403,
  KEY_LIMIT_REACHED: 403,
  NOT_FOUND: 404,
  IDEMPOTENCY_CONFLICT: 409,
  CONFLICT: 409,
  INVOICE_EXPIRED: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
}

export function statusForCode(code: string): number {
  return STATUS_BY_CODE[code] ?? 400
}

export function errorBody(code: string, message: string, details?: unknown) {
  return {
    success: false as const,
    error: details === undefined ? { code, message } : { code, message, details },
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`)
  }
}

export interface FieldIssue {
  field: string
  message: string
  code: string
  location?: string
}

export function zodIssues(error: ZodError | { issues: z.core.$ZodIssue[] }, location?: string): FieldIssue[] {
  return error.issues.flatMap((issue): FieldIssue[] => {
    const path = issue.path.map(String)
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: [...path, key].join('.'),
        message: 'unknown field',
        code: issue.code,
      }))
    }
    const field = path.join('.') || (location ?? 'body')
    return [{ field, message: issue.message, code: issue.code }]
  })
}

/** Raises a VALIDATION_ERROR naming one field, from domain checks done after zod. */
export function fieldError(field: string, message: string): AppError {
  return new AppError('VALIDATION_ERROR', `${field}: ${message}`, [{ field, message, code: 'invalid' }])
}

type ValidationEntry = { keyword?: string; instancePath?: string; message?: string; params?: { keys?: unknown } }

function validationIssues(validation: unknown, location: string): FieldIssue[] {
  if (!Array.isArray(validation)) return []
  return (validation as ValidationEntry[]).flatMap((v) => {
    const base = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
    if (v.keyword === 'unrecognized_keys' && Array.isArray(v.params?.keys)) {
      return (v.params.keys as string[]).map((key) => ({
        field: base ? `${base}.${key}` : key,
        message: 'unknown field',
        code: 'unrecognized_keys',
        location,
      }))
    }
    return [{ field: base || location, message: v.message ?? 'invalid', code: v.keyword ?? 'invalid', location }]
  })
}

/** Fastify's error handler: every failure leaves in the contract's error envelope. */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const fe = error as FastifyError & { validation?: unknown; validationContext?: string }
  if (error instanceof AppError) {
    const status = statusForCode(error.code)
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    return reply.status(status).send(errorBody(error.code, error.message, error.details))
  }
  if (fe.validation !== undefined || error instanceof ZodError || fe.code === 'FST_ERR_VALIDATION') {
    const issues =
      error instanceof ZodError ? zodIssues(error) : validationIssues(fe.validation, fe.validationContext ?? 'body')
    const first = issues[0]
    const message = first ? `Invalid request data: ${first.field}: ${first.message}` : 'Invalid request data'
    return reply.status(400).send(errorBody('VALIDATION_ERROR', message, issues))
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply.status(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'))
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return reply.status(413).send(errorBody('PAYLOAD_TOO_LARGE', 'Request body is too large'))
  }
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    // malformed JSON, empty body with a JSON content type, and similar client errors
    const code = fe.statusCode === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR'
    return reply
      .status(fe.statusCode === 404 ? 404 : 400)
      .send(errorBody(code, fe.message, [{ field: 'body', message: fe.message, code: fe.code }]))
  }
  request.log.error({ err: error }, 'unhandled error')
  return reply
    .status(500)
    .send(errorBody('INTERNAL_SERVER_ERROR', `Internal server error (request ${request.id})`))
}
