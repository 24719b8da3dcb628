import { monotonicMs } from '@pepay/core'
import type { Executor } from '../../db/database.ts'
import type { Deps } from '../../deps.ts'
import type { ObservedTransfer } from '../../providers/chain/chain-adapter.ts'
import { subscribeNewHeads, type NewHeadsSubscription } from '../../providers/chain/evm/new-heads.ts'
import { listOpenPayments, listPaymentsAboveBlock } from '../payments/payment.repo.ts'
import { runEvery, type Loop } from '../../workers/loop.ts'
import type { ChainNetwork, ChainRuntime } from './chain.runtime.ts'
import { confirmPayment, orphanPayment, recordTransfers } from './credit.service.ts'
import { CursorMovedError, deleteBlocksAbove, findCursor, recentBlocks, saveCursor } from './cursor.repo.ts'
import { listDepositAddressesSince, type DepositAddressRecord } from './deposit.repo.ts'

/** Bound on one scan: blocks per iteration (eth_getLogs is split further by the adapter). */
const MAX_BLOCKS_PER_ITERATION = 2_000n
const MAX_OPEN_PAYMENTS_PER_ITERATION = 500
/** Longer than any transaction that allocates a deposit address stays open. */
const ADDRESS_COMMIT_WINDOW_MS = 30_000
const MIN_UUID = '00000000-0000-0000-0000-000000000000'

type Matched = { transfer: ObservedTransfer; deposit: DepositAddressRecord }

/**
 * Records a scanned range's transfers, then moves the cursor (`moveCursor`, in a transaction).
 * A range with few transfers is recorded in the cursor's own transaction. A larger one (a busy
 * block, a catch-up) is split by deposit address across up to `watcherRecording.writers`
 * concurrent transactions of at least `splitMin` transfers each (an address's transfers stay in
 * chain order, in one part), and the cursor moves once every part has committed. A part that
 * fails leaves the cursor where it was: the next scan sees the whole range again, and what the
 * other parts recorded is recorded nothing twice (the unique key). PGlite has one connection, so
 * there a range is always one transaction.
 */
export async function recordRange(
  deps: Deps,
  runtime: ChainRuntime,
  network: ChainNetwork,
  matched: Matched[],
  head: bigint,
  moveCursor?: (trx: Executor) => Promise<void>,
): Promise<number> {
  const { writers, splitMin } = deps.config.watcherRecording
  const partCount = deps.database.kind === 'postgres' ? Math.min(writers, Math.floor(matched.length / splitMin)) : 1
  if (partCount <= 1) {
    return deps.db.transaction().execute(async (trx) => {
      const recorded = await recordTransfers(deps, trx, runtime, network, matched, head)
      if (moveCursor) await moveCursor(trx)
      return recorded
    })
  }
  const parts: Matched[][] = Array.from({ length: partCount }, () => [])
  for (const entry of matched) parts[partOf(entry.deposit.id, partCount)]?.push(entry)
  const outcomes = await Promise.allSettled(
    parts.map((part) => deps.db.transaction().execute((trx) => recordTransfers(deps, trx, runtime, network, part, head))),
  )
  let recorded = 0
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') throw outcome.reason
    recorded += outcome.value
  }
  if (moveCursor) await deps.db.transaction().execute(moveCursor)
  return recorded
}

/** A deposit address's part: from the random tail of its id (uuid). */
export function partOf(depositId: string, parts: number): number {
  return Number.parseInt(depositId.slice(-8), 16) % parts
}

/**
 * New blocks announced in this process (the embedded Solana devnet): subscribes `onBlock`,
 * returns the function that stops it.
 */
export type BlockSource = (onBlock: () => void) => () => void

/** An in-process block source seen as a new-heads subscription: open until closed. */
function inProcessHeads(source: BlockSource, onHead: () => void): NewHeadsSubscription {
  let active = true
  let lastHeadAt: number | undefined
  const unsubscribe = source(() => {
    lastHeadAt = monotonicMs()
    onHead()
  })
  return {
    get active() {
      return active
    },
    get lastHeadAt() {
      return lastHeadAt
    },
    close() {
      active = false
      unsubscribe()
    },
  }
}

