import { loadConfig } from '../config.ts'
import { defaultExtensions } from '../extensions.ts'
import { startServer } from '../server.ts'

/**
 * A worker-only process: chain watchers (leader per network), expiry, settlement, webhook
 * delivery and reconcilers; no HTTP listener. Run as many as you like against one Postgres.
 */
const config = { ...loadConfig(), runWorkers: true }
const server = await startServer(config, { extensions: defaultExtensions(config), runWorkers: true, serveHttp: false })
const stop = (): void => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
