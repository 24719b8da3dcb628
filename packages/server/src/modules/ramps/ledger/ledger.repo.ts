import { AppError } from '@pepay/core'
import { sql } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { pageById } from '../ramp-page.repo.ts'
import { accountKey, checkPostings, isGuardedAccount, netChanges, type LedgerTransactionInput } from './ledger.ts'

export interface PostedTransaction {
  id: bigint
  /** False when the reference was already posted (an idempotent replay moved nothing). */
  created: boolean
}

/**
 * Posts one balanced transaction in the caller's database transaction: accounts are created on
 * first use and locked in a fixed order (sorted by address and asset, so two transfers never
 * deadlock on each other), then the transaction, its postings and the balance changes are
 * written in one statement. The reference is unique: posting it again changes nothing. A guarded
 * account that would go negative fails the whole statement with INSUFFICIENT_FUNDS.
 */
export async function postLedgerTransaction(db: Executor, input: LedgerTransactionInput): Promise<PostedTransaction> {
  const [posted] = await postLedgerBatch(db, [input])
  if (!posted) throw new Error('ledger batch returned nothing')
  return posted
}

/**
 * Posts several transactions of one merchant and environment in the caller's database
 * transaction, TigerBeetle-style: the union of their accounts is locked once, in key order, so
 * concurrent batches never deadlock; then each transaction is one statement. All or nothing.
 */
export async function postLedgerBatch(db: Executor, inputs: LedgerTransactionInput[]): Promise<PostedTransaction[]> {
  const first = inputs[0]
  if (!first) return []
  const keys = new Set<string>()
  const references = new Set<string>()
  for (const input of inputs) {
    if (references.has(input.reference)) throw new AppError('LEDGER_INVALID', `reference ${input.reference} appears twice in one batch`)
    references.add(input.reference)
    if (input.merchantId !== first.merchantId || input.environment !== first.environment) throw new Error('a ledger batch belongs to one merchant and environment')
    checkPostings(input.postings)
    for (const key of netChanges(input.postings).keys()) keys.add(key)
  }
  const ids = await lockAccounts(db, first, [...keys].sort())
  return insertTransactions(db, inputs, ids)
}

/**
 * Inserts the transactions and their postings and applies the balance changes in one statement.
 * Balances change by the postings actually inserted, so a reference already posted (a replay)
 * moves nothing. Each account row is updated once with its net change; a guarded account whose
 * result would be negative fails the statement (and the caller's transaction) on its CHECK.
 */
async function insertTransactions(db: Executor, inputs: LedgerTransactionInput[], ids: Map<string, string>): Promise<PostedTransaction[]> {
  const first = inputs[0]
  if (!first) return []
  const txRows = inputs.map(
    (input, ord) =>
      sql`(${ord}::int, ${input.reference}, ${input.kindCode}, ${JSON.stringify(input.metadata ?? {})}::jsonb, ${input.occurredAt}::timestamptz, ${input.recordedAt}::timestamptz)`,
  )
  const postingRows = inputs.flatMap((input) =>
    input.postings.map(
      (p) => sql`(${input.reference}, ${ids.get(accountKey(p.source, p.asset))}::bigint, ${ids.get(accountKey(p.target, p.asset))}::bigint, ${p.asset}, ${p.amount.toString()}::numeric)`,
    ),
  )
  let rows: { id: string; reference: string }[]
  try {
    const result = await sql<{ id: string; reference: string }>`
      WITH input (ord, reference, kind_code, metadata, occurred_at, recorded_at) AS (VALUES ${sql.join(txRows)}),
      tx AS (
        INSERT INTO ledger_transaction (merchant_id, environment, kind_code, reference, metadata, occurred_at, recorded_at)
        SELECT ${first.merchantId.toString()}::bigint, ${first.environment}, kind_code, reference, metadata, occurred_at, recorded_at
        FROM input ORDER BY ord
        ON CONFLICT (reference) DO NOTHING
        RETURNING id, reference
      ), p (reference, source, target, asset, amount) AS (VALUES ${sql.join(postingRows)}),
      posted AS (
        INSERT INTO ledger_posting (transaction_id, source_account_id, target_account_id, asset, amount)
        SELECT tx.id, p.source, p.target, p.asset, p.amount FROM p JOIN tx ON tx.reference = p.reference
        RETURNING source_account_id, target_account_id, amount
      ), delta AS (
        SELECT account_id, sum(change) AS change FROM (
          SELECT target_account_id AS account_id, amount AS change FROM posted
          UNION ALL
          SELECT source_account_id, -amount FROM posted
        ) changes GROUP BY account_id HAVING sum(change) <> 0
      ), moved AS (
        UPDATE ledger_account a SET balance = a.balance + delta.change, updated_at = ${first.recordedAt}
        FROM delta WHERE a.id = delta.account_id
        RETURNING a.id
      )
      SELECT tx.id::text AS id, tx.reference FROM tx WHERE (SELECT count(*) FROM moved) >= 0`.execute(db)
    rows = result.rows
  } catch (error) {
    throw mapLedgerError(error)
  }
  const created = new Map(rows.map((r) => [r.reference, BigInt(r.id)]))
  const missing = inputs.filter((i) => !created.has(i.reference)).map((i) => i.reference)
  const existing = new Map<string, bigint>()
  if (missing.length > 0) {
    const found = await db.selectFrom('ledger_transaction').select(['id', 'reference']).where('reference', 'in', missing).execute()
    for (const f of found) existing.set(f.reference, BigInt(f.id))
  }
  return inputs.map((input) => {
    const id = created.get(input.reference)
    if (id !== undefined) return { id, created: true }
    const old = existing.get(input.reference)
    if (old === undefined) throw new Error(`ledger transaction ${input.reference} neither inserted nor found`)
    return { id: old, created: false }
  })
}

