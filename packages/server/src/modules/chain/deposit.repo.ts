import { sql } from 'kysely'
import type { Executor } from '../../db/database.ts'

export interface DepositAddressRecord {
  id: string
  ownerType: string
  ownerId: string
  invoiceId: string | null
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  network: string
  chainKind: 'evm' | 'solana'
  derivationIndex: number
  address: string
  tokenId: number
  createdBlock: bigint | null
  createdAt: Date
}

type Row = {
  id: string
  owner_type: string
  owner_id: string
  invoice_id: string | null
  merchant_id: string
  environment: 'devnet' | 'mainnet'
  network: string
  chain_kind: 'evm' | 'solana'
  derivation_index: number
  address: string
  token_id: number
  created_block: string | null
  created_at: Date
}

function toRecord(row: Row): DepositAddressRecord {
  return {
    id: row.id,
    ownerType: row.owner_type,
    ownerId: row.owner_id,
    invoiceId: row.invoice_id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    network: row.network,
    chainKind: row.chain_kind,
    derivationIndex: row.derivation_index,
    address: row.address,
    tokenId: row.token_id,
    createdBlock: row.created_block === null ? null : BigInt(row.created_block),
    createdAt: row.created_at,
  }
}

export async function findDepositAddress(
  db: Executor,
  ownerType: string,
  ownerId: string,
  network: string,
): Promise<DepositAddressRecord | undefined> {
  const row = await db
    .selectFrom('deposit_address')
    .selectAll()
    .where('owner_type', '=', ownerType)
    .where('owner_id', '=', ownerId)
    .where('network', '=', network)
    .executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function findDepositByAddress(
  db: Executor,
  environment: string,
  network: string,
  address: string,
): Promise<DepositAddressRecord | undefined> {
  const row = await db
    .selectFrom('deposit_address')
    .selectAll()
    .where('environment', '=', environment as 'devnet')
    .where('network', '=', network)
    .where('address', '=', address)
    .executeTakeFirst()
  return row ? toRecord(row) : undefined
}

export async function findDepositById(db: Executor, id: string): Promise<DepositAddressRecord | undefined> {
  const row = await db.selectFrom('deposit_address').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toRecord(row) : undefined
}

/** The next derivation index for a chain kind; sequences never hand out the same value twice. */
export async function nextDerivationIndex(db: Executor, kind: 'evm' | 'solana'): Promise<number> {
  const sequence = kind === 'evm' ? 'deposit_index_evm' : 'deposit_index_solana'
  const result = await sql<{ n: string }>`SELECT nextval(${sequence}) - 1 AS n`.execute(db)
  return Number(result.rows[0]?.n ?? 0)
}

export async function insertDepositAddress(db: Executor, record: Omit<DepositAddressRecord, 'createdAt'> & { createdAt: Date }): Promise<DepositAddressRecord> {
  const row = await db
    .insertInto('deposit_address')
    .values({
      id: record.id,
      owner_type: record.ownerType,
      owner_id: record.ownerId,
      invoice_id: record.invoiceId,
      merchant_id: record.merchantId.toString(),
      environment: record.environment,
      network: record.network,
      chain_kind: record.chainKind,
      derivation_index: record.derivationIndex,
      address: record.address,
      token_id: record.tokenId,
      created_block: record.createdBlock,
      created_at: record.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toRecord(row)
}

export async function updateDepositToken(db: Executor, id: string, tokenId: number): Promise<void> {
  await db.updateTable('deposit_address').set({ token_id: tokenId }).where('id', '=', id).execute()
}

/** Watched addresses of a network created after `afterCreatedAt` (incremental cache refresh). */
export async function listDepositAddressesSince(
  db: Executor,
  environment: string,
  network: string,
  after: { createdAt: Date; id: string } | undefined,
  limit: number,
): Promise<DepositAddressRecord[]> {
  let query = db
    .selectFrom('deposit_address')
    .selectAll()
    .where('environment', '=', environment as 'devnet')
    .where('network', '=', network)
  // a row-value comparison is an index range (deposit_address_watch), not a filter over every row
  if (after) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.createdAt, after.id)))
  const rows = await query.orderBy('created_at').orderBy('id').limit(limit).execute()
  return rows.map(toRecord)
}

export async function latestQuote(db: Executor, invoiceId: string, network: string, tokenId: number) {
  const row = await db
    .selectFrom('payment_quote')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .where('network', '=', network)
    .where('token_id', '=', tokenId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row
    ? {
        usdMillis: BigInt(row.usd_millis),
        tokenAmount: BigInt(row.token_amount),
        priceAnswer: BigInt(row.price_answer),
        priceDecimals: row.price_decimals,
        validUntil: row.valid_until,
        createdAt: row.created_at,
      }
    : undefined
}

/**
 * The rate of the newest quote of each (invoice, network, token) asked for, in one query; keyed
 * `invoice:network:token` (the watcher values hundreds of transfers per block with it).
 */
export async function latestQuotes(
  db: Executor,
  keys: { invoiceId: string; network: string; tokenId: number }[],
): Promise<Map<string, { usdMillis: bigint; tokenAmount: bigint }>> {
  const result = new Map<string, { usdMillis: bigint; tokenAmount: bigint }>()
  if (keys.length === 0) return result
  const unique = [...new Map(keys.map((k) => [`${k.invoiceId}:${k.network}:${k.tokenId}`, k])).values()]
  // one index probe per key (payment_quote_invoice), newest first
  const rows = await sql<{ invoice_id: string; network: string; token_id: number; usd_millis: string; token_amount: string }>`
    SELECT k.invoice_id, k.network, k.token_id, q.usd_millis, q.token_amount
    FROM unnest(${unique.map((k) => k.invoiceId)}::uuid[], ${unique.map((k) => k.network)}::text[], ${unique.map((k) => k.tokenId)}::int[]) AS k(invoice_id, network, token_id)
    CROSS JOIN LATERAL (
      SELECT usd_millis, token_amount FROM payment_quote
      WHERE invoice_id = k.invoice_id AND network = k.network AND token_id = k.token_id
      ORDER BY created_at DESC LIMIT 1
    ) q`.execute(db)
  for (const row of rows.rows) {
    result.set(`${row.invoice_id}:${row.network}:${row.token_id}`, { usdMillis: BigInt(row.usd_millis), tokenAmount: BigInt(row.token_amount) })
  }
  return result
}

export async function insertQuote(
  db: Executor,
  quote: {
    id: string
    invoiceId: string
    network: string
    tokenId: number
    usdMillis: bigint
    tokenAmount: bigint
    priceAnswer: bigint
    priceDecimals: number
    priceProvider: string
    createdAt: Date
    validUntil: Date
  },
): Promise<void> {
  await db
    .insertInto('payment_quote')
    .values({
      id: quote.id,
      invoice_id: quote.invoiceId,
      network: quote.network,
      token_id: quote.tokenId,
      usd_millis: quote.usdMillis.toString(),
      token_amount: quote.tokenAmount.toString(),
      price_answer: quote.priceAnswer.toString(),
      price_decimals: quote.priceDecimals,
      price_provider: quote.priceProvider,
      created_at: quote.createdAt,
      valid_until: quote.validUntil,
    })
    .execute()
}
