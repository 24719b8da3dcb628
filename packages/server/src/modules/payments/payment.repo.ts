import type { PaymentRowStatus, SettlementRowStatus } from '../../db/schema.ts'
import type { Executor } from '../../db/database.ts'

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
