import type { WebSocketConstructor } from '../platform/runtime.ts'
import {
  PaymentSessionStream,
  PepayEventStream,
  toWebSocketBase,
  type ReconnectOptions,
} from '../realtime.ts'
import type { AuthKind, QueryValue, Requester, RequestOptions } from '../request.ts'
import type {
  CommerceStreamFilters,
  EventList,
  MerchantStreamFilters,
  PepayEvent,
  WsScope,
  WsTokenResponse,
} from '../wire.ts'
import { Resource } from './resource.ts'

const MAX_BACKFILL = 1000

export interface MintWsTokenParams {
  scope: WsScope
  /** Token lifetime (10–3600 s, default 60). */
  ttlSeconds?: number
}

interface StreamOptions {
  /** A ws_token from `ws.token.mint`. Omit it to mint one per connection with this client's key. */
  token?: string
  format?: 'event_v1'
  /** Resume after this event id. */
  since?: string
  reconnect?: ReconnectOptions
  /** Backfill missed events over REST on reconnect (default: when the client has a key for /api/v1/events). */
  backfill?: boolean
}
export type MerchantStreamOptions = StreamOptions & MerchantStreamFilters
export type CommerceStreamOptions = StreamOptions & CommerceStreamFilters
export interface PaymentStreamOptions {
  /** The payment-session JWT from `createPaymentAddress().ws_connection.token`. */
  token: string
  format?: 'event_v1'
  since?: string
  reconnect?: ReconnectOptions
}

class WsTokens extends Resource {
  /**
   * Mints a short-lived ws_token. Merchant scope sends `apiKey`; commerce scope sends
   * `commerceApiKey`, else `apiKey` (a commerce-scoped key passed as apiKey), else Bearer.
   */
  mint(params: MintWsTokenParams, options?: RequestOptions): Promise<WsTokenResponse> {
    const auth: readonly AuthKind[] =
      params.scope === 'commerce' ? ['commerceApiKey', 'apiKey', 'bearer'] : ['apiKey', 'bearer']
    return this.call({
      method: 'POST',
      path: '/api/v1/ws/token',
      auth,
      body: {
        scope: params.scope,
        ...(params.ttlSeconds !== undefined && { ttl_seconds: params.ttlSeconds }),
      },
      options,
    })
  }
}

function list(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : value.join(',')
}

/** `pepay.ws`: ws_token minting and the three streams. */
export class Ws extends Resource {
  readonly token: WsTokens
  private readonly wsBaseUrl: string
  private readonly WebSocket: WebSocketConstructor | undefined

  constructor(
    requester: Requester,
    wsBaseUrl: string | undefined,
    WebSocketImpl: WebSocketConstructor | undefined,
  ) {
    super(requester)
    this.token = new WsTokens(requester)
    this.wsBaseUrl = (wsBaseUrl ?? toWebSocketBase(requester.config.baseUrl)).replace(/\/+$/, '')
    this.WebSocket = WebSocketImpl
  }

  /** Merchant events (`invoice.*`, `invoice_payment.*`, …) with resume, backfill and de-duplication. */
  connectMerchantEvents(options: MerchantStreamOptions = {}): PepayEventStream {
    const { token, format, since, reconnect, backfill, types, invoice_type, ...filters } = options
    const backfillAuth: readonly AuthKind[] = ['apiKey', 'bearer']
    return new PepayEventStream({
      url: `${this.wsBaseUrl}/ws/merchant/events`,
      query: {
        format: format ?? 'event_v1',
        types: list(types),
        invoice_type: list(invoice_type),
        ...filters,
      },
      token: token ?? (async () => (await this.token.mint({ scope: 'merchant' })).data.token),
      WebSocket: this.WebSocket,
      reconnect,
      since,
      backfill: this.backfiller(
        backfill,
        backfillAuth,
        {
          type: list(types),
          invoice_id: filters.invoice_id,
          customer_id: filters.customer_id,
          environment: filters.environment,
        },
        invoice_type,
      ),
    })
  }

  /** Commerce events (`commerce.order.*`, commerce invoices) with resume, backfill and de-duplication. */
  connectCommerceEvents(options: CommerceStreamOptions = {}): PepayEventStream {
    const { token, format, since, reconnect, backfill, types, ...filters } = options
    const backfillAuth: readonly AuthKind[] = ['commerceApiKey', 'bearer']
    // wallet filters have no REST equivalent: only the server's own replay covers them
    const restable = filters.wallet_address === undefined && filters.wallet_network === undefined
    return new PepayEventStream({
      url: `${this.wsBaseUrl}/ws/commerce/events`,
      query: { format: format ?? 'event_v1', types: list(types), ...filters },
      token: token ?? (async () => (await this.token.mint({ scope: 'commerce' })).data.token),
      WebSocket: this.WebSocket,
      reconnect,
      since,
      backfill: restable
        ? this.backfiller(backfill, backfillAuth, {
            type: list(types),
            order_id: filters.order_id,
            invoice_id: filters.invoice_id,
            customer_id: filters.customer_id,
            environment: filters.environment,
          })
        : undefined,
    })
  }

  /** The payer's realtime stream; `.on('message', fn)`. */
  connectPaymentSession(options: PaymentStreamOptions): PaymentSessionStream {
    return new PaymentSessionStream({
      url: `${this.wsBaseUrl}/ws/payment`,
      query: { format: options.format ?? 'event_v1' },
      token: options.token,
      WebSocket: this.WebSocket,
      reconnect: options.reconnect,
      since: options.since,
    })
  }

  private backfiller(
    enabled: boolean | undefined,
    auth: readonly AuthKind[],
    filters: Record<string, QueryValue>,
    invoiceTypes?: string | readonly string[],
  ): ((since: string) => Promise<PepayEvent[]>) | undefined {
    const c = this.requester.config.credentials
    const hasKey = auth.some((k) =>
      k === 'apiKey'
        ? c.apiKey
        : k === 'commerceApiKey'
          ? c.commerceApiKey
          : k === 'bearer'
            ? c.bearerToken
            : undefined,
    )
    if (enabled === false || (enabled === undefined && !hasKey)) return undefined
    const wantedTypes = invoiceTypes === undefined ? undefined : list(invoiceTypes)?.split(',')
    return async (since) => {
      const out: PepayEvent[] = []
      let cursor = since
      // bounded: at most MAX_BACKFILL events, 100 per page
      while (out.length < MAX_BACKFILL) {
        const page = await this.call<EventList>({
          method: 'GET',
          path: '/api/v1/events',
          auth,
          query: { ...filters, limit: 100, ending_before: cursor },
        })
        const chronological = [...page.data.data].reverse()
        out.push(...chronological)
        const newest = chronological[chronological.length - 1]
        if (!page.data.has_more || newest === undefined) break
        cursor = newest.id
      }
      if (!wantedTypes) return out
      // the REST filter has no invoice_type: apply the stream's filter here
      return out.filter((e) => {
        const t = (e.data.object as { invoice_type?: unknown }).invoice_type
        return typeof t !== 'string' || wantedTypes.includes(t)
      })
    }
  }
}
