import type { Deps } from '../deps.ts'
import { expireDueInvoices } from '../modules/invoices/invoice.service.ts'
import { runEvery, type Loop } from './loop.ts'

const BATCH = 200

/** Expires due invoices; the invoice rows are the schedule, so restarts lose nothing. */
export function startInvoiceExpiryWorker(deps: Deps): Loop {
  return runEvery('invoice-expiry', deps.config.expiryPollMs, async () => {
    // bounded: at most 50 batches per tick, the rest waits for the next tick
    for (let i = 0; i < 50; i += 1) {
      const n = await expireDueInvoices(deps, BATCH)
      if (n < BATCH) return
    }
  }, deps.log)
}
