import { randomUUID } from 'node:crypto'
import type { Deps } from '../../deps.ts'
import type { RetailProvider } from '../../providers/retail/retail-provider.ts'
import { SandboxRetailer } from '../../providers/retail/sandbox/sandbox-retailer.ts'
import { seedSandboxCatalog } from '../../providers/retail/sandbox/seed.ts'
import type { ServerExtension } from '../../server.ts'
import { runEvery, type Loop } from '../../workers/loop.ts'
import { addressRoutes } from './addresses/address.routes.ts'
import { cartRoutes } from './carts/cart.routes.ts'
import { catalogRoutes } from './catalog/catalog.routes.ts'
import { checkoutRoutes } from './checkout/checkout.routes.ts'
import {
  processPlacements,
  processRefunds,
  reconcileInvoiceOutcomes,
} from './orders/fulfilment.service.ts'
import { orderRoutes } from './orders/order.routes.ts'
import { invoiceStatusHook } from './orders/order.service.ts'
import type { Commerce } from './shared/context.ts'

export type { Commerce } from './shared/context.ts'

export interface CommerceOptions {
  /** Sandbox catalog size (default: PEPAY_CATALOG_SIZE, 100,000). */
  catalogSize?: number
  /** Retail provider (default: the sandbox retailer over the database catalog). */
  provider?: RetailProvider
  /** How often the placement and refund worker looks for work (default 1 s). */
  workerIntervalMs?: number
}

/**
 * The commerce module: catalog, carts, checkout, orders, addresses and the devnet simulator. On
 * start it registers the invoice hook that moves orders with their invoice, seeds the sandbox
 * catalog in the background (other routes are ready at once; /api/commerce/status reports
 * progress) and runs the placement and refund worker.
 */
export function commerceExtension(options: CommerceOptions = {}): ServerExtension {
  return {
    async start(deps: Deps) {
      let loop: Loop | undefined
      const commerce: Commerce = {
        deps,
        provider: options.provider ?? new SandboxRetailer(deps.db),
        catalogSize: options.catalogSize ?? deps.config.catalogSize,
        kick: () => loop?.kick(),
      }
      deps.hooks.invoiceStatusChanged.push(invoiceStatusHook(commerce))
      const abort = new AbortController()
      const seeding = seedSandboxCatalog(deps, {
        targetSize: commerce.catalogSize,
        owner: randomUUID(),
        signal: abort.signal,
      }).catch((error: unknown) =>
        deps.log.error(
          { err: error },
          'sandbox catalog seeding failed; it resumes on the next start',
        ),
      )
      const workers: Loop[] = []
      if (deps.config.runWorkers) {
        loop = runEvery(
          'commerce-fulfilment',
          options.workerIntervalMs ?? 1000,
          async () => {
            await reconcileInvoiceOutcomes(commerce)
            await processPlacements(commerce)
            await processRefunds(commerce)
          },
          deps.log,
        )
        workers.push(loop)
      }
      return {
        plugins: [
          catalogRoutes(commerce),
          cartRoutes(commerce),
          checkoutRoutes(commerce),
          orderRoutes(commerce),
          addressRoutes(commerce),
        ],
        workers,
        stop: async () => {
          abort.abort()
          await seeding
        },
      }
    },
  }
}
