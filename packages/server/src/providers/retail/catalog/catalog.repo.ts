import { sql, type Expression, type SqlBool } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import type { CatalogScope, Offer, Retailer, SearchQuery } from '../retail-provider.ts'

/** A catalog row as the repo returns it: integers as bigint, no wire quirks. */
export interface ProductRow {
  pk: bigint
  productId: string
  merchantId: bigint | null
  retailer: Retailer
  title: string
  brand: string
  category: string
  description: string
  imageUrl: string | null
  productUrl: string | null
  ratingTenths: number
  reviewCount: number
  priceUsdMillis: bigint
  listPriceUsdMillis: bigint | null
  isPrime: boolean
  createdAt: Date
}

interface RawProduct {
  id: string
  product_id: string
  merchant_id: string | null
  retailer: Retailer
  title: string
  brand: string
  category: string
  description: string
  image_url: string | null
  product_url: string | null
  rating_tenths: number
  review_count: number
  price_usd_millis: string
  list_price_usd_millis: string | null
  is_prime: boolean
  created_at: Date
}

function toProduct(row: RawProduct): ProductRow {
  return {
    pk: BigInt(row.id),
    productId: row.product_id,
    merchantId: row.merchant_id === null ? null : BigInt(row.merchant_id),
    retailer: row.retailer,
    title: row.title,
    brand: row.brand,
    category: row.category,
    description: row.description,
    imageUrl: row.image_url,
    productUrl: row.product_url,
    ratingTenths: row.rating_tenths,
    reviewCount: row.review_count,
    priceUsdMillis: BigInt(row.price_usd_millis),
    listPriceUsdMillis:
      row.list_price_usd_millis === null ? null : BigInt(row.list_price_usd_millis),
    isPrime: row.is_prime,
    createdAt: row.created_at,
  }
}

const PRODUCT_COLUMNS = sql`p.id, p.product_id, p.merchant_id, p.retailer, p.title, p.brand, p.category, p.description, p.image_url,
  p.product_url, p.rating_tenths, p.review_count, p.price_usd_millis, p.list_price_usd_millis, p.is_prime, p.created_at`

/** The shared sandbox catalog plus this merchant's own goods in this environment. */
function inScope(scope: CatalogScope): Expression<SqlBool> {
  return sql<SqlBool>`p.is_active AND (p.merchant_id IS NULL OR (p.merchant_id = ${scope.merchantId.toString()}::bigint AND p.environment = ${scope.environment}))`
}

export function searchWordScopes(scope: CatalogScope): string[] {
  return ['sandbox', merchantWordScope(scope)]
}

export function merchantWordScope(scope: CatalogScope): string {
  return `m:${scope.merchantId}:${scope.environment}`
}

/** Loose on purpose: candidates are re-ranked by edit distance, where transpositions count once. */
const MIN_CANDIDATE_SIMILARITY = 0.15
const MAX_CANDIDATES = 8

/**
 * For each query word: whether the catalog knows it, and otherwise the catalog words most similar
 * to it by trigrams, best first. The dictionary holds distinct words only (hundreds, not the
 * catalog), so scanning it stays fast whatever the catalog size.
 */
export async function correctionCandidates(
  db: Executor,
  scope: CatalogScope,
  words: string[],
): Promise<Map<string, { known: boolean; candidates: string[] }>> {
  const result = new Map<string, { known: boolean; candidates: string[] }>()
  if (words.length === 0) return result
  const scopes = searchWordScopes(scope)
  const scopeList = sql.join(scopes.map((s) => sql`${s}::text`))
  const rows = await sql<{ w: string; known: boolean; candidates: string[] | string | null }>`
    SELECT q.w,
      EXISTS (SELECT 1 FROM commerce_search_word s WHERE s.scope IN (${scopeList}) AND s.word = q.w) AS known,
      ARRAY(SELECT s.word FROM commerce_search_word s WHERE s.scope IN (${scopeList}) AND similarity(s.word, q.w) >= ${MIN_CANDIDATE_SIMILARITY}
            ORDER BY similarity(s.word, q.w) DESC, s.word LIMIT ${MAX_CANDIDATES}) AS candidates
    FROM (VALUES ${sql.join(words.map((w) => sql`(${w}::text)`))}) AS q(w)`.execute(db)
  for (const row of rows.rows) {
    const candidates = Array.isArray(row.candidates)
      ? row.candidates
      : parseTextArray(row.candidates)
    result.set(row.w, { known: row.known, candidates })
  }
  return result
}

/** `{a,b}` → ['a', 'b'] for drivers that hand arrays over as text (words hold no commas or quotes). */
function parseTextArray(text: string | null): string[] {
  if (text === null || text === '{}') return []
  return text
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((w) => w.replace(/^"|"$/g, ''))
}

