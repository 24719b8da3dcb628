import { AppError, uuidv7 } from '@pepay/core'
import type { Deps } from '../../deps.ts'
import { listOpenPayments } from '../payments/payment.repo.ts'
import type { ChainRuntime } from './chain.runtime.ts'
import { confirmPayment, recordTransfers } from './credit.service.ts'
import { findCursor } from './cursor.repo.ts'

export const MAX_VERIFICATION_ATTEMPTS = 5
const RETRY_MS = 15_000

type Row = {
  id: string
  invoice_id: string
  merchant_id: string
  network: string
  status: 'pending' | 'running' | 'completed' | 'failed'
  attempt_count: number
  max_attempts: number
  next_attempt_at: Date
  result: Record<string, unknown> | null
  error: Record<string, unknown> | null
  created_at: Date
  updated_at: Date
  completed_at: Date | null
}

export function serializeVerification(row: Row) {
  const s = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null)
  return {
    object: 'invoice_manual_verification' as const,
    id: row.id,
    invoice_id: row.invoice_id,
    network: row.network,
    job_status: row.status,
    status: row.status,
    attempt_count: row.attempt_count,
    max_attempts: row.max_attempts,
    next_attempt_at: row.status === 'completed' || row.status === 'failed' ? null : s(row.next_attempt_at),
    created_at: s(row.created_at) ?? 0,
    updated_at: s(row.updated_at) ?? 0,
    completed_at: s(row.completed_at),
    result: row.result ?? {},
    error: row.error ?? {},
  }
}

