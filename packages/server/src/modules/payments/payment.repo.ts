import type { PaymentRowStatus, SettlementRowStatus } from '../../db/schema.ts'
import { sql } from 'kysely'
import { compiledOnce, type Executor } from '../../db/database.ts'
import { pgArray } from '../../db/pg-array.ts'
import { appendEventsFrom } from '../events/event.repo.ts'

/** A detected on-chain transfer, with the token it was made in. */
export interface InvoicePaymentRecord {
  id: string
  invoiceId: string | null
  merchantId: bigint | null
  environment: 'devnet' | 'mainnet'
  network: string
  depositAddressId: string | null
  tokenId: number | null
  tokenSymbol: string | null
  tokenAddress: string | null
  tokenDecimals: number
  txHash: string
  logIndex: number
  blockNumber: bigint
  blockHash: string
  fromAddress: string | null
  toAddress: string
  amountUnits: bigint
  usdMillis: bigint
  creditedUsdMillis: bigint
  status: PaymentRowStatus
  confirmations: number
  confirmationsRequired: number
  isLate: boolean
  isUnmatched: boolean
  settlementStatus: SettlementRowStatus
  settlementTxHash: string | null
  settlementDestination: string | null
  settlementAttempts: number
  settlementNextAttemptAt: Date | null
  detectedAt: Date
  confirmedAt: Date | null
  settledAt: Date | null
}

export function paymentSelect(db: Executor) {
  return db
    .selectFrom('invoice_payment as p')
    .leftJoin('token as t', 't.id', 'p.token_id')
    .selectAll('p')
    .select(['t.symbol as token_symbol', 't.address as token_address', 't.decimals as token_decimals'])
}

type Row = Awaited<ReturnType<ReturnType<typeof paymentSelect>['executeTakeFirstOrThrow']>>

export function toPaymentRecord(row: Row): InvoicePaymentRecord {
  return {
    id: row.id,
    invoiceId: row.invoice_id,
    merchantId: row.merchant_id === null ? null : BigInt(row.merchant_id),
    environment: row.environment,
    network: row.network,
    depositAddressId: row.deposit_address_id,
    tokenId: row.token_id,
    tokenSymbol: row.token_symbol,
    tokenAddress: row.token_address,
    tokenDecimals: row.token_decimals ?? 0,
    txHash: row.tx_hash,
    logIndex: row.log_index,
    blockNumber: BigInt(row.block_number),
    blockHash: row.block_hash,
    fromAddress: row.from_address,
    toAddress: row.to_address,
    amountUnits: BigInt(row.amount_units),
    usdMillis: BigInt(row.usd_millis),
    creditedUsdMillis: BigInt(row.credited_usd_millis),
    status: row.status,
    confirmations: row.confirmations,
    confirmationsRequired: row.confirmations_required,
    isLate: row.is_late,
    isUnmatched: row.is_unmatched,
    settlementStatus: row.settlement_status,
    settlementTxHash: row.settlement_tx_hash,
    settlementDestination: row.settlement_destination,
    settlementAttempts: row.settlement_attempts,
    settlementNextAttemptAt: row.settlement_next_attempt_at,
    detectedAt: row.detected_at,
    confirmedAt: row.confirmed_at,
    settledAt: row.settled_at,
  }
}

/** Payments of several invoices, newest first, at most `limitPerInvoice` each. */
export async function listPaymentsForInvoices(
  db: Executor,
  invoiceIds: string[],
  limitPerInvoice: number,
): Promise<Map<string, InvoicePaymentRecord[]>> {
  const result = new Map<string, InvoicePaymentRecord[]>()
  if (invoiceIds.length === 0) return result
  const rows = await paymentSelect(db)
    .where('p.invoice_id', 'in', invoiceIds)
    .orderBy('p.detected_at', 'desc')
    .orderBy('p.id', 'desc')
    .execute()
  for (const row of rows) {
    const record = toPaymentRecord(row)
    const key = record.invoiceId ?? ''
    const list = result.get(key) ?? []
    if (list.length < limitPerInvoice) list.push(record)
    result.set(key, list)
  }
  return result
}

export interface NewPayment {
  id: string
  invoiceId: string | null
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  network: string
  depositAddressId: string
  tokenId: number
  txHash: string
  logIndex: number
  blockNumber: bigint
  blockHash: string
  fromAddress: string
  toAddress: string
  amountUnits: bigint
  usdMillis: bigint
  confirmations: number
  confirmationsRequired: number
  isUnmatched: boolean
  detectedAt: Date
}

