/**
 * The page's only door to the server: the `pepay` SDK with the payer's session credentials
 * (x-session-token + x-signature). Nothing here knows a route; the SDK does.
 */
import {
  AuthenticationError,
  NotFoundError,
  Pepay,
  PepayError,
  PermissionError,
  type AvailableToken,
  type CreatePaymentAddressParams,
  type CustomerEmailSet,
  type InvoiceQuestions,
  type PaymentAddress,
  type PaymentSessionStream,
  type SessionDetails,
  type SubmitFormParams,
  type SubmitFormResult,
} from 'pepay'

export interface SessionCredentials {
  sessionToken: string
  signature: string
}

/** What the page needs from the server. */
export interface CheckoutApi {
  getSessionDetails(): Promise<SessionDetails>
  listAvailableTokens(): Promise<AvailableToken[]>
  createPaymentAddress(params: CreatePaymentAddressParams): Promise<PaymentAddress>
  setCustomerEmail(email: string): Promise<CustomerEmailSet>
  getQuestions(): Promise<InvoiceQuestions>
  submitForm(params: SubmitFormParams): Promise<SubmitFormResult>
  /** Opens `/ws/payment` with the token from `createPaymentAddress().ws_connection.token`. */
  connectPaymentStream(token: string): PaymentSessionStream
}

/** Per-attempt timeout of a page request: long enough for a slow phone network, short enough to retry. */
export const REQUEST_TIMEOUT_MS = 15_000

/** The checkout API for the page served at `baseUrl` (the page's own origin: no cross-origin call). */
export function createCheckoutApi(baseUrl: string, credentials: SessionCredentials): CheckoutApi {
  const pepay = new Pepay({
    baseUrl,
    sessionToken: credentials.sessionToken,
    signature: credentials.signature,
    timeoutMs: REQUEST_TIMEOUT_MS,
    maxRetries: 2,
  })
  const sessions = pepay.paymentSessions
  return {
    getSessionDetails: () => sessions.getSessionDetails(),
    // only tokens the payer can use now (`DEVNET` on devnet, `AVAILABLE` on mainnet)
    listAvailableTokens: () => sessions.listAvailableTokens({ available_only: true }),
    createPaymentAddress: (params) => sessions.createPaymentAddress(params),
    setCustomerEmail: (email) => sessions.setCustomerEmail({ email }),
    getQuestions: () => sessions.getQuestions(),
    submitForm: (params) => sessions.submitForm(params),
    connectPaymentStream: (token) =>
      pepay.ws.connectPaymentSession({
        token,
        reconnect: { initialDelayMs: 500, maxDelayMs: 10_000, maxAttempts: 20 },
      }),
  }
}

/** True when the error means the link itself is unusable (bad, forged or unknown session). */
export function isInvalidSession(error: unknown): boolean {
  return (
    error instanceof AuthenticationError ||
    error instanceof PermissionError ||
    error instanceof NotFoundError
  )
}

export { PepayError }
