import { parseUsdToMillis } from '@pepay/core'
import { parse as parseCsv } from 'csv-parse/sync'
import type { ImportedProduct } from './catalog.repo.ts'

/**
 * A merchant's own catalog, imported from JSON objects or CSV text with the same column names.
 * Every row is validated on its own: good rows are imported, bad rows come back with the row
 * number and one message per bad field. Pure: no I/O.
 */

export const MAX_IMPORT_ROWS = 5000
const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/
const MAX_PRICE_MILLIS = 100_000_000n

export interface RowError {
  field: string
  message: string
}

export interface RejectedRow {
  row: number
  productId: string | null
  errors: RowError[]
}

export interface ImportParse {
  totalRows: number
  accepted: ImportedProduct[]
  rejected: RejectedRow[]
}

export const IMPORT_COLUMNS = [
  'productId',
  'title',
  'price',
  'brand',
  'category',
  'description',
  'imageUrl',
  'productUrl',
  'listPrice',
  'shipping',
  'rating',
  'numReviews',
  'prime',
  'condition',
  'handlingDaysMin',
  'handlingDaysMax',
  'transitDays',
  'available',
] as const

/** Reads CSV text with a header row into records; a malformed file is one error, not a crash. */
export function csvRecords(
  text: string,
): { records: Record<string, string>[] } | { error: string } {
  try {
    const records = parseCsv<Record<string, string>>(text, {
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
      to: MAX_IMPORT_ROWS + 1,
    })
    return { records }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  }
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim()
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

function money(
  value: unknown,
  field: string,
  errors: RowError[],
  options: { required: boolean; min: bigint },
): bigint | undefined {
  const raw = text(value)
  if (raw === undefined) {
    if (options.required) errors.push({ field, message: 'required' })
    return undefined
  }
  if (typeof value !== 'string' && typeof value !== 'number') {
    errors.push({ field, message: 'must be a number' })
    return undefined
  }
  let millis: bigint
  try {
    millis = parseUsdToMillis(raw.replace(/^\$/, ''), 2)
  } catch {
    errors.push({ field, message: 'must be a USD amount with at most two decimals' })
    return undefined
  }
  if (millis < options.min)
    errors.push({ field, message: `must be at least ${options.min === 0n ? '0' : '0.01'}` })
  else if (millis > MAX_PRICE_MILLIS) errors.push({ field, message: 'must be at most 100000' })
  return millis
}

function integer(
  value: unknown,
  field: string,
  errors: RowError[],
  min: number,
  max: number,
  fallback: number,
): number {
  const raw = text(value)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) {
    errors.push({ field, message: `must be a whole number from ${min} to ${max}` })
    return fallback
  }
  const n = Number(raw)
  if (n < min || n > max) errors.push({ field, message: `must be from ${min} to ${max}` })
  return n
}

function boolean(value: unknown, field: string, errors: RowError[], fallback: boolean): boolean {
  if (typeof value === 'boolean') return value
  const raw = text(value)?.toLowerCase()
  if (raw === undefined) return fallback
  if (['true', 'yes', '1', 'y'].includes(raw)) return true
  if (['false', 'no', '0', 'n'].includes(raw)) return false
  errors.push({ field, message: 'must be true or false' })
  return fallback
}

function url(
  value: unknown,
  field: string,
  errors: RowError[],
  allowDataImage: boolean,
): string | null {
  const raw = text(value)
  if (raw === undefined) return null
  if (
    allowDataImage &&
    /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/.test(raw) &&
    raw.length <= 4096
  )
    return raw
  try {
    const parsed = new URL(raw)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme')
  } catch {
    errors.push({
      field,
      message: allowDataImage
        ? 'must be an http(s) URL or a small data:image URI'
        : 'must be an http(s) URL',
    })
    return null
  }
  if (raw.length > 2048) errors.push({ field, message: 'must be at most 2048 characters' })
  return raw
}

function bounded(
  value: unknown,
  field: string,
  errors: RowError[],
  max: number,
  required: boolean,
): string {
  const raw = text(value)
  if (raw === undefined) {
    if (required) errors.push({ field, message: 'required' })
    return ''
  }
  if (raw.length > max) errors.push({ field, message: `must be at most ${max} characters` })
  return raw
}

