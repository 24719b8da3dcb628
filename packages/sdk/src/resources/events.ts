import { listPromise, type ListPromise } from '../pagination.ts'
import type { AuthKind, QueryValue, RequestOptions } from '../request.ts'
import type { EventList, EventResponse, ListEventsParams, PepayEvent } from '../wire.ts'
import { Resource, segment } from './resource.ts'

/** Merchant key first (sees every event of its environment), then a commerce key, then Bearer. */
export const EVENTS_AUTH: readonly AuthKind[] = ['apiKey', 'commerceApiKey', 'bearer']
const MAX_RECOVER = 10_000

export interface RecoverSinceOptions {
  /** At most this many events (default 100, at most 10,000). */
  limit?: number
  /** Filters as in `list` (type, invoice_id, environment…). */
  filters?: Omit<ListEventsParams, 'limit' | 'starting_after' | 'ending_before'>
  signal?: AbortSignal
}

type Query = Record<string, QueryValue>

/** `pepay.events`: the event log (`GET /api/v1/events`). */
export class Events extends Resource {
  /** Lists events newest first (envelope B); the result is async-iterable over every event. */
  list(
    params: ListEventsParams = {},
    options?: RequestOptions,
  ): ListPromise<EventList, PepayEvent> {
    const fetch = (extra: Query) =>
      this.call<EventList>({
        method: 'GET',
        path: '/api/v1/events',
        auth: EVENTS_AUTH,
        query: { ...(params as Query), ...extra },
        options,
      })
    return listPromise<EventList, PepayEvent>(fetch({}), {
      items: (page) => page.data.data,
      hasMore: (page) => page.data.has_more,
      id: (event) => event.id,
      direction: params.ending_before !== undefined ? 'ending_before' : 'starting_after',
      fetch: (cursor) => fetch({ starting_after: undefined, ending_before: undefined, ...cursor }),
    })
  }

  retrieve(eventId: string, options?: RequestOptions): Promise<EventResponse> {
    return this.call({
      method: 'GET',
      path: `/api/v1/events/${segment(eventId)}`,
      auth: EVENTS_AUTH,
      options,
    })
  }

  /**
   * Events created after `eventId`, oldest first (the backfill a reconnecting consumer needs).
   * Pages forward with `ending_before` until caught up or `limit` events were read.
   */
  async recoverSince(eventId: string, options: RecoverSinceOptions = {}): Promise<PepayEvent[]> {
    const limit = Math.max(1, Math.min(options.limit ?? 100, MAX_RECOVER))
    const out: PepayEvent[] = []
    let cursor = eventId
    // each page moves the cursor forward; the loop ends when caught up or at `limit`
    while (out.length < limit) {
      const pageSize = Math.min(100, limit - out.length)
      const page = await this.call<EventList>({
        method: 'GET',
        path: '/api/v1/events',
        auth: EVENTS_AUTH,
        query: {
          ...(options.filters as Query | undefined),
          limit: pageSize,
          ending_before: cursor,
        },
        options: options.signal ? { signal: options.signal } : undefined,
      })
      // a page after `ending_before` holds the oldest newer events, listed newest first
      const chronological = [...page.data.data].reverse()
      out.push(...chronological)
      const newest = chronological[chronological.length - 1]
      if (!page.data.has_more || newest === undefined) break
      cursor = newest.id
    }
    return out
  }
}