/** Queues a re-scan of the invoice's deposit address on its active network. */
export async function requestVerification(deps: Deps, invoice: { id: string; merchantId: bigint; lockedNetwork: string | null }, network: string | undefined) {
  const deposits = await deps.db.selectFrom('deposit_address').select(['network']).where('owner_type', '=', 'invoice').where('owner_id', '=', invoice.id).execute()
  const active = network ?? invoice.lockedNetwork ?? deposits[0]?.network
  if (!active || !deposits.some((d) => d.network === active)) {
    throw new AppError('VALIDATION_ERROR', 'network: the invoice has no payment address on this network', [{ field: 'network', message: 'must be the invoice’s active network', code: 'invalid' }])
  }
  const now = deps.clock.now()
  // a job already waiting or running for this invoice and network covers this request too; the
  // invoice row lock orders concurrent requests so that only one job is queued
  const row = await deps.db.transaction().execute(async (trx) => {
    await trx.selectFrom('invoice').select('id').where('id', '=', invoice.id).forUpdate().executeTakeFirst()
    const open = await trx
      .selectFrom('manual_verification')
      .selectAll()
      .where('invoice_id', '=', invoice.id)
      .where('network', '=', active)
      .where('status', 'in', ['pending', 'running'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst()
    if (open) return open
    return await trx
      .insertInto('manual_verification')
      .values({ id: uuidv7(now.getTime()), invoice_id: invoice.id, merchant_id: invoice.merchantId.toString(), network: active, status: 'pending', max_attempts: MAX_VERIFICATION_ATTEMPTS, next_attempt_at: now, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
  })
  return serializeVerification(row)
}

export async function latestVerification(deps: Deps, invoiceId: string) {
  const row = await deps.db.selectFrom('manual_verification').selectAll().where('invoice_id', '=', invoiceId).orderBy('created_at', 'desc').limit(1).executeTakeFirst()
  return row ? serializeVerification(row) : undefined
}

/**
 * Runs due verification jobs: scans the deposit address's whole history (from the block it was
 * created at up to the head) and records anything missed — the same exactly-once path as the
 * watcher, so re-scans never credit twice.
 */
export async function runDueVerifications(deps: Deps, runtime: ChainRuntime): Promise<number> {
  const now = deps.clock.now()
  const jobs = await deps.db.transaction().execute(async (trx) => {
    const due = await trx
      .selectFrom('manual_verification')
      .selectAll()
      .where('status', 'in', ['pending', 'running'])
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(10)
      .forUpdate()
      .skipLocked()
      .execute()
    for (const job of due) {
      await trx.updateTable('manual_verification').set({ status: 'running', attempt_count: job.attempt_count + 1, next_attempt_at: new Date(now.getTime() + RETRY_MS), updated_at: now }).where('id', '=', job.id).execute()
    }
    return due
  })
  for (const job of jobs) {
    try {
      const deposit = await deps.db.selectFrom('deposit_address').selectAll().where('owner_type', '=', 'invoice').where('owner_id', '=', job.invoice_id).where('network', '=', job.network).executeTakeFirst()
      const invoice = await deps.db.selectFrom('invoice').select(['environment']).where('id', '=', job.invoice_id).executeTakeFirstOrThrow()
      const network = runtime.get(invoice.environment, job.network)
      if (!deposit || !network) throw new Error('no deposit address on this network')
      const head = await network.adapter.getHead()
      const cursor = await findCursor(deps.db, invoice.environment, job.network)
      // blocks up to the watcher's cursor are guarded by its reorg check; above it (the watcher is
      // down or behind) only transfers that already have their confirmations are taken, the rest
      // are left to the watcher, which records them with the block-hash check when it gets there
      const covered = cursor && cursor.lastBlock < head.number ? cursor.lastBlock : head.number
      const deep = head.number - BigInt(network.def.confirmations) + 1n
      const to = head.number
      const from = deposit.created_block === null ? 0n : BigInt(deposit.created_block)
      const address = deposit.address
      const tokens = network.tokens.flatMap((t) => (t.tokenType !== 'native' && t.address ? [{ address: t.address, tokenId: t.id }] : []))
      const isWatched = (a: string) => a === address
      const found = from <= to ? await network.adapter.scanTransfers({ fromBlock: from, toBlock: to, tokens, isWatched }) : []
      // native coin payments are found block by block; a native balance on the address is a
      // deposit not yet swept, the only kind the watcher can have missed without it being credited
      const nativeToken = network.tokens.find((t) => t.tokenType === 'native')
      if (nativeToken && from <= to && (await network.adapter.getNativeBalance(address)) > 0n) {
        const native = await network.adapter.scanNativeTransfers({ fromBlock: from, toBlock: to, tokenId: nativeToken.id, isWatched })
        // the treasury's gas top-ups before a token sweep are not payments
        const treasury = network.treasury.address.toLowerCase()
        found.push(...native.filter((x) => x.from !== treasury))
      }
      const transfers = found.filter((x) => x.blockNumber <= covered || x.blockNumber <= deep)
      const record = {
        id: deposit.id, ownerType: deposit.owner_type, ownerId: deposit.owner_id, invoiceId: deposit.invoice_id, merchantId: BigInt(deposit.merchant_id),
        environment: deposit.environment, network: deposit.network, chainKind: deposit.chain_kind, derivationIndex: deposit.derivation_index,
        address: deposit.address, tokenId: deposit.token_id, createdBlock: deposit.created_block === null ? null : BigInt(deposit.created_block), createdAt: deposit.created_at,
      }
      const recorded = await deps.db.transaction().execute(async (trx) =>
        recordTransfers(deps, trx, runtime, network, transfers.map((transfer) => ({ transfer, deposit: record })), head.number),
      )
      // confirm what is deep enough right away (the watcher would, on its next pass)
      for (const payment of await listOpenPayments(deps.db, invoice.environment, job.network, 500)) {
        if (payment.invoiceId !== job.invoice_id) continue
        const confirmations = Number(head.number - payment.blockNumber + 1n)
        if (confirmations < payment.confirmationsRequired) continue
        const hash = await network.adapter.getBlockHash(payment.blockNumber)
        if (hash?.toLowerCase() !== payment.blockHash.toLowerCase()) continue
        await deps.db.transaction().execute((trx) => confirmPayment(deps, trx, payment.id, confirmations))
      }
      const done = deps.clock.now()
      await deps.db.updateTable('manual_verification').set({ status: 'completed', completed_at: done, updated_at: done, result: JSON.stringify({ scanned_from_block: from.toString(), scanned_to_block: to.toString(), transfers_found: found.length, payments_recorded: recorded, transfers_awaiting_confirmations: found.length - transfers.length }) }).where('id', '=', job.id).execute()
    } catch (error) {
      const done = deps.clock.now()
      const failed = job.attempt_count + 1 >= job.max_attempts
      await deps.db.updateTable('manual_verification').set({ status: failed ? 'failed' : 'running', updated_at: done, error: JSON.stringify({ message: (error as Error).message.split('\n')[0] }) }).where('id', '=', job.id).execute()
    }
  }
  return jobs.length
}
