import { AppError } from '@pepay/core'

/**
 * Double-entry ledger vocabulary (Formance-style postings). A posting moves `amount` of one asset
 * from a source account to a target account, so every transaction balances per asset by
 * construction. Assets carry their scale: `USDC:base/6` (token base units), `EUR/2` (fiat minor
 * units, ISO 4217 exponent). Amounts are bigint and always positive.
 */
export interface Posting {
  source: string
  target: string
  asset: string
  amount: bigint
}

export interface LedgerTransactionInput {
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  /** Why money moved, e.g. `off_ramp.deposit`. */
  kindCode: string
  /** Deterministic idempotency key derived from the cause, e.g. `off_ramp:<id>:deposit:<tx>:<log>`. */
  reference: string
  postings: Posting[]
  metadata?: Record<string, unknown>
  /** When it happened (block time, bank value date); `recordedAt` is when we wrote it. */
  occurredAt: Date
  recordedAt: Date
}

/** Accounts that mirror the outside world or the platform's own positions; everything else is guarded. */
export const ACCOUNT = {
  world: 'world',
  treasury: 'platform:treasury',
  liquidity: 'platform:liquidity',
  fees: 'fees',
  offRampDeposit: (id: string) => `off_ramp:${id}:deposit`,
  offRampPayout: (id: string) => `off_ramp:${id}:payout`,
  onRampFunds: (id: string) => `on_ramp:${id}:funds`,
  onRampDelivery: (id: string) => `on_ramp:${id}:delivery`,
} as const

const ACCOUNT_ADDRESS = /^[a-z_]+(:[a-z0-9_-]+)*$/
const ASSET = /^[A-Z0-9]+(:[a-z0-9-]+)?\/[0-9]+$/
export const MAX_POSTINGS = 32

/** world and platform:* may go negative (they are the other side of every entry); customer accounts may not. */
export function isGuardedAccount(address: string): boolean {
  return address !== ACCOUNT.world && !address.startsWith('platform:')
}

export function tokenAsset(symbol: string, network: string, decimals: number): string {
  return `${symbol.toUpperCase()}:${network}/${decimals}`
}

export function fiatAsset(currency: string, exponent: number): string {
  return `${currency.toUpperCase()}/${exponent}`
}

/** Programmer errors in a posting list: thrown before any SQL runs. */
export function checkPostings(postings: Posting[]): void {
  if (postings.length === 0 || postings.length > MAX_POSTINGS) {
    throw new AppError('LEDGER_INVALID', `a transaction has 1 to ${MAX_POSTINGS} postings, got ${postings.length}`)
  }
  for (const p of postings) {
    if (typeof p.amount !== 'bigint' || p.amount <= 0n) throw new AppError('LEDGER_INVALID', 'posting amounts are positive integers')
    if (p.source === p.target) throw new AppError('LEDGER_INVALID', `posting from ${p.source} to itself`)
    if (!ACCOUNT_ADDRESS.test(p.source) || !ACCOUNT_ADDRESS.test(p.target)) {
      throw new AppError('LEDGER_INVALID', `bad account address ${p.source} → ${p.target}`)
    }
    if (!ASSET.test(p.asset)) throw new AppError('LEDGER_INVALID', `bad asset ${p.asset}`)
  }
}

/** Net balance change per (account, asset): credits to targets minus debits from sources. */
export function netChanges(postings: Posting[]): Map<string, bigint> {
  const net = new Map<string, bigint>()
  for (const p of postings) {
    const from = accountKey(p.source, p.asset)
    const to = accountKey(p.target, p.asset)
    net.set(from, (net.get(from) ?? 0n) - p.amount)
    net.set(to, (net.get(to) ?? 0n) + p.amount)
  }
  return net
}

export function accountKey(address: string, asset: string): string {
  return `${address}|${asset}`
}

/** Sum of net changes per asset; zero for every asset in any list of postings. */
export function sumPerAsset(postings: Posting[]): Map<string, bigint> {
  const sums = new Map<string, bigint>()
  for (const [key, delta] of netChanges(postings)) {
    const asset = key.slice(key.indexOf('|') + 1)
    sums.set(asset, (sums.get(asset) ?? 0n) + delta)
  }
  return sums
}
