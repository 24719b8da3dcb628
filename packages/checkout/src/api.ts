/**
 * The page's only door to the server: the `pepay` SDK with the payer's session credentials.
 *
 * Two payer calls are not in the SDK yet (`listAvailableTokens`, `createPaymentAddress`): they are
 * written here with `fetch`, with the SDK's error classes and a timeout, and are replaced by the
 * SDK's own methods as soon as it has them (feature-detected below, so that switch is this file).
 */
import {
  ApiError,
  AuthenticationError,
  ConnectionError,
  InvalidRequestError,
  NotFoundError,
  Pepay,
  PepayError,
  PermissionError,
  RateLimitError,
  type AvailableToken,
  type CreatePaymentAddressParams,
  type CustomerEmailSet,
  type InvoiceQuestions,
  type ListAvailableTokensParams,
  type PaymentAddress,
  type PaymentSessionStream,
  type SessionDetails,
  type SubmitFormParams,
} from 'pepay'

export interface SessionCredentials {
  sessionToken: string
  signature: string
}

/** What the page needs from the server, whatever implements it. */
export interface CheckoutApi {
  getSessionDetails(): Promise<SessionDetails>
  listAvailableTokens(): Promise<AvailableToken[]>
  createPaymentAddress(params: CreatePaymentAddressParams): Promise<PaymentAddress>
  setCustomerEmail(email: string): Promise<CustomerEmailSet>
  getQuestions(): Promise<InvoiceQuestions>
  submitForm(params: SubmitFormParams): Promise<{ success: true }>
  /** Opens `/ws/payment` with the token from `createPaymentAddress().ws_connection.token`. */
  connectPaymentStream(token: string): PaymentSessionStream
}

/** Per-attempt timeout of a page request: long enough for a slow phone network, short enough to retry. */
export const REQUEST_TIMEOUT_MS = 15_000

type SessionsWithChain = Pepay['paymentSessions'] & {
  listAvailableTokens?: (params?: ListAvailableTokensParams) => Promise<AvailableToken[]>
  createPaymentAddress?: (params: CreatePaymentAddressParams) => Promise<PaymentAddress>
}

function errorFor(status: number, body: unknown, requestId: string | undefined): PepayError {
  const error = typeof body === 'object' && body !== null ? (body as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error : undefined
  const init = {
    status,
    code: typeof error?.code === 'string' ? error.code : `HTTP_${status}`,
    message: typeof error?.message === 'string' ? error.message : `HTTP ${status}`,
    requestId,
    details: error?.details,
  }
  if (status === 400 || status === 410) return new InvalidRequestError(init)
  if (status === 401) return new AuthenticationError(init)
  if (status === 403) return new PermissionError(init)
  if (status === 404) return new NotFoundError(init)
  if (status === 429) return new RateLimitError(init)
  return new ApiError(init)
}

/** A session-authenticated JSON call, for the routes the SDK does not cover yet. */
async function sessionCall<T>(baseUrl: string, credentials: SessionCredentials, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'x-session-token': credentials.sessionToken,
    'x-signature': credentials.signature,
  }
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  let text: string
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      credentials: 'omit',
    })
    text = await response.text()
  } catch (cause) {
    throw new ConnectionError({ code: 'NETWORK_ERROR', message: `${method} ${path} failed`, cause })
  }
  let parsed: unknown = null
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null
  } catch {
    parsed = text
  }
  if (!response.ok) throw errorFor(response.status, parsed, response.headers.get('x-request-id') ?? undefined)
  return parsed as T
}

/** The checkout API over the SDK, for the page served at `baseUrl` (the page's own origin). */
export function createCheckoutApi(baseUrl: string, credentials: SessionCredentials): CheckoutApi {
  const pepay = new Pepay({
    baseUrl,
    sessionToken: credentials.sessionToken,
    signature: credentials.signature,
    timeoutMs: REQUEST_TIMEOUT_MS,
    maxRetries: 2,
  })
  const sessions = pepay.paymentSessions as SessionsWithChain
  return {
    getSessionDetails: () => pepay.paymentSessions.getSessionDetails(),
    listAvailableTokens: () =>
      sessions.listAvailableTokens
        ? sessions.listAvailableTokens.call(sessions, { available_only: true })
        : sessionCall<AvailableToken[]>(baseUrl, credentials, 'GET', '/api/v1/payments/available-tokens?available_only=true'),
    createPaymentAddress: (params) =>
      sessions.createPaymentAddress
        ? sessions.createPaymentAddress.call(sessions, params)
        : sessionCall<PaymentAddress>(baseUrl, credentials, 'POST', '/api/v1/payments/payment-addresses', params),
    setCustomerEmail: (email) => pepay.paymentSessions.setCustomerEmail({ email }),
    getQuestions: () => pepay.paymentSessions.getQuestions(),
    submitForm: (params) => pepay.paymentSessions.submitForm(params),
    connectPaymentStream: (token) =>
      pepay.ws.connectPaymentSession({ token, reconnect: { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 20 } }),
  }
}

/** True when the error means the link itself is unusable (bad, forged or unknown session). */
export function isInvalidSession(error: unknown): boolean {
  return error instanceof AuthenticationError || error instanceof PermissionError || error instanceof NotFoundError
}

export { PepayError }
