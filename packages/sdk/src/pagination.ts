/**
 * Cursor auto-paging (stripe-node model): a list call returns a promise of the first page that is
 * also async-iterable over every item of every page, following `starting_after` (older) or, when
 * the caller paged with `ending_before`, `ending_before` (newer).
 */
export interface CursorPaging<Page, Item> {
  /** Items of a page, in the order the API returned them. */
  items(page: Page): readonly Item[]
  hasMore(page: Page): boolean
  id(item: Item): string
  /** Fetches the page after `cursor` in the given direction. */
  fetch(cursor: { starting_after: string } | { ending_before: string }): Promise<Page>
  direction: 'starting_after' | 'ending_before'
}

export interface AutoPagingOptions {
  /** Stop after this many items (required, at most 10,000, so a runaway list cannot exhaust memory). */
  limit: number
}

export type ListPromise<Page, Item> = Promise<Page> &
  AsyncIterable<Item> & {
    /** Collects items across pages up to `limit`. */
    autoPagingToArray(options: AutoPagingOptions): Promise<Item[]>
  }

/** A page cap that no legitimate walk reaches; it bounds the loop if a server repeats a cursor. */
const MAX_PAGES = 100_000

export function listPromise<Page, Item>(
  first: Promise<Page>,
  paging: CursorPaging<Page, Item>,
): ListPromise<Page, Item> {
  async function* iterate(): AsyncGenerator<Item> {
    let page = await first
    const seenCursors = new Set<string>()
    for (let n = 0; n < MAX_PAGES; n++) {
      const items = paging.items(page)
      for (const item of items) yield item
      if (!paging.hasMore(page) || items.length === 0) return
      // newest-first pages: older items follow the last one; newer items precede the first one
      const edge = paging.direction === 'starting_after' ? items[items.length - 1] : items[0]
      if (edge === undefined) return
      const cursor = paging.id(edge)
      if (seenCursors.has(cursor)) throw new Error(`pagination cursor ${cursor} repeated; stopping`)
      seenCursors.add(cursor)
      page = await paging.fetch(
        paging.direction === 'starting_after'
          ? { starting_after: cursor }
          : { ending_before: cursor },
      )
    }
  }
  const result = first as ListPromise<Page, Item>
  result[Symbol.asyncIterator] = () => iterate()
  result.autoPagingToArray = async ({ limit }: AutoPagingOptions) => {
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new RangeError('autoPagingToArray needs a limit between 1 and 10000')
    }
    const out: Item[] = []
    for await (const item of iterate()) {
      out.push(item)
      if (out.length >= limit) break
    }
    return out
  }
  return result
}
