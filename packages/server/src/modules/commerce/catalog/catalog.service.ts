import { AppError } from '@pepay/core'
import type { Retailer } from '@pepay/contracts'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import { findMerchant } from '../../merchants/merchant.repo.ts'
import {
  csvRecords,
  MAX_IMPORT_ROWS,
  parseImport,
  type RejectedRow,
} from '../../../providers/retail/catalog/catalog-import.ts'
import {
  merchantWordScope,
  upsertMerchantProducts,
} from '../../../providers/retail/catalog/catalog.repo.ts'
import {
  bestEligibleOffer,
  offerEligibility,
  type Offer,
  type ProductDetails,
  type ProductSummary,
  type SearchPage,
} from '../../../providers/retail/retail-provider.ts'
import { insertSearchWords } from '../../../providers/retail/sandbox/sandbox-catalog.repo.ts'
import { searchWords } from '../../../providers/retail/sandbox/vocabulary.ts'
import { catalogScope, type Commerce, type Tenant } from '../shared/context.ts'
import { parseUsdPrice } from '../shared/money.ts'

export interface SearchInput {
  q?: string | undefined
  limit: number
  offset: number
  retailer?: Retailer | undefined
  category?: string | undefined
  minPrice?: string | undefined
  maxPrice?: string | undefined
  prime?: boolean | undefined
  minRating?: number | undefined
  sort: 'relevance' | 'price_asc' | 'price_desc' | 'rating'
}

export async function searchCatalog(
  commerce: Commerce,
  tenant: Tenant,
  input: SearchInput,
): Promise<SearchPage> {
  const minPrice =
    input.minPrice === undefined ? undefined : parseUsdPrice(input.minPrice, 'minPrice', 0n)
  const maxPrice =
    input.maxPrice === undefined ? undefined : parseUsdPrice(input.maxPrice, 'maxPrice', 0n)
  if (minPrice !== undefined && maxPrice !== undefined && maxPrice < minPrice)
    throw fieldError('maxPrice', 'must not be below minPrice')
  return commerce.provider.search(catalogScope(tenant), {
    q: input.q,
    limit: input.limit,
    offset: input.offset,
    retailer: input.retailer,
    category: input.category,
    minPriceUsdMillis: minPrice,
    maxPriceUsdMillis: maxPrice,
    isPrime: input.prime,
    // one decimal of rating is meaningful (stored in tenths); round up so 4.25 means "at least 4.3"
    minRatingTenths: input.minRating === undefined ? undefined : Math.ceil(input.minRating * 10),
    sort: input.sort,
  })
}

export async function productDetails(
  commerce: Commerce,
  tenant: Tenant,
  productId: string,
  retailer: Retailer | undefined,
): Promise<{ product: ProductDetails; offers: Offer[] }> {
  const scope = catalogScope(tenant)
  const product = await commerce.provider.getProduct(scope, productId, retailer)
  if (!product) throw new NotFoundError('product')
  const offers = await commerce.provider.getOffers(scope, productId, { retailer: product.retailer })
  return { product, offers: offers?.offers ?? [] }
}

export async function productOffers(
  commerce: Commerce,
  tenant: Tenant,
  productId: string,
  options: { retailer?: Retailer | undefined; zipCode?: string | undefined },
): Promise<{ product: ProductSummary; offers: Offer[] }> {
  const found = await commerce.provider.getOffers(catalogScope(tenant), productId, options)
  if (!found) throw new NotFoundError('product')
  return found
}

export function availability(offers: Offer[]): {
  inStock: boolean
  eligibleForCheckout: boolean
  offerCount: number
  reason: string | null
  best: Offer | undefined
} {
  const best = bestEligibleOffer(offers)
  const inStock = offers.some((o) => o.isAvailable)
  let reason: string | null = null
  if (!best) {
    const first = offers[0]
    const why = first ? offerEligibility(first) : undefined
    reason = why && !why.eligible ? why.reason : 'no offers'
  }
  return {
    inStock,
    eligibleForCheckout: best !== undefined,
    offerCount: offers.length,
    reason,
    best,
  }
}

export interface ImportInput {
  format: 'json' | 'csv'
  products?: Record<string, unknown>[] | undefined
  csv?: string | undefined
  dryRun: boolean
}

export interface ImportResult {
  totalRows: number
  accepted: number
  created: number
  updated: number
  rejected: RejectedRow[]
}

/**
 * Imports a merchant's own goods (retailer `other`), row by row: valid rows are upserted (with
 * their words added to the merchant's typo dictionary) in one transaction, invalid rows are
 * reported. A dry run validates only.
 */
export async function importCatalog(
  commerce: Commerce,
  tenant: Tenant,
  input: ImportInput,
): Promise<ImportResult> {
  let records: Record<string, unknown>[]
  if (input.format === 'json') {
    if (input.csv !== undefined) throw fieldError('csv', 'not allowed with format json')
    if (input.products === undefined) throw fieldError('products', 'required with format json')
    records = input.products
  } else {
    if (input.products !== undefined) throw fieldError('products', 'not allowed with format csv')
    if (input.csv === undefined) throw fieldError('csv', 'required with format csv')
    const parsed = csvRecords(input.csv)
    if ('error' in parsed) throw fieldError('csv', `not readable as CSV: ${parsed.error}`)
    records = parsed.records
    const header = input.csv.split(/\r?\n/, 1)[0] ?? ''
    if (!/(^|,)\s*"?productId"?\s*(,|$)/.test(header))
      throw fieldError(
        'csv',
        'the first line must be a header naming the columns (productId,title,price,…)',
      )
  }
  if (records.length === 0)
    throw fieldError(input.format === 'json' ? 'products' : 'csv', 'no rows to import')
  if (records.length > MAX_IMPORT_ROWS)
    throw fieldError(
      input.format === 'json' ? 'products' : 'csv',
      `at most ${MAX_IMPORT_ROWS} rows per import`,
    )
  const parsed = parseImport(records)
  if (input.dryRun || parsed.accepted.length === 0) {
    return {
      totalRows: parsed.totalRows,
      accepted: parsed.accepted.length,
      created: 0,
      updated: 0,
      rejected: parsed.rejected,
    }
  }
  const merchant = await findMerchant(commerce.deps.db, tenant.merchantId)
  if (!merchant) throw new AppError('NOT_FOUND', 'merchant not found')
  const scope = catalogScope(tenant)
  const counts = await commerce.deps.db.transaction().execute(async (trx) => {
    const result = await upsertMerchantProducts(
      trx,
      scope,
      merchant.name,
      parsed.accepted,
      commerce.deps.clock.now(),
    )
    const words = new Set<string>()
    for (const p of parsed.accepted)
      for (const w of searchWords(`${p.title} ${p.brand} ${p.category}`)) words.add(w)
    await insertSearchWords(trx, merchantWordScope(scope), [...words])
    return result
  })
  return {
    totalRows: parsed.totalRows,
    accepted: parsed.accepted.length,
    created: counts.created,
    updated: counts.updated,
    rejected: parsed.rejected,
  }
}
