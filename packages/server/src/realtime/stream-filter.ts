import { eventTypeMatches } from '@pepay/contracts'
import type { EventFilter, StoredEvent } from '../modules/events/event.repo.ts'

/**
 * In-memory twin of the Events API's SQL filter (`listEvents`): a live event reaches a socket
 * exactly when a replay from the database would have returned it.
 */
export function matchesFilter(filter: EventFilter, event: StoredEvent): boolean {
  if (filter.merchantId !== undefined && event.merchantId !== filter.merchantId) return false
  if (filter.environment !== undefined && event.environment !== filter.environment) return false
  if (filter.commerceOnly && !event.isCommerce) return false
  if (
    filter.typePatterns?.length &&
    !filter.typePatterns.some((p) => eventTypeMatches(p, event.type))
  )
    return false
  if (filter.invoiceId !== undefined && event.invoiceId !== filter.invoiceId) return false
  if (filter.orderId !== undefined && event.orderId !== filter.orderId) return false
  if (filter.customerId !== undefined && event.customerId !== filter.customerId) return false
  if (
    filter.invoiceType?.length &&
    (event.invoiceType === null || !filter.invoiceType.includes(event.invoiceType))
  )
    return false
  if (
    filter.walletAddress !== undefined &&
    event.walletAddress?.toLowerCase() !== filter.walletAddress.toLowerCase()
  )
    return false
  if (filter.walletNetwork !== undefined && event.walletNetwork !== filter.walletNetwork)
    return false
  const createdSeconds = Math.floor(event.createdAt.getTime() / 1000)
  if (filter.createdGteSeconds !== undefined && createdSeconds < filter.createdGteSeconds)
    return false
  if (filter.createdLteSeconds !== undefined && createdSeconds > filter.createdLteSeconds)
    return false
  return true
}