export interface WatcherStats {
  iterations: number
  lastHead: bigint
  lastError: string | null
}

/**
 * Follows one network from a committed cursor: records transfers to watched addresses, confirms
 * them when deep enough on a still-canonical block, and rewinds on reorgs (parent-hash check).
 * Only the holder of the network's advisory lock runs it; other processes stand by.
 */
export class ChainWatcher {
  readonly network: ChainNetwork
  readonly stats: WatcherStats = { iterations: 0, lastHead: 0n, lastError: null }
  readonly #deps: Deps
  readonly #runtime: ChainRuntime
  readonly #addresses = new Map<string, DepositAddressRecord>()
  #loadedUpTo: { createdAt: Date; id: string } | undefined
  #lock: { release(): Promise<void>; lost: Promise<void> } | undefined
  #loop: Loop | undefined
  #heads: NewHeadsSubscription | undefined
  #blocks: BlockSource | undefined
  #failures = 0
  #mainnetGenesis: string | null | undefined

  constructor(deps: Deps, runtime: ChainRuntime, network: ChainNetwork) {
    this.#deps = deps
    this.#runtime = runtime
    this.network = network
  }

  get key(): string {
    return `${this.network.def.environment}:${this.network.def.network}`
  }

  /**
   * Runs `tick` every `pollMs`, and at once when the network's node announces a new block (its
   * `newHeadsUrl`, if any): the leader scans a block as soon as it exists. Only the leader
   * subscribes; a standby process keeps to the poll, which is how it takes over.
   *
   * With `notifiedPollMs`, the poll waits that long instead while announcements arrive at the
   * pace of the chain (the last one within three block times): it is then only the safety net,
   * and every iteration it skips is a handful of RPC calls a hosted node bills for. When they
   * stop, the slow wait in progress is the last one. A chain `minedOnDemand` (the devnet's anvil)
   * has no pace: it announces a block only when there is one, so there the subscription being
   * open is what relaxes the poll. `blocks` stands for the node's endpoint when the chain runs in
   * this process (the embedded Solana devnet announces each block it makes).
   */
  start(pollMs: number, options: { notifiedPollMs?: number; minedOnDemand?: boolean; blocks?: BlockSource } = {}): Loop {
    const { notifiedPollMs, minedOnDemand = false } = options
    this.#blocks = options.blocks
    const interval = notifiedPollMs === undefined ? pollMs : () => (this.#headsFresh(minedOnDemand) ? notifiedPollMs : pollMs)
    this.#loop = runEvery(`chain-watch:${this.key}`, interval, () => this.tick(), this.#deps.log)
    const loop = this.#loop
    // leader already (iterations driven by hand before the loop started)
    if (this.#lock) this.#openHeads()
    return {
      kick: () => loop.kick(),
      stop: async () => {
        this.#loop = undefined
        this.#closeHeads()
        await loop.stop()
        await this.#lock?.release()
        this.#lock = undefined
      },
    }
  }

  kick(): void {
    this.#loop?.kick()
  }

  /** Whether this watcher is subscribed to its node's new blocks right now. */
  get notifiedOfBlocks(): boolean {
    return this.#heads?.active ?? false
  }

  async #ensureLeader(): Promise<boolean> {
    if (this.#lock) return true
    const lock = await this.#deps.database.tryAdvisoryLock(`pepay-watcher:${this.key}`)
    if (!lock) return false
    this.#lock = lock
    void lock.lost.then(() => {
      if (this.#lock !== lock) return
      this.#lock = undefined
      this.#closeHeads()
    })
    this.#deps.log.info({ network: this.key }, 'chain watcher is leader')
    this.#openHeads()
    return true
  }

  /** New-block notifications for the running loop of the leader (a tick driven by hand has none). */
  #openHeads(): void {
    const loop = this.#loop
    if (!loop || this.#heads) return
    if (this.#blocks) {
      this.#heads = inProcessHeads(this.#blocks, () => loop.kick())
      return
    }
    const { newHeadsUrl, kind } = this.network.def
    if (!newHeadsUrl || kind !== 'evm') return
    this.#heads = subscribeNewHeads({
      url: newHeadsUrl,
      onHead: () => loop.kick(),
      onError: (error) => this.#deps.log.warn({ network: this.key, err: error.message }, 'new-block notifications unavailable: polling'),
    })
  }

  /**
   * Whether the node's announcements keep up with its blocks (the last within three block
   * times), or, on a chain mined on demand, whether the subscription is open.
   */
  #headsFresh(minedOnDemand: boolean): boolean {
    if (!this.#heads?.active) return false
    if (minedOnDemand) return true
    const last = this.#heads.lastHeadAt
    return last !== undefined && monotonicMs() - last <= 3 * this.network.def.blockTimeMs
  }

  #closeHeads(): void {
    this.#heads?.close()
    this.#heads = undefined
  }

