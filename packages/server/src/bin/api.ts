import { loadConfig } from '../config.ts'
import { defaultExtensions } from '../extensions.ts'
import { startServer } from '../server.ts'

/** An API-only process: serves HTTP and WebSockets, runs no background workers. */
const config = { ...loadConfig(), runWorkers: false }
const server = await startServer(config, { extensions: defaultExtensions(config), runWorkers: false })
const stop = (): void => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
