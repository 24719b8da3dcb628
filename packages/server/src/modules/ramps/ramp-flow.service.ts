import { AppError } from '@pepay/core'
import type { Executor } from '../../db/database.ts'
import { NotFoundError } from '../../http/errors.ts'
import { COUNTRIES, RAILS, type RailId, type RailSpec } from './countries/country.ts'
import { lockCustomer } from './customers/customer.repo.ts'
import type { Scope } from './customers/customer.service.ts'
import { postLedgerTransaction } from './ledger/ledger.repo.ts'
import type { Posting } from './ledger/ledger.ts'
import { isQuoteUsed, type RampQuote } from './quotes/quote.repo.ts'
import { assertKycFor, assertRailRange, assertWithinLimits, getQuote, priceFlow, type PricedFlow } from './quotes/quote.service.ts'
import { rampError } from './ramps.errors.ts'
import { withTimeout, type RampRuntime } from './ramp-runtime.ts'

/** What off-ramps and on-ramps share: taking a quote, screening the customer's wallet, re-quoting, posting. */

const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/
const SOLANA_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/

export function assertAddressForNetwork(field: string, network: string, address: string): void {
  const ok = network === 'solana' ? SOLANA_ADDRESS.test(address) : EVM_ADDRESS.test(address)
  if (!ok) {
    throw new AppError('VALIDATION_ERROR', `${field}: not a valid ${network} address`, [{ field, message: `not a valid ${network} address`, code: 'INVALID_ADDRESS' }])
  }
}

/** The customer's wallet for a flow: a valid address on the quote's network, and not sanctioned. */
export async function assertWalletAllowed(rt: RampRuntime, field: string, label: string, network: string, address: string): Promise<void> {
  assertAddressForNetwork(field, network, address)
  const screening = await withTimeout('sanctions screening', rt.settings.providerTimeoutMs, () => rt.screening.screenAddress({ network, address }))
  if (screening.status === 'hit') throw rampError('SANCTIONS_HIT', `${label} is blocked: ${screening.reason ?? 'sanctions screening hit'}`, { screening })
}

/** A quote can start one flow of its direction, before it expires, for its own customer. */
export async function takeQuote(rt: RampRuntime, scope: Scope, quoteId: string, direction: 'off_ramp' | 'on_ramp', now: Date): Promise<RampQuote> {
  const quote = await getQuote(rt, scope, quoteId)
  if (quote.direction !== direction) {
    throw rampError('QUOTE_MISMATCH', `quote is for an ${quote.direction.replace('_', '-')}`, [{ field: 'quote_id', message: `not an ${direction} quote`, code: 'QUOTE_MISMATCH' }])
  }
  if (quote.expiresAt <= now) throw rampError('QUOTE_EXPIRED', 'quote has expired; request a new one', { expired_at: Math.floor(quote.expiresAt.getTime() / 1000) })
  if (await isQuoteUsed(rt.deps.db, quote.id)) throw rampError('QUOTE_ALREADY_USED', 'quote was already used')
  return quote
}

function mapQuoteReuse(error: unknown): unknown {
  const pg = error as { code?: string; constraint?: string; message?: string }
  if (pg.code === '23505' && (pg.constraint?.includes('quote_id') || pg.message?.includes('quote_id'))) return rampError('QUOTE_ALREADY_USED', 'quote was already used')
  return error
}

/**
 * Starts a flow from a taken quote in one transaction: the customer is locked and its KYC and
 * limits re-checked before `create` writes the flow; a quote used concurrently (the unique index
 * on quote_id) answers QUOTE_ALREADY_USED.
 */
export async function createFromQuote<T>(rt: RampRuntime, quote: RampQuote, now: Date, create: (trx: Executor, rail: RailSpec) => Promise<T>): Promise<T> {
  const country = COUNTRIES.get(quote.country)
  const rail = RAILS[quote.rail as RailId]
  if (!country) throw rampError('UNSUPPORTED_COUNTRY', `country ${quote.country} is no longer served`)
  try {
    const result = await rt.deps.db.transaction().execute(async (trx) => {
      const customer = await lockCustomer(trx, quote.customerId)
      if (!customer) throw new NotFoundError('ramp customer')
      assertKycFor(customer, country, rail, now)
      await assertWithinLimits(trx, customer, quote.usdMillis, now)
      return create(trx, rail)
    })
    return result
  } catch (error) {
    throw mapQuoteReuse(error)
  }
}

/**
 * Prices a flow again for the amount that actually arrived, at the current rate, in the caller's
 * transaction: the rail's range, the customer's KYC and the limits re-checked under the customer's
 * lock. Throws the AppError that refuses the new terms.
 */
export async function requote(
  rt: RampRuntime,
  trx: Executor,
  flow: { direction: 'off_ramp' | 'on_ramp'; customerId: string; usdMillis: bigint },
  quote: RampQuote,
  amount: bigint,
  now: Date,
): Promise<PricedFlow> {
  const rail = RAILS[quote.rail as RailId]
  const priced = await priceFlow(rt, { direction: flow.direction, fixedBy: 'source', amount, tokenDecimals: quote.tokenDecimals, rail })
  assertRailRange(flow.direction, priced.amounts, rail, priced.exponent)
  const customer = await lockCustomer(trx, flow.customerId)
  const country = COUNTRIES.get(quote.country)
  if (!customer || !country) throw rampError('KYC_REQUIRED', 'customer or country no longer available')
  assertKycFor(customer, country, rail, now)
  // the flow's own original amount is already in the usage; only the difference is new
  if (priced.amounts.usdMillis > flow.usdMillis) await assertWithinLimits(trx, customer, priced.amounts.usdMillis - flow.usdMillis, now)
  return priced
}

export async function postLedger(trx: Executor, o: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, kindCode: string, reference: string, postings: Posting[], now: Date, occurredAt = now): Promise<void> {
  await postLedgerTransaction(trx, { merchantId: o.merchantId, environment: o.environment, kindCode, reference, postings, occurredAt, recordedAt: now })
}