/** Creates missing accounts and locks all of them, in key order, in one statement. */
async function lockAccounts(db: Executor, input: Pick<LedgerTransactionInput, 'merchantId' | 'environment' | 'recordedAt'>, keys: string[]): Promise<Map<string, string>> {
  const rows = keys.map((key) => {
    const separator = key.indexOf('|')
    const address = key.slice(0, separator)
    const asset = key.slice(separator + 1)
    return sql`(${input.merchantId.toString()}::bigint, ${input.environment}, ${address}, ${asset}, ${isGuardedAccount(address)}, ${input.recordedAt}::timestamptz, ${input.recordedAt}::timestamptz)`
  })
  // DO UPDATE (not DO NOTHING) so existing rows come back with their ids and stay locked until commit
  const result = await sql<{ id: string; address: string; asset: string }>`
    INSERT INTO ledger_account (merchant_id, environment, address, asset, is_non_negative, created_at, updated_at)
    VALUES ${sql.join(rows)}
    ON CONFLICT (merchant_id, environment, address, asset) DO UPDATE SET updated_at = excluded.updated_at
    RETURNING id, address, asset`.execute(db)
  const ids = new Map<string, string>()
  for (const row of result.rows) ids.set(accountKey(row.address, row.asset), row.id)
  if (ids.size !== keys.length) throw new AppError('INTERNAL_SERVER_ERROR', 'ledger account resolution lost a row')
  return ids
}

export function mapLedgerError(error: unknown): unknown {
  const pgError = error as { code?: string; constraint?: string; message?: string }
  if (pgError.code === '23514' && (pgError.constraint === 'ledger_account_non_negative' || pgError.message?.includes('ledger_account_non_negative'))) {
    return new AppError('INSUFFICIENT_FUNDS', 'the transaction would overdraw a guarded ledger account')
  }
  return error
}

export interface LedgerAccountBalance {
  address: string
  asset: string
  isNonNegative: boolean
  balance: bigint
}

export async function listAccountBalances(db: Executor, merchantId: bigint, environment: 'devnet' | 'mainnet'): Promise<LedgerAccountBalance[]> {
  const rows = await db
    .selectFrom('ledger_account')
    .select(['address', 'asset', 'is_non_negative', 'balance'])
    .where('merchant_id', '=', merchantId.toString())
    .where('environment', '=', environment)
    .orderBy('address')
    .orderBy('asset')
    .execute()
  return rows.map((r) => ({ address: r.address, asset: r.asset, isNonNegative: r.is_non_negative, balance: BigInt(r.balance) }))
}

/** Balances summed by account kind (`off_ramp:<id>:deposit` → `off_ramp:deposit`) and asset. */
export async function balancesByKind(
  db: Executor,
  merchantId: bigint,
  environment: 'devnet' | 'mainnet',
): Promise<{ kind: string; asset: string; balance: bigint; accounts: number }[]> {
  const rows = await sql<{ kind: string; asset: string; balance: string; accounts: string }>`
    SELECT regexp_replace(address, ':[0-9a-f-]{36}', '') AS kind, asset, sum(balance)::text AS balance, count(*)::text AS accounts
    FROM ledger_account
    WHERE merchant_id = ${merchantId.toString()}::bigint AND environment = ${environment}
    GROUP BY 1, 2
    ORDER BY 1, 2`.execute(db)
  return rows.rows.map((r) => ({ kind: r.kind, asset: r.asset, balance: BigInt(r.balance), accounts: Number(r.accounts) }))
}

