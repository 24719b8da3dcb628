import { monotonicMs } from '@pepay/core'
import type { Deps } from '../../deps.ts'
import type { ChainAccountKey, SignedTransfer } from '../../providers/chain/chain-adapter.ts'
import { storageAddress, type ChainNetwork } from './chain.runtime.ts'

const RECEIPT_TIMEOUT_MS = 60_000
/** A Solana transaction whose blockhash aged out is signed anew at most this often per call. */
const MAX_RESIGNS = 3

export interface SendRequest {
  idempotencyKey: string
  from: ChainAccountKey
  to: string
  /** Token contract or mint, or null for the native coin. */
  tokenAddress: string | null
  tokenId: number | null
  amountUnits: bigint
  /** Solana: pays the fee (and rent of a new token account) so `from` needs no SOL. */
  feePayer?: ChainAccountKey
}

/** How long a send waits for another process's turn on the same account before giving up. */
const ACCOUNT_LOCK_TIMEOUT_MS = 120_000
const ACCOUNT_LOCK_POLL_MS = 50

/**
 * Runs `task` holding the account's turn across every process on the database: a session-level
 * advisory lock (on its own connection, so the signed transaction is committed before it is
 * broadcast while the turn is still held). Nonces come from the node's pending count, so two
 * processes signing from one account at once would otherwise both take the same nonce.
 */
