import websocket from '@fastify/websocket'
import { AppError, parseEventSeq } from '@pepay/core'
import {
  CommerceStreamQuery,
  ErrorBody,
  MerchantStreamQuery,
  PaymentStreamQuery,
  WsTokenBody,
  WsTokenResponse,
  type Environment,
  type WsScope,
} from '@pepay/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { WebSocket } from 'ws'
import type { Deps } from '../deps.ts'
import { authenticate, requirePrincipal, type Principal } from '../http/auth.ts'
import { errorBody } from '../http/errors.ts'
import type { EventFilter } from '../modules/events/event.repo.ts'
import { principalEventScope } from '../modules/events/event.routes.ts'
import type { ConnectionRegistry } from './connection-registry.ts'
import type { EventHub } from './event-hub.ts'
import { paymentFrameBuilder } from './payment-frame.serialize.ts'
import { StreamConnection, type FrameBuilder, type StreamLimits } from './stream-connection.ts'
import { mintWsToken, principalFromWsToken, scopeFromPaymentToken } from './ws-token.service.ts'

export interface RealtimeRuntime {
  hub: EventHub
  registry: ConnectionRegistry
  limits: StreamLimits
  maxConnectionsPerKey: number
  maxConnectionsPerInvoice: number
}

/** What the upgrade hooks decided, handed to the WebSocket handler. */
interface StreamPlan {
  filter: EventFilter & { merchantId: bigint }
  since: { seq: bigint; id: string } | undefined
  limitKey: string
  build?: FrameBuilder
}

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody }

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

function rawToken(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.['token']
  return typeof token === 'string' && token.length > 0 ? token : undefined
}

/** Key headers on the upgrade request (server-to-server) or `?token=<ws_token>` (browsers). */
async function streamPrincipal(
  deps: Deps,
  request: FastifyRequest,
  stream: WsScope,
): Promise<Principal> {
  const token = rawToken(request)
  const hasKey =
    header(request, 'x-api-key') !== undefined ||
    header(request, 'x-commerce-api-key') !== undefined
  if (token !== undefined && !hasKey) return principalFromWsToken(deps, token, stream)
  if (hasKey)
    return authenticate(deps, request, [stream === 'merchant' ? 'merchant_key' : 'commerce_key'])
  throw new AppError(
    'AUTHENTICATION_REQUIRED',
    'Send x-api-key on the upgrade request or ?token=<ws_token>',
  )
}

function sinceCursor(id: string | undefined): StreamPlan['since'] {
  if (id === undefined) return undefined
  const seq = parseEventSeq(id)
  return seq === undefined ? undefined : { seq, id }
}

function limitKeyOf(principal: Principal): string {
  return principal.kind === 'api_key'
    ? `key:${principal.keyId}`
    : `merchant:${principal.merchantId}`
}

