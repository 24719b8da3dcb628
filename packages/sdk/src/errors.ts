/**
 * Typed errors, one class per failure category (stripe-node model). Every error carries the HTTP
 * status (when there was a response), the API's stable `code`, its `message`, the request id the
 * server logged and the API's `details` (field errors for VALIDATION_ERROR).
 */
export interface PepayErrorInit {
  status?: number | undefined
  code: string
  message: string
  requestId?: string | undefined
  details?: unknown
  headers?: Headers | undefined
  cause?: unknown
}

export class PepayError extends Error {
  readonly status: number | undefined
  readonly code: string
  readonly requestId: string | undefined
  readonly details: unknown
  /** Response headers, when the server answered. */
  readonly headers: Headers | undefined

  constructor(init: PepayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = new.target.name
    this.status = init.status
    this.code = init.code
    this.requestId = init.requestId
    this.details = init.details
    this.headers = init.headers
  }
}

/** 400: the request was rejected as invalid (fix it; do not retry). */
export class InvalidRequestError extends PepayError {}
/** 401: missing, invalid, revoked or expired credentials. */
export class AuthenticationError extends PepayError {}
/** 403: authenticated but not allowed (scope, wrong auth mode, environment not enabled). */
export class PermissionError extends PepayError {}
/** 404: no such resource for these credentials. */
export class NotFoundError extends PepayError {}
/** 409: a request with the same Idempotency-Key is still in flight. */
export class IdempotencyError extends PepayError {}
/** 429: rate limited; `retryAfterMs` says when to try again. */
export class RateLimitError extends PepayError {
  readonly retryAfterMs: number | undefined
  constructor(init: PepayErrorInit & { retryAfterMs?: number | undefined }) {
    super(init)
    this.retryAfterMs = init.retryAfterMs
  }
}
/** 5xx and any other unexpected status. */
export class ApiError extends PepayError {}
/** No usable response: network failure, timeout or abort (`code` says which). */
export class ConnectionError extends PepayError {}

/** The error class for an HTTP status. */
export function errorClassFor(status: number): typeof PepayError {
  if (status === 400 || status === 410 || status === 413 || status === 415 || status === 422)
    return InvalidRequestError
  if (status === 401) return AuthenticationError
  if (status === 403) return PermissionError
  if (status === 404) return NotFoundError
  if (status === 409) return IdempotencyError
  if (status === 429) return RateLimitError
  return ApiError
}

/**
 * Reads the three error envelopes the API answers with: `{success:false, error:{code,message,details}}`,
 * the legacy `{error, code}` and the rate-limit `{message, error_code}`.
 */
export function parseErrorBody(
  body: unknown,
  status: number,
): { code: string; message: string; details?: unknown } {
  // a body without a code (a proxy's HTML page, an empty reply) still gets a stable code
  const fallback = { code: `HTTP_${status}`, message: `HTTP ${status}` }
  if (typeof body !== 'object' || body === null) {
    return typeof body === 'string' && body.length > 0
      ? { ...fallback, message: body.slice(0, 500) }
      : fallback
  }
  const b = body as Record<string, unknown>
  const error = b['error']
  if (typeof error === 'object' && error !== null) {
    const e = error as Record<string, unknown>
    return {
      code: typeof e['code'] === 'string' ? e['code'] : fallback.code,
      message: typeof e['message'] === 'string' ? e['message'] : fallback.message,
      ...(e['details'] !== undefined && { details: e['details'] }),
    }
  }
  const code =
    typeof b['code'] === 'string'
      ? b['code']
      : typeof b['error_code'] === 'string'
        ? b['error_code']
        : fallback.code
  const message =
    typeof error === 'string'
      ? error
      : typeof b['message'] === 'string'
        ? b['message']
        : fallback.message
  return { code, message }
}