export async function withAccountLock<T>(deps: Pick<Deps, 'database'>, name: string, task: () => Promise<T>): Promise<T> {
  const deadline = monotonicMs() + ACCOUNT_LOCK_TIMEOUT_MS
  for (;;) {
    const lock = await deps.database.tryAdvisoryLock(name)
    if (lock) {
      try {
        return await task()
      } finally {
        await lock.release()
      }
    }
    if (monotonicMs() > deadline) throw new Error(`another process held ${name} for over ${ACCOUNT_LOCK_TIMEOUT_MS / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, ACCOUNT_LOCK_POLL_MS))
  }
}

/** Sends from one account are serialised in this process (a queue) and across processes (a lock). */
const accountQueues = new Map<string, Promise<unknown>>()
function serialise<T>(deps: Deps, network: ChainNetwork, account: string, task: () => Promise<T>): Promise<T> {
  const locked = () => withAccountLock(deps, `pepay-send:${network.def.environment}:${network.def.network}:${account.toLowerCase()}`, task)
  const previous = accountQueues.get(account) ?? Promise.resolve()
  const next = previous.then(locked, locked)
  accountQueues.set(account, next.catch(() => undefined))
  return next
}

function sign(network: ChainNetwork, request: SendRequest): Promise<SignedTransfer> {
  const token = request.tokenId === null ? undefined : network.tokens.find((t) => t.id === request.tokenId)
  const decimals = token?.decimals ?? network.tokens.find((t) => t.tokenType === 'native')?.decimals ?? 18
  return network.adapter.signTransfer({
    from: request.from,
    to: request.to,
    tokenAddress: request.tokenAddress,
    tokenDecimals: decimals,
    amountUnits: request.amountUnits,
    ...(request.feePayer && { feePayer: request.feePayer }),
  })
}

/**
 * Persist, send, reconcile: the transaction is signed and stored under its idempotency key before
 * it is broadcast, so a retry after a crash re-broadcasts the same bytes (same hash) and can never
 * pay twice. Resolves with the hash once it is included successfully.
 *
 * Solana bytes expire with their blockhash: when the chain reports the stored bytes can no longer
 * land and their signature is not on chain, they are replaced by a new signature (compare-and-set
 * on the stored hash, so only one process re-signs).
 */
export async function sendOnce(deps: Deps, network: ChainNetwork, request: SendRequest): Promise<{ txHash: string }> {
  const key = request.idempotencyKey
  const existing = await deps.db.selectFrom('chain_send').selectAll().where('idempotency_key', '=', key).executeTakeFirst()
  if (existing?.status === 'mined' && existing.tx_hash) return { txHash: existing.tx_hash }
  const { adapter } = network
  let raw = existing?.raw_tx
  let txHash = existing?.tx_hash
  if (!raw || !txHash) {
    const signed = await serialise(deps, network, request.from.address, async () => {
      const tx = await sign(network, request)
      const now = deps.clock.now()
      const stored = await deps.db
        .insertInto('chain_send')
        .values({
          idempotency_key: key,
          environment: network.def.environment,
          network: network.def.network,
          from_address: storageAddress(network.def.kind, request.from.address),
          to_address: storageAddress(network.def.kind, request.to),
          token_id: request.tokenId,
          amount_units: request.amountUnits.toString(),
          nonce: tx.nonce === null ? null : tx.nonce.toString(),
          raw_tx: tx.raw,
          tx_hash: tx.txHash,
          status: 'signed',
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning(['raw_tx', 'tx_hash'])
        .executeTakeFirst()
      if (stored) {
        // broadcast while still holding the account's turn: the next nonce depends on it
        const sent = await adapter.broadcastTransfer(tx.raw)
        return { raw: tx.raw, hash: tx.txHash, sent }
      }
      const winner = await deps.db.selectFrom('chain_send').select(['raw_tx', 'tx_hash']).where('idempotency_key', '=', key).executeTakeFirstOrThrow()
      return { raw: winner.raw_tx ?? '', hash: winner.tx_hash ?? '', sent: await adapter.broadcastTransfer(winner.raw_tx ?? '') }
    })
    raw = signed.raw
    txHash = signed.hash
    if (signed.sent === 'expired') ({ raw, txHash } = await resign(deps, network, request, txHash))
  } else if ((await adapter.broadcastTransfer(raw)) === 'expired') {
    ;({ raw, txHash } = await resign(deps, network, request, txHash))
  }
  await deps.db.updateTable('chain_send').set({ status: 'broadcast', updated_at: deps.clock.now() }).where('idempotency_key', '=', key).where('status', '=', 'signed').execute()
  const outcome = await adapter.waitForReceipt(txHash, RECEIPT_TIMEOUT_MS)
  const status = outcome.status === 'success' ? 'mined' : 'failed'
  await deps.db
    .updateTable('chain_send')
    .set({ status, error: status === 'failed' ? 'transaction reverted' : null, updated_at: deps.clock.now() })
    .where('idempotency_key', '=', key)
    .execute()
  if (status === 'failed') throw new Error(`transaction ${txHash} reverted`)
  return { txHash }
}

/** Replaces expired bytes that never landed with a fresh signature, then broadcasts it. */
async function resign(deps: Deps, network: ChainNetwork, request: SendRequest, expiredHash: string): Promise<{ raw: string; txHash: string }> {
  let current = expiredHash
  for (let attempt = 0; attempt < MAX_RESIGNS; attempt += 1) {
    // included after all (seen between the broadcast and now): nothing to replace
    if (await network.adapter.getTransactionOutcome(current)) {
      const row = await deps.db.selectFrom('chain_send').select(['raw_tx', 'tx_hash']).where('idempotency_key', '=', request.idempotencyKey).executeTakeFirstOrThrow()
      return { raw: row.raw_tx ?? '', txHash: row.tx_hash ?? current }
    }
    const tx = await sign(network, request)
    const replaced = await deps.db
      .updateTable('chain_send')
      .set({ raw_tx: tx.raw, tx_hash: tx.txHash, status: 'signed', updated_at: deps.clock.now() })
      .where('idempotency_key', '=', request.idempotencyKey)
      .where('tx_hash', '=', current)
      .returning('tx_hash')
      .executeTakeFirst()
    if (!replaced) {
      // another process re-signed first: follow its bytes
      const row = await deps.db.selectFrom('chain_send').select(['raw_tx', 'tx_hash']).where('idempotency_key', '=', request.idempotencyKey).executeTakeFirstOrThrow()
      current = row.tx_hash ?? current
      if ((await network.adapter.broadcastTransfer(row.raw_tx ?? '')) === 'sent') return { raw: row.raw_tx ?? '', txHash: current }
      continue
    }
    current = tx.txHash
    if ((await network.adapter.broadcastTransfer(tx.raw)) === 'sent') return { raw: tx.raw, txHash: tx.txHash }
  }
  throw new Error(`${network.def.network} transaction for ${request.idempotencyKey} kept expiring before it was included`)
}
