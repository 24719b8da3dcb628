import { millisToJson } from '@pepay/core'
import type { OffRamp as WireOffRamp, OnRamp as WireOnRamp } from '@pepay/contracts'
import type { z } from 'zod'
import type { ChainSend } from '../chain-sends/chain-send.repo.ts'
import type { OnRamp } from '../on-ramp/on-ramp.repo.ts'
import type { Payout } from '../payouts/payout.repo.ts'
import type { RampQuote } from '../quotes/quote.repo.ts'
import { fiatAmount, tokenAmount } from '../quotes/quote.serialize.ts'
import { epochSeconds } from '../ramp-runtime.ts'
import type { OffRamp } from './off-ramp.repo.ts'

type Rail = z.infer<typeof WireOffRamp>['payout']['rail']

export interface OffRampView {
  offRamp: OffRamp
  quote: RampQuote
  payout: Payout | undefined
  refunds: ChainSend[]
}

const seconds = (d: Date | null | undefined) => (d ? epochSeconds(d) : null)

function refundSummary(address: string, refunds: ChainSend[]) {
  const amount = refunds.reduce((sum, r) => sum + r.amountUnits, 0n)
  return {
    address,
    status: refunds.length === 0 ? ('none' as const) : refunds.every((r) => r.status === 'sent') ? ('sent' as const) : ('pending' as const),
    amount: amount.toString(),
    tx_hashes: refunds.flatMap((r) => (r.txHash ? [r.txHash] : [])),
  }
}

export function serializeOffRamp(view: OffRampView): z.infer<typeof WireOffRamp> {
  const { offRamp: o, quote: q, payout } = view
  const fiat = (minor: bigint) => fiatAmount(q.currency, q.currencyExponent, minor)
  const token = (units: bigint) => tokenAmount(q.tokenSymbol, q.tokenDecimals, units)
  return {
    object: 'ramp_off_ramp',
    id: o.id,
    customer_id: o.customerId,
    quote_id: o.quoteId,
    bank_account_id: o.bankAccountId,
    status: o.status,
    token: { network: o.network, token_id: o.tokenId, symbol: q.tokenSymbol, decimals: q.tokenDecimals },
    deposit: {
      address: o.depositAddress,
      network: o.network,
      expected: token(o.expectedUnits),
      received: token(o.receivedUnits),
      rate_locked_until: epochSeconds(o.rateLockedUntil),
    },
    payout: {
      rail: q.rail as Rail,
      gross: fiat(o.grossFiatMinor),
      fee: fiat(o.feeFiatMinor),
      amount: fiat(o.netFiatMinor),
      status: payout?.status ?? null,
      submitted_at: seconds(payout?.submittedAt),
      settled_at: seconds(payout?.settledAt),
    },
    refund: refundSummary(o.refundAddress, view.refunds),
    usd_millis: millisToJson(o.usdMillis),
    is_requoted: o.isRequoted,
    failure: o.failureCode ? { code: o.failureCode, message: o.failureMessage ?? o.failureCode } : null,
    environment: o.environment,
    metadata: o.metadata,
    created_at: epochSeconds(o.createdAt),
    updated_at: epochSeconds(o.updatedAt),
    completed_at: seconds(o.completedAt),
  }
}

export interface OnRampView {
  onRamp: OnRamp
  quote: RampQuote
}

export function serializeOnRamp(view: OnRampView): z.infer<typeof WireOnRamp> {
  const { onRamp: o, quote: q } = view
  const fiat = (minor: bigint) => fiatAmount(q.currency, q.currencyExponent, minor)
  return {
    object: 'ramp_on_ramp',
    id: o.id,
    customer_id: o.customerId,
    quote_id: o.quoteId,
    status: o.status,
    token: { network: o.network, token_id: o.tokenId, symbol: q.tokenSymbol, decimals: q.tokenDecimals },
    destination_address: o.destinationAddress,
    deposit_instructions: { rail: q.rail as Rail, reference: o.reference, amount: fiat(o.expectedFiatMinor), account: o.instructions },
    received: fiat(o.receivedFiatMinor),
    fee: fiat(o.feeFiatMinor),
    delivery: { amount: tokenAmount(q.tokenSymbol, q.tokenDecimals, o.tokenUnits), tx_hash: o.txHash },
    usd_millis: millisToJson(o.usdMillis),
    is_requoted: o.isRequoted,
    failure: o.failureCode ? { code: o.failureCode, message: o.failureMessage ?? o.failureCode } : null,
    rate_locked_until: epochSeconds(o.rateLockedUntil),
    environment: o.environment,
    metadata: o.metadata,
    created_at: epochSeconds(o.createdAt),
    updated_at: epochSeconds(o.updatedAt),
    completed_at: seconds(o.completedAt),
  }
}
