/**
 * Node-side surface of the checkout package (the browser code is bundled, not imported): where the
 * built page lives, how to build it, and its manifest. The server imports this to serve `/pay`.
 */
export {
  buildCheckout,
  checkoutDistDir,
  checkoutRoot,
  ensureCheckoutBuilt,
  readManifest,
  renderShell,
} from './build.ts'
export type { CheckoutAsset, CheckoutManifest } from './build.ts'