/**
 * Records a detected transfer once: the unique (network, environment, tx_hash, log_index) key
 * makes a second sighting a no-op, except that a transfer orphaned by a reorg and mined again
 * comes back to `pending` in its new block. Returns the row when it was inserted or revived.
 */
export async function recordPayment(
  db: Executor,
  p: NewPayment,
): Promise<{ record: InvoicePaymentRecord; revived: boolean } | undefined> {
  const row = await db
    .insertInto('invoice_payment')
    .values({
      id: p.id,
      invoice_id: p.invoiceId,
      merchant_id: p.merchantId.toString(),
      environment: p.environment,
      network: p.network,
      deposit_address_id: p.depositAddressId,
      token_id: p.tokenId,
      tx_hash: p.txHash,
      log_index: p.logIndex,
      block_number: p.blockNumber.toString(),
      block_hash: p.blockHash,
      from_address: p.fromAddress,
      to_address: p.toAddress,
      amount_units: p.amountUnits.toString(),
      usd_millis: p.usdMillis.toString(),
      status: 'pending',
      confirmations: p.confirmations,
      confirmations_required: p.confirmationsRequired,
      is_unmatched: p.isUnmatched,
      detected_at: p.detectedAt,
      updated_at: p.detectedAt,
    })
    .onConflict((oc) =>
      oc
        .columns(['network', 'environment', 'tx_hash', 'log_index'])
        .doUpdateSet({
          status: 'pending',
          block_number: p.blockNumber.toString(),
          block_hash: p.blockHash,
          confirmations: p.confirmations,
          updated_at: p.detectedAt,
        })
        .where('invoice_payment.status', '=', 'orphaned'),
    )
    .returning(['id', 'detected_at'])
    .executeTakeFirst()
  if (!row) return undefined
  const record = await findPayment(db, row.id)
  if (!record) return undefined
  return { record, revived: row.id !== p.id }
}

/** What a payment event says about its invoice. */
export interface PaymentInvoiceContext {
  invoiceType: 'standard' | 'commerce'
  customerId: string | null
  commerceOrderId: string | null
  payerWalletAddress: string | null
  payerWalletNetwork: string | null
}

/** A transfer to record, and whether it gets an `invoice_payment.created` event. */
export interface PaymentToRecord {
  /**
   * The row; `isUnmatched: null` leaves it to the statement: unmatched unless the invoice holds a
   * quote for the payment's network and token (a stablecoin needs no rate, only that the payer was
   * quoted for it).
   */
  payment: Omit<NewPayment, 'isUnmatched'> & { isUnmatched: boolean | null }
  /** False when the deposit's owner gets no payment events (only invoices do). */
  emitsEvent: boolean
}

type RecordColumn = [name: string, type: string, pick: (p: PaymentToRecord) => string | number | bigint | boolean | null]

/** What `recordPayments` binds, column by column: one array each, unnested as `u` in the statement. */
const RECORD_COLUMNS: RecordColumn[] = [
  ['id', 'uuid', ({ payment }) => payment.id],
  ['invoice_id', 'uuid', ({ payment }) => payment.invoiceId],
  ['merchant_id', 'bigint', ({ payment }) => payment.merchantId],
  ['environment', 'text', ({ payment }) => payment.environment],
  ['deposit_address_id', 'uuid', ({ payment }) => payment.depositAddressId],
  ['token_id', 'int', ({ payment }) => payment.tokenId],
  ['tx_hash', 'text', ({ payment }) => payment.txHash],
  ['log_index', 'int', ({ payment }) => payment.logIndex],
  ['block_number', 'bigint', ({ payment }) => payment.blockNumber],
  ['block_hash', 'text', ({ payment }) => payment.blockHash],
  ['from_address', 'text', ({ payment }) => payment.fromAddress],
  ['to_address', 'text', ({ payment }) => payment.toAddress],
  ['amount_units', 'numeric', ({ payment }) => payment.amountUnits],
  ['usd_millis', 'bigint', ({ payment }) => payment.usdMillis],
  ['confirmations', 'int', ({ payment }) => payment.confirmations],
  ['confirmations_required', 'int', ({ payment }) => payment.confirmationsRequired],
  ['is_unmatched', 'boolean', ({ payment }) => payment.isUnmatched],
  ['emit', 'boolean', ({ emitsEvent }) => emitsEvent],
]

/**
 * The statement of `recordPayments`, compiled once and prepared once per connection: a watcher
 * sends it for every few hundred transfers, and parsing and planning it anew cost about 4 µs per
 * transfer. Its generic plan (which takes each array for ten elements) is the plan a batch of
 * hundreds gets anyway: a primary-key probe per row.
 */
