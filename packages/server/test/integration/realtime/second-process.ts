/**
 * A second API process for the multi-process suite: serves the realtime streams on the same
 * Postgres (DATABASE_URL) and prints its URL as one JSON line; stops on SIGTERM or stdin EOF.
 */
import { loadConfig } from '../../../src/config.ts'
import { startServer } from '../../../src/server.ts'
import { realtimeExtension } from '../../../src/realtime/index.ts'

const config = loadConfig({
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  PEPAY_DEVNET: 'off',
  PEPAY_NO_WORKERS: 'true',
  PEPAY_DATA_DIR: process.env['PEPAY_DATA_DIR'] ?? '.',
  DATABASE_URL: process.env['DATABASE_URL'] ?? '',
  DATABASE_POOL_SIZE: '4',
})
const server = await startServer(config, { extensions: [realtimeExtension()] })
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)
let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.once('SIGTERM', stop)
process.stdin.on('end', stop)
process.stdin.resume()