  get isLeader(): boolean {
    return this.#lock !== undefined
  }

  async #refreshAddresses(): Promise<void> {
    const { environment, network } = this.network.def
    // created_at is stamped before commit: a row whose transaction commits after a newer one was
    // loaded sorts before the cursor, so the last ADDRESS_COMMIT_WINDOW_MS are always read again
    const horizon = new Date(this.#deps.clock.now().getTime() - ADDRESS_COMMIT_WINDOW_MS)
    let after = this.#loadedUpTo && this.#loadedUpTo.createdAt > horizon ? { createdAt: horizon, id: MIN_UUID } : this.#loadedUpTo
    for (let i = 0; i < 100; i += 1) {
      const batch = await listDepositAddressesSince(this.#deps.db, environment, network, after, 5_000)
      for (const record of batch) this.#addresses.set(record.address, record)
      const last = batch.at(-1)
      if (last) {
        after = { createdAt: last.createdAt, id: last.id }
        if (!this.#loadedUpTo || last.createdAt > this.#loadedUpTo.createdAt || (last.createdAt.getTime() === this.#loadedUpTo.createdAt.getTime() && last.id > this.#loadedUpTo.id)) this.#loadedUpTo = after
      }
      if (batch.length < 5_000) return
    }
  }

  /** One iteration; public so tests and manual verification can drive it deterministically. */
  async tick(): Promise<void> {
    if (!(await this.#ensureLeader())) return
    const { adapter } = this.network
    let head
    try {
      head = await adapter.getHead()
      this.#runtime.degraded.delete(this.key)
      this.#failures = 0
    } catch (error) {
      this.#failures += 1
      const message = `RPC unavailable: ${(error as Error).message.split('\n')[0] ?? ''}`
      this.#runtime.degraded.set(this.key, message)
      this.stats.lastError = message
      return
    }
    this.stats.iterations += 1
    this.stats.lastHead = head.number
    // after the head: an address paid in a block up to that head was committed before the block
    await this.#refreshAddresses()
    try {
      await this.#scan(head.number)
    } catch (error) {
      if (!(error instanceof CursorMovedError)) throw error
      // the cursor's transaction rolled back: the next iteration starts from the cursor as it is
      // now (what a split range's parts recorded is recorded nothing twice)
      this.#deps.log.warn({ network: this.key }, 'chain cursor moved during a scan: starting again from it')
      return
    }
    await this.#confirm(head.number)
  }

  async #scan(headNumber: bigint): Promise<void> {
    const deps = this.#deps
    const { adapter, def } = this.network
    const [cursor, genesisHash] = await Promise.all([findCursor(deps.db, def.environment, def.network), this.#genesisHash()])
    let from: bigint
    if (!cursor) {
      from = headNumber
    } else if (cursor.genesisHash !== null && genesisHash !== null && cursor.genesisHash !== genesisHash && !(await this.#isCanonical(cursor.lastBlock))) {
      // the chain was recreated: everything recorded above genesis is gone
      deps.log.warn({ network: this.key, previous: cursor.genesisHash, current: genesisHash }, 'chain reset detected: rewinding the watcher')
      await this.#rewindTo(cursor.lastBlock, 0n)
      from = 1n
    } else {
      const ancestor = await this.#findAncestor(cursor.lastBlock)
      if (ancestor < cursor.lastBlock) {
        deps.log.warn({ network: this.key, from: cursor.lastBlock.toString(), to: ancestor.toString() }, 'reorg detected: rewinding the watcher')
        await this.#rewindTo(cursor.lastBlock, ancestor)
      }
      from = ancestor + 1n
    }
    if (from > headNumber) return
    const to = headNumber < from + MAX_BLOCKS_PER_ITERATION - 1n ? headNumber : from + MAX_BLOCKS_PER_ITERATION - 1n
    const isWatched = (address: string) => this.#addresses.has(address)
    const erc20 = this.network.tokens.filter((t) => t.tokenType !== 'native' && t.address).map((t) => ({ address: t.address as `0x${string}`, tokenId: t.id }))
    const nativeToken = this.network.tokens.find((t) => t.tokenType === 'native')
    // the range's token logs, native transfers and last header are independent reads: sent together
    const [tokenTransfers, native, header] = await Promise.all([
      erc20.length > 0 ? adapter.scanTransfers({ fromBlock: from, toBlock: to, tokens: erc20, isWatched }) : [],
      // any watched address may receive the native coin: a payer can switch an address's token to
      // it after the address was loaded, and the cached record keeps the token it was allocated for
      nativeToken && this.#addresses.size > 0 ? adapter.scanNativeTransfers({ fromBlock: from, toBlock: to, tokenId: nativeToken.id, isWatched }) : [],
      adapter.getBlockHeader(to),
    ])
    // the treasury's own gas top-ups before a sweep are not payments
    const treasury = this.network.treasury.address.toLowerCase()
    const transfers: ObservedTransfer[] = [...tokenTransfers, ...native.filter((x) => x.from !== treasury)]
    // a node behind its own head report (load-balanced RPC): a cursor saved without the block's hash
    // would read as a reorg next time, so this range waits for the next iteration
    if (!header) return
    const matched = transfers.flatMap((transfer) => {
      const deposit = this.#addresses.get(transfer.to)
      return deposit ? [{ transfer, deposit }] : []
    })
    await this.#orphanStaleAbove(from - 1n)
    await recordRange(deps, this.#runtime, this.network, matched, headNumber, (trx) =>
      // the genesis read now: after a reset rewind the stored one is the old chain's
      saveCursor(trx, def.environment, def.network, cursor?.lastBlock ?? null, { lastBlock: to, genesisHash: genesisHash ?? cursor?.genesisHash ?? null, blockHash: header.hash, parentHash: header.parentHash }, deps.clock.now()),
    )
  }

  /**
   * The chain's block 0, which tells a recreated chain from a reorg. A public chain's never
   * changes (and its node's chain id was checked with its first request), so on mainnet it is
   * read once, saving a call per iteration; a devnet is recreated at will and asked every time.
   */
  async #genesisHash(): Promise<string | null> {
    if (this.#mainnetGenesis !== undefined) return this.#mainnetGenesis
    const hash = (await this.network.adapter.getBlockHash(0n)) ?? null
    // kept even when the node has no block 0 (a Solana node keeps no ledger that old): asking
    // again would find none every time
    if (this.network.def.environment === 'mainnet') this.#mainnetGenesis = hash
    return hash
  }

  /**
   * Open payments above the cursor come from a range whose parts committed but whose cursor did
   * not move, or from a manual verification ahead of the watcher. One whose block the chain now
   * has with another hash is orphaned before the range is recorded again: the transfer, if mined
   * again in another block, is then recorded there (its row revived) instead of being taken for
   * the stale sighting. A block the node does not return (yet) is left to the confirmation check.
   */
  async #orphanStaleAbove(cursorBlock: bigint): Promise<void> {
    const deps = this.#deps
    const { def } = this.network
    const ahead = await listOpenPayments(deps.db, def.environment, def.network, MAX_OPEN_PAYMENTS_PER_ITERATION, cursorBlock)
    if (ahead.length === 0) return
    const hashOf = this.#blockHashes()
    const stale: string[] = []
    for (const payment of ahead) {
      const current = await hashOf(payment.blockNumber)
      if (current !== undefined && current !== payment.blockHash.toLowerCase()) stale.push(payment.id)
    }
    if (stale.length === 0) return
    deps.log.warn({ network: this.key, payments: stale.length }, 'payments above the cursor on replaced blocks: orphaning them')
    await deps.db.transaction().execute(async (trx) => {
      for (const id of stale) await orphanPayment(deps, trx, id)
    })
  }

  /**
   * Whether the block the cursor was saved at is still on the chain. A changed genesis hash alone
   * does not prove a reset: anvil reports a regenerated block 0 after some state reloads while
   * every later block is unchanged.
   */
  async #isCanonical(cursorBlock: bigint): Promise<boolean> {
    const { adapter, def } = this.network
    const [newest] = await recentBlocks(this.#deps.db, def.environment, def.network, 1)
    if (!newest || newest.number !== cursorBlock) return false
    return (await adapter.getBlockHash(newest.number))?.toLowerCase() === newest.hash.toLowerCase()
  }

  /** The newest recorded block whose hash is still canonical (walks back over the stored window). */
  async #findAncestor(cursorBlock: bigint): Promise<bigint> {
    const { adapter, def } = this.network
    // the common case, every poll: the newest recorded block is still canonical (one row, one call)
    // a newest block below the cursor (a rewind read half before, half after) is no reorg: only a
    // recorded hash the node no longer has is
    const [newest] = await recentBlocks(this.#deps.db, def.environment, def.network, 1)
    if (!newest) return cursorBlock
    const newestNow = await adapter.getBlockHash(newest.number)
    if (newestNow !== undefined && newestNow.toLowerCase() === newest.hash.toLowerCase()) return cursorBlock
    const blocks = await recentBlocks(this.#deps.db, def.environment, def.network, 256)
    for (const block of blocks) {
      const current = await adapter.getBlockHash(block.number)
      if (current !== undefined && current.toLowerCase() === block.hash.toLowerCase()) return block.number
    }
    const oldest = blocks.at(-1)
    return oldest ? oldest.number - 1n : cursorBlock
  }

  async #rewindTo(cursorBlock: bigint, ancestor: bigint): Promise<void> {
    const deps = this.#deps
    const { def } = this.network
    const affected = await listPaymentsAboveBlock(deps.db, def.environment, def.network, ancestor)
    const genesisHash = await this.#genesisHash()
    await deps.db.transaction().execute(async (trx) => {
      for (const payment of affected) await orphanPayment(deps, trx, payment.id)
      await deleteBlocksAbove(trx, def.environment, def.network, ancestor)
      await saveCursor(trx, def.environment, def.network, cursorBlock, { lastBlock: ancestor, genesisHash, blockHash: null, parentHash: null }, deps.clock.now())
    })
  }

  async #confirm(headNumber: bigint): Promise<void> {
    const deps = this.#deps
    const { def } = this.network
    const open = await listOpenPayments(deps.db, def.environment, def.network, MAX_OPEN_PAYMENTS_PER_ITERATION)
    const hashOf = this.#blockHashes()
    for (const payment of open) {
      const confirmations = Number(headNumber - payment.blockNumber + 1n)
      if (confirmations < payment.confirmationsRequired) continue
      const canonical = (await hashOf(payment.blockNumber)) === payment.blockHash.toLowerCase()
      await deps.db.transaction().execute(async (trx) => {
        if (canonical) await confirmPayment(deps, trx, payment.id, confirmations)
        else await orphanPayment(deps, trx, payment.id)
      })
    }
  }

  /** The node's hash of a block (lowercase; undefined when it has none), asked once per block per pass. */
  #blockHashes(): (block: bigint) => Promise<string | undefined> {
    const asked = new Map<bigint, Promise<string | undefined>>()
    return (block) => {
      let hash = asked.get(block)
      if (!hash) {
        hash = this.network.adapter.getBlockHash(block).then((h) => h?.toLowerCase())
        asked.set(block, hash)
      }
      return hash
    }
  }

  /** Deposit addresses this watcher knows (for tests and manual verification). */
  watched(address: string): DepositAddressRecord | undefined {
    return this.#addresses.get(address)
  }

  async refresh(): Promise<void> {
    await this.#refreshAddresses()
  }
}
