import { sql, type RawBuilder, type Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import type { DB } from '../../../db/schema.ts'
import {
  ADJECTIVES,
  BRANDS,
  COLORS,
  FIRST_PARTY_SELLERS,
  MARKETPLACE_SELLERS,
  PRODUCT_TYPES,
  SEED_VERSION,
  SHOWCASE_PRODUCTS,
  VARIANTS,
} from './vocabulary.ts'

function textArray(values: readonly string[]): RawBuilder<string[]> {
  return sql<string[]>`ARRAY[${sql.join(values.map((v) => sql`${v}::text`))}]`
}

function intArray(values: readonly number[]): RawBuilder<number[]> {
  return sql<number[]>`ARRAY[${sql.join(values.map((v) => sql`${v}::int`))}]`
}

/** An unsigned 32-bit number from 8 hex digits of an md5: the same on every Postgres. */
function hashSlice(expr: RawBuilder<string>, start: number): RawBuilder<number> {
  return sql<number>`(('x' || substr(${expr}, ${sql.lit(start)}, 8))::bit(32)::bigint)`
}

const SEARCH_VECTOR = sql`setweight(to_tsvector('english', unaccent(title)), 'A') || setweight(to_tsvector('english', unaccent(brand || ' ' || category)), 'B')`

/**
 * Generates sandbox products [from, to] and their offers in one statement. Everything derives
 * from md5 of the index and of the product id, so the catalog is identical on PGlite and
 * Postgres and across runs; `ON CONFLICT DO NOTHING` makes a repeated batch harmless.
 */
export async function insertSandboxProducts(
  db: Executor,
  from: number,
  to: number,
  now: Date,
): Promise<number> {
  // the planner overestimates this statement and Postgres would spend seconds JIT-compiling it
  await sql`SET LOCAL jit = off`.execute(db)
  const h = sql<string>`x.h`
  const oh = sql<string>`x.oh`
  const types = PRODUCT_TYPES.map((t) => t[0])
  const categories = PRODUCT_TYPES.map((t) => t[1])
  const minCents = PRODUCT_TYPES.map((t) => t[2])
  const maxCents = PRODUCT_TYPES.map((t) => t[3])
  const result = await sql<{ n: string }>`
    WITH src AS (
      SELECT s.*,
        -- 3% of products have no eligible offer (seller-fulfilled and slow); 80% of the rest are Prime
        (s.o1 % 100) >= 3 AS eligible,
        (s.o1 % 100) >= 3 AND (s.o2 % 100) < 80 AS prime
      FROM (
        SELECT g.i,
          'B0' || upper(lpad(to_hex((g.i::bigint * 2654435761) % 4294967296), 8, '0')) AS product_id,
          ${hashSlice(h, 1)} AS n1, ${hashSlice(h, 9)} AS n2, ${hashSlice(h, 17)} AS n3, ${hashSlice(h, 25)} AS n4,
          ${hashSlice(oh, 1)} AS o1, ${hashSlice(oh, 9)} AS o2
        FROM generate_series(${from}::int, ${to}::int) AS g(i)
        CROSS JOIN LATERAL (
          SELECT md5('pepay-catalog-v1:' || g.i) AS h,
                 md5('pepay-offer-v1:' || 'B0' || upper(lpad(to_hex((g.i::bigint * 2654435761) % 4294967296), 8, '0'))) AS oh
        ) x
      ) s
    ),
    shaped AS (
      SELECT src.*,
        1 + (n1 % ${types.length}) AS t,
        (${textArray(BRANDS)})[1 + (n2 % ${BRANDS.length})] AS brand,
        (${textArray(ADJECTIVES)})[1 + (n3 % ${ADJECTIVES.length})] AS adjective,
        (${textArray(COLORS)})[1 + ((n3 / 16) % ${COLORS.length})] AS color,
        (${textArray(VARIANTS)})[1 + ((n4 / 7) % ${VARIANTS.length})] AS variant,
        CASE WHEN n4 % 100 < 40 THEN 'amazon' WHEN n4 % 100 < 60 THEN 'walmart' WHEN n4 % 100 < 75 THEN 'target'
             WHEN n4 % 100 < 90 THEN 'bestbuy' ELSE 'ebay' END AS retailer
      FROM src
    ),
    priced AS (
      SELECT shaped.*,
        (${textArray(types)})[t] AS ptype,
        (${textArray(categories)})[t] AS category,
        -- whole dollars ending in .99, inside the type's range
        ((( (${intArray(minCents)})[t] + (n2 / 64) % ((${intArray(maxCents)})[t] - (${intArray(minCents)})[t]) ) / 100) * 100 + 99)::bigint AS price_cents
      FROM shaped
    ),
    products AS (
      INSERT INTO commerce_product (product_id, retailer, title, brand, category, description, rating_tenths, review_count,
                                    price_usd_millis, list_price_usd_millis, is_prime, search_vector, created_at, updated_at)
      SELECT product_id, retailer, title, brand, category, description, rating_tenths, review_count,
             price_cents * 10, list_price, prime,
             setweight(to_tsvector('english', unaccent(title)), 'A') || setweight(to_tsvector('english', unaccent(brand || ' ' || category)), 'B'),
             ${now}, ${now}
      FROM (
        SELECT product_id, retailer, brand, category, prime, price_cents,
          brand || ' ' || adjective || ' ' || ptype || ', ' || color || CASE WHEN variant = '' THEN '' ELSE ' (' || variant || ')' END AS title,
          'The ' || brand || ' ' || adjective || ' ' || ptype || ' in ' || color || '. Built for everyday use, backed by a '
            || (1 + n1 % 3)::text || '-year limited warranty.' AS description,
          CASE WHEN n4 % 20 = 0 THEN 10 + (n3 % 20) ELSE 28 + (n3 % 23) END AS rating_tenths,
          ((n4 / 100) % 5000) * (1 + n1 % 4) AS review_count,
          CASE WHEN n2 % 10 < 6 THEN ((price_cents * (110 + n3 % 31)) / 10000) * 1000 + 990 ELSE NULL END AS list_price
        FROM priced
      ) p
      ON CONFLICT (product_id) WHERE merchant_id IS NULL DO NOTHING
      RETURNING id, product_id, retailer, price_usd_millis, is_prime
    ),
    offers AS (
      INSERT INTO commerce_offer (product_pk, offer_id, seller_id, seller_name, price_usd_millis, shipping_usd_millis, is_prime,
                                  is_prime_only, fulfillment, condition, handling_days_min, handling_days_max, transit_days,
                                  is_international, is_available)
      SELECT p.id, 'offer_' || p.product_id || '_' || k.k,
        CASE WHEN k.k = 1 THEN (${sql.raw(firstPartyCase('p.retailer', 0))}) ELSE (${textArray(MARKETPLACE_SELLERS.map((s) => s[0]))})[1 + (y.m1 % ${MARKETPLACE_SELLERS.length})] END,
        CASE WHEN k.k = 1 THEN (${sql.raw(firstPartyCase('p.retailer', 1))}) ELSE (${textArray(MARKETPLACE_SELLERS.map((s) => s[1]))})[1 + (y.m1 % ${MARKETPLACE_SELLERS.length})] END,
        CASE WHEN k.k = 1 THEN p.price_usd_millis
             -- other sellers: between 15% cheaper and 25% dearer, rounded to .99
             ELSE greatest(990, ((p.price_usd_millis * (85 + y.m2 % 41)) / 100000) * 1000 + 990) END,
        CASE WHEN k.k = 1 AND p.is_prime THEN 0 ELSE (ARRAY[0, 3990, 5990, 7990])[1 + (y.m3 % 4)] END,
        k.k = 1 AND p.is_prime,
        k.k = 1 AND p.is_prime AND y.m4 % 10 = 0,
        CASE WHEN k.k = 1 AND p.is_prime THEN 'prime'
             WHEN k.k = 1 AND z.eligible THEN 'marketplace'
             WHEN k.k = 1 THEN 'seller'
             WHEN y.m1 % 3 = 0 THEN 'seller' ELSE 'marketplace' END,
        CASE WHEN k.k = 1 THEN 'New' WHEN y.m2 % 10 < 6 THEN 'New' WHEN y.m2 % 10 < 8 THEN 'Used' ELSE 'Refurbished' END,
        CASE WHEN k.k = 1 AND NOT z.eligible THEN 5 ELSE y.m3 % 2 END,
        CASE WHEN k.k = 1 AND NOT z.eligible THEN 8 WHEN k.k = 1 THEN 1 + y.m4 % 2 ELSE 1 + y.m4 % 4 END,
        CASE WHEN k.k = 1 AND NOT z.eligible THEN 6 WHEN k.k = 1 THEN 1 + y.m5 % 4 ELSE 2 + y.m5 % 6 END,
        k.k > 1 AND y.m5 % 25 = 0,
        k.k = 1 OR y.m4 % 20 <> 0
      FROM products p
      CROSS JOIN LATERAL (SELECT md5('pepay-offer-v1:' || p.product_id) AS oh) w
      CROSS JOIN LATERAL (SELECT (${hashSlice(sql<string>`w.oh`, 1)} % 100) >= 3 AS eligible, ${hashSlice(sql<string>`w.oh`, 17)} AS c) z
      CROSS JOIN LATERAL generate_series(1, 1 + (z.c % 4)::int) AS k(k)
      CROSS JOIN LATERAL (SELECT md5('pepay-offer-v1:' || p.product_id || ':' || k.k) AS oh) v
      CROSS JOIN LATERAL (
        SELECT ${hashSlice(sql<string>`v.oh`, 1)} AS m1, ${hashSlice(sql<string>`v.oh`, 9)} AS m2, ${hashSlice(sql<string>`v.oh`, 17)} AS m3,
               ${hashSlice(sql<string>`v.oh`, 25)} AS m4, ${hashSlice(sql<string>`v.oh`, 5)} AS m5
      ) y
      RETURNING 1
    )
    SELECT count(*)::text AS n FROM products`.execute(db)
  return Number(result.rows[0]?.n ?? '0')
}

function firstPartyCase(column: string, index: 0 | 1): string {
  const branches = Object.entries(FIRST_PARTY_SELLERS)
    .map(
      ([retailer, seller]) =>
        `WHEN ${column} = '${retailer}' THEN '${seller[index].replaceAll("'", "''")}'`,
    )
    .join(' ')
  return `CASE ${branches} ELSE 'SELLER' END`
}

/** The documented example products; idempotent. */
export async function insertShowcaseProducts(db: Executor, now: Date): Promise<void> {
  for (const p of SHOWCASE_PRODUCTS) {
    const priceMillis = BigInt(p.priceCents) * 10n
    const row = await sql<{ id: string }>`
      INSERT INTO commerce_product (product_id, retailer, title, brand, category, description, rating_tenths, review_count,
                                    price_usd_millis, is_prime, search_vector, created_at, updated_at)
      SELECT v.product_id, v.retailer, v.title, v.brand, v.category, v.description, 45, 1200, ${priceMillis.toString()}::bigint, ${p.eligible},
             ${SEARCH_VECTOR}, ${now}, ${now}
      FROM (SELECT ${p.productId}::text AS product_id, ${p.retailer}::text AS retailer, ${p.title}::text AS title,
                   ${p.brand}::text AS brand, ${p.category}::text AS category, ${`${p.title} from ${p.brand}.`}::text AS description) v
      ON CONFLICT (product_id) WHERE merchant_id IS NULL DO NOTHING
      RETURNING id`.execute(db)
    const id = row.rows[0]?.id
    if (id === undefined) continue
    await db
      .insertInto('commerce_offer')
      .values(
        p.eligible
          ? {
              product_pk: id,
              offer_id: `offer_${p.productId}_1`,
              seller_id: 'ATVPDKIKX0DER',
              seller_name: 'Amazon.com',
              price_usd_millis: priceMillis.toString(),
              shipping_usd_millis: '0',
              is_prime: true,
              fulfillment: 'prime',
              condition: 'New',
              handling_days_min: 0,
              handling_days_max: 2,
              transit_days: 2,
            }
          : {
              product_pk: id,
              offer_id: `offer_${p.productId}_1`,
              seller_id: 'A6CANYONOUT',
              seller_name: 'Canyon Outlet',
              price_usd_millis: priceMillis.toString(),
              shipping_usd_millis: '5990',
              is_prime: false,
              fulfillment: 'seller',
              condition: 'Used',
              handling_days_min: 3,
              handling_days_max: 5,
              transit_days: 7,
            },
      )
      .onConflict((oc) => oc.columns(['product_pk', 'offer_id']).doNothing())
      .execute()
  }
}

export async function insertSearchWords(
  db: Executor,
  scope: string,
  words: string[],
): Promise<void> {
  if (words.length === 0) return
  for (let i = 0; i < words.length; i += 500) {
    await db
      .insertInto('commerce_search_word')
      .values(words.slice(i, i + 500).map((word) => ({ scope, word })))
      .onConflict((oc) => oc.columns(['scope', 'word']).doNothing())
      .execute()
  }
}

export interface CatalogState {
  seedVersion: number
  targetSize: number
  seededCount: number
  status: 'seeding' | 'ready'
  leaseOwner: string | null
  leaseUntil: Date | null
}

function toCatalogState(row: Selectable<DB['commerce_catalog_state']>): CatalogState {
  return {
    seedVersion: row.seed_version,
    targetSize: row.target_size,
    seededCount: row.seeded_count,
    status: row.status,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
  }
}

export async function findCatalogState(db: Executor): Promise<CatalogState | undefined> {
  const row = await db
    .selectFrom('commerce_catalog_state')
    .selectAll()
    .where('name', '=', 'sandbox')
    .executeTakeFirst()
  return row ? toCatalogState(row) : undefined
}

/**
 * Takes (or renews) the seeding lease when seeding is due: one process seeds at a time, and a
 * crashed seeder's lease expires so another can resume from the committed count.
 */
export async function claimSeedingLease(
  db: Executor,
  input: { owner: string; targetSize: number; now: Date; leaseMs: number },
): Promise<CatalogState | undefined> {
  const until = new Date(input.now.getTime() + input.leaseMs)
  await db
    .insertInto('commerce_catalog_state')
    .values({
      name: 'sandbox',
      seed_version: SEED_VERSION,
      target_size: input.targetSize,
      seeded_count: 0,
      status: 'seeding',
      started_at: input.now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const row = await db
    .updateTable('commerce_catalog_state')
    .set({
      lease_owner: input.owner,
      lease_until: until,
      // a bigger configured size extends an existing catalog; a smaller one keeps what exists
      target_size: sql<number>`greatest(target_size, ${input.targetSize}::int)`,
      status: sql<
        'seeding' | 'ready'
      >`CASE WHEN seeded_count >= greatest(target_size, ${input.targetSize}::int) THEN 'ready' ELSE 'seeding' END`,
    })
    .where('name', '=', 'sandbox')
    .where((eb) =>
      eb.or([
        eb('lease_owner', 'is', null),
        eb('lease_owner', '=', input.owner),
        eb('lease_until', '<', input.now),
      ]),
    )
    .returningAll()
    .executeTakeFirst()
  return row ? toCatalogState(row) : undefined
}

export async function recordSeedProgress(
  db: Executor,
  input: { owner: string; seededCount: number; targetSize: number; now: Date; leaseMs: number },
): Promise<void> {
  const ready = input.seededCount >= input.targetSize
  await db
    .updateTable('commerce_catalog_state')
    .set({
      seeded_count: input.seededCount,
      status: ready ? 'ready' : 'seeding',
      lease_until: new Date(input.now.getTime() + input.leaseMs),
      ...(ready && { completed_at: input.now, lease_owner: null, lease_until: null }),
    })
    .where('name', '=', 'sandbox')
    .where('lease_owner', '=', input.owner)
    .execute()
}

export async function releaseSeedingLease(db: Executor, owner: string): Promise<void> {
  await db
    .updateTable('commerce_catalog_state')
    .set({ lease_owner: null, lease_until: null })
    .where('name', '=', 'sandbox')
    .where('lease_owner', '=', owner)
    .execute()
}

export async function analyzeCatalog(db: Executor): Promise<void> {
  await sql`ANALYZE commerce_product`.execute(db)
  await sql`ANALYZE commerce_offer`.execute(db)
}
