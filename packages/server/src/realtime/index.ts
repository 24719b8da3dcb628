import type { Deps } from '../deps.ts'
import type { ServerExtension } from '../server.ts'
import { runEvery, type Loop } from '../workers/loop.ts'
import { ConnectionRegistry } from './connection-registry.ts'
import { EventHub, type EventHubOptions } from './event-hub.ts'
import { pruneEventsBefore } from './realtime.repo.ts'
import { realtimeRoutes } from './realtime.routes.ts'
import type { StreamLimits } from './stream-connection.ts'

export { mintPaymentSessionToken } from './ws-token.service.ts'
export { EventHub } from './event-hub.ts'

export interface RealtimeOptions {
  hub: Partial<EventHubOptions>
  limits: Partial<StreamLimits>
  /** Protocol ping interval; a socket that misses one pong is closed as idle. */
  heartbeatMs: number
  maxConnectionsPerKey: number
  maxConnectionsPerInvoice: number
  /** Events older than this are pruned; a replay cursor before the pruned range gets a snapshot (default: PEPAY_EVENT_RETENTION_DAYS). */
  retentionDays: number
  pruneIntervalMs: number
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxBufferedBytes: 4 * 1024 * 1024,
  maxReplayBuffer: 10_000,
  replayPageSize: 1000,
  snapshotLimit: 100,
  drainTimeoutMs: 30_000,
  closeGraceMs: 2_000,
  retentionDays: 30,
}

const DEFAULTS: Omit<RealtimeOptions, 'hub' | 'limits' | 'retentionDays'> = {
  heartbeatMs: 30_000,
  maxConnectionsPerKey: 1000,
  maxConnectionsPerInvoice: 20,
  pruneIntervalMs: 3_600_000,
}

/** Deletes at most this many events per prune run (the rest waits for the next run). */
const PRUNE_BATCH = 5000
const PRUNE_BATCHES_PER_RUN = 20

/** Removes events past retention in bounded batches; deliveries and attempts cascade. */
export async function pruneExpiredEvents(deps: Deps, retentionDays: number): Promise<number> {
  let total = 0
  for (let i = 0; i < PRUNE_BATCHES_PER_RUN; i += 1) {
    const now = deps.clock.now()
    const cutoff = new Date(now.getTime() - retentionDays * 86_400_000)
    const n = await deps.db
      .transaction()
      .execute((trx) => pruneEventsBefore(trx, cutoff, PRUNE_BATCH, now))
    total += n
    if (n < PRUNE_BATCH) break
  }
  return total
}

/**
 * WebSocket streams (/ws/merchant/events, /ws/commerce/events, /ws/payment) and the ws token
 * route, on top of one event hub per process. Retention pruning runs where workers run.
 */
export function realtimeExtension(options: Partial<RealtimeOptions> = {}): ServerExtension {
  return {
    async start(deps) {
      const settings = { ...DEFAULTS, retentionDays: deps.config.eventRetentionDays, ...options }
      const limits: StreamLimits = {
        ...DEFAULT_STREAM_LIMITS,
        retentionDays: settings.retentionDays,
        ...options.limits,
      }
      const hub = new EventHub(deps, options.hub)
      await hub.start()
      const registry = new ConnectionRegistry()
      registry.startHeartbeat(settings.heartbeatMs)
      const workers: Loop[] = []
      if (deps.config.runWorkers) {
        workers.push(
          runEvery(
            'event-retention',
            settings.pruneIntervalMs,
            async () => {
              await pruneExpiredEvents(deps, settings.retentionDays)
            },
            deps.log,
          ),
        )
      }
      return {
        plugins: [
          realtimeRoutes(deps, {
            hub,
            registry,
            limits,
            maxConnectionsPerKey: settings.maxConnectionsPerKey,
            maxConnectionsPerInvoice: settings.maxConnectionsPerInvoice,
          }),
        ],
        workers,
        stop: async () => {
          registry.shutdown()
          await hub.stop()
        },
      }
    },
  }
}
