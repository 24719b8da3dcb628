import type { Config } from './config.ts'
import type { ServerExtension } from './server.ts'

/** The layers `npm start` runs on top of the core API (chain, realtime, webhooks…). */
export function defaultExtensions(_config: Config): ServerExtension[] {
  return []
}
