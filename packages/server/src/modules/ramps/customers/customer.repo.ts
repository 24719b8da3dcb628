import type { Selectable } from 'kysely'
import { sql } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { pageById, type IdPage } from '../ramp-page.repo.ts'
import type { KycLevelColumn, KycStatusColumn, RampCustomerTable } from '../ramps.table.ts'

export interface RampCustomer {
  id: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  type: 'individual' | 'business'
  reference: string | null
  firstName: string | null
  lastName: string | null
  businessName: string | null
  email: string | null
  country: string
  birthDate: string | null
  status: 'active' | 'blocked'
  screeningStatus: 'clear' | 'hit'
  screeningReason: string | null
  kycStatus: KycStatusColumn
  kycLevel: KycLevelColumn | null
  kycApprovedUntil: Date | null
  metadata: Record<string, unknown>
  createdAt: Date
  updatedAt: Date
}

type Row = Selectable<RampCustomerTable>

/** `date` arrives as text from PGlite and as a local-midnight Date from pg: both become YYYY-MM-DD. */
function dateOnly(value: unknown): string | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) {
    const pad = (n: number) => n.toString().padStart(2, '0')
    return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`
  }
  return typeof value === 'string' ? value.slice(0, 10) : null
}

export function toCustomer(row: Row): RampCustomer {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    type: row.customer_type,
    reference: row.reference,
    firstName: row.first_name,
    lastName: row.last_name,
    businessName: row.business_name,
    email: row.email,
    country: row.country,
    birthDate: dateOnly(row.birth_date),
    status: row.status,
    screeningStatus: row.screening_status,
    screeningReason: row.screening_reason,
    kycStatus: row.kyc_status,
    kycLevel: row.kyc_level,
    kycApprovedUntil: row.kyc_approved_until,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function insertCustomer(db: Executor, c: RampCustomer): Promise<RampCustomer> {
  const row = await db
    .insertInto('ramp_customer')
    .values({
      id: c.id,
      merchant_id: c.merchantId.toString(),
      environment: c.environment,
      customer_type: c.type,
      reference: c.reference,
      first_name: c.firstName,
      last_name: c.lastName,
      business_name: c.businessName,
      email: c.email,
      country: c.country,
      birth_date: c.birthDate,
      status: c.status,
      screening_status: c.screeningStatus,
      screening_reason: c.screeningReason,
      kyc_status: c.kycStatus,
      kyc_level: c.kycLevel,
      kyc_approved_until: c.kycApprovedUntil,
      metadata: JSON.stringify(c.metadata),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toCustomer(row)
}

/** Scoped lookup: another merchant's (or environment's) customer is simply not found. */
export async function findCustomer(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, id: string): Promise<RampCustomer | undefined> {
  const row = await db
    .selectFrom('ramp_customer')
    .selectAll()
    .where('id', '=', id)
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .executeTakeFirst()
  return row ? toCustomer(row) : undefined
}

export async function findCustomerByReference(db: Executor, scope: { merchantId: bigint; environment: 'devnet' | 'mainnet' }, reference: string): Promise<RampCustomer | undefined> {
  const row = await db
    .selectFrom('ramp_customer')
    .selectAll()
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
    .where('reference', '=', reference)
    .executeTakeFirst()
  return row ? toCustomer(row) : undefined
}

/** Row lock: serializes a customer's flows so limits are checked against committed usage. */
export async function lockCustomer(db: Executor, id: string): Promise<RampCustomer | undefined> {
  const row = await db.selectFrom('ramp_customer').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toCustomer(row) : undefined
}

export async function updateCustomerKyc(
  db: Executor,
  id: string,
  patch: { kycStatus: KycStatusColumn; kycLevel: KycLevelColumn | null; kycApprovedUntil: Date | null; now: Date },
): Promise<RampCustomer> {
  const row = await db
    .updateTable('ramp_customer')
    .set({ kyc_status: patch.kycStatus, kyc_level: patch.kycLevel, kyc_approved_until: patch.kycApprovedUntil, updated_at: patch.now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return toCustomer(row)
}

export async function listCustomers(
  db: Executor,
  scope: { merchantId: bigint; environment: 'devnet' | 'mainnet'; reference?: string | undefined },
  page: IdPage,
): Promise<{ customers: RampCustomer[]; hasMore: boolean }> {
  let query = db
    .selectFrom('ramp_customer')
    .selectAll()
    .where('merchant_id', '=', scope.merchantId.toString())
    .where('environment', '=', scope.environment)
  if (scope.reference !== undefined) query = query.where('reference', '=', scope.reference)
  const { rows, hasMore } = await pageById(query, page)
  return { customers: rows.map(toCustomer), hasMore }
}

/**
 * USD value of a customer's flows that count toward limits, over the last 24 hours and 30 days:
 * every off- and on-ramp except those that failed before any money moved out.
 */
export async function customerUsage(db: Executor, customerId: string, now: Date): Promise<{ dayUsdMillis: bigint; monthUsdMillis: bigint }> {
  const day = new Date(now.getTime() - 24 * 3600_000)
  const month = new Date(now.getTime() - 30 * 24 * 3600_000)
  const result = await sql<{ day: string; month: string }>`
    SELECT coalesce(sum(usd_millis) FILTER (WHERE created_at > ${day}), 0)::text AS day,
           coalesce(sum(usd_millis), 0)::text AS month
    FROM (
      SELECT usd_millis, created_at FROM ramp_off_ramp
      WHERE customer_id = ${customerId}::uuid AND created_at > ${month} AND status NOT IN ('failed', 'returned')
      UNION ALL
      SELECT usd_millis, created_at FROM ramp_on_ramp
      WHERE customer_id = ${customerId}::uuid AND created_at > ${month} AND status <> 'failed'
    ) flows`.execute(db)
  const row = result.rows[0]
  return { dayUsdMillis: BigInt(row?.day ?? '0'), monthUsdMillis: BigInt(row?.month ?? '0') }
}