function filters(query: SearchQuery): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = []
  if (query.retailer) out.push(sql<SqlBool>`p.retailer = ${query.retailer}`)
  if (query.category) out.push(sql<SqlBool>`lower(p.category) = lower(${query.category})`)
  if (query.minPriceUsdMillis !== undefined)
    out.push(sql<SqlBool>`p.price_usd_millis >= ${query.minPriceUsdMillis.toString()}::bigint`)
  if (query.maxPriceUsdMillis !== undefined)
    out.push(sql<SqlBool>`p.price_usd_millis <= ${query.maxPriceUsdMillis.toString()}::bigint`)
  if (query.isPrime !== undefined) out.push(sql<SqlBool>`p.is_prime = ${query.isPrime}`)
  if (query.minRatingTenths !== undefined)
    out.push(sql<SqlBool>`p.rating_tenths >= ${query.minRatingTenths}`)
  return out
}

function orderBy(query: SearchQuery, rank: ReturnType<typeof sql> | null) {
  switch (query.sort) {
    case 'price_asc':
      return sql`p.price_usd_millis ASC, p.id ASC`
    case 'price_desc':
      return sql`p.price_usd_millis DESC, p.id ASC`
    case 'rating':
      return sql`p.rating_tenths DESC, p.review_count DESC, p.id ASC`
    case 'relevance':
      return rank
        ? sql`${rank} DESC, p.rating_tenths DESC, p.review_count DESC, p.id ASC`
        : sql`p.review_count DESC, p.id ASC`
  }
}

/**
 * One page of the products in scope that match `match` and the query's filters, in the query's
 * order (`rank` orders by relevance); one extra row tells whether more exist.
 */
async function productPage(
  db: Executor,
  scope: CatalogScope,
  query: SearchQuery,
  match: Expression<SqlBool> | null,
  rank: ReturnType<typeof sql> | null,
): Promise<{ rows: ProductRow[]; hasMore: boolean }> {
  const conditions = [inScope(scope), ...(match ? [match] : []), ...filters(query)]
  const rows = await sql<RawProduct>`
    SELECT ${PRODUCT_COLUMNS} FROM commerce_product p
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY ${orderBy(query, rank)}
    LIMIT ${query.limit + 1} OFFSET ${query.offset}`.execute(db)
  return {
    rows: rows.rows.slice(0, query.limit).map(toProduct),
    hasMore: rows.rows.length > query.limit,
  }
}

/**
 * Full-text search (tsvector + GIN, english stemming, unaccented) ranked by ts_rank, then by
 * rating and popularity. `tsquery` is built by the caller from sanitised words only.
 */
export async function searchByText(
  db: Executor,
  scope: CatalogScope,
  tsquery: string,
  query: SearchQuery,
): Promise<{ rows: ProductRow[]; hasMore: boolean }> {
  const q = sql`to_tsquery('english', ${tsquery})`
  const match = sql<SqlBool>`p.search_vector @@ ${q}`
  return productPage(db, scope, query, match, sql`ts_rank(p.search_vector, ${q})`)
}

/** Typo-tolerant fallback when no word matched: trigram word similarity against titles. */
export async function searchBySimilarity(
  db: Executor,
  scope: CatalogScope,
  text: string,
  query: SearchQuery,
): Promise<{ rows: ProductRow[]; hasMore: boolean }> {
  const match = sql<SqlBool>`${text} <% p.title`
  return productPage(db, scope, query, match, sql`word_similarity(${text}, p.title)`)
}

/** Browsing without words: filters only, most reviewed first. */
export async function browseProducts(
  db: Executor,
  scope: CatalogScope,
  query: SearchQuery,
): Promise<{ rows: ProductRow[]; hasMore: boolean }> {
  return productPage(db, scope, query, null, null)
}

/** A product visible in the scope; a merchant's own product wins over a sandbox one with the same id. */
export async function findProduct(
  db: Executor,
  scope: CatalogScope,
  productId: string,
  retailer?: Retailer,
): Promise<ProductRow | undefined> {
  const conditions = [inScope(scope), sql<SqlBool>`p.product_id = ${productId}`]
  if (retailer) conditions.push(sql<SqlBool>`p.retailer = ${retailer}`)
  const rows = await sql<RawProduct>`
    SELECT ${PRODUCT_COLUMNS} FROM commerce_product p
    WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY p.merchant_id NULLS LAST LIMIT 1`.execute(db)
  const row = rows.rows[0]
  return row ? toProduct(row) : undefined
}

export async function listOffers(db: Executor, productPk: bigint): Promise<Offer[]> {
  const rows = await db
    .selectFrom('commerce_offer')
    .selectAll()
    .where('product_pk', '=', productPk.toString())
    .orderBy('id')
    .execute()
  return rows.map((r) => ({
    offerId: r.offer_id,
    sellerId: r.seller_id,
    sellerName: r.seller_name,
    priceUsdMillis: BigInt(r.price_usd_millis),
    shippingUsdMillis: BigInt(r.shipping_usd_millis),
    isPrime: r.is_prime,
    isPrimeOnly: r.is_prime_only,
    fulfillment: r.fulfillment,
    condition: r.condition,
    handlingDaysMin: r.handling_days_min,
    handlingDaysMax: r.handling_days_max,
    transitDays: r.transit_days,
    isInternational: r.is_international,
    isAvailable: r.is_available,
  }))
}

