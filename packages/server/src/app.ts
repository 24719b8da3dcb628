import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify'
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod'
import { AppError } from '@pepay/core'
import type { Deps } from './deps.ts'
import { authenticate, type Principal } from './http/auth.ts'
import { errorBody, handleError } from './http/errors.ts'
import { assertStorableInput } from './http/text.ts'
import { claimIdempotencyKey, prepareInlineClaim, settleIdempotencyKey } from './http/idempotency.ts'
import { createRateLimiter } from './http/rate-limit.ts'
import { registerDocs } from './http/docs.ts'
import { operationsRoutes } from './http/operations.ts'
import { accountRoutes } from './modules/merchants/account.routes.ts'
import { eventRoutes } from './modules/events/event.routes.ts'
import { invoiceRoutes } from './modules/invoices/invoice.routes.ts'
import { paymentSessionRoutes } from './modules/payment-sessions/payment-session.routes.ts'

export interface AppOptions {
  /** Validate every response against its contract (tests turn this on to catch drift). */
  validateResponses?: boolean
  /** Extra route plugins (chain, realtime, commerce…) mounted by the composition root. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[]
}

const REQUEST_ID = /^[A-Za-z0-9_\-.:]{1,128}$/

export async function buildApp(deps: Deps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    // per-request lines only at debug; errors are logged by the error handler
    logController: new LogController({ disableRequestLogging: deps.config.logLevel !== 'debug' && deps.config.logLevel !== 'trace' }),
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req_${randomUUID()}`
    },
    // a child logger per request, without options: pino's cheap path (Fastify passes `{}`)
    childLoggerFactory: (logger, bindings, options) =>
      Object.keys(options).length > 0 ? logger.child(bindings, options) : logger.child(bindings),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    // refusals by the router itself (bad percent-encoding, an over-long id) leave in the envelope too
    frameworkErrors: (error, request, reply) => {
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'not a valid URL path'
      void (reply as FastifyReply)
        .header('x-request-id', request.id)
        .status(400)
        .send(errorBody('VALIDATION_ERROR', `Invalid request data: path: ${message}`, [{ field: 'path', message, code: error.code }]))
    },
  }) as unknown as FastifyInstance
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(
    options.validateResponses ? serializerCompiler : () => (data: unknown) => JSON.stringify(data),
  )
  app.setErrorHandler((error, request, reply) => handleError(error as Error, request, reply))
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`)),
  )
  app.decorateRequest('principal', undefined)
  app.decorateRequest('idempotency', undefined)

  const rateLimiter = createRateLimiter(deps.config.rateLimitPerMinute, () => deps.clock.now().getTime())

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id)
    const modes = request.routeOptions.config.auth
    if (!modes || modes.length === 0) return
    request.principal = await authenticate(deps, request, modes)
    const limited = rateLimiter.take(rateKey(request))
    if (limited) {
      void reply.header('retry-after', String(limited.retryAfterSeconds))
      return reply.status(429).send({
        ...errorBody('RATE_LIMIT_EXCEEDED', 'Too many requests for this credential. Please try again later.'),
        message: 'Too many requests for this credential. Please try again later.',
        error_code: 'RATE_LIMIT_EXCEEDED',
        retry_after: `${limited.retryAfterSeconds} seconds`,
      })
    }
  })
  app.addHook('preValidation', async (request) => {
    assertStorableInput(request.params, 'params')
    assertStorableInput(request.query, 'querystring')
    assertStorableInput(request.body, 'body')
  })
  app.addHook('preHandler', async (request, reply) => {
    const mode = request.routeOptions.config.idempotency
    if (!mode) return
    if (mode === 'inline') {
      prepareInlineClaim(request)
      return
    }
    const sent = await claimIdempotencyKey(deps, request, reply, mode)
    if (sent) return reply
  })
  // once shutdown begins, responses close their connection: a kept-alive socket would otherwise
  // hold server.close() open until the keep-alive timeout long after in-flight requests finished
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (closing) void reply.header('connection', 'close')
    if (request.idempotency && !request.idempotency.completed) {
      await settleIdempotencyKey(deps, request, reply.statusCode, payload)
    }
    return payload
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Pepay API',
        version: '2025-12-16',
        description: 'Self-hostable stablecoin payments: invoices, payment sessions, events, commerce and ramps.',
      },
      servers: [{ url: 'http://localhost:3000', description: 'Local development' }],
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          commerceApiKey: { type: 'apiKey', in: 'header', name: 'x-commerce-api-key' },
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          sessionToken: { type: 'apiKey', in: 'header', name: 'x-session-token' },
          sessionSignature: { type: 'apiKey', in: 'header', name: 'x-signature' },
        },
      },
    },
    transform: (input) => {
      const out = jsonSchemaTransform(input)
      const modes = input.route.config?.auth ?? []
      const security: Record<string, string[]>[] = []
      if (modes.includes('merchant_key')) security.push({ apiKey: [] })
      if (modes.includes('commerce_key')) security.push({ commerceApiKey: [] })
      if (modes.includes('bearer')) security.push({ bearerAuth: [] })
      if (modes.includes('session')) security.push({ sessionToken: [], sessionSignature: [] })
      return { ...out, schema: { ...out.schema, ...(security.length > 0 && { security }) } }
    },
    transformObject: jsonSchemaTransformObject,
  })

  await app.register(operationsRoutes(deps))
  await app.register(accountRoutes(deps))
  await app.register(invoiceRoutes(deps))
  await app.register(paymentSessionRoutes(deps))
  await app.register(eventRoutes(deps))
  for (const plugin of options.plugins ?? []) await app.register(plugin)
  await registerDocs(app)
  return app
}

function rateKey(request: { principal: Principal | undefined; ip: string }): string {
  const p = request.principal
  if (!p) return `ip:${request.ip}`
  if (p.kind === 'api_key') return `key:${p.keyId}`
  if (p.kind === 'session') return `session:${p.invoiceId}`
  return `merchant:${p.merchantId}`
}

export function assertNever(value: never): never {
  throw new AppError('INTERNAL_SERVER_ERROR', `unexpected value ${String(value)}`)
}
