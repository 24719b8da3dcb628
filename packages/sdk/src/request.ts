import {
  ConnectionError,
  errorClassFor,
  parseErrorBody,
  RateLimitError,
  AuthenticationError,
} from './errors.ts'
import { randomUuid } from './platform/crypto.ts'
import { sleep, type FetchLike } from './platform/runtime.ts'

/** A credential kind an endpoint accepts; each maps to exactly one header (session: one header pair). */
export type AuthKind = 'apiKey' | 'commerceApiKey' | 'bearer' | 'session'

export interface Credentials {
  /** Merchant API key → `x-api-key`. */
  apiKey?: string | undefined
  /** Commerce API key → `x-commerce-api-key`. */
  commerceApiKey?: string | undefined
  /** Dashboard JWT → `Authorization: Bearer`. */
  bearerToken?: string | undefined
  /** Commerce end-user token → `User-Authorization: Bearer` (commerce user routes only). */
  userAccessToken?: string | undefined
  /** Payment session token → `x-session-token` (with `signature`). */
  sessionToken?: string | undefined
  /** Payment session signature → `x-signature` (with `sessionToken`). */
  signature?: string | undefined
}

/** Per-call overrides, the last argument of every resource method. */
export interface RequestOptions {
  /** Overrides the generated Idempotency-Key of a write. */
  idempotencyKey?: string
  timeoutMs?: number
  maxRetries?: number
  /** Aborts the call (no retry after an abort). */
  signal?: AbortSignal
  /** Extra headers (never credentials: those come from the client's auth options). */
  headers?: Record<string, string>
}

export interface RequesterConfig {
  baseUrl: string
  credentials: Credentials
  timeoutMs: number
  maxRetries: number
  retryableStatusCodes: readonly number[]
  initialRetryDelayMs: number
  maxRetryDelayMs: number
  /** A Retry-After longer than this is not waited for: the error is thrown instead. */
  maxRetryAfterMs: number
  fetch: FetchLike
}

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[]

export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  /** Credential kinds the endpoint accepts, in order of preference. */
  auth: readonly AuthKind[]
  query?: Record<string, QueryValue> | undefined
  body?: unknown
  options?: RequestOptions | undefined
}

export interface ApiResponse<T> {
  body: T
  status: number
  headers: Headers
  requestId: string | undefined
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const CREDENTIAL_HEADERS = new Set([
  'x-api-key',
  'x-commerce-api-key',
  'authorization',
  'x-session-token',
  'x-signature',
  'user-authorization',
])

export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue
    // the API takes lists as comma-separated text (status=paid,expired)
    params.set(key, Array.isArray(value) ? value.join(',') : String(value))
  }
  const text = params.toString()
  return text.length > 0 ? `?${text}` : ''
}

/** Milliseconds from a Retry-After header (delta seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number.parseFloat(trimmed) * 1000)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs)
}

/** The one credential header set for an endpoint: the first accepted kind that is configured. */
export function authHeaders(
  credentials: Credentials,
  accepted: readonly AuthKind[],
): Record<string, string> | undefined {
  for (const kind of accepted) {
    switch (kind) {
      case 'apiKey':
        if (credentials.apiKey) return { 'x-api-key': credentials.apiKey }
        break
      case 'commerceApiKey':
        if (credentials.commerceApiKey) return { 'x-commerce-api-key': credentials.commerceApiKey }
        break
      case 'bearer':
        if (credentials.bearerToken) return { authorization: `Bearer ${credentials.bearerToken}` }
        break
      case 'session':
        if (credentials.sessionToken && credentials.signature) {
          return {
            'x-session-token': credentials.sessionToken,
            'x-signature': credentials.signature,
          }
        }
        break
    }
  }
  return undefined
}

const AUTH_OPTION_NAMES: Record<AuthKind, string> = {
  apiKey: 'apiKey',
  commerceApiKey: 'commerceApiKey',
  bearer: 'bearerToken',
  session: 'sessionToken + signature',
}

/** The HTTP core: one credential per endpoint, idempotency keys on writes, retries, timeouts. */
export class Requester {
  readonly config: RequesterConfig

  constructor(config: RequesterConfig) {
    this.config = config
  }

