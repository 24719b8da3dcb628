import { randomUUID } from 'node:crypto'
import { AppError, uuidv7 } from '@pepay/core'
import type { Executor } from '../../../db/database.ts'
import type { ObservedDeposit, RequestContext } from '../../../deps.ts'
import { NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { appendEvent } from '../../events/event.repo.ts'
import { getBankAccount } from '../bank-accounts/bank-account.service.ts'
import { insertChainSend, listSendsForOwner, listSendsForOwners, type ChainSend } from '../chain-sends/chain-send.repo.ts'
import { RAILS, type RailId } from '../countries/country.ts'
import type { Scope } from '../customers/customer.service.ts'
import { ACCOUNT, fiatAsset, tokenAsset, type Posting } from '../ledger/ledger.ts'
import { findPayoutForOffRamp, findPayoutsForOffRamps, insertPayout } from '../payouts/payout.repo.ts'
import { findQuote, findQuotes, type RampQuote } from '../quotes/quote.repo.ts'
import { assertWalletAllowed, createFromQuote, postLedger, requote, takeQuote } from '../ramp-flow.service.ts'
import type { IdPage } from '../ramp-page.repo.ts'
import { rampEvent } from '../ramps.events.ts'
import { rampError } from '../ramps.errors.ts'
import type { RampRuntime } from '../ramp-runtime.ts'
import { insertDeposit, insertOffRamp, listOffRamps, lockOffRamp, markDepositOrphaned, updateOffRamp, findOffRamp, type OffRamp, type OffRampPatch } from './off-ramp.repo.ts'
import { serializeOffRamp, type OffRampView } from './off-ramp.serialize.ts'
import { decideDeposit, nextOffRampStatus, type OffRampInput } from './off-ramp.state.ts'

/** The on-chain refunds owed or sent for an off-ramp, oldest first. */
async function listRefunds(db: Executor, offRampId: string): Promise<ChainSend[]> {
  return (await listSendsForOwner(db, offRampId)).filter((s) => s.purpose === 'off_ramp_refund')
}

export async function loadOffRampView(db: Executor, offRamp: OffRamp): Promise<OffRampView> {
  const quote = await findQuote(db, offRamp, offRamp.quoteId)
  if (!quote) throw new Error(`off-ramp ${offRamp.id} lost its quote`)
  const payout = await findPayoutForOffRamp(db, offRamp.id)
  const refunds = await listRefunds(db, offRamp.id)
  return { offRamp, quote, payout, refunds }
}

/** Appends ramp.off_ramp.updated with previous attributes, in the caller's transaction. */
export async function emitOffRampUpdated(trx: Executor, before: OffRampView, afterRamp: OffRamp, now: Date, ctx?: RequestContext): Promise<void> {
  const after = await loadOffRampView(trx, afterRamp)
  await appendEvent(
    trx,
    rampEvent({
      type: 'ramp.off_ramp.updated',
      merchantId: afterRamp.merchantId,
      environment: afterRamp.environment,
      customerId: afterRamp.customerId,
      object: serializeOffRamp(after),
      before: serializeOffRamp(before),
      ctx,
    }),
    now,
  )
}

/** Applies a lifecycle input; invalid inputs are programmer errors here (callers check first). */
export async function transitionOffRamp(trx: Executor, offRamp: OffRamp, input: OffRampInput, patch: OffRampPatch, now: Date): Promise<OffRamp | undefined> {
  const transition = nextOffRampStatus(offRamp.status, input)
  if (transition.kind === 'invalid') throw new Error(`off-ramp ${offRamp.id}: ${input} is invalid in ${offRamp.status}`)
  if (transition.kind === 'ignore') return undefined
  const final = transition.next === 'paid' || transition.next === 'failed' || transition.next === 'returned'
  return updateOffRamp(trx, offRamp.id, { ...patch, status: transition.next, ...(final && { completed_at: now }) }, now)
}

function assets(quote: RampQuote, network: string) {
  return { token: tokenAsset(quote.tokenSymbol, network, quote.tokenDecimals), fiat: fiatAsset(quote.currency, quote.currencyExponent) }
}

/** Off-ramp terms become the platform's: stablecoin into treasury, fiat (net + fee) out of liquidity. */
export function conversionPostings(o: OffRamp, quote: RampQuote): Posting[] {
  const a = assets(quote, o.network)
  const postings: Posting[] = [
    { source: ACCOUNT.offRampDeposit(o.id), target: ACCOUNT.treasury, asset: a.token, amount: o.payoutUnits },
    { source: ACCOUNT.liquidity, target: ACCOUNT.offRampPayout(o.id), asset: a.fiat, amount: o.netFiatMinor },
  ]
  if (o.feeFiatMinor > 0n) postings.push({ source: ACCOUNT.liquidity, target: ACCOUNT.fees, asset: a.fiat, amount: o.feeFiatMinor })
  return postings
}

/** The conversion undone (fee waived): fiat back to liquidity, stablecoin back to the off-ramp for its refund. */
export function reversalPostings(o: OffRamp, quote: RampQuote, wasPaid: boolean): Posting[] {
  const a = assets(quote, o.network)
  const postings: Posting[] = []
  if (wasPaid) postings.push({ source: ACCOUNT.world, target: ACCOUNT.offRampPayout(o.id), asset: a.fiat, amount: o.netFiatMinor })
  postings.push({ source: ACCOUNT.offRampPayout(o.id), target: ACCOUNT.liquidity, asset: a.fiat, amount: o.netFiatMinor })
  if (o.feeFiatMinor > 0n) postings.push({ source: ACCOUNT.fees, target: ACCOUNT.liquidity, asset: a.fiat, amount: o.feeFiatMinor })
  postings.push({ source: ACCOUNT.treasury, target: ACCOUNT.offRampDeposit(o.id), asset: a.token, amount: o.payoutUnits })
  return postings
}

/** Owes the customer `amountUnits` back on-chain; the send runs later, outside any transaction. */
export async function scheduleRefund(trx: Executor, o: OffRamp, amountUnits: bigint, reason: string, now: Date): Promise<void> {
  if (amountUnits <= 0n) return
  await insertChainSend(trx, {
    id: uuidv7(now.getTime()),
    merchantId: o.merchantId,
    environment: o.environment,
    purpose: 'off_ramp_refund',
    ownerId: o.id,
    reason,
    network: o.network,
    tokenId: o.tokenId,
    toAddress: o.refundAddress,
    amountUnits,
    createdAt: now,
  })
}

/** Units received but neither converted nor already owed back: what a failure must refund. */
export async function refundableUnits(trx: Executor, o: OffRamp): Promise<bigint> {
  const refunds = await listRefunds(trx, o.id)
  return o.receivedUnits - refunds.reduce((sum, s) => sum + s.amountUnits, 0n)
}

/**
 * Creates an off-ramp from an unexpired off-ramp quote and a bank account of the same customer,
 * rail and country: re-checks KYC and limits under the customer's lock, screens the refund
 * address, and takes a watched deposit address from the chain layer — all in one transaction.
 */
export async function createOffRamp(
  rt: RampRuntime,
  scope: Scope,
  body: { quote_id: string; bank_account_id: string; refund_address: string; metadata?: Record<string, unknown> | undefined },
  ctx: RequestContext,
  claim: IdempotencyClaim | undefined,
) {
  const now = rt.deps.clock.now()
  const quote = await takeQuote(rt, scope, body.quote_id, 'off_ramp', now)
  const bank = await getBankAccount(rt, scope, body.bank_account_id)
  if (bank.customerId !== quote.customerId || bank.rail !== quote.rail || bank.country !== quote.country) {
    throw rampError('QUOTE_MISMATCH', 'bank account must belong to the quote’s customer and match its rail and country', [
      { field: 'bank_account_id', message: 'customer, rail or country differs from the quote', code: 'QUOTE_MISMATCH' },
    ])
  }
  await assertWalletAllowed(rt, 'refund_address', 'refund address', quote.network, body.refund_address)
  const chain = rt.deps.chain
  if (!chain) throw new AppError('SERVICE_UNAVAILABLE', 'the chain layer is not running: no deposit address can be allocated; retry later')
  return createFromQuote(rt, quote, now, async (trx) => {
    const id = uuidv7(now.getTime())
    const address = await chain.allocateDepositAddress(trx, {
      ownerType: 'off_ramp',
      ownerId: id,
      merchantId: scope.merchantId,
      environment: scope.environment,
      network: quote.network,
      tokenId: quote.tokenId,
    })
    const offRamp = await insertOffRamp(trx, {
      id,
      merchantId: scope.merchantId,
      environment: scope.environment,
      customerId: quote.customerId,
      quoteId: quote.id,
      bankAccountId: bank.id,
      status: 'awaiting_deposit',
      network: quote.network,
      tokenId: quote.tokenId,
      depositAddress: address.address,
      depositAddressId: address.id,
      refundAddress: body.refund_address,
      expectedUnits: quote.tokenUnits,
      receivedUnits: 0n,
      payoutUnits: 0n,
      grossFiatMinor: quote.grossFiatMinor,
      feeFiatMinor: quote.feeFiatMinor,
      netFiatMinor: quote.netFiatMinor,
      usdMillis: quote.usdMillis,
      rateAnswer: quote.rateAnswer,
      rateDecimals: quote.rateDecimals,
      isRequoted: false,
      failureCode: null,
      failureMessage: null,
      rateLockedUntil: new Date(now.getTime() + rt.settings.offRampRateLockSeconds * 1000),
      metadata: body.metadata ?? {},
      createdAt: now,
      updatedAt: now,
      completedAt: null,
    })
    const wire = serializeOffRamp({ offRamp, quote, payout: undefined, refunds: [] })
    await appendEvent(trx, rampEvent({ type: 'ramp.off_ramp.created', merchantId: scope.merchantId, environment: scope.environment, customerId: offRamp.customerId, object: wire, ctx }), now)
    await completeIdempotencyKey(trx, claim, 201, wire)
    return wire
  })
}

export async function getOffRampView(rt: RampRuntime, scope: Scope, id: string): Promise<OffRampView> {
  const offRamp = await findOffRamp(rt.deps.db, scope, id)
  if (!offRamp) throw new NotFoundError('off-ramp')
  return loadOffRampView(rt.deps.db, offRamp)
}

export async function listOffRampViews(
  rt: RampRuntime,
  filter: Scope & { customerId?: string | undefined; statuses?: string[] | undefined },
  page: IdPage,
) {
  const { items, hasMore } = await listOffRamps(rt.deps.db, filter, page)
  // the page's quotes, payouts and refunds in three queries, not three per off-ramp
  const ids = items.map((o) => o.id)
  const [quotes, payouts, sends] = [
    await findQuotes(rt.deps.db, filter, items.map((o) => o.quoteId)),
    await findPayoutsForOffRamps(rt.deps.db, ids),
    await listSendsForOwners(rt.deps.db, ids),
  ]
  const views: OffRampView[] = items.map((offRamp) => {
    const quote = quotes.get(offRamp.quoteId)
    if (!quote) throw new Error(`off-ramp ${offRamp.id} lost its quote`)
    const refunds = (sends.get(offRamp.id) ?? []).filter((s) => s.purpose === 'off_ramp_refund')
    return { offRamp, quote, payout: payouts.get(offRamp.id), refunds }
  })
  return { views, hasMore }
}

/**
 * A confirmed (or orphaned) transfer to an off-ramp's deposit address, inside the chain watcher's
 * transaction: recorded once, posted to the ledger, and turned into a payout intent, a re-quote
 * or a refund. Nothing here calls out: the payout and any refund are rows their workers pick up.
 */
export async function handleOffRampDeposit(rt: RampRuntime, trx: Executor, deposit: ObservedDeposit): Promise<void> {
  const now = rt.deps.clock.now()
  if (deposit.status === 'orphaned') {
    const orphaned = await markDepositOrphaned(trx, { network: deposit.network, environment: deposit.environment, txHash: deposit.txHash, logIndex: deposit.logIndex })
    // a reorg under a credited deposit needs an operator: say so loudly, never silently re-credit
    if (orphaned) rt.deps.log.error({ offRampId: deposit.ownerId, txHash: deposit.txHash }, 'off-ramp deposit orphaned by a reorg after it was credited')
    return
  }
  const before = await lockOffRamp(trx, deposit.ownerId)
  if (!before) {
    rt.deps.log.error({ ownerId: deposit.ownerId, txHash: deposit.txHash }, 'deposit to an unknown off-ramp')
    return
  }
  const beforeView = await loadOffRampView(trx, before)
  const quote = beforeView.quote
  const decision = decideDeposit({ status: before.status, expectedUnits: before.expectedUnits, amountUnits: deposit.amountUnits, now, rateLockedUntil: before.rateLockedUntil })
  const inserted = await insertDeposit(trx, {
    id: randomUUID(),
    offRampId: before.id,
    merchantId: before.merchantId,
    environment: before.environment,
    network: deposit.network,
    txHash: deposit.txHash,
    logIndex: deposit.logIndex,
    fromAddress: deposit.fromAddress,
    amountUnits: deposit.amountUnits,
    status: 'confirmed',
    disposition: decision.kind === 'refund_all' ? 'refund' : 'payout',
    refundUnits: decision.kind === 'refund_all' ? deposit.amountUnits : decision.kind === 'match_refund_excess' ? decision.excessUnits : 0n,
    observedAt: now,
  })
  if (!inserted) return // already credited: the watcher's exactly-once, enforced here too
  const a = assets(quote, before.network)
  await postLedger(trx, before, 'off_ramp.deposit', `off_ramp:${before.id}:deposit:${deposit.network}:${deposit.txHash}:${deposit.logIndex}`, [
    { source: ACCOUNT.world, target: ACCOUNT.offRampDeposit(before.id), asset: a.token, amount: deposit.amountUnits },
  ], now, deposit.at)
  let current = await updateOffRamp(trx, before.id, { received_units: before.receivedUnits + deposit.amountUnits }, now)

  if (decision.kind === 'refund_all') {
    await scheduleRefund(trx, current, deposit.amountUnits, 'deposit_after_funding', now)
    await emitOffRampUpdated(trx, beforeView, current, now)
    return
  }

  let payoutUnits = before.expectedUnits
  if (decision.kind === 'match_refund_excess') {
    await scheduleRefund(trx, current, decision.excessUnits, 'over_deposit', now)
  } else if (decision.kind === 'requote') {
    try {
      const priced = await requote(rt, trx, { direction: 'off_ramp', customerId: before.customerId, usdMillis: before.usdMillis }, quote, deposit.amountUnits, now)
      payoutUnits = deposit.amountUnits
      current = await updateOffRamp(trx, before.id, {
        gross_fiat_minor: priced.amounts.grossFiatMinor,
        fee_fiat_minor: priced.amounts.feeFiatMinor,
        net_fiat_minor: priced.amounts.netFiatMinor,
        usd_millis: priced.amounts.usdMillis,
        rate_answer: priced.rate.answer,
        rate_decimals: priced.rate.decimals,
        is_requoted: true,
      }, now)
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      // the deposit cannot be paid out on any terms we may offer: all of it goes back on-chain
      const failed = await transitionOffRamp(trx, current, 'deposit_rejected', { failure_code: error.code, failure_message: `re-quote of the ${decision.reason} deposit refused: ${error.message}` }, now)
      current = failed ?? current
      await scheduleRefund(trx, current, deposit.amountUnits, `requote_refused:${error.code}`, now)
      await emitOffRampUpdated(trx, beforeView, current, now)
      return
    }
  }
  current = await updateOffRamp(trx, before.id, { payout_units: payoutUnits }, now)
  const funded = await transitionOffRamp(trx, current, 'deposit_matched', {}, now)
  current = funded ?? current
  await postLedger(trx, current, 'off_ramp.conversion', `off_ramp:${current.id}:conversion`, conversionPostings(current, quote), now)
  const rail = RAILS[quote.rail as RailId]
  await insertPayout(trx, {
    id: uuidv7(now.getTime()),
    offRampId: current.id,
    merchantId: current.merchantId,
    environment: current.environment,
    rail: rail.id,
    provider: rt.payouts.id,
    currency: rail.currency,
    amountMinor: current.netFiatMinor,
    status: 'pending',
    nextAttemptAt: now,
    deadlineAt: new Date(now.getTime() + rail.deadlineSeconds * 1000),
    createdAt: now,
  })
  await emitOffRampUpdated(trx, beforeView, current, now)
}