export interface LedgerEntry {
  id: bigint
  kindCode: string
  reference: string
  metadata: Record<string, unknown>
  occurredAt: Date
  recordedAt: Date
  postings: { source: string; target: string; asset: string; amount: bigint }[]
}

/** Newest first by id; `startingAfter` pages to older entries, `endingBefore` to newer ones. */
export async function listLedgerEntries(
  db: Executor,
  filter: { merchantId: bigint; environment: 'devnet' | 'mainnet'; reference?: string | undefined; kindCode?: string | undefined },
  page: { limit: number; startingAfter?: bigint | undefined; endingBefore?: bigint | undefined },
): Promise<{ entries: LedgerEntry[]; hasMore: boolean }> {
  let query = db
    .selectFrom('ledger_transaction')
    .selectAll()
    .where('merchant_id', '=', filter.merchantId.toString())
    .where('environment', '=', filter.environment)
  if (filter.reference !== undefined) query = query.where('reference', 'like', `${filter.reference.replace(/[\\%_]/g, '\\$&')}%`)
  if (filter.kindCode !== undefined) query = query.where('kind_code', '=', filter.kindCode)
  const { rows, hasMore } = await pageById(query, { limit: page.limit, startingAfter: page.startingAfter?.toString(), endingBefore: page.endingBefore?.toString() })
  if (rows.length === 0) return { entries: [], hasMore }
  const postings = await sql<{ transaction_id: string; source: string; target: string; asset: string; amount: string }>`
    SELECT p.transaction_id, s.address AS source, t.address AS target, p.asset, p.amount
    FROM ledger_posting p
    JOIN ledger_account s ON s.id = p.source_account_id
    JOIN ledger_account t ON t.id = p.target_account_id
    WHERE p.transaction_id IN (${sql.join(rows.map((r) => sql`${r.id}::bigint`))})
    ORDER BY p.id`.execute(db)
  const byTx = new Map<string, LedgerEntry['postings']>()
  for (const p of postings.rows) {
    const list = byTx.get(p.transaction_id) ?? []
    list.push({ source: p.source, target: p.target, asset: p.asset, amount: BigInt(p.amount) })
    byTx.set(p.transaction_id, list)
  }
  return {
    hasMore,
    entries: rows.map((r) => ({
      id: BigInt(r.id),
      kindCode: r.kind_code,
      reference: r.reference,
      metadata: r.metadata,
      occurredAt: r.occurred_at,
      recordedAt: r.recorded_at,
      postings: byTx.get(r.id) ?? [],
    })),
  }
}

export async function ledgerTransactionExists(db: Executor, merchantId: bigint, id: bigint): Promise<boolean> {
  const row = await db
    .selectFrom('ledger_transaction')
    .select('id')
    .where('id', '=', id.toString())
    .where('merchant_id', '=', merchantId.toString())
    .executeTakeFirst()
  return row !== undefined
}

/** Invariant checks for tests and operators: every posting sums per asset and stored balances match postings. */
export async function ledgerInvariants(db: Executor): Promise<{
  assetSums: { asset: string; sum: bigint }[]
  balanceMismatches: number
  negativeGuarded: number
}> {
  const sums = await sql<{ asset: string; sum: string }>`
    SELECT asset, sum(balance)::text AS sum FROM ledger_account GROUP BY asset ORDER BY asset`.execute(db)
  const mismatches = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM ledger_account a
    LEFT JOIN (
      SELECT account_id, sum(delta) AS delta FROM (
        SELECT target_account_id AS account_id, amount AS delta FROM ledger_posting
        UNION ALL
        SELECT source_account_id, -amount FROM ledger_posting
      ) x GROUP BY account_id
    ) m ON m.account_id = a.id
    WHERE a.balance <> coalesce(m.delta, 0)`.execute(db)
  const negative = await sql<{ n: string }>`
    SELECT count(*)::text AS n FROM ledger_account WHERE is_non_negative AND balance < 0`.execute(db)
  return {
    assetSums: sums.rows.map((r) => ({ asset: r.asset, sum: BigInt(r.sum) })),
    balanceMismatches: Number(mismatches.rows[0]?.n ?? 0),
    negativeGuarded: Number(negative.rows[0]?.n ?? 0),
  }
}
