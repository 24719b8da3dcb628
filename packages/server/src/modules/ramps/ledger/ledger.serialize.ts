import type { LedgerEntry as WireEntry, RampBalances } from '@pepay/contracts'
import type { z } from 'zod'
import { formatFixed } from '../quotes/quote.serialize.ts'
import { epochSeconds } from '../ramp-runtime.ts'
import type { LedgerEntry } from './ledger.repo.ts'

/** Scale of an asset from its notation: `USDC:base/6` → 6. */
export function assetScale(asset: string): number {
  return Number(asset.slice(asset.lastIndexOf('/') + 1))
}

export function serializeBalances(environment: 'devnet' | 'mainnet', rows: { kind: string; asset: string; balance: bigint; accounts: number }[]): z.infer<typeof RampBalances> {
  return {
    object: 'ramp_balances',
    environment,
    balances: rows.map((r) => ({ account: r.kind, asset: r.asset, amount: r.balance.toString(), amount_decimal: formatFixed(r.balance, assetScale(r.asset)), accounts: r.accounts })),
  }
}

export function serializeLedgerEntry(e: LedgerEntry): z.infer<typeof WireEntry> {
  return {
    object: 'ledger_entry',
    id: e.id.toString(),
    kind: e.kindCode,
    reference: e.reference,
    postings: e.postings.map((p) => ({ source: p.source, target: p.target, asset: p.asset, amount: p.amount.toString() })),
    metadata: e.metadata,
    occurred_at: epochSeconds(e.occurredAt),
    recorded_at: epochSeconds(e.recordedAt),
  }
}
