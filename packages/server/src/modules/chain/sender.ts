import { createPublicClient, encodeFunctionData, erc20Abi, http, type Hex, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Deps } from '../../deps.ts'
import type { ChainNetwork } from './chain.runtime.ts'

const RECEIPT_TIMEOUT_MS = 60_000

export interface SendRequest {
  idempotencyKey: string
  from: { address: string; privateKey: Hex }
  to: string
  /** Token contract, or null for the native coin. */
  tokenAddress: string | null
  tokenId: number | null
  amountUnits: bigint
}

const clients = new Map<string, PublicClient>()
function clientFor(network: ChainNetwork): PublicClient {
  const key = `${network.def.environment}:${network.def.network}`
  let client = clients.get(key)
  if (!client) {
    client = createPublicClient({ transport: http(network.def.rpcUrls[0], { retryCount: 0, timeout: 10_000 }), cacheTime: 0 }) as PublicClient
    clients.set(key, client)
  }
  return client
}

/** Sends from one account are serialised in this process so nonces never collide. */
const accountQueues = new Map<string, Promise<unknown>>()
function serialise<T>(account: string, task: () => Promise<T>): Promise<T> {
  const previous = accountQueues.get(account) ?? Promise.resolve()
  const next = previous.then(task, task)
  accountQueues.set(account, next.catch(() => undefined))
  return next
}

/**
 * Persist, send, reconcile: the transaction is signed and stored under its idempotency key before
 * it is broadcast, so a retry after a crash re-broadcasts the same bytes (same hash) and can never
 * pay twice. Resolves with the hash once it is mined successfully.
 */
export async function sendOnce(deps: Deps, network: ChainNetwork, request: SendRequest): Promise<{ txHash: Hex }> {
  const existing = await deps.db.selectFrom('chain_send').selectAll().where('idempotency_key', '=', request.idempotencyKey).executeTakeFirst()
  if (existing?.status === 'mined' && existing.tx_hash) return { txHash: existing.tx_hash as Hex }
  const client = clientFor(network)
  let raw = existing?.raw_tx as Hex | null | undefined
  let txHash = existing?.tx_hash as Hex | null | undefined
  if (!raw || !txHash) {
    const signed = await serialise(request.from.address, async () => {
      const account = privateKeyToAccount(request.from.privateKey)
      const nonce = await client.getTransactionCount({ address: account.address, blockTag: 'pending' })
      const fees = await client.estimateFeesPerGas()
      const call = request.tokenAddress
        ? { to: request.tokenAddress as Hex, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [request.to as Hex, request.amountUnits] }), value: 0n }
        : { to: request.to as Hex, data: undefined, value: request.amountUnits }
      const gas = await client.estimateGas({ account: account.address, ...call })
      const serialized = await account.signTransaction({
        chainId: network.def.chainId,
        type: 'eip1559',
        nonce,
        gas: (gas * 12n) / 10n,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
        ...call,
      })
      const { keccak256 } = await import('viem')
      const hash = keccak256(serialized)
      const now = deps.clock.now()
      const stored = await deps.db
        .insertInto('chain_send')
        .values({
          idempotency_key: request.idempotencyKey,
          environment: network.def.environment,
          network: network.def.network,
          from_address: request.from.address.toLowerCase(),
          to_address: request.to.toLowerCase(),
          token_id: request.tokenId,
          amount_units: request.amountUnits.toString(),
          nonce: nonce.toString(),
          raw_tx: serialized,
          tx_hash: hash,
          status: 'signed',
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning(['raw_tx', 'tx_hash'])
        .executeTakeFirst()
      if (stored) {
        // broadcast while still holding the account's turn: the next nonce depends on it
        await broadcast(client, serialized)
        return { raw: serialized, hash }
      }
      const winner = await deps.db.selectFrom('chain_send').select(['raw_tx', 'tx_hash']).where('idempotency_key', '=', request.idempotencyKey).executeTakeFirstOrThrow()
      return { raw: winner.raw_tx as Hex, hash: winner.tx_hash as Hex }
    })
    raw = signed.raw
    txHash = signed.hash
  } else {
    await broadcast(client, raw)
  }
  await deps.db.updateTable('chain_send').set({ status: 'broadcast', updated_at: deps.clock.now() }).where('idempotency_key', '=', request.idempotencyKey).where('status', '=', 'signed').execute()
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, timeout: RECEIPT_TIMEOUT_MS, pollingInterval: network.def.environment === 'devnet' ? 20 : 1_000 })
  const status = receipt.status === 'success' ? 'mined' : 'failed'
  await deps.db
    .updateTable('chain_send')
    .set({ status, error: status === 'failed' ? 'transaction reverted' : null, updated_at: deps.clock.now() })
    .where('idempotency_key', '=', request.idempotencyKey)
    .execute()
  if (status === 'failed') throw new Error(`transaction ${txHash} reverted`)
  return { txHash }
}

async function broadcast(client: PublicClient, raw: Hex): Promise<void> {
  try {
    await client.sendRawTransaction({ serializedTransaction: raw })
  } catch (error) {
    const message = (error as Error).message.toLowerCase()
    // the node already has it (a re-broadcast after a crash): fine, wait for the receipt
    if (message.includes('already known') || message.includes('nonce too low') || message.includes('already imported')) return
    throw error
  }
}
