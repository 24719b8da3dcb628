import { millisToJson, uuidv7 } from '@pepay/core'
import type { CreateRampQuoteBody } from '@pepay/contracts'
import type { Executor } from '../../../db/database.ts'
import type { RequestContext } from '../../../deps.ts'
import { NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { resolveCountryRail } from '../bank-accounts/bank-account.service.ts'
import { currencyExponent, kycLevelRank, requiredKycLevel, type CountrySpec, type RailSpec } from '../countries/country.ts'
import { customerUsage, type RampCustomer } from '../customers/customer.repo.ts'
import { assertCustomerActive, getCustomer, type Scope } from '../customers/customer.service.ts'
import { rampError } from '../ramps.errors.ts'
import type { RampRuntime } from '../ramp-runtime.ts'
import { findQuote, findStablecoin, insertQuote, type RampQuote, type RampToken } from './quote.repo.ts'
import { formatFixed, serializeQuote } from './quote.serialize.ts'
import { checkLimits, computeQuote, type QuoteAmounts } from './ramp-quote.ts'

/** KYC gate: approved, not lapsed, at the level the country and rail need. */
export function assertKycFor(customer: RampCustomer, country: CountrySpec, rail: RailSpec, now: Date): void {
  assertCustomerActive(customer)
  const needed = requiredKycLevel(country, rail)
  const approved = customer.kycStatus === 'approved' && customer.kycLevel !== null && (customer.kycApprovedUntil === null || customer.kycApprovedUntil > now)
  if (!approved || customer.kycLevel === null || kycLevelRank(customer.kycLevel) < kycLevelRank(needed)) {
    throw rampError('KYC_REQUIRED', `customer needs approved KYC at level ${needed} for ${rail.name} in ${country.name} (now: ${customer.kycStatus}${customer.kycLevel ? ` ${customer.kycLevel}` : ''})`, {
      required_level: needed,
      kyc_status: customer.kycStatus,
      kyc_level: customer.kycLevel,
    })
  }
}

/** Payout (off-ramp net) or deposit (on-ramp gross) must sit inside the rail's limits. */
export function assertRailRange(direction: 'off_ramp' | 'on_ramp', amounts: QuoteAmounts, rail: RailSpec, exponent: number): void {
  const fiat = direction === 'off_ramp' ? amounts.netFiatMinor : amounts.grossFiatMinor
  if (amounts.tokenUnits <= 0n || amounts.netFiatMinor <= 0n || fiat < rail.minMinor || fiat > rail.maxMinor) {
    throw rampError(
      'AMOUNT_OUT_OF_RANGE',
      `${rail.name} ${direction === 'off_ramp' ? 'payouts' : 'deposits'} must be between ${formatFixed(rail.minMinor, exponent)} and ${formatFixed(rail.maxMinor, exponent)} ${rail.currency} (got ${formatFixed(fiat, exponent)} after fees)`,
      { min_amount: rail.minMinor.toString(), max_amount: rail.maxMinor.toString(), amount: fiat.toString(), currency: rail.currency },
    )
  }
}

/** The level's rolling limits, against committed usage (call under the customer's row lock for execution). */
export async function assertWithinLimits(db: Executor, customer: RampCustomer, usdMillis: bigint, now: Date): Promise<void> {
  if (customer.kycLevel === null) throw rampError('KYC_REQUIRED', 'customer has no approved KYC level')
  const used = await customerUsage(db, customer.id, now)
  const check = checkLimits(customer.kycLevel, used, usdMillis)
  if (!check.ok) {
    throw rampError('LIMIT_EXCEEDED', `the ${check.window} limit of level ${customer.kycLevel} (${formatFixed(check.limitUsdMillis, 3)} USD) would be exceeded`, {
      window: check.window,
      limit_usd_millis: Number(check.limitUsdMillis),
      used_usd_millis: millisToJson(check.usedUsdMillis),
      requested_usd_millis: millisToJson(usdMillis),
    })
  }
}

export interface PricedFlow {
  amounts: QuoteAmounts
  rate: { answer: bigint; decimals: number; provider: string }
  exponent: number
}

/** Prices a flow at the current rate (quotes and re-quotes share this). */
export async function priceFlow(
  rt: RampRuntime,
  input: { direction: 'off_ramp' | 'on_ramp'; fixedBy: 'source' | 'destination'; amount: bigint; tokenDecimals: number; rail: RailSpec },
): Promise<PricedFlow> {
  const rate = await rt.fx.getRate(input.rail.currency)
  const exponent = currencyExponent(input.rail.currency)
  const amounts = computeQuote({
    direction: input.direction,
    fixedBy: input.fixedBy,
    amount: input.amount,
    tokenDecimals: input.tokenDecimals,
    currencyExponent: exponent,
    rate,
    feeBps: input.rail.feeBps,
    feeFixedMinor: input.rail.feeFixedMinor,
  })
  return { amounts, rate: { answer: rate.answer, decimals: rate.decimals, provider: rate.provider }, exponent }
}

export async function resolveToken(rt: RampRuntime, environment: string, network: string, tokenId: number): Promise<RampToken> {
  const token = await findStablecoin(rt.deps.db, environment, network, tokenId)
  if (!token) {
    throw rampError('UNSUPPORTED_TOKEN', `token ${tokenId} on ${network} is not a stablecoin the ramps serve in ${environment}`, [
      { field: 'token_id', message: 'not a served stablecoin on this network', code: 'UNSUPPORTED_TOKEN' },
    ])
  }
  return token
}

/**
 * Prices an off- or on-ramp. Refuses, before writing anything: unknown customer (404), blocked
 * customer or missing KYC level (403), unsupported country/rail/token, amounts outside the rail's
 * range, and amounts over the KYC level's limits (400).
 */
export async function createQuote(rt: RampRuntime, scope: Scope, body: CreateRampQuoteBody, _ctx: RequestContext, claim: IdempotencyClaim | undefined) {
  const customer = await getCustomer(rt, scope, body.customer_id)
  const { country, rail } = resolveCountryRail(body.country, body.rail)
  const now = rt.deps.clock.now()
  assertKycFor(customer, country, rail, now)
  const token = await resolveToken(rt, scope.environment, body.network, body.token_id)
  const fixedBy = body.source_amount !== undefined ? 'source' : 'destination'
  const amount = BigInt(body.source_amount ?? body.destination_amount ?? '0')
  const priced = await priceFlow(rt, { direction: body.direction, fixedBy, amount, tokenDecimals: token.decimals, rail })
  assertRailRange(body.direction, priced.amounts, rail, priced.exponent)
  await assertWithinLimits(rt.deps.db, customer, priced.amounts.usdMillis, now)
  return rt.deps.db.transaction().execute(async (trx) => {
    const quote = await insertQuote(trx, {
      id: uuidv7(now.getTime()),
      merchantId: scope.merchantId,
      environment: scope.environment,
      customerId: customer.id,
      direction: body.direction,
      network: token.network,
      tokenId: token.id,
      tokenSymbol: token.symbol,
      tokenDecimals: token.decimals,
      country: country.code,
      rail: rail.id,
      currency: rail.currency,
      currencyExponent: priced.exponent,
      ...priced.amounts,
      rateAnswer: priced.rate.answer,
      rateDecimals: priced.rate.decimals,
      rateProvider: priced.rate.provider,
      fixedBy,
      expiresAt: new Date(now.getTime() + rt.settings.quoteTtlSeconds * 1000),
      createdAt: now,
    })
    const wire = serializeQuote(quote)
    await completeIdempotencyKey(trx, claim, 201, wire)
    return wire
  })
}

export async function getQuote(rt: RampRuntime, scope: Scope, id: string): Promise<RampQuote> {
  const quote = await findQuote(rt.deps.db, scope, id)
  if (!quote) throw new NotFoundError('ramp quote')
  return quote
}
