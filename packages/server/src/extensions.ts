import type { Config } from './config.ts'
import type { ServerExtension } from './server.ts'

/**
 * The layers `npm start` runs on top of the core API. Each module exports one extension; the
 * order matters only for shutdown (reverse order).
 */
export function defaultExtensions(_config: Config): ServerExtension[] {
  return []
}
