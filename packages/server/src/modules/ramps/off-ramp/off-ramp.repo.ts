import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { pageById, type IdPage } from '../ramp-page.repo.ts'
import type { OffRampStatusColumn, RampOffRampTable } from '../ramps.table.ts'

export interface OffRamp {
  id: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  customerId: string
  quoteId: string
  bankAccountId: string
  status: OffRampStatusColumn
  network: string
  tokenId: number
  depositAddress: string
  depositAddressId: string
  refundAddress: string
  expectedUnits: bigint
  receivedUnits: bigint
  payoutUnits: bigint
  grossFiatMinor: bigint
  feeFiatMinor: bigint
  netFiatMinor: bigint
  usdMillis: bigint
  rateAnswer: bigint
  rateDecimals: number
  isRequoted: boolean
  failureCode: string | null
  failureMessage: string | null
  rateLockedUntil: Date
  metadata: Record<string, unknown>
  createdAt: Date
  updatedAt: Date
  completedAt: Date | null
}

type Row = Selectable<RampOffRampTable>

function toOffRamp(row: Row): OffRamp {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    customerId: row.customer_id,
    quoteId: row.quote_id,
    bankAccountId: row.bank_account_id,
    status: row.status,
    network: row.network,
    tokenId: row.token_id,
    depositAddress: row.deposit_address,
    depositAddressId: row.deposit_address_id,
    refundAddress: row.refund_address,
    expectedUnits: BigInt(row.expected_units),
    receivedUnits: BigInt(row.received_units),
    payoutUnits: BigInt(row.payout_units),
    grossFiatMinor: BigInt(row.gross_fiat_minor),
    feeFiatMinor: BigInt(row.fee_fiat_minor),
    netFiatMinor: BigInt(row.net_fiat_minor),
    usdMillis: BigInt(row.usd_millis),
    rateAnswer: BigInt(row.rate_answer),
    rateDecimals: row.rate_decimals,
    isRequoted: row.is_requoted,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    rateLockedUntil: row.rate_locked_until,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  }
}

export async function insertOffRamp(db: Executor, o: OffRamp): Promise<OffRamp> {
  const row = await db
    .insertInto('ramp_off_ramp')
    .values({
      id: o.id,
      merchant_id: o.merchantId.toString(),
      environment: o.environment,
      customer_id: o.customerId,
      quote_id: o.quoteId,
      bank_account_id: o.bankAccountId,
      status: o.status,
      network: o.network,
      token_id: o.tokenId,
      deposit_address: o.depositAddress,
      deposit_address_id: o.depositAddressId,
      refund_address: o.refundAddress,
      expected_units: o.expectedUnits.toString(),
      gross_fiat_minor: o.grossFiatMinor.toString(),
      fee_fiat_minor: o.feeFiatMinor.toString(),
      net_fiat_minor: o.netFiatMinor.toString(),
      usd_millis: o.usdMillis.toString(),
      rate_answer: o.rateAnswer.toString(),
      rate_decimals: o.rateDecimals,
      rate_locked_until: o.rateLockedUntil,
      metadata: JSON.stringify(o.metadata),
      created_at: o.createdAt,
      updated_at: o.updatedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toOffRamp(row)
}

export async function findOffRamp(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, id: string): Promise<OffRamp | undefined> {
  const row = await db
    .selectFrom('ramp_off_ramp')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .executeTakeFirst()
  return row ? toOffRamp(row) : undefined
}

export async function findOffRampById(db: Executor, id: string): Promise<OffRamp | undefined> {
  const row = await db.selectFrom('ramp_off_ramp').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toOffRamp(row) : undefined
}

export async function lockOffRamp(db: Executor, id: string): Promise<OffRamp | undefined> {
  const row = await db.selectFrom('ramp_off_ramp').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toOffRamp(row) : undefined
}

export type OffRampPatch = Partial<{
  status: OffRampStatusColumn
  received_units: bigint
  payout_units: bigint
  gross_fiat_minor: bigint
  fee_fiat_minor: bigint
  net_fiat_minor: bigint
  usd_millis: bigint
  rate_answer: bigint
  rate_decimals: number
  is_requoted: boolean
  failure_code: string | null
  failure_message: string | null
  completed_at: Date | null
}>

export async function updateOffRamp(db: Executor, id: string, patch: OffRampPatch, now: Date): Promise<OffRamp> {
  const set: Record<string, unknown> = { updated_at: now }
  for (const [key, value] of Object.entries(patch)) set[key] = typeof value === 'bigint' ? value.toString() : value
  const row = await db.updateTable('ramp_off_ramp').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return toOffRamp(row)
}

export async function listOffRamps(
  db: Executor,
  filter: { merchantId: bigint; environment: 'devnet' | 'mainnet'; customerId?: string | undefined; statuses?: string[] | undefined },
  page: IdPage,
): Promise<{ items: OffRamp[]; hasMore: boolean }> {
  let query = db.selectFrom('ramp_off_ramp').selectAll().where('merchant_id', '=', filter.merchantId.toString()).where('environment', '=', filter.environment)
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId)
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses as OffRampStatusColumn[])
  const { rows, hasMore } = await pageById(query, page)
  return { items: rows.map(toOffRamp), hasMore }
}

