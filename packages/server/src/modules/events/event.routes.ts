import { parseEventSeq } from '@pepay/core'
import { ErrorBody, EventIdParams, EventList, EventResponse, ListEventsQuery } from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Deps } from '../../deps.ts'
import { requirePrincipal, type Principal } from '../../http/auth.ts'
import { scopedEnvironment } from '../../http/context.ts'
import { fieldError, NotFoundError } from '../../http/errors.ts'
import { findEvent, listEvents, type EventFilter, type StoredEvent } from './event.repo.ts'
import { serializeEvent } from './event.serialize.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

/** Merchant keys read their environment's events; commerce keys only commerce events of theirs. */
export function principalEventScope(principal: Principal, environment?: 'devnet' | 'mainnet'): EventFilter {
  return {
    merchantId: principal.merchantId,
    environment: scopedEnvironment(principal, environment),
    commerceOnly: principal.kind === 'api_key' && principal.scope === 'commerce',
  }
}

export function canSeeEvent(principal: Principal, event: StoredEvent): boolean {
  const scope = principalEventScope(principal)
  if (event.merchantId !== principal.merchantId) return false
  if (scope.environment !== undefined && event.environment !== scope.environment) return false
  if (scope.commerceOnly && !event.isCommerce) return false
  return true
}

export function eventRoutes(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()
    const auth = { auth: ['merchant_key' as const, 'commerce_key' as const, 'bearer' as const] }

    r.get('/api/v1/events', {
      config: auth,
      schema: { tags: ['Events'], summary: 'List events (newest first, cursor pagination)', querystring: ListEventsQuery, response: { 200: EventList, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const q = request.query
      if (q.starting_after && q.ending_before) throw fieldError('ending_before', 'cannot be combined with starting_after')
      const filter: EventFilter = {
        ...principalEventScope(principal, q.environment),
        typePatterns: q.type,
        createdGteSeconds: q['created[gte]'],
        createdLteSeconds: q['created[lte]'],
        invoiceId: q.invoice_id,
        orderId: q.order_id,
        customerId: q.customer_id,
      }
      let events: StoredEvent[]
      let hasMore: boolean
      if (q.ending_before) {
        const rows = await listEvents(deps.db, filter, { limit: q.limit + 1, afterSeq: parseEventSeq(q.ending_before), order: 'asc' })
        hasMore = rows.length > q.limit
        events = rows.slice(0, q.limit).reverse()
      } else {
        const before = q.starting_after ? parseEventSeq(q.starting_after) : undefined
        const rows = await listEvents(deps.db, filter, { limit: q.limit + 1, beforeSeq: before, order: 'desc' })
        hasMore = rows.length > q.limit
        events = rows.slice(0, q.limit)
      }
      return { success: true as const, data: { object: 'list' as const, data: events.map(serializeEvent), has_more: hasMore } }
    })

    r.get('/api/v1/events/:eventId', {
      config: auth,
      schema: { tags: ['Events'], summary: 'Retrieve an event', params: EventIdParams, response: { 200: EventResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const event = await findEvent(deps.db, request.params.eventId)
      if (!event || !canSeeEvent(principal, event)) throw new NotFoundError('event')
      return { success: true as const, data: serializeEvent(event) }
    })
  }
}
