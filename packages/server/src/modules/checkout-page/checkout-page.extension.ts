import type { ServerExtension } from '../../server.ts'
import { loadCheckoutAssets, type CheckoutAssets } from './checkout-page.assets.ts'
import { checkoutPageRoutes } from './checkout-page.routes.ts'

/**
 * The hosted checkout page at `/pay?session=…&signature=…` (every invoice's `payment_url`) and
 * `/embed.js`. The page is built on first start when `dist/` is missing, so a fresh clone serves it.
 */
export function checkoutPageExtension(options: { distDir?: string } = {}): ServerExtension {
  return {
    async start(deps) {
      let assets: CheckoutAssets | undefined
      try {
        assets = await loadCheckoutAssets(options.distDir)
      } catch (error) {
        // the API still runs without the page; /pay answers 503 and says how to build it
        deps.log.error(
          { err: error },
          'checkout page is not available: build it with `npm run build -w @pepay/checkout`',
        )
      }
      return { plugins: [checkoutPageRoutes(assets)] }
    },
  }
}