// ---------- deposits ----------

export interface RampDeposit {
  id: string
  offRampId: string
  network: string
  txHash: string
  logIndex: number
  fromAddress: string | null
  amountUnits: bigint
  status: 'confirmed' | 'orphaned'
  disposition: 'payout' | 'refund' | 'frozen'
  refundUnits: bigint
}

/** Records a confirmed transfer once; returns false when it was already recorded. */
export async function insertDeposit(
  db: Executor,
  d: RampDeposit & { merchantId: bigint; environment: 'devnet' | 'mainnet'; observedAt: Date },
): Promise<boolean> {
  const row = await db
    .insertInto('ramp_deposit')
    .values({
      id: d.id,
      off_ramp_id: d.offRampId,
      merchant_id: d.merchantId.toString(),
      environment: d.environment,
      network: d.network,
      tx_hash: d.txHash,
      log_index: d.logIndex,
      from_address: d.fromAddress,
      amount_units: d.amountUnits.toString(),
      status: d.status,
      disposition: d.disposition,
      refund_units: d.refundUnits.toString(),
      observed_at: d.observedAt,
    })
    .onConflict((oc) => oc.columns(['network', 'environment', 'tx_hash', 'log_index']).doNothing())
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

export async function markDepositOrphaned(db: Executor, key: { network: string; environment: 'devnet' | 'mainnet'; txHash: string; logIndex: number }): Promise<RampDeposit | undefined> {
  const row = await db
    .updateTable('ramp_deposit')
    .set({ status: 'orphaned' })
    .where('network', '=', key.network)
    .where('environment', '=', key.environment)
    .where('tx_hash', '=', key.txHash)
    .where('log_index', '=', key.logIndex)
    .where('status', '=', 'confirmed')
    .returningAll()
    .executeTakeFirst()
  return row ? toDeposit(row) : undefined
}

function toDeposit(row: Selectable<import('../ramps.table.ts').RampDepositTable>): RampDeposit {
  return {
    id: row.id,
    offRampId: row.off_ramp_id,
    network: row.network,
    txHash: row.tx_hash,
    logIndex: row.log_index,
    fromAddress: row.from_address,
    amountUnits: BigInt(row.amount_units),
    status: row.status,
    disposition: row.disposition,
    refundUnits: BigInt(row.refund_units),
  }
}

export async function listDeposits(db: Executor, offRampId: string): Promise<RampDeposit[]> {
  const rows = await db.selectFrom('ramp_deposit').selectAll().where('off_ramp_id', '=', offRampId).orderBy('observed_at').execute()
  return rows.map(toDeposit)
}

export async function freezeDeposits(db: Executor, offRampId: string): Promise<void> {
  await db.updateTable('ramp_deposit').set({ disposition: 'frozen' }).where('off_ramp_id', '=', offRampId).where('disposition', '=', 'payout').execute()
}
