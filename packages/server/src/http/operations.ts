import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import client from 'prom-client'
import type { Deps } from '../deps.ts'

export const metricsRegistry = new client.Registry()
client.collectDefaultMetrics({ register: metricsRegistry })

export const httpRequestDuration = new client.Histogram({
  name: 'pepay_http_request_duration_seconds',
  help: 'HTTP request latency by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [metricsRegistry],
})

/** Health hooks other layers register: a name and a check that says why it is degraded. */
export type ReadinessCheck = () => Promise<{ name: string; ok: boolean; detail?: string }[]>
const readinessChecks = new WeakMap<Deps, ReadinessCheck[]>()

/** Adds a check to the server's `/readyz` (one list per server: a process may run several). */
export function addReadinessCheck(deps: Deps, check: ReadinessCheck): void {
  const checks = readinessChecks.get(deps)
  if (checks) checks.push(check)
  else readinessChecks.set(deps, [check])
}

export function operationsRoutes(deps: Deps) {
  const plugin = async (app: FastifyInstance): Promise<void> => {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched'
      httpRequestDuration.observe(
        { method: request.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
    })

    app.get('/healthz', { schema: { hide: true } as never }, async () => ({ status: 'ok' }))

    app.get('/readyz', { schema: { hide: true } as never }, async (_request, reply) => {
      const checks: { name: string; ok: boolean; detail?: string }[] = []
      try {
        await sql`select 1`.execute(deps.db)
        checks.push({ name: 'database', ok: true })
      } catch (error) {
        checks.push({ name: 'database', ok: false, detail: (error as Error).message })
      }
      for (const check of readinessChecks.get(deps) ?? []) {
        try {
          checks.push(...(await check()))
        } catch (error) {
          checks.push({ name: 'check', ok: false, detail: (error as Error).message })
        }
      }
      // the database is required; degraded chains are reported without failing readiness
      const ready = checks.find((c) => c.name === 'database')?.ok ?? false
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks })
    })

    app.get('/metrics', { schema: { hide: true } as never }, async (_request, reply) => {
      return reply.header('content-type', metricsRegistry.contentType).send(await metricsRegistry.metrics())
    })
  }
  // not encapsulated (what fastify-plugin does): the latency hook must see every route, not only these
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true })
  return plugin
}
