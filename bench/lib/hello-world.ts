import Fastify from 'fastify'

export interface HelloWorldServer {
  url: string
  close(): Promise<void>
}

/**
 * The ceiling for a read route: a bare Fastify app (no hooks, no database) answering a small
 * JSON object, listening in the calling process like the API server does.
 */
export async function startHelloWorld(): Promise<HelloWorldServer> {
  const app = Fastify({ logger: false })
  app.get('/hello', async () => ({ hello: 'world' }))
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url, close: () => app.close() }
}
