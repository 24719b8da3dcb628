import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { CheckoutAssets, StaticFile } from './checkout-page.assets.ts'

const HIDDEN = { hide: true } as never

/**
 * The page loads nothing but its own origin: scripts, styles and API/WebSocket calls from 'self',
 * images from 'self' or data: URIs (QR codes). Only `?embed=1` may be framed, by any site (the
 * merchant embeds it); the plain page refuses framing.
 */
export function contentSecurityPolicy(embed: boolean): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${embed ? '*' : "'none'"}`,
  ].join('; ')
}

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding']
  return typeof header === 'string' && /\bgzip\b/.test(header)
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  file: StaticFile,
  cacheControl: string,
): FastifyReply {
  const gzip = acceptsGzip(request)
  void reply
    .header('content-type', file.contentType)
    .header('cache-control', cacheControl)
    .header('x-content-type-options', 'nosniff')
    .header('vary', 'accept-encoding')
  if (gzip) void reply.header('content-encoding', 'gzip')
  return reply.send(gzip ? file.gzip : file.body)
}

const UNAVAILABLE_HTML =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>Checkout unavailable</title><p>The checkout page is not built on this server. Run <code>npm run build -w @pepay/checkout</code> and restart.</p></html>'

/** GET /pay (HTML shell), /pay/assets/* (hashed bundles, cached for a year) and /embed.js. */
export function checkoutPageRoutes(assets: CheckoutAssets | undefined) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/pay', { schema: HIDDEN }, async (request, reply) => {
      const query = request.query as Record<string, unknown>
      const embed = query['embed'] === '1'
      void reply
        .header('content-security-policy', contentSecurityPolicy(embed))
        // the URL carries the session credentials: never leak it to the return URL or anywhere else
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin')
        .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()')
      if (!assets)
        return reply
          .status(503)
          .header('content-type', 'text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(UNAVAILABLE_HTML)
      return send(request, reply, assets.shell, 'no-store')
    })

    app.get('/pay/assets/:file', { schema: HIDDEN }, async (request, reply) => {
      const file = assets?.assets.get((request.params as { file: string }).file)
      if (!file) {
        return reply
          .status(404)
          .header('content-type', 'text/plain; charset=utf-8')
          .header('cache-control', 'no-store')
          .send('Not found')
      }
      // file names carry a content hash: a new build is a new URL
      return send(request, reply, file, 'public, max-age=31536000, immutable')
    })

    app.get('/embed.js', { schema: HIDDEN }, async (request, reply) => {
      if (!assets)
        return reply
          .status(503)
          .header('content-type', 'text/plain; charset=utf-8')
          .send('Checkout is not built')
      // merchants load this from their own pages, including ones with cross-origin isolation
      void reply
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('access-control-allow-origin', '*')
      return send(request, reply, assets.embed, 'public, max-age=300')
    })
  }
}
