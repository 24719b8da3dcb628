import { createHash, randomUUID } from 'node:crypto'
import { AppError, uuidv7 } from '@pepay/core'
import { clabe } from 'clabe-validator'
import { composeIBAN } from 'ibantools'
import type { Executor } from '../../../db/database.ts'
import type { RequestContext } from '../../../deps.ts'
import { NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { appendEvent } from '../../events/event.repo.ts'
import { insertChainSend } from '../chain-sends/chain-send.repo.ts'
import type { RailId } from '../countries/country.ts'
import type { Scope } from '../customers/customer.service.ts'
import { ACCOUNT, fiatAsset, tokenAsset, type Posting } from '../ledger/ledger.ts'
import { serializeOnRamp, type OnRampView } from '../off-ramp/off-ramp.serialize.ts'
import { findQuote, findQuotes, type RampQuote } from '../quotes/quote.repo.ts'
import { assertWalletAllowed, createFromQuote, postLedger, requote, takeQuote } from '../ramp-flow.service.ts'
import type { IdPage } from '../ramp-page.repo.ts'
import { rampEvent } from '../ramps.events.ts'
import { rampError } from '../ramps.errors.ts'
import type { RampRuntime } from '../ramp-runtime.ts'
import { findOnRamp, insertOnRamp, listOnRamps, lockOnRamp, updateOnRamp, type OnRamp, type OnRampPatch } from './on-ramp.repo.ts'
import { nextOnRampStatus, type OnRampInput } from './on-ramp.state.ts'

const REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A short payment reference (Crockford base32) the customer quotes on their bank transfer. */
function newReference(): string {
  const bytes = createHash('sha256').update(randomUUID()).digest()
  let text = 'PPY'
  for (let i = 0; i < 10; i += 1) text += REFERENCE_ALPHABET.charAt((bytes[i] ?? 0) % 32)
  return text
}

function digitsFrom(seed: string, count: number): string {
  const hex = createHash('sha256').update(seed).digest('hex')
  let digits = ''
  for (const c of hex) {
    digits += (parseInt(c, 16) % 10).toString()
    if (digits.length === count) break
  }
  return digits
}

/**
 * Sandbox collection accounts per rail: valid-format account details of the platform's sandbox
 * bank (a production deployment takes these from its banking partner's virtual accounts).
 */
export function depositInstructions(rail: RailId, onRampId: string): Record<string, string> {
  const beneficiary = { beneficiary_name: 'Pepay Sandbox Collections', bank_name: 'Pepay Sandbox Bank' }
  switch (rail) {
    case 'sepa':
    case 'sepa_instant':
      return { ...beneficiary, iban: composeIBAN({ countryCode: 'DE', bban: `10010010${digitsFrom(onRampId, 10)}` }) ?? '', bic: 'PEPYDEB1XXX' }
    case 'sic':
      return { ...beneficiary, iban: composeIBAN({ countryCode: 'CH', bban: `00762${digitsFrom(onRampId, 12)}` }) ?? '', bic: 'PEPYCHZZXXX' }
    case 'elixir':
      return { ...beneficiary, iban: composeIBAN({ countryCode: 'PL', bban: `10901014${digitsFrom(onRampId, 16)}` }) ?? '', bic: 'PEPYPLPWXXX' }
    case 'ach':
    case 'fedwire':
      // 110000000 passes the ABA check digit and is a well-known test routing number
      return { ...beneficiary, routing_number: '110000000', account_number: digitsFrom(onRampId, 12), account_type: 'checking' }
    case 'faster_payments':
      return { ...beneficiary, sort_code: '040004', account_number: digitsFrom(onRampId, 8) }
    case 'pix':
      return { ...beneficiary, pix_key: randomUUID() }
    case 'spei':
      return { ...beneficiary, clabe: clabe.calculate(646, 180, Number(digitsFrom(onRampId, 11))) }
    case 'zengin':
      return { ...beneficiary, bank_code: '0001', branch_code: '001', account_number: digitsFrom(onRampId, 7), account_type: 'ordinary' }
  }
}

export async function loadOnRampView(db: Executor, onRamp: OnRamp): Promise<OnRampView> {
  const quote = await findQuote(db, onRamp, onRamp.quoteId)
  if (!quote) throw new Error(`on-ramp ${onRamp.id} lost its quote`)
  return { onRamp, quote }
}

export async function transitionOnRamp(trx: Executor, onRamp: OnRamp, input: OnRampInput, patch: OnRampPatch, now: Date): Promise<OnRamp | undefined> {
  const t = nextOnRampStatus(onRamp.status, input)
  if (t.kind === 'invalid') throw rampError('INVALID_STATE', `on-ramp is ${onRamp.status}: ${input.replace('_', ' ')} is not possible`)
  if (t.kind === 'ignore') return undefined
  const final = t.next === 'completed' || t.next === 'failed'
  return updateOnRamp(trx, onRamp.id, { ...patch, status: t.next, ...(final && { completed_at: now }) }, now)
}

export async function emitOnRampUpdated(trx: Executor, before: OnRampView, after: OnRamp, now: Date, ctx?: RequestContext): Promise<void> {
  const view = { onRamp: after, quote: before.quote }
  await appendEvent(
    trx,
    rampEvent({
      type: 'ramp.on_ramp.updated',
      merchantId: after.merchantId,
      environment: after.environment,
      customerId: after.customerId,
      object: serializeOnRamp(view),
      before: serializeOnRamp(before),
      ctx,
    }),
    now,
  )
}

/** Creates an on-ramp from an unexpired on-ramp quote: KYC and limits re-checked, wallet screened. */
export async function createOnRamp(
  rt: RampRuntime,
  scope: Scope,
  body: { quote_id: string; destination_address: string; metadata?: Record<string, unknown> | undefined },
  ctx: RequestContext,
  claim: IdempotencyClaim | undefined,
) {
  const now = rt.deps.clock.now()
  const quote = await takeQuote(rt, scope, body.quote_id, 'on_ramp', now)
  await assertWalletAllowed(rt, 'destination_address', 'destination wallet', quote.network, body.destination_address)
  return createFromQuote(rt, quote, now, async (trx, rail) => {
    const id = uuidv7(now.getTime())
    const onRamp = await insertOnRamp(trx, {
      id,
      merchantId: scope.merchantId,
      environment: scope.environment,
      customerId: quote.customerId,
      quoteId: quote.id,
      status: 'awaiting_funds',
      network: quote.network,
      tokenId: quote.tokenId,
      destinationAddress: body.destination_address,
      rail: rail.id,
      currency: rail.currency,
      reference: newReference(),
      instructions: depositInstructions(rail.id, id),
      expectedFiatMinor: quote.grossFiatMinor,
      feeFiatMinor: quote.feeFiatMinor,
      tokenUnits: quote.tokenUnits,
      usdMillis: quote.usdMillis,
      rateAnswer: quote.rateAnswer,
      rateDecimals: quote.rateDecimals,
      rateLockedUntil: new Date(now.getTime() + rt.settings.onRampRateLockSeconds * 1000),
      metadata: body.metadata ?? {},
      createdAt: now,
      updatedAt: now,
    })
    const wire = serializeOnRamp({ onRamp, quote })
    await appendEvent(trx, rampEvent({ type: 'ramp.on_ramp.created', merchantId: scope.merchantId, environment: scope.environment, customerId: onRamp.customerId, object: wire, ctx }), now)
    await completeIdempotencyKey(trx, claim, 201, wire)
    return wire
  })
}

export async function getOnRampView(rt: RampRuntime, scope: Scope, id: string): Promise<OnRampView> {
  const onRamp = await findOnRamp(rt.deps.db, scope, id)
  if (!onRamp) throw new NotFoundError('on-ramp')
  return loadOnRampView(rt.deps.db, onRamp)
}

export async function listOnRampViews(
  rt: RampRuntime,
  filter: Scope & { customerId?: string | undefined; statuses?: string[] | undefined },
  page: IdPage,
) {
  const { items, hasMore } = await listOnRamps(rt.deps.db, filter, page)
  // the page's quotes in one query, not one per on-ramp
  const quotes = await findQuotes(rt.deps.db, filter, items.map((o) => o.quoteId))
  const views: OnRampView[] = items.map((onRamp) => {
    const quote = quotes.get(onRamp.quoteId)
    if (!quote) throw new Error(`on-ramp ${onRamp.id} lost its quote`)
    return { onRamp, quote }
  })
  return { views, hasMore }
}

function conversionPostings(o: OnRamp, quote: RampQuote): Posting[] {
  const fiat = fiatAsset(quote.currency, quote.currencyExponent)
  const postings: Posting[] = [
    { source: ACCOUNT.onRampFunds(o.id), target: ACCOUNT.liquidity, asset: fiat, amount: o.receivedFiatMinor - o.feeFiatMinor },
    { source: ACCOUNT.treasury, target: ACCOUNT.onRampDelivery(o.id), asset: tokenAsset(quote.tokenSymbol, o.network, quote.tokenDecimals), amount: o.tokenUnits },
  ]
  if (o.feeFiatMinor > 0n) postings.push({ source: ACCOUNT.onRampFunds(o.id), target: ACCOUNT.fees, asset: fiat, amount: o.feeFiatMinor })
  return postings
}

/**
 * Fiat arrived for an on-ramp (the devnet route simulates the bank's notification). The exact
 * amount in time converts as quoted; another amount, or a late one, is re-quoted at the current
 * rate; fiat that cannot be converted on any terms is returned to the sender. Then the stablecoin
 * delivery is persisted for the send worker.
 */
export async function receiveOnRampFunds(rt: RampRuntime, scope: Scope, id: string, amountMinor: bigint | undefined, ctx: RequestContext) {
  const result = await rt.deps.db.transaction().execute(async (trx) => {
    const now = rt.deps.clock.now()
    const before = await lockOnRamp(trx, id)
    if (!before || before.merchantId !== scope.merchantId || before.environment !== scope.environment) throw new NotFoundError('on-ramp')
    if (before.status !== 'awaiting_funds') throw rampError('INVALID_STATE', `on-ramp is ${before.status}; funds were already received`)
    const view = await loadOnRampView(trx, before)
    const quote = view.quote
    const received = amountMinor ?? before.expectedFiatMinor
    const fiat = fiatAsset(quote.currency, quote.currencyExponent)
    await postLedger(trx, before, 'on_ramp.funds', `on_ramp:${id}:funds`, [{ source: ACCOUNT.world, target: ACCOUNT.onRampFunds(id), asset: fiat, amount: received }], now)
    let current = await updateOnRamp(trx, id, { received_fiat_minor: received }, now)
    if (received !== before.expectedFiatMinor || now > before.rateLockedUntil) {
      try {
        const priced = await requote(rt, trx, { direction: 'on_ramp', customerId: before.customerId, usdMillis: before.usdMillis }, quote, received, now)
        current = await updateOnRamp(trx, id, {
          fee_fiat_minor: priced.amounts.feeFiatMinor,
          token_units: priced.amounts.tokenUnits,
          usd_millis: priced.amounts.usdMillis,
          rate_answer: priced.rate.answer,
          rate_decimals: priced.rate.decimals,
          is_requoted: true,
        }, now)
      } catch (error) {
        if (!(error instanceof AppError)) throw error
        await postLedger(trx, current, 'on_ramp.funds_returned', `on_ramp:${id}:funds_returned`, [{ source: ACCOUNT.onRampFunds(id), target: ACCOUNT.world, asset: fiat, amount: received }], now)
        const failed = await transitionOnRamp(trx, current, 'funds_rejected', { failure_code: error.code, failure_message: `funds returned to the sender: ${error.message}` }, now)
        if (failed) await emitOnRampUpdated(trx, view, failed, now, ctx)
        return failed ?? current
      }
    }
    const funded = (await transitionOnRamp(trx, current, 'funds_received', {}, now)) ?? current
    await postLedger(trx, funded, 'on_ramp.conversion', `on_ramp:${id}:conversion`, conversionPostings(funded, quote), now)
    await insertChainSend(trx, {
      id: uuidv7(now.getTime()),
      merchantId: funded.merchantId,
      environment: funded.environment,
      purpose: 'on_ramp_delivery',
      ownerId: funded.id,
      reason: 'delivery',
      network: funded.network,
      tokenId: funded.tokenId,
      toAddress: funded.destinationAddress,
      amountUnits: funded.tokenUnits,
      createdAt: now,
    })
    await emitOnRampUpdated(trx, view, funded, now, ctx)
    return funded
  })
  return loadOnRampView(rt.deps.db, result)
}