  /** Backoff before retry `attempt` (0-based): exponential, capped, with equal jitter. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(
      this.config.maxRetryDelayMs,
      this.config.initialRetryDelayMs * 2 ** attempt,
    )
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
  }

  async request<T>(req: ApiRequest): Promise<ApiResponse<T>> {
    const { config } = this
    const options = req.options ?? {}
    const credentialHeaders = authHeaders(config.credentials, req.auth)
    if (!credentialHeaders) {
      throw new AuthenticationError({
        code: 'CREDENTIALS_MISSING',
        message: `${req.method} ${req.path} needs one of: ${req.auth.map((k) => AUTH_OPTION_NAMES[k]).join(', ')}`,
      })
    }
    const headers = new Headers({ accept: 'application/json' })
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      // credentials come only from the client's auth options: an extra header must not add a second one
      if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) headers.set(name, value)
    }
    for (const [name, value] of Object.entries(credentialHeaders)) headers.set(name, value)
    if (config.credentials.userAccessToken && credentialHeaders['x-commerce-api-key']) {
      headers.set('user-authorization', `Bearer ${config.credentials.userAccessToken}`)
    }
    let body: string | undefined
    if (req.body !== undefined) {
      body = JSON.stringify(req.body)
      headers.set('content-type', 'application/json')
    }
    if (WRITE_METHODS.has(req.method)) {
      // one key for every attempt of this call, so a retried write is applied once
      headers.set(
        'idempotency-key',
        options.idempotencyKey ?? headers.get('idempotency-key') ?? randomUuid(),
      )
    }
    const url = `${config.baseUrl}${req.path}${encodeQuery(req.query)}`
    const maxRetries = Math.max(0, Math.min(options.maxRetries ?? config.maxRetries, 10))
    const timeoutMs = options.timeoutMs ?? config.timeoutMs

    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs)
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout
      let response: Response
      let text: string
      try {
        response = await config.fetch(url, {
          method: req.method,
          headers,
          ...(body !== undefined && { body }),
          signal,
        })
        text = await response.text()
      } catch (cause) {
        if (options.signal?.aborted) {
          throw new ConnectionError({
            code: 'REQUEST_ABORTED',
            message: `${req.method} ${req.path} was aborted`,
            cause,
          })
        }
        const timedOut = timeout.aborted
        const error = new ConnectionError({
          code: timedOut ? 'REQUEST_TIMEOUT' : 'NETWORK_ERROR',
          message: timedOut
            ? `${req.method} ${req.path} timed out after ${timeoutMs} ms`
            : `${req.method} ${req.path} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause,
        })
        if (attempt >= maxRetries) throw error
        await this.wait(this.backoffMs(attempt), options.signal, req)
        continue
      }

      const requestId =
        response.headers.get('x-request-id') ?? response.headers.get('request-id') ?? undefined
      let parsed: unknown = null
      if (text.length > 0) {
        try {
          parsed = JSON.parse(text)
        } catch {
          parsed = text
        }
      }
      if (response.ok)
        return { body: parsed as T, status: response.status, headers: response.headers, requestId }

      const { code, message, details } = parseErrorBody(parsed, response.status)
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now())
      const init = {
        status: response.status,
        code,
        message,
        requestId,
        details,
        headers: response.headers,
      }
      const ErrorClass = errorClassFor(response.status)
      const error =
        ErrorClass === RateLimitError
          ? new RateLimitError({ ...init, retryAfterMs })
          : new ErrorClass(init)
      const retryable =
        config.retryableStatusCodes.includes(response.status) ||
        // another attempt with this key is still in flight: the same key will replay its outcome
        (response.status === 409 && code === 'IDEMPOTENCY_CONFLICT')
      if (!retryable || attempt >= maxRetries) throw error
      let delay = this.backoffMs(attempt)
      if (retryAfterMs !== undefined) {
        if (retryAfterMs > config.maxRetryAfterMs) throw error
        delay = retryAfterMs + Math.round(Math.random() * Math.min(250, retryAfterMs / 10))
      }
      await this.wait(delay, options.signal, req)
    }
  }

  private async wait(ms: number, signal: AbortSignal | undefined, req: ApiRequest): Promise<void> {
    try {
      await sleep(ms, signal)
    } catch (cause) {
      throw new ConnectionError({
        code: 'REQUEST_ABORTED',
        message: `${req.method} ${req.path} was aborted`,
        cause,
      })
    }
  }
}
