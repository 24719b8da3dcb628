import { loadConfig } from '../config.ts'
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
  process.stderr.write(`pepay failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
