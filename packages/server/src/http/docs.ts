import scalar from '@scalar/fastify-api-reference'
import type { FastifyInstance } from 'fastify'

/** `/openapi.json` (generated from the zod contracts) and rendered reference docs at `/docs`. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', { schema: { hide: true } as never }, async () => app.swagger())
  await app.register(scalar, {
    routePrefix: '/docs',
    configuration: { title: 'Pepay API reference' },
  })
}