/** Validates one record into a product, or collects every problem of the row. */
export function parseImportRow(
  record: Record<string, unknown>,
): { product: ImportedProduct } | { errors: RowError[] } {
  const errors: RowError[] = []
  for (const key of Object.keys(record)) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(key))
      errors.push({ field: key, message: 'unknown column' })
  }
  const productId = text(record['productId'])
  if (productId === undefined) errors.push({ field: 'productId', message: 'required' })
  else if (!PRODUCT_ID.test(productId))
    errors.push({
      field: 'productId',
      message: 'must be 1-64 characters of letters, digits, . _ -',
    })
  const title = bounded(record['title'], 'title', errors, 500, true)
  const price = money(record['price'], 'price', errors, { required: true, min: 10n })
  const listPrice = money(record['listPrice'], 'listPrice', errors, { required: false, min: 10n })
  if (price !== undefined && listPrice !== undefined && listPrice < price)
    errors.push({ field: 'listPrice', message: 'must not be below price' })
  const shipping = money(record['shipping'], 'shipping', errors, { required: false, min: 0n }) ?? 0n
  let ratingTenths = 0
  const ratingText = text(record['rating'])
  if (ratingText !== undefined) {
    if (!/^\d(\.\d)?$/.test(ratingText) || Number(ratingText) > 5)
      errors.push({ field: 'rating', message: 'must be from 0 to 5 with at most one decimal' })
    else ratingTenths = Math.round(Number(ratingText) * 10)
  }
  const reviewCount = integer(record['numReviews'], 'numReviews', errors, 0, 100_000_000, 0)
  const condition = text(record['condition']) ?? 'New'
  if (condition !== 'New' && condition !== 'Used' && condition !== 'Refurbished')
    errors.push({ field: 'condition', message: 'must be New, Used or Refurbished' })
  const handlingDaysMin = integer(record['handlingDaysMin'], 'handlingDaysMin', errors, 0, 30, 1)
  const handlingDaysMax = integer(
    record['handlingDaysMax'],
    'handlingDaysMax',
    errors,
    0,
    30,
    Math.max(handlingDaysMin, 2),
  )
  if (handlingDaysMax < handlingDaysMin)
    errors.push({ field: 'handlingDaysMax', message: 'must not be below handlingDaysMin' })
  const transitDays = integer(record['transitDays'], 'transitDays', errors, 0, 30, 3)
  const product: ImportedProduct = {
    productId: productId ?? '',
    title,
    brand: bounded(record['brand'], 'brand', errors, 100, false),
    category: bounded(record['category'], 'category', errors, 100, false),
    description: bounded(record['description'], 'description', errors, 5000, false),
    imageUrl: url(record['imageUrl'], 'imageUrl', errors, true),
    productUrl: url(record['productUrl'], 'productUrl', errors, false),
    priceUsdMillis: price ?? 0n,
    listPriceUsdMillis: listPrice ?? null,
    shippingUsdMillis: shipping,
    ratingTenths,
    reviewCount,
    isPrime: boolean(record['prime'], 'prime', errors, false),
    condition: condition as ImportedProduct['condition'],
    handlingDaysMin,
    handlingDaysMax,
    transitDays,
    isAvailable: boolean(record['available'], 'available', errors, true),
  }
  return errors.length > 0 ? { errors } : { product }
}

/** Validates every record; a productId repeated in one import is rejected after its first row. */
export function parseImport(records: Record<string, unknown>[]): ImportParse {
  const accepted: ImportedProduct[] = []
  const rejected: RejectedRow[] = []
  const seen = new Map<string, number>()
  records.slice(0, MAX_IMPORT_ROWS).forEach((record, index) => {
    const row = index + 1
    const result = parseImportRow(record)
    const productId = text(record['productId']) ?? null
    if ('errors' in result) {
      rejected.push({ row, productId, errors: result.errors })
      return
    }
    const first = seen.get(result.product.productId)
    if (first !== undefined) {
      rejected.push({
        row,
        productId,
        errors: [{ field: 'productId', message: `duplicate of row ${first}` }],
      })
      return
    }
    seen.set(result.product.productId, row)
    accepted.push(result.product)
  })
  return { totalRows: records.length, accepted, rejected }
}
