import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import type { RampQuoteTable } from '../ramps.table.ts'

export interface RampQuote {
  id: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  customerId: string
  direction: 'off_ramp' | 'on_ramp'
  network: string
  tokenId: number
  tokenSymbol: string
  tokenDecimals: number
  country: string
  rail: string
  currency: string
  currencyExponent: number
  tokenUnits: bigint
  grossFiatMinor: bigint
  feeFiatMinor: bigint
  netFiatMinor: bigint
  usdMillis: bigint
  rateAnswer: bigint
  rateDecimals: number
  rateProvider: string
  fixedBy: 'source' | 'destination'
  expiresAt: Date
  createdAt: Date
}

function toQuote(row: Selectable<RampQuoteTable>): RampQuote {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    customerId: row.customer_id,
    direction: row.direction,
    network: row.network,
    tokenId: row.token_id,
    tokenSymbol: row.token_symbol,
    tokenDecimals: row.token_decimals,
    country: row.country,
    rail: row.rail,
    currency: row.currency,
    currencyExponent: row.currency_exponent,
    tokenUnits: BigInt(row.token_units),
    grossFiatMinor: BigInt(row.gross_fiat_minor),
    feeFiatMinor: BigInt(row.fee_fiat_minor),
    netFiatMinor: BigInt(row.net_fiat_minor),
    usdMillis: BigInt(row.usd_millis),
    rateAnswer: BigInt(row.rate_answer),
    rateDecimals: row.rate_decimals,
    rateProvider: row.rate_provider,
    fixedBy: row.fixed_by,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  }
}

export async function insertQuote(db: Executor, q: RampQuote): Promise<RampQuote> {
  const row = await db
    .insertInto('ramp_quote')
    .values({
      id: q.id,
      merchant_id: q.merchantId.toString(),
      environment: q.environment,
      customer_id: q.customerId,
      direction: q.direction,
      network: q.network,
      token_id: q.tokenId,
      token_symbol: q.tokenSymbol,
      token_decimals: q.tokenDecimals,
      country: q.country,
      rail: q.rail,
      currency: q.currency,
      currency_exponent: q.currencyExponent,
      token_units: q.tokenUnits.toString(),
      gross_fiat_minor: q.grossFiatMinor.toString(),
      fee_fiat_minor: q.feeFiatMinor.toString(),
      net_fiat_minor: q.netFiatMinor.toString(),
      usd_millis: q.usdMillis.toString(),
      rate_answer: q.rateAnswer.toString(),
      rate_decimals: q.rateDecimals,
      rate_provider: q.rateProvider,
      fixed_by: q.fixedBy,
      expires_at: q.expiresAt,
      created_at: q.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toQuote(row)
}

export async function findQuote(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, id: string): Promise<RampQuote | undefined> {
  return (await findQuotes(db, scope, [id])).get(id)
}

/** `findQuote` for many ids in one query (list pages), scoped the same way. */
export async function findQuotes(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, ids: string[]): Promise<Map<string, RampQuote>> {
  if (ids.length === 0) return new Map()
  const rows = await db
    .selectFrom('ramp_quote')
    .selectAll()
    .where('id', 'in', ids)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .execute()
  return new Map(rows.map((row) => [row.id, toQuote(row)]))
}

/** Whether an off- or on-ramp already consumed the quote (each quote is used at most once). */
export async function isQuoteUsed(db: Executor, quoteId: string): Promise<boolean> {
  const off = await db.selectFrom('ramp_off_ramp').select('id').where('quote_id', '=', quoteId).executeTakeFirst()
  if (off) return true
  const on = await db.selectFrom('ramp_on_ramp').select('id').where('quote_id', '=', quoteId).executeTakeFirst()
  return on !== undefined
}

export interface RampToken {
  id: number
  network: string
  symbol: string
  decimals: number
}

/** An active stablecoin of the environment: ramps only move coins priced at par. */
export async function findStablecoin(db: Executor, environment: string, network: string, tokenId: number): Promise<RampToken | undefined> {
  const row = await db
    .selectFrom('token')
    .select(['id', 'network', 'symbol', 'decimals'])
    .where('id', '=', tokenId)
    .where('network', '=', network)
    .where('environment', '=', environment as 'devnet' | 'mainnet')
    .where('is_stable', '=', true)
    .where('is_active', '=', true)
    .executeTakeFirst()
  return row ?? undefined
}
