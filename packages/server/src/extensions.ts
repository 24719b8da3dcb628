import type { Config } from './config.ts'
import { chainExtension } from './modules/chain/chain.extension.ts'
import { commerceExtension } from './modules/commerce/index.ts'
import { checkoutPageExtension } from './modules/checkout-page/checkout-page.extension.ts'
import { rampsExtension } from './modules/ramps/index.ts'
import { webhooksExtension } from './modules/webhooks/index.ts'
import { realtimeExtension } from './realtime/index.ts'
import type { ServerExtension } from './server.ts'

/**
 * The layers `npm start` runs on top of the core API. Each module exports one extension; the
 * order matters only for shutdown (reverse order).
 */
export function defaultExtensions(config: Config): ServerExtension[] {
  return [chainExtension(config), checkoutPageExtension(), rampsExtension(), commerceExtension(), webhooksExtension(), realtimeExtension()]
}