export function realtimeRoutes(deps: Deps, runtime: RealtimeRuntime) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(websocket, {
      options: { maxPayload: 4096 },
      preClose(done) {
        // every stream gets its resume cursor and the reconnect close code before the server stops
        runtime.registry.shutdown()
        done()
      },
    })
    const plans = new WeakMap<FastifyRequest, StreamPlan>()
    const principals = new WeakMap<FastifyRequest, Principal>()
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.post(
      '/api/v1/ws/token',
      {
        config: { auth: ['merchant_key', 'commerce_key', 'bearer'] },
        schema: {
          tags: ['Realtime'],
          summary: 'Mint a short-lived ws_token for browser/mobile WebSocket auth',
          body: WsTokenBody,
          response: { 200: WsTokenResponse, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await mintWsToken(deps, requirePrincipal(request), request.body),
      }),
    )

    const checkLimit = (reply: FastifyReply, limitKey: string, max: number): boolean => {
      if (runtime.registry.count(limitKey) < max) return true
      void reply
        .status(429)
        .send(
          errorBody(
            'TOO_MANY_CONNECTIONS',
            `At most ${max} concurrent streams per credential; close one first`,
          ),
        )
      return false
    }

    const open = (socket: WebSocket, request: FastifyRequest): void => {
      const plan = plans.get(request)
      if (!plan) {
        socket.close(4500, 'no stream plan')
        return
      }
      const connection: StreamConnection = new StreamConnection(
        deps,
        socket,
        runtime.hub,
        plan.filter,
        runtime.limits,
        () => runtime.registry.release(connection, plan.limitKey),
        plan.build,
      )
      runtime.registry.add(connection, plan.limitKey)
      connection.start(plan.since).catch((error: unknown) => {
        deps.log.error({ err: error }, 'realtime stream failed')
        connection.fail('INTERNAL_ERROR', 'The stream failed; reconnect with since')
      })
    }

    const eventStream = (stream: WsScope) => ({
      onRequest: async (request: FastifyRequest) => {
        principals.set(request, await streamPrincipal(deps, request, stream))
      },
    })

    /**
     * The merchant and commerce streams' admission: the principal's scope plus the stream's own
     * filter fields, the replay cursor, and the per-key connection limit.
     */
    const admitStream = (
      request: FastifyRequest,
      reply: FastifyReply,
      query: { environment?: Environment | undefined; since?: string | undefined },
      filter: Omit<EventFilter, 'merchantId' | 'environment'>,
    ) => {
      const principal = principals.get(request)
      if (!principal) throw new AppError('AUTHENTICATION_REQUIRED', 'Missing credentials')
      const plan: StreamPlan = {
        filter: { ...principalEventScope(principal, query.environment), merchantId: principal.merchantId, ...filter },
        since: sinceCursor(query.since),
        limitKey: limitKeyOf(principal),
      }
      if (!checkLimit(reply, plan.limitKey, runtime.maxConnectionsPerKey)) return reply
      plans.set(request, plan)
      return undefined
    }

    r.get(
      '/ws/merchant/events',
      {
        websocket: true,
        schema: { querystring: MerchantStreamQuery },
        ...eventStream('merchant'),
        preHandler: async (request, reply) => {
          const q = request.query
          return admitStream(request, reply, q, {
            typePatterns: q.types,
            invoiceType: q.invoice_type,
            invoiceId: q.invoice_id,
            customerId: q.customer_id,
          })
        },
      },
      open,
    )

    r.get(
      '/ws/commerce/events',
      {
        websocket: true,
        schema: { querystring: CommerceStreamQuery },
        ...eventStream('commerce'),
        preHandler: async (request, reply) => {
          const q = request.query
          return admitStream(request, reply, q, {
            commerceOnly: true,
            typePatterns: q.types,
            orderId: q.order_id,
            invoiceId: q.invoice_id,
            customerId: q.customer_id,
            walletAddress: q.wallet_address,
            walletNetwork: q.wallet_network,
          })
        },
      },
      open,
    )

    r.get(
      '/ws/payment',
      {
        websocket: true,
        schema: { querystring: PaymentStreamQuery },
        onRequest: async (request: FastifyRequest) => {
          const token = rawToken(request)
          if (token === undefined)
            throw new AppError('AUTHENTICATION_REQUIRED', 'Send ?token=<payment_session_jwt>')
          const scope = await scopeFromPaymentToken(deps, token)
          principals.set(request, { kind: 'session', ...scope })
        },
        preHandler: async (request, reply) => {
          const principal = principals.get(request)
          if (principal?.kind !== 'session')
            throw new AppError('AUTHENTICATION_REQUIRED', 'Missing payment session token')
          const plan: StreamPlan = {
            filter: {
              merchantId: principal.merchantId,
              environment: principal.environment,
              invoiceId: principal.invoiceId,
              typePatterns: ['invoice.*', 'invoice_payment.*'],
            },
            since: sinceCursor(request.query.since),
            limitKey: `invoice:${principal.invoiceId}`,
            build: paymentFrameBuilder(deps),
          }
          if (!checkLimit(reply, plan.limitKey, runtime.maxConnectionsPerInvoice)) return reply
          plans.set(request, plan)
        },
      },
      open,
    )
  }
}
