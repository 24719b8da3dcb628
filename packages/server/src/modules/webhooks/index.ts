import type { ServerExtension } from '../../server.ts'
import { WEBHOOK_DELIVERIES_CHANNEL } from '../events/event.repo.ts'
import { startWebhookDeliveryWorker } from '../../workers/webhook-delivery.ts'
import type { Loop } from '../../workers/loop.ts'
import { systemResolver, type Resolver } from './webhook-destination.service.ts'
import type { DeliveryOptions } from './webhook-delivery.service.ts'
import { sealStoredSecrets } from './webhook-endpoint.service.ts'
import { webhookRoutes } from './webhook.routes.ts'

export { deliverDue, signPayload } from './webhook-delivery.service.ts'
export { planRetry } from './webhook-retry.state.ts'

export interface WebhooksOptions {
  /** DNS resolution used by the SSRF guard (tests map names to addresses). */
  resolve: Resolver
  timeoutMs: number
  batchSize: number
  pollMs: number
  random: () => number
  /** Run the delivery worker in this process (default: the server's runWorkers setting). */
  runWorker: boolean | undefined
}

/**
 * Webhook endpoint management and deliveries under /api/v1/webhooks, plus the delivery worker
 * where workers run. Deliveries are rows written with their event; any number of processes may
 * run the worker (rows are claimed with SKIP LOCKED).
 */
export function webhooksExtension(options: Partial<WebhooksOptions> = {}): ServerExtension {
  return {
    async start(deps) {
      const sealed = await sealStoredSecrets(deps)
      if (sealed > 0) deps.log.info({ endpoints: sealed }, 'sealed stored webhook signing secrets')
      const delivery: DeliveryOptions = {
        resolve: options.resolve ?? systemResolver,
        timeoutMs: options.timeoutMs ?? 10_000,
        batchSize: options.batchSize ?? 50,
        random: options.random ?? Math.random,
      }
      let worker: Loop | undefined
      const stoppers: (() => Promise<void>)[] = []
      if (options.runWorker ?? deps.config.runWorkers) {
        const loop = startWebhookDeliveryWorker(deps, delivery, options.pollMs ?? 250)
        worker = loop
        // woken at the commit of any process's statement that wrote deliveries (the event fan-out
        // notifies this channel), not by events no endpoint receives; the poll is the fallback
        stoppers.push(await deps.database.listen(WEBHOOK_DELIVERIES_CHANNEL, () => loop.kick()))
      }
      const runtime = { resolve: delivery.resolve, kick: () => worker?.kick() }
      return {
        plugins: [webhookRoutes(deps, runtime)],
        workers: worker ? [worker] : [],
        stop: async () => {
          for (const stop of stoppers) await stop().catch(() => undefined)
        },
      }
    },
  }
}
