import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { pageById, type IdPage } from '../ramp-page.repo.ts'
import type { OnRampStatusColumn, RampOnRampTable } from '../ramps.table.ts'

export interface OnRamp {
  id: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  customerId: string
  quoteId: string
  status: OnRampStatusColumn
  network: string
  tokenId: number
  destinationAddress: string
  rail: string
  currency: string
  reference: string
  instructions: Record<string, string>
  expectedFiatMinor: bigint
  receivedFiatMinor: bigint
  feeFiatMinor: bigint
  tokenUnits: bigint
  usdMillis: bigint
  rateAnswer: bigint
  rateDecimals: number
  isRequoted: boolean
  txHash: string | null
  failureCode: string | null
  failureMessage: string | null
  rateLockedUntil: Date
  metadata: Record<string, unknown>
  createdAt: Date
  updatedAt: Date
  completedAt: Date | null
}

function toOnRamp(row: Selectable<RampOnRampTable>): OnRamp {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    customerId: row.customer_id,
    quoteId: row.quote_id,
    status: row.status,
    network: row.network,
    tokenId: row.token_id,
    destinationAddress: row.destination_address,
    rail: row.rail,
    currency: row.currency,
    reference: row.reference,
    instructions: row.instructions,
    expectedFiatMinor: BigInt(row.expected_fiat_minor),
    receivedFiatMinor: BigInt(row.received_fiat_minor),
    feeFiatMinor: BigInt(row.fee_fiat_minor),
    tokenUnits: BigInt(row.token_units),
    usdMillis: BigInt(row.usd_millis),
    rateAnswer: BigInt(row.rate_answer),
    rateDecimals: row.rate_decimals,
    isRequoted: row.is_requoted,
    txHash: row.tx_hash,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    rateLockedUntil: row.rate_locked_until,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  }
}

export async function insertOnRamp(db: Executor, o: Omit<OnRamp, 'receivedFiatMinor' | 'isRequoted' | 'txHash' | 'failureCode' | 'failureMessage' | 'completedAt'>): Promise<OnRamp> {
  const row = await db
    .insertInto('ramp_on_ramp')
    .values({
      id: o.id,
      merchant_id: o.merchantId.toString(),
      environment: o.environment,
      customer_id: o.customerId,
      quote_id: o.quoteId,
      status: o.status,
      network: o.network,
      token_id: o.tokenId,
      destination_address: o.destinationAddress,
      rail: o.rail,
      currency: o.currency,
      reference: o.reference,
      instructions: JSON.stringify(o.instructions),
      expected_fiat_minor: o.expectedFiatMinor.toString(),
      fee_fiat_minor: o.feeFiatMinor.toString(),
      token_units: o.tokenUnits.toString(),
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
  return toOnRamp(row)
}

export async function findOnRamp(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, id: string): Promise<OnRamp | undefined> {
  const row = await db
    .selectFrom('ramp_on_ramp')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .executeTakeFirst()
  return row ? toOnRamp(row) : undefined
}

export async function lockOnRamp(db: Executor, id: string): Promise<OnRamp | undefined> {
  const row = await db.selectFrom('ramp_on_ramp').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toOnRamp(row) : undefined
}

export type OnRampPatch = Partial<{
  status: OnRampStatusColumn
  received_fiat_minor: bigint
  fee_fiat_minor: bigint
  token_units: bigint
  usd_millis: bigint
  rate_answer: bigint
  rate_decimals: number
  is_requoted: boolean
  tx_hash: string | null
  failure_code: string | null
  failure_message: string | null
  completed_at: Date | null
}>

export async function updateOnRamp(db: Executor, id: string, patch: OnRampPatch, now: Date): Promise<OnRamp> {
  const set: Record<string, unknown> = { updated_at: now }
  for (const [key, value] of Object.entries(patch)) set[key] = typeof value === 'bigint' ? value.toString() : value
  const row = await db.updateTable('ramp_on_ramp').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return toOnRamp(row)
}

export async function listOnRamps(
  db: Executor,
  filter: { merchantId: bigint; environment: 'devnet' | 'mainnet'; customerId?: string | undefined; statuses?: string[] | undefined },
  page: IdPage,
): Promise<{ items: OnRamp[]; hasMore: boolean }> {
  let query = db.selectFrom('ramp_on_ramp').selectAll().where('merchant_id', '=', filter.merchantId.toString()).where('environment', '=', filter.environment)
  if (filter.customerId) query = query.where('customer_id', '=', filter.customerId)
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses as OnRampStatusColumn[])
  const { rows, hasMore } = await pageById(query, page)
  return { items: rows.map(toOnRamp), hasMore }
}
