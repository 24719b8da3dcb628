import { sql, type SelectQueryBuilder } from 'kysely'
import type { DB } from '../../db/schema.ts'

export interface IdPage {
  limit: number
  startingAfter?: string | undefined
  endingBefore?: string | undefined
}

/**
 * Newest first by id (ids grow with creation): `startingAfter` pages to older rows,
 * `endingBefore` to newer ones; one extra row tells whether more exist.
 */
export async function pageById<TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, page: IdPage): Promise<{ rows: O[]; hasMore: boolean }> {
  const id = sql.ref<string>('id')
  if (page.endingBefore) {
    const rows = await query.where(id, '>', page.endingBefore).orderBy(id, 'asc').limit(page.limit + 1).execute()
    return { rows: rows.slice(0, page.limit).reverse(), hasMore: rows.length > page.limit }
  }
  const from = page.startingAfter ? query.where(id, '<', page.startingAfter) : query
  const rows = await from.orderBy(id, 'desc').limit(page.limit + 1).execute()
  return { rows: rows.slice(0, page.limit), hasMore: rows.length > page.limit }
}
