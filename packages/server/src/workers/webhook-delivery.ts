import type { Deps } from '../deps.ts'
import { deliverDue, type DeliveryOptions } from '../modules/webhooks/webhook-delivery.service.ts'
import { runEvery, type Loop } from './loop.ts'

/** Runs per tick at most this many claim-and-send rounds (the rest waits for the next tick). */
const MAX_ROUNDS = 20

/** Sends due webhook deliveries; the delivery rows are the schedule, so restarts lose nothing. */
export function startWebhookDeliveryWorker(
  deps: Deps,
  options: DeliveryOptions,
  pollMs: number,
): Loop {
  return runEvery(
    'webhook-delivery',
    pollMs,
    async () => {
      for (let i = 0; i < MAX_ROUNDS; i += 1) {
        const n = await deliverDue(deps, options)
        if (n < options.batchSize) return
      }
    },
    deps.log,
  )
}