const recordStatement = compiledOnce(
  'pepay_payment_record',
  (network: string, detectedAt: Date, networkJson: string, pendingTail: string, now: Date, nowMs: string, ...arrays: string[]) => {
    // the events' input: rows inserted by this statement (a revived row keeps its old id), unless
    // one was revived. `data` is serializePayment of the row as inserted (a pending row with the
    // table's defaults): amount_usd the exact decimal (parses to the same number as
    // millisToUsdNumber), the decimal texts as formatUnits and formatUsdMillis write them
    const input = sql`
      SELECT f.merchant_id, f.environment, 'invoice_payment.created'::text AS type, coalesce(i.invoice_type = 'commerce', false) AS is_commerce,
             f.invoice_id, i.invoice_type, i.customer_id, i.commerce_order_id AS order_id,
             coalesce(i.payer_wallet_address, f.from_address) AS wallet_address, coalesce(i.payer_wallet_network, ${network}::text) AS wallet_network,
             -- written out as text (json_build_object looks up every argument's type output on every row)
             '{"object":{"object":"invoice_payment","id":"' || f.id::text || '","invoice_id":"' || coalesce(f.invoice_id::text, '')
               || '","merchant_id":' || coalesce(f.merchant_id::text, 'null') || ',"status":"pending","environment":"' || f.environment
               || '","network":' || ${networkJson}::text || ',"token_id":' || f.token_id::text
               || ',"token_symbol":' || coalesce(to_json(t.symbol)::text, 'null') || ',"token_address":' || coalesce(to_json(t.address)::text, 'null')
               || ',"token_decimals":' || coalesce(t.decimals, 0)::text || ',"token_amount":"' || f.amount_units::text
               || '","token_amount_decimal":"' || trim_scale(f.amount_units * ('1e-' || coalesce(t.decimals, 0))::numeric)::text
               || '","amount_usd":' || trim_scale(f.usd_millis::numeric / 1000)::text || ',"amount":' || f.usd_millis::text
               || ',"amount_decimal":"' || round(f.usd_millis::numeric / 1000, 3)::text || '","amount_unit":"usd_millis"'
               -- what the chain reported goes through the JSON encoder
               || ',"tx_hash":' || to_json(f.tx_hash)::text || ',"log_index":' || f.log_index::text
               || ',"block_number":"' || f.block_number::text || '","from_address":' || to_json(f.from_address)::text
               || ',"to_address":' || to_json(f.to_address)::text || ',"confirmations":' || f.confirmations::text
               || ',"confirmations_required":' || f.confirmations_required::text || ',"is_late":false,"is_unmatched":' || f.is_unmatched::text
               || ${pendingTail}::text AS data,
             NULL::json AS request, f.ord
      FROM fresh f
      -- one primary-key probe per row: as a plain join, a batch of 1,000 estimated at 2,500 rows
      -- made the planner hash the whole invoice table (27 ms of a 77 ms statement at 100,000
      -- invoices); LIMIT keeps the subquery from being flattened back into that join
      LEFT JOIN LATERAL (
        SELECT i.invoice_type, i.customer_id, i.commerce_order_id, i.payer_wallet_address, i.payer_wallet_network
        FROM invoice i WHERE i.id = f.invoice_id LIMIT 1
      ) i ON true
      LEFT JOIN token t ON t.id = f.token_id
      WHERE f.emit AND NOT (SELECT revived FROM outcome)`
    return sql<{ recorded: string; events: string; without_events: string[] | null }>`
      WITH u AS (
        SELECT u.id, u.invoice_id, u.merchant_id, u.environment, u.deposit_address_id, u.token_id, u.tx_hash, u.log_index,
               u.block_number, u.block_hash, u.from_address, u.to_address, u.amount_units, u.usd_millis, u.confirmations,
               u.confirmations_required,
               -- a probe of payment_quote_invoice per row that asks (an anti-join would scan every quote)
               coalesce(u.is_unmatched, (SELECT false FROM payment_quote q
                                         WHERE q.invoice_id = u.invoice_id AND q.network = ${network}::text AND q.token_id = u.token_id LIMIT 1), true) AS is_unmatched,
               u.emit, u.ord
        FROM unnest(${sql.join(RECORD_COLUMNS.map(([, type], i) => sql`${arrays[i]}::${sql.raw(type)}[]`))})
          WITH ORDINALITY AS u(${sql.join(RECORD_COLUMNS.map(([name]) => sql.ref(name)))}, ord)
      ),
      ins AS (
        INSERT INTO invoice_payment (id, invoice_id, merchant_id, environment, network, deposit_address_id, token_id, tx_hash,
                                     log_index, block_number, block_hash, from_address, to_address, amount_units, usd_millis,
                                     status, confirmations, confirmations_required, is_unmatched, detected_at, updated_at)
        SELECT u.id, u.invoice_id, u.merchant_id, u.environment, ${network}, u.deposit_address_id, u.token_id, u.tx_hash,
               u.log_index, u.block_number, u.block_hash, u.from_address, u.to_address, u.amount_units, u.usd_millis,
               'pending', u.confirmations, u.confirmations_required, u.is_unmatched, ${detectedAt}::timestamptz, ${detectedAt}::timestamptz
        FROM u
        ON CONFLICT (network, environment, tx_hash, log_index) DO UPDATE
          SET status = 'pending', block_number = excluded.block_number, block_hash = excluded.block_hash,
              confirmations = excluded.confirmations, updated_at = excluded.updated_at
          WHERE invoice_payment.status = 'orphaned'
        RETURNING id
      ),
      fresh AS MATERIALIZED (SELECT u.* FROM ins JOIN u ON u.id = ins.id),
      outcome AS MATERIALIZED (SELECT (SELECT count(*) FROM ins) AS recorded, (SELECT count(*) FROM ins) > (SELECT count(*) FROM fresh) AS revived),
      ${appendEventsFrom(input, now, nowMs)}
      SELECT o.recorded, (SELECT count(*) FROM ev) AS events, (SELECT count(*) FROM n) AS notified,
             CASE WHEN o.revived THEN (SELECT array_agg(ins.id::text) FROM ins) END AS without_events
      FROM outcome o`
  },
)

