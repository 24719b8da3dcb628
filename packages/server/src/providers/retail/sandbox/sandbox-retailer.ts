import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB } from '../../../db/schema.ts'
import {
  browseProducts,
  correctionCandidates,
  findProduct,
  listOffers,
  searchByText,
  searchBySimilarity,
  type ProductRow,
} from '../catalog/catalog.repo.ts'
import {
  compareOffers,
  type CatalogScope,
  type Offer,
  type PlaceOrderRequest,
  type ProductDetails,
  type ProductSummary,
  type ProviderOrderStatus,
  type RetailProvider,
  type Retailer,
  type SearchPage,
  type SearchQuery,
} from '../retail-provider.ts'
import { productImageDataUri } from './product-image.ts'
import { sandboxWords, searchWords } from './vocabulary.ts'

/** The sandbox dictionary is fixed by the generator: known words skip the correction query. */
const SANDBOX_WORDS = new Set(sandboxWords())

/** At most this many words of a query take part in matching (a bound on query cost). */
export const MAX_QUERY_WORDS = 8

/** ZIP3 prefixes outside the contiguous US: slower and dearer for non-Prime offers. */
function isRemoteZip(zip: string): boolean {
  const prefix = Number(zip.slice(0, 3))
  return (
    (prefix >= 995 && prefix <= 999) || // Alaska
    prefix === 967 ||
    prefix === 968 || // Hawaii
    (prefix >= 6 && prefix <= 9) || // Puerto Rico, Virgin Islands
    prefix === 969 || // Guam and the Pacific territories
    (prefix >= 90 && prefix <= 99) ||
    prefix === 340 ||
    (prefix >= 962 && prefix <= 966) // military mail
  )
}

export function adjustOfferForZip(offer: Offer, zipCode: string | undefined): Offer {
  if (zipCode === undefined || !isRemoteZip(zipCode)) return offer
  return {
    ...offer,
    transitDays: offer.transitDays + (offer.isPrime ? 2 : 4),
    shippingUsdMillis: offer.isPrime ? offer.shippingUsdMillis : offer.shippingUsdMillis + 4_990n,
  }
}

/**
 * Edit distance where swapping two neighbouring letters counts once (optimal string alignment):
 * the typos shoppers make are a missing, an extra, a wrong or a swapped letter.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      const row = rows[i] as number[]
      const above = rows[i - 1] as number[]
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1)
      row[j] = best
    }
  }
  return (rows[a.length] as number[])[b.length] as number
}

/** The candidate fewest edits away (at most 1 for short words, 2 from five letters), else none. */
export function nearestWord(word: string, candidates: string[]): string | undefined {
  const limit = word.length >= 5 ? 2 : 1
  let best: { word: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate)
    if (distance <= limit && (best === undefined || distance < best.distance))
      best = { word: candidate, distance }
  }
  return best?.word
}

function summary(row: ProductRow): ProductSummary {
  return {
    productId: row.productId,
    retailer: row.retailer,
    title: row.title,
    brand: row.brand,
    category: row.category,
    imageUrl: row.imageUrl ?? productImageDataUri(row.productId, row.title),
    priceUsdMillis: row.priceUsdMillis,
    listPriceUsdMillis: row.listPriceUsdMillis,
    ratingTenths: row.ratingTenths,
    reviewCount: row.reviewCount,
    isPrime: row.isPrime,
    isMerchantProduct: row.merchantId !== null,
  }
}

const REVIEW_AUTHORS = ['Sam R.', 'Priya K.', 'Jordan T.', 'Alex M.', 'Chris L.', 'Taylor B.']
const REVIEW_LINES: [number, string, string][] = [
  [5, 'Exactly as described', 'Arrived quickly and works perfectly. Would buy again.'],
  [4, 'Good value', 'Solid build for the price; packaging could be better.'],
  [5, 'Great quality', 'Better than I expected. Using it every day.'],
  [3, 'Does the job', 'Fine overall, a few rough edges.'],
  [2, 'Not for me', 'Smaller than it looked in the pictures.'],
]

