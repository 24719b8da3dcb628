import { loadConfig } from '../config.ts'
import { DataDirInUseError } from '../db/data-dir-lock.ts'
import { ensureDemoMerchant } from '../modules/merchants/demo.ts'
import { startServer } from '../server.ts'
import { defaultExtensions } from '../extensions.ts'

/** `npm start`: API and workers in one process, embedded database and devnet unless configured. */
async function main(): Promise<void> {
  const config = loadConfig()
  const server = await startServer(config, { extensions: defaultExtensions(config) })
  const shutdown = (signal: string): void => {
    server.deps.log.info({ signal }, 'shutting down')
    server
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        server.deps.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))

  if (config.seedDemo) {
    const demo = await ensureDemoMerchant(server.deps)
    const lines = [
      '',
      `Pepay is running at ${server.url}  (database: ${server.deps.database.kind}${config.databaseUrl ? '' : ` in ${config.dataDir}`})`,
      `  API docs:            ${server.url}/docs`,
      `  Demo merchant:       ${demo.merchantName} (id ${demo.merchantId})`,
      `  Merchant API key:    ${demo.merchantKey}`,
      `  Commerce API key:    ${demo.commerceKey}`,
      `  Dashboard token:     ${demo.dashboardToken}`,
      `  Sample invoice:      ${demo.sampleInvoiceId}`,
      `  Checkout URL:        ${demo.samplePaymentUrl}`,
      '',
      `  Try: curl -H "x-api-key: ${demo.merchantKey}" ${server.url}/api/v1/invoices/${demo.sampleInvoiceId}`,
      '',
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}

main().catch((error: unknown) => {
  // a directory held by another process is the user's to resolve: the message says how
  const detail = error instanceof DataDirInUseError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)
  process.stderr.write(`pepay failed to start: ${detail}\n`)
  process.exit(1)
})