/**
 * `recordPayment` for many transfers, with their `invoice_payment.created` events, in one
 * statement (the watcher's hot path): the same unique key and the same revival of an orphaned
 * row. Each event's data is built in the statement from the row as inserted: `serializePayment`
 * of a pending row (payment.serialize.ts; the two must change together), the token's fields read
 * from `token`; each carries its invoice's fields (read in the statement). Events follow the
 * order of `payments`. One (tx_hash, log_index) may appear only once in `payments`; all share one
 * network and detection time. Columns travel as one array literal each (`pgArray`).
 *
 * When a transfer orphaned by a reorg comes back (rare), its event needs the stored row: the
 * statement then writes no event at all and returns the ids of every row it inserted or revived,
 * for the caller to append their events (`findPaymentsWithInvoice`), still in chain order.
 */
export async function recordPayments(
  db: Executor,
  payments: PaymentToRecord[],
  now: Date,
): Promise<{ recorded: number; eventsWritten: number; withoutEvents: string[] | null }> {
  const [first] = payments
  if (!first) return { recorded: 0, eventsWritten: 0, withoutEvents: null }
  const { network, detectedAt } = first.payment
  for (const { payment } of payments) {
    if (payment.network !== network || payment.detectedAt.getTime() !== detectedAt.getTime())
      throw new Error('recordPayments: one network and one detection time per call')
    // the event's `amount` is a JSON number (millisToJson)
    if (payment.usdMillis > MAX_SAFE_MILLIS || payment.usdMillis < -MAX_SAFE_MILLIS) throw new Error('usd_millis beyond 2^53')
  }
  const arrays = RECORD_COLUMNS.map(([, , pick]) => pgArray(payments.map(pick)))
  const detectedSeconds = Math.floor(detectedAt.getTime() / 1000)
  // the end of every created event's document: what a pending payment's settlement and times say
  const pendingTail = JSON.stringify({
    settlement_status: 'pending',
    settlement: { summary_status: 'pending', stage: 'pending', merchant_settlement_id: null, settlement_tx_hash: null, network, status: 'pending', destination_address: null },
    detected_at: detectedSeconds,
    confirmed_at: null,
    created_at: detectedSeconds,
  }).replace(/^\{/, ',') + '}'
  const result = await recordStatement(db, network, detectedAt, JSON.stringify(network), pendingTail, now, String(now.getTime()), ...arrays)
  const row = result.rows[0]
  if (!row) throw new Error('payment insert returned no row')
  return { recorded: Number(row.recorded), eventsWritten: Number(row.events), withoutEvents: row.without_events }
}

const MAX_SAFE_MILLIS = BigInt(Number.MAX_SAFE_INTEGER)

/** Payments by id, each with the invoice fields its events carry. */
export async function findPaymentsWithInvoice(
  db: Executor,
  ids: string[],
): Promise<{ record: InvoicePaymentRecord; invoice: PaymentInvoiceContext | undefined }[]> {
  if (ids.length === 0) return []
  const rows = await paymentSelect(db)
    .leftJoin('invoice as i', 'i.id', 'p.invoice_id')
    .select([
      'i.invoice_type as i_invoice_type',
      'i.customer_id as i_customer_id',
      'i.commerce_order_id as i_commerce_order_id',
      'i.payer_wallet_address as i_payer_wallet_address',
      'i.payer_wallet_network as i_payer_wallet_network',
    ])
    .where('p.id', 'in', ids)
    .execute()
  return rows.map(({ i_invoice_type, i_customer_id, i_commerce_order_id, i_payer_wallet_address, i_payer_wallet_network, ...row }) => ({
    record: toPaymentRecord(row),
    invoice:
      i_invoice_type === null
        ? undefined
        : { invoiceType: i_invoice_type, customerId: i_customer_id, commerceOrderId: i_commerce_order_id, payerWalletAddress: i_payer_wallet_address, payerWalletNetwork: i_payer_wallet_network },
  }))
}

export async function findPayment(db: Executor, id: string): Promise<InvoicePaymentRecord | undefined> {
  const row = await paymentSelect(db).where('p.id', '=', id).executeTakeFirst()
  return row ? toPaymentRecord(row) : undefined
}

export async function lockPayment(db: Executor, id: string): Promise<InvoicePaymentRecord | undefined> {
  await db.selectFrom('invoice_payment').select('id').where('id', '=', id).forUpdate().executeTakeFirst()
  return findPayment(db, id)
}

export async function updatePayment(
  db: Executor,
  id: string,
  patch: Partial<{
    status: InvoicePaymentRecord['status']
    confirmations: number
    creditedUsdMillis: bigint
    isLate: boolean
    confirmedAt: Date | null
    settlementStatus: InvoicePaymentRecord['settlementStatus']
    settlementTxHash: string | null
    settlementDestination: string | null
    settlementNextAttemptAt: Date | null
    settlementAttempts: number
    settlementError: string | null
    settlementRawTx: string | null
    settledAt: Date | null
  }>,
  now: Date,
): Promise<void> {
  await db
    .updateTable('invoice_payment')
    .set({
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.confirmations !== undefined && { confirmations: patch.confirmations }),
      ...(patch.creditedUsdMillis !== undefined && { credited_usd_millis: patch.creditedUsdMillis.toString() }),
      ...(patch.isLate !== undefined && { is_late: patch.isLate }),
      ...(patch.confirmedAt !== undefined && { confirmed_at: patch.confirmedAt }),
      ...(patch.settlementStatus !== undefined && { settlement_status: patch.settlementStatus }),
      ...(patch.settlementTxHash !== undefined && { settlement_tx_hash: patch.settlementTxHash }),
      ...(patch.settlementDestination !== undefined && { settlement_destination: patch.settlementDestination }),
      ...(patch.settlementNextAttemptAt !== undefined && { settlement_next_attempt_at: patch.settlementNextAttemptAt }),
      ...(patch.settlementAttempts !== undefined && { settlement_attempts: patch.settlementAttempts }),
      ...(patch.settlementError !== undefined && { settlement_error: patch.settlementError }),
      ...(patch.settlementRawTx !== undefined && { settlement_raw_tx: patch.settlementRawTx }),
      ...(patch.settledAt !== undefined && { settled_at: patch.settledAt }),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute()
}

/** Open payments of a network (awaiting confirmations), oldest block first; only above `aboveBlock` when given. */
export async function listOpenPayments(db: Executor, environment: string, network: string, limit: number, aboveBlock?: bigint): Promise<InvoicePaymentRecord[]> {
  let query = paymentSelect(db)
    .where('p.environment', '=', environment as 'devnet')
    .where('p.network', '=', network)
    .where('p.status', 'in', ['pending', 'manual_retry'])
  if (aboveBlock !== undefined) query = query.where('p.block_number', '>', aboveBlock.toString())
  const rows = await query.orderBy('p.block_number').limit(limit).execute()
  return rows.map(toPaymentRecord)
}

/** Payments in blocks above `blockNumber` (candidates to orphan after a reorg). */
export async function listPaymentsAboveBlock(db: Executor, environment: string, network: string, blockNumber: bigint): Promise<InvoicePaymentRecord[]> {
  const rows = await paymentSelect(db)
    .where('p.environment', '=', environment as 'devnet')
    .where('p.network', '=', network)
    .where('p.block_number', '>', blockNumber.toString())
    .where('p.status', 'in', ['pending', 'confirmed', 'manual_retry', 'underpaid'])
    .execute()
  return rows.map(toPaymentRecord)
}