function details(row: ProductRow): ProductDetails {
  const digest = createHash('sha256').update(row.productId).digest()
  const reviews = [0, 1, 2].map((k) => {
    const [rating, title, body] = REVIEW_LINES[((digest[k] ?? 0) + k) % REVIEW_LINES.length] ?? [
      5,
      'Great',
      'Works well.',
    ]
    return {
      author: REVIEW_AUTHORS[(digest[k + 3] ?? 0) % REVIEW_AUTHORS.length] ?? 'Customer',
      rating,
      title,
      body,
    }
  })
  const base = summary(row)
  return {
    ...base,
    description: row.description,
    productUrl: row.productUrl,
    images: row.imageUrl
      ? [row.imageUrl]
      : [base.imageUrl, productImageDataUri(row.productId, row.title, 1)],
    specifications: {
      Brand: row.brand,
      Category: row.category,
      ...(row.merchantId === null && {
        Model: row.productId,
        Warranty: `${1 + ((digest[6] ?? 0) % 3)} year limited`,
      }),
    },
    reviews: row.reviewCount > 0 ? reviews : [],
  }
}

/**
 * The sandbox retailer: products and offers from the database catalog (generated sandbox goods
 * and the merchant's own imports). Orders are accepted without any outside call; shipping and
 * delivery are driven by the devnet simulator.
 */
export class SandboxRetailer implements RetailProvider {
  readonly id = 'sandbox'
  readonly #db: Kysely<DB>

  constructor(db: Kysely<DB>) {
    this.#db = db
  }

  async search(scope: CatalogScope, query: SearchQuery): Promise<SearchPage> {
    const text = query.q?.trim() ?? ''
    const words = [...new Set(searchWords(text))].slice(0, MAX_QUERY_WORDS)
    if (words.length === 0) {
      const page = await browseProducts(this.#db, scope, query)
      return { products: page.rows.map(summary), hasMore: page.hasMore, corrections: [] }
    }
    const unknown = words.filter((w) => !SANDBOX_WORDS.has(w))
    const known =
      unknown.length === 0
        ? new Map<string, { known: boolean; candidates: string[] }>()
        : await correctionCandidates(this.#db, scope, unknown)
    const corrections: { from: string; to: string }[] = []
    // each word must match (AND); an unknown word also matches its nearest catalog word (OR)
    const groups = words.map((word) => {
      const facts = known.get(word)
      const nearest = facts && !facts.known ? nearestWord(word, facts.candidates) : undefined
      if (nearest !== undefined && nearest !== word) {
        corrections.push({ from: word, to: nearest })
        return `(${word} | ${nearest.replace(/[^a-z0-9]/g, '')})`
      }
      return word
    })
    const page = await searchByText(this.#db, scope, groups.join(' & '), query)
    if (page.rows.length === 0 && query.offset === 0) {
      const fuzzy = await searchBySimilarity(this.#db, scope, words.join(' '), query)
      return { products: fuzzy.rows.map(summary), hasMore: fuzzy.hasMore, corrections }
    }
    return { products: page.rows.map(summary), hasMore: page.hasMore, corrections }
  }

  async getProduct(
    scope: CatalogScope,
    productId: string,
    retailer?: Retailer,
  ): Promise<ProductDetails | undefined> {
    const row = await findProduct(this.#db, scope, productId, retailer)
    return row ? details(row) : undefined
  }

  async getOffers(
    scope: CatalogScope,
    productId: string,
    options: { retailer?: Retailer | undefined; zipCode?: string | undefined },
  ): Promise<{ product: ProductSummary; offers: Offer[] } | undefined> {
    const row = await findProduct(this.#db, scope, productId, options.retailer)
    if (!row) return undefined
    const offers = (await listOffers(this.#db, row.pk))
      .map((o) => adjustOfferForZip(o, options.zipCode))
      .sort(compareOffers)
    return { product: summary(row), offers }
  }

  placeOrder(request: PlaceOrderRequest): Promise<ProviderOrderStatus> {
    // deterministic in our order id: placing the same order twice yields the same retailer order
    const ref = `SBX-${createHash('sha256').update(request.orderId).digest('hex').slice(0, 16).toUpperCase()}`
    if (request.items.length === 0)
      return Promise.resolve({ status: 'rejected', providerOrderRef: ref, reason: 'no items' })
    return Promise.resolve({ status: 'placed', providerOrderRef: ref })
  }

  getOrderStatus(providerOrderRef: string): Promise<ProviderOrderStatus> {
    return Promise.resolve({ status: 'placed', providerOrderRef })
  }

  cancelOrder(_providerOrderRef: string): Promise<{ accepted: boolean; reason: string | null }> {
    return Promise.resolve({ accepted: true, reason: null })
  }
}
