import { PepayError } from './errors.ts'
import {
  isBrowserRuntime,
  resolveFetch,
  type FetchLike,
  type WebSocketConstructor,
} from './platform/runtime.ts'
import { Requester, type Credentials } from './request.ts'
import { Access } from './resources/access.ts'
import { ApiKeys } from './resources/api-keys.ts'
import { Events } from './resources/events.ts'
import { Invoices } from './resources/invoices.ts'
import { MerchantSettings } from './resources/merchant-settings.ts'
import { PaymentSessions } from './resources/payment-sessions.ts'
import { Ws } from './resources/ws.ts'
import { Tokens } from './resources/tokens.ts'
import { Settlement } from './resources/settlement.ts'
import { Wallets } from './resources/wallets.ts'
import { Devnet } from './resources/devnet.ts'
import { Commerce } from './resources/commerce.ts'
import { Ramps } from './resources/ramps.ts'
import { Webhooks } from './resources/webhooks.ts'

export const DEFAULT_BASE_URL = 'https://api-beta.pepay.io'
export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_MAX_RETRIES = 2
export const DEFAULT_RETRYABLE_STATUS_CODES: readonly number[] = [429, 500, 503]

/** Credentials; each maps to one header and the SDK sends only the one an endpoint takes. */
export interface PepayAuthOptions extends Credentials {
  /**
   * Allow server credentials (`apiKey`, `commerceApiKey`, `bearerToken`) in a browser. Anyone who
   * loads the page can read them: use payment-session credentials or a ws_token there instead.
   */
  dangerouslyAllowBrowser?: boolean
}

export interface PepayOptions extends PepayAuthOptions {
  /** API base URL (default https://api-beta.pepay.io). */
  baseUrl?: string
  /** WebSocket base URL (default: baseUrl with ws:// or wss://). */
  wsBaseUrl?: string
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number
  /** Retries after the first attempt (default 2, at most 10). */
  maxRetries?: number
  /** Statuses that are retried (default 429, 500, 503); network errors and 409 IDEMPOTENCY_CONFLICT always are. */
  retryableStatusCodes?: readonly number[]
  /** First backoff delay (default 500 ms); doubles per retry, with jitter. */
  initialRetryDelayMs?: number
  /** Backoff ceiling (default 8 s). */
  maxRetryDelayMs?: number
  /** A Retry-After longer than this is not waited for (default 60 s). */
  maxRetryAfterMs?: number
  /** A fetch implementation (default: the global fetch). */
  fetch?: FetchLike
  /** A WebSocket implementation (default: the global WebSocket, present in browsers and Node ≥ 22). */
  WebSocket?: WebSocketConstructor
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`${name} must be a non-negative number`)
  return value
}

/**
 * The Pepay client. One instance per credential set; `withAuth` derives another with different
 * credentials and the same settings.
 *
 * ```ts
 * const pepay = new Pepay({ apiKey: process.env.PEPAY_API_KEY! })
 * const invoice = await pepay.invoices.create({ amount_usd: 49.99, description: 'Starter plan' })
 * ```
 */
export class Pepay {
  readonly invoices: Invoices
  readonly paymentSessions: PaymentSessions
  readonly events: Events
  readonly apiKeys: ApiKeys
  readonly access: Access
  readonly merchantSettings: MerchantSettings
  readonly ws: Ws
  readonly tokens: Tokens
  readonly settlement: Settlement
  readonly wallets: Wallets
  readonly devnet: Devnet
  readonly commerce: Commerce
  readonly ramps: Ramps
  readonly webhooks: Webhooks
  /** Alias seen in the documentation: `pepay.merchants.invoices`. */
  readonly merchants: { readonly invoices: Invoices }

  private readonly options: PepayOptions
  private readonly requester: Requester

  constructor(options: PepayOptions = {}) {
    const serverCredential = options.apiKey ?? options.commerceApiKey ?? options.bearerToken
    if (
      serverCredential !== undefined &&
      isBrowserRuntime() &&
      options.dangerouslyAllowBrowser !== true
    ) {
      throw new PepayError({
        code: 'BROWSER_CREDENTIALS_REFUSED',
        message:
          'Refusing to use apiKey, commerceApiKey or bearerToken in a browser: anyone who loads the page can read them. ' +
          'Use sessionToken + signature or a ws_token there, or pass dangerouslyAllowBrowser: true.',
      })
    }
    if ((options.sessionToken === undefined) !== (options.signature === undefined)) {
      throw new TypeError('sessionToken and signature go together')
    }
    this.options = { ...options }
    const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '')
    this.requester = new Requester({
      baseUrl,
      credentials: {
        apiKey: options.apiKey,
        commerceApiKey: options.commerceApiKey,
        bearerToken: options.bearerToken,
        userAccessToken: options.userAccessToken,
        sessionToken: options.sessionToken,
        signature: options.signature,
      },
      timeoutMs: nonNegative('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS),
      maxRetries: Math.floor(nonNegative('maxRetries', options.maxRetries, DEFAULT_MAX_RETRIES)),
      retryableStatusCodes: options.retryableStatusCodes ?? DEFAULT_RETRYABLE_STATUS_CODES,
      initialRetryDelayMs: nonNegative('initialRetryDelayMs', options.initialRetryDelayMs, 500),
      maxRetryDelayMs: nonNegative('maxRetryDelayMs', options.maxRetryDelayMs, 8000),
      maxRetryAfterMs: nonNegative('maxRetryAfterMs', options.maxRetryAfterMs, 60_000),
      fetch: resolveFetch(options.fetch),
    })
    this.invoices = new Invoices(this.requester)
    this.paymentSessions = new PaymentSessions(this.requester)
    this.events = new Events(this.requester)
    this.apiKeys = new ApiKeys(this.requester)
    this.access = new Access(this.requester)
    this.merchantSettings = new MerchantSettings(this.requester)
    this.ws = new Ws(this.requester, options.wsBaseUrl, options.WebSocket)
    this.tokens = new Tokens(this.requester)
    this.settlement = new Settlement(this.requester)
    this.wallets = new Wallets(this.requester)
    this.devnet = new Devnet(this.requester)
    this.commerce = new Commerce(this.requester)
    this.ramps = new Ramps(this.requester)
    this.webhooks = new Webhooks(this.requester)
    this.merchants = { invoices: this.invoices }
  }

  /** A client with these credentials (replacing all of this client's) and the same settings. */
  withAuth(auth: PepayAuthOptions): Pepay {
    const {
      apiKey: _apiKey,
      commerceApiKey: _commerceApiKey,
      bearerToken: _bearerToken,
      userAccessToken: _userAccessToken,
      sessionToken: _sessionToken,
      signature: _signature,
      dangerouslyAllowBrowser: _dangerouslyAllowBrowser,
      ...settings
    } = this.options
    return new Pepay({ ...settings, ...auth })
  }

  /** The API base URL this client talks to. */
  get baseUrl(): string {
    return this.requester.config.baseUrl
  }
}
