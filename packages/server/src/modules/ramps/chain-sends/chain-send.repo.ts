import type { Selectable } from 'kysely'
import type { Executor } from '../../../db/database.ts'
import { claimDueRows } from '../ramp-lease.repo.ts'
import type { RampChainSendTable } from '../ramps.table.ts'

export interface ChainSend {
  id: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  purpose: 'on_ramp_delivery' | 'off_ramp_refund'
  ownerId: string
  reason: string
  network: string
  tokenId: number
  toAddress: string
  amountUnits: bigint
  status: 'pending' | 'sent'
  txHash: string | null
  attempts: number
  nextAttemptAt: Date
  lastError: string | null
  createdAt: Date
  sentAt: Date | null
}

function toSend(row: Selectable<RampChainSendTable>): ChainSend {
  return {
    id: row.id,
    merchantId: BigInt(row.merchant_id),
    environment: row.environment,
    purpose: row.purpose,
    ownerId: row.owner_id,
    reason: row.reason,
    network: row.network,
    tokenId: row.token_id,
    toAddress: row.to_address,
    amountUnits: BigInt(row.amount_units),
    status: row.status,
    txHash: row.tx_hash,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  }
}

export async function insertChainSend(db: Executor, s: Pick<ChainSend, 'id' | 'merchantId' | 'environment' | 'purpose' | 'ownerId' | 'reason' | 'network' | 'tokenId' | 'toAddress' | 'amountUnits' | 'createdAt'>): Promise<ChainSend> {
  const row = await db
    .insertInto('ramp_chain_send')
    .values({
      id: s.id,
      merchant_id: s.merchantId.toString(),
      environment: s.environment,
      purpose: s.purpose,
      owner_id: s.ownerId,
      reason: s.reason,
      network: s.network,
      token_id: s.tokenId,
      to_address: s.toAddress,
      amount_units: s.amountUnits.toString(),
      status: 'pending',
      next_attempt_at: s.createdAt,
      created_at: s.createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
  return toSend(row)
}

export async function listSendsForOwner(db: Executor, ownerId: string): Promise<ChainSend[]> {
  const rows = await db.selectFrom('ramp_chain_send').selectAll().where('owner_id', '=', ownerId).orderBy('created_at').orderBy('id').execute()
  return rows.map(toSend)
}

/** `listSendsForOwner` for many owners in one query (list pages). */
export async function listSendsForOwners(db: Executor, ownerIds: string[]): Promise<Map<string, ChainSend[]>> {
  const found = new Map<string, ChainSend[]>()
  if (ownerIds.length === 0) return found
  const rows = await db.selectFrom('ramp_chain_send').selectAll().where('owner_id', 'in', ownerIds).orderBy('created_at').orderBy('id').execute()
  for (const send of rows.map(toSend)) {
    const list = found.get(send.ownerId) ?? []
    list.push(send)
    found.set(send.ownerId, list)
  }
  return found
}

export async function claimDueSends(db: Executor, now: Date, limit: number, leaseMs: number): Promise<ChainSend[]> {
  return (await claimDueRows(db, 'ramp_chain_send', ['pending'], now, limit, leaseMs)).map(toSend)
}

export async function lockSend(db: Executor, id: string): Promise<ChainSend | undefined> {
  const row = await db.selectFrom('ramp_chain_send').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
  return row ? toSend(row) : undefined
}

export async function markSendSent(db: Executor, id: string, txHash: string, now: Date): Promise<ChainSend> {
  const row = await db.updateTable('ramp_chain_send').set({ status: 'sent', tx_hash: txHash, sent_at: now, last_error: null }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()
  return toSend(row)
}

export async function deferSend(db: Executor, id: string, retryAt: Date, error: string): Promise<void> {
  await db.updateTable('ramp_chain_send').set({ next_attempt_at: retryAt, last_error: error }).where('id', '=', id).execute()
}