export async function listCategories(db: Executor, scope: CatalogScope): Promise<string[]> {
  const rows = await sql<{ category: string }>`
    SELECT DISTINCT p.category FROM commerce_product p WHERE ${inScope(scope)} AND p.category <> '' ORDER BY 1 LIMIT 200`.execute(
    db,
  )
  return rows.rows.map((r) => r.category)
}

export interface ImportedProduct {
  productId: string
  title: string
  brand: string
  category: string
  description: string
  imageUrl: string | null
  productUrl: string | null
  priceUsdMillis: bigint
  listPriceUsdMillis: bigint | null
  shippingUsdMillis: bigint
  ratingTenths: number
  reviewCount: number
  isPrime: boolean
  condition: 'New' | 'Used' | 'Refurbished'
  handlingDaysMin: number
  handlingDaysMax: number
  transitDays: number
  isAvailable: boolean
}

/**
 * Upserts a merchant's own products (retailer `other`) with their single offer, the merchant
 * itself as seller. Returns how many rows were created and how many updated.
 */
export async function upsertMerchantProducts(
  db: Executor,
  scope: CatalogScope,
  sellerName: string,
  products: ImportedProduct[],
  now: Date,
): Promise<{ created: number; updated: number }> {
  let created = 0
  let updated = 0
  const merchantId = scope.merchantId.toString()
  for (let i = 0; i < products.length; i += 500) {
    const chunk = products.slice(i, i + 500)
    const values = chunk.map(
      (
        p,
      ) => sql`(${p.productId}::text, ${p.title}::text, ${p.brand}::text, ${p.category}::text, ${p.description}::text,
        ${p.imageUrl}::text, ${p.productUrl}::text, ${p.ratingTenths}::smallint, ${p.reviewCount}::int,
        ${p.priceUsdMillis.toString()}::bigint, ${p.listPriceUsdMillis?.toString() ?? null}::bigint, ${p.isPrime}::boolean)`,
    )
    const rows = await sql<{ id: string; product_id: string; inserted: boolean }>`
      INSERT INTO commerce_product (product_id, merchant_id, environment, retailer, title, brand, category, description, image_url,
                                    product_url, rating_tenths, review_count, price_usd_millis, list_price_usd_millis, is_prime,
                                    is_active, search_vector, created_at, updated_at)
      SELECT v.product_id, ${merchantId}::bigint, ${scope.environment}, 'other', v.title, v.brand, v.category, v.description, v.image_url,
             v.product_url, v.rating, v.reviews, v.price, v.list_price, v.prime, true,
             setweight(to_tsvector('english', unaccent(v.title)), 'A') || setweight(to_tsvector('english', unaccent(v.brand || ' ' || v.category)), 'B'),
             ${now}, ${now}
      FROM (VALUES ${sql.join(values)}) AS v(product_id, title, brand, category, description, image_url, product_url, rating, reviews, price, list_price, prime)
      ON CONFLICT (merchant_id, environment, product_id) WHERE merchant_id IS NOT NULL DO UPDATE SET
        title = excluded.title, brand = excluded.brand, category = excluded.category, description = excluded.description,
        image_url = excluded.image_url, product_url = excluded.product_url, rating_tenths = excluded.rating_tenths,
        review_count = excluded.review_count, price_usd_millis = excluded.price_usd_millis,
        list_price_usd_millis = excluded.list_price_usd_millis, is_prime = excluded.is_prime, is_active = true,
        search_vector = excluded.search_vector, updated_at = excluded.updated_at
      RETURNING id, product_id, (xmax = 0) AS inserted`.execute(db)
    const pkById = new Map<string, string>()
    for (const row of rows.rows) {
      pkById.set(row.product_id, row.id)
      if (row.inserted) created += 1
      else updated += 1
    }
    const pks = [...pkById.values()]
    if (pks.length > 0)
      await db.deleteFrom('commerce_offer').where('product_pk', 'in', pks).execute()
    await db
      .insertInto('commerce_offer')
      .values(
        chunk.map((p) => ({
          product_pk: pkById.get(p.productId) ?? '0',
          offer_id: `offer_${p.productId}`,
          seller_id: `M${merchantId}`,
          seller_name: sellerName,
          price_usd_millis: p.priceUsdMillis.toString(),
          shipping_usd_millis: p.shippingUsdMillis.toString(),
          is_prime: p.isPrime,
          // the merchant ships its own goods: treated as marketplace fulfilment for eligibility
          fulfillment: 'marketplace' as const,
          condition: p.condition,
          handling_days_min: p.handlingDaysMin,
          handling_days_max: p.handlingDaysMax,
          transit_days: p.transitDays,
          is_available: p.isAvailable,
        })),
      )
      .execute()
  }
  return { created, updated }
}
