/**
 * Chain watcher benchmark, on the embedded devnet (anvil) with 100,000 watched deposit addresses,
 * once on PGlite and once on Postgres:
 *
 * 1. Fill: blocks full of token transfers to watched addresses, sent as `batchTransfer` calls of
 *    the devnet TestStablecoin (BENCH_WATCHER_PER_TX transfers per transaction, one per block).
 * 2. Raw fetch: `eth_getLogs` over those blocks (HTTP + JSON parse), the ceiling a scan can reach.
 * 3. Direct path, in BENCH_WATCHER_ROUNDS rounds of BENCH_WATCHER_TRANSFERS transfers each (median
 *    reported), after BENCH_WATCHER_WARMUP_ROUNDS (default 1) such rounds that are not measured:
 *    the recorded logs fed through decode (`decodeTransferLogs`), match (the
 *    watcher's address map, loaded with `listDepositAddressesSince`) and credit
 *    (`recordRange`, as the watcher records a scanned range: pending payment rows and their
 *    `invoice_payment.created` events, in one transaction or, for a large range on Postgres,
 *    split by deposit address across concurrent ones), once per block; then the same logs again, which must
 *    record nothing (exactly once).
 * 4. Detection latency: the watcher loop runs as on a server (`watcherPolling`: woken by anvil's
 *    newHeads, polled every second while subscribed, every 100 ms otherwise); single
 *    transfers are sent one at a time at random phases of the poll. Latency = from the moment
 *    anvil answered `eth_sendRawTransaction` (automine: the block is mined by then) to the moment
 *    this process is notified (LISTEN pepay_events, delivered at commit) of the transfer's
 *    `invoice_payment.created` event. Devnet needs one confirmation, so the transfer's own block is
 *    the confirming block; the `invoice_payment.updated` (confirmed) notification is reported too.
 *
 * Setup rows (invoices, deposit addresses, quotes) are inserted with plain SQL in bulk: the bench
 * measures the watcher, not invoice creation. Their created_at lies an hour back, as for
 * addresses the watcher loaded long ago. The server runs without the sandbox catalog, whose
 * one-off background seed would otherwise overlap the timed phases.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monotonicMs, systemClock } from '@pepay/core'
import { sql } from 'kysely'
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  erc20Abi,
  http,
  type Abi,
  type Hex,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { loadConfig } from '../packages/server/src/config.ts'
import { defaultExtensions } from '../packages/server/src/extensions.ts'
import { chainLayers, watcherPolling } from '../packages/server/src/modules/chain/chain.extension.ts'
import {
  listDepositAddressesSince,
  type DepositAddressRecord,
} from '../packages/server/src/modules/chain/deposit.repo.ts'
import { EVENTS_CHANNEL } from '../packages/server/src/modules/events/event.repo.ts'
import { onboardMerchant } from '../packages/server/src/modules/merchants/merchant.service.ts'
import {
  decodeTransferLogs,
  transferEventTopic,
  type RawEvmLog,
} from '../packages/server/src/providers/chain/evm/evm-adapter.ts'
import stablecoinArtifact from '../packages/server/src/providers/chain/devnet/artifacts/TestStablecoin.json' with { type: 'json' }
import { recordRange } from '../packages/server/src/modules/chain/watcher.ts'
import { startServer, type RunningServer } from '../packages/server/src/server.ts'
import { passInChild, servePass } from './lib/child-pass.ts'
import { cpuPerUnit, readCpu } from './lib/cpu.ts'
import { LatencyHistogram } from './lib/histogram.ts'
import { envInt, median, percentile } from './lib/measurement.ts'
import { createScratchDatabase, postgresVersion, type ScratchDatabase } from './lib/postgres.ts'

type DatabaseKind = 'pglite' | 'postgres'

export const TARGETS = { creditedPerSecondMin: 20_000, detectionP99MsMax: 250 }

interface Settings {
  watched: number
  transfers: number
  /** Direct-path rounds, each on its own `transfers`; rates are reported as their median. */
  rounds: number
  /** Direct-path rounds run first, on transfers of their own, and not measured. */
  warmupRounds: number
  perTx: number
  latencySamples: number
}

function settings(env: Record<string, string | undefined>): Settings {
  const s = {
    watched: envInt(env, 'BENCH_WATCHER_ADDRESSES', 100_000),
    transfers: envInt(env, 'BENCH_WATCHER_TRANSFERS', 20_000),
    rounds: envInt(env, 'BENCH_WATCHER_ROUNDS', 3),
    warmupRounds: envInt(env, 'BENCH_WATCHER_WARMUP_ROUNDS', 1),
    perTx: envInt(env, 'BENCH_WATCHER_PER_TX', 800),
    latencySamples: envInt(env, 'BENCH_WATCHER_LATENCY_SAMPLES', 100),
  }
  if (s.rounds < 1) throw new Error('BENCH_WATCHER_ROUNDS must be at least 1')
  if (s.transfers * (s.rounds + s.warmupRounds) + s.latencySamples > s.watched)
    throw new Error(
      'BENCH_WATCHER_ADDRESSES must exceed transfers × (rounds + warm-up rounds) + latency samples',
    )
  return s
}

function log(line: string): void {
  process.stdout.write(`  ${line}\n`)
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits
const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000)

export interface Pass {
  database: DatabaseKind
  watched_addresses: number
  address_load_ms: number
  fill_blocks: number
  fill_transfers: number
  fill_seconds: number
  get_logs_per_s: number
  get_logs_ms: number
  decode_match_per_s: number
  credited: number
  /** Median over the rounds; `_rounds` lists each round's figure. */
  credited_per_s_per_block_tx: number
  credited_per_s_per_block_tx_rounds: string
  credit_ms_per_block_p50: number
  credit_ms_per_block_max: number
  credited_per_s_catch_up: number
  credited_per_s_catch_up_rounds: string
  /** CPU per credited transfer over both direct phases: this process (decode, match, statements built, pg client). */
  process_cpu_us_per_credit: number
  /** The same for the Postgres server's processes (null on PGlite, whose engine runs in this process). */
  postgres_cpu_us_per_credit: number | null
  replay_recorded: number
  replay_per_s: number
  payment_rows: number
  created_events: number
  latency_samples: number
  detect_p50_ms: number
  detect_p90_ms: number
  detect_p99_ms: number
  detect_max_ms: number
  confirmed_p50_ms: number
  confirmed_p99_ms: number
  detect_from_submit_p99_ms: number
}

function pick(env: Record<string, string | undefined>, names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])),
  )
}

async function startApi(
  database: DatabaseKind,
  dataDir: string,
  scratch: ScratchDatabase | undefined,
): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    PEPAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    PEPAY_DEVNET: 'embedded',
    PEPAY_SEED_DEMO: 'false',
    // no workers: the bench starts the watcher loop itself for the latency phase
    PEPAY_NO_WORKERS: 'true',
    // no sandbox catalog: its background seed (100,000 products) would share the two cores with
    // the phases measured here, at whatever point of them it happened to run
    PEPAY_CATALOG_SIZE: '0',
    // how the watcher splits a large range (server defaults unless set for this run)
    ...pick(process.env, ['PEPAY_WATCHER_WRITERS', 'PEPAY_WATCHER_SPLIT_MIN']),
    ...(database === 'postgres' && scratch ? { DATABASE_URL: scratch.url } : {}),
  })
  return startServer(config, { extensions: defaultExtensions(config), runWorkers: false })
}

/** 100,000 unpaid invoices, each with a base USDC deposit address and a 1 USDC quote. */
async function seedWatched(
  server: RunningServer,
  merchantId: bigint,
  tokenId: number,
  count: number,
): Promise<void> {
  const db = server.deps.db
  const at = new Date(systemClock.now().getTime() - 3_600_000)
  const until = new Date(at.getTime() + 30 * 24 * 3_600_000)
  const merchant = merchantId.toString()
  await sql`INSERT INTO invoice (id, merchant_id, environment, status, amount_usd_millis, session_token_hash, session_issued_at_ms, expires_at, created_at, updated_at)
    SELECT md5('bench-invoice-' || i)::uuid, ${merchant}::bigint, 'devnet', 'unpaid', 1000, decode(md5('bench-session-' || i), 'hex'), 0, ${until}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    FROM generate_series(1, ${count}::int) AS i`.execute(db)
  // the offset keeps bench derivation indexes clear of the sequence's
  await sql`INSERT INTO deposit_address (id, owner_type, owner_id, invoice_id, merchant_id, environment, network, chain_kind, derivation_index, address, token_id, created_block, created_at)
    SELECT md5('bench-deposit-' || i)::uuid, 'invoice', md5('bench-invoice-' || i)::uuid, md5('bench-invoice-' || i)::uuid, ${merchant}::bigint, 'devnet', 'base', 'evm',
           100000000 + i, '0x' || substr(md5('bench-address-' || i) || md5('bench-address2-' || i), 1, 40), ${tokenId}::int, NULL,
           ${at}::timestamptz + (i || ' milliseconds')::interval
    FROM generate_series(1, ${count}::int) AS i`.execute(db)
  await sql`INSERT INTO payment_quote (id, invoice_id, network, token_id, usd_millis, token_amount, price_answer, price_decimals, price_provider, created_at, valid_until)
    SELECT md5('bench-quote-' || i)::uuid, md5('bench-invoice-' || i)::uuid, 'base', ${tokenId}::int, 1000, 1000000, 100000000, 8, 'par', ${at}::timestamptz, ${until}::timestamptz
    FROM generate_series(1, ${count}::int) AS i`.execute(db)
  // planner statistics, as autovacuum keeps them on a live database
  await sql`ANALYZE invoice`.execute(db)
  await sql`ANALYZE deposit_address`.execute(db)
  await sql`ANALYZE payment_quote`.execute(db)
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(60_000),
  })
  const body = (await response.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

async function measurePass(database: DatabaseKind, s: Settings): Promise<Pass> {
  const dataDir = mkdtempSync(join(tmpdir(), `pepay-bench-watcher-${database}-`))
  let scratch: ScratchDatabase | undefined
  let server: RunningServer | undefined
  try {
    if (database === 'postgres') scratch = await createScratchDatabase()
    server = await startApi(database, dataDir, scratch)
    const deps = server.deps
    const layer = chainLayers.get(deps)
    const devnet = layer?.runtime.devnet
    if (!layer || !devnet) throw new Error('the embedded devnet is not running')
    const { runtime } = layer
    const network = runtime.get('devnet', 'base')
    const watcher = layer.watchers.find((w) => w.network.def.network === 'base')
    const usdc = network?.tokens.find((t) => t.symbol === 'USDC')
    const net = devnet.networks.find((n) => n.network === 'base')
    if (!network || !watcher || !usdc?.address || !net)
      throw new Error('base USDC missing on the devnet')
    const merchant = await onboardMerchant(deps.db, deps.secrets, deps.clock, {
      name: 'Bench Watcher',
      email: 'watcher@example.com',
    })

    let t0 = monotonicMs()
    await seedWatched(server, merchant.merchant.id, usdc.id, s.watched)
    log(
      `${database}: ${s.watched} invoices, deposit addresses and quotes seeded in ${round((monotonicMs() - t0) / 1000)} s`,
    )

    // the watcher's own address cache load
    t0 = monotonicMs()
    const addresses = new Map<string, DepositAddressRecord>()
    let after: { createdAt: Date; id: string } | undefined
    for (let i = 0; i < 1_000; i += 1) {
      const batch = await listDepositAddressesSince(deps.db, 'devnet', 'base', after, 5_000)
      for (const record of batch) addresses.set(record.address, record)
      const last = batch.at(-1)
      if (last) after = { createdAt: last.createdAt, id: last.id }
      if (batch.length < 5_000) break
    }
    const addressLoadMs = monotonicMs() - t0
    if (addresses.size !== s.watched)
      throw new Error(`loaded ${addresses.size} watched addresses, expected ${s.watched}`)
    const ordered = [...addresses.keys()].sort()
    const filledRounds = s.warmupRounds + s.rounds
    const fillTargets = ordered.slice(0, s.transfers * filledRounds)
    const latencyTargets = ordered.slice(fillTargets.length, fillTargets.length + s.latencySamples)
    log(`${database}: ${addresses.size} watched addresses loaded in ${round(addressLoadMs)} ms`)

    // 1. fill: batchTransfer calls, one block each
    const payer = devnet.fundedAccounts('base')[0]
    if (!payer) throw new Error('no funded dev account')
    const unit = 1_000_000n
    await devnet.faucet('base', payer.address, {
      tokenAddress: usdc.address as Hex,
      amountUnits: unit * BigInt(fillTargets.length + s.latencySamples),
    })
    const chain = {
      id: net.chainId,
      name: 'base',
      nativeCurrency: { name: 'ETH', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [net.rpcUrl] } },
    }
    const account = privateKeyToAccount(payer.privateKey)
    const wallet = createWalletClient({
      account,
      chain,
      transport: http(net.rpcUrl, { retryCount: 0, timeout: 60_000 }),
    })
    const client = createPublicClient({
      chain,
      transport: http(net.rpcUrl, { retryCount: 0, timeout: 60_000 }),
      cacheTime: 0,
    })
    // each round's transfers in blocks of their own: the first round's before the raw fetch and
    // the latency phase (which then run beside 25 full blocks, however many rounds follow: anvil
    // answers more slowly as its state grows), the others after them
    const roundOfBlock = new Map<bigint, number>()
    const fillRound = async (index: number) => {
      const targets = fillTargets.slice(index * s.transfers, (index + 1) * s.transfers)
      for (let i = 0; i < targets.length; i += s.perTx) {
        const recipients = targets.slice(i, i + s.perTx) as Hex[]
        const hash = await wallet.writeContract({
          address: usdc.address as Hex,
          abi: stablecoinArtifact.abi as Abi,
          functionName: 'batchTransfer',
          args: [recipients, recipients.map(() => unit)],
          gas: 29_000_000n,
        })
        const receipt = await client.waitForTransactionReceipt({
          hash,
          pollingInterval: 20,
          timeout: 60_000,
        })
        if (receipt.status !== 'success') throw new Error(`batchTransfer ${hash} reverted`)
        roundOfBlock.set(receipt.blockNumber, index)
      }
    }
    const transferLogs = (fromBlock: bigint, toBlock: bigint) =>
      rpc<RawEvmLog[]>(net.rpcUrl, 'eth_getLogs', [
        {
          fromBlock: `0x${fromBlock.toString(16)}`,
          toBlock: `0x${toBlock.toString(16)}`,
          address: [usdc.address],
          topics: [transferEventTopic],
        },
      ])
    const firstBlock = (await client.getBlockNumber()) + 1n
    t0 = monotonicMs()
    await fillRound(0)
    const firstRoundLastBlock = await client.getBlockNumber()
    let fillSeconds = (monotonicMs() - t0) / 1000
    log(
      `${database}: ${s.transfers} transfers in blocks ${firstBlock}..${firstRoundLastBlock} (${round(fillSeconds)} s)`,
    )

    // 2. raw eth_getLogs over the first round's blocks, fetch and parse only (best of three)
    let firstRoundLogs: RawEvmLog[] = []
    let getLogsMs = Number.POSITIVE_INFINITY
    for (let i = 0; i < 3; i += 1) {
      t0 = monotonicMs()
      firstRoundLogs = await transferLogs(firstBlock, firstRoundLastBlock)
      getLogsMs = Math.min(getLogsMs, monotonicMs() - t0)
    }
    if (firstRoundLogs.length !== s.transfers)
      throw new Error(`eth_getLogs returned ${firstRoundLogs.length} logs, expected ${s.transfers}`)
    log(
      `${database}: eth_getLogs ${firstRoundLogs.length} logs in ${round(getLogsMs)} ms (${perSecond(firstRoundLogs.length, getLogsMs)} logs/s)`,
    )

    // 3. detection latency with the watcher loop running (before the direct path: its pending
    //    rows would otherwise be confirmed by this loop while it is timed)
    const seqBefore =
      (await sql<{ s: string | null }>`SELECT max(seq) AS s FROM event`.execute(deps.db)).rows[0]
        ?.s ?? '0'
    const notified = new Map<string, number>()
    const unlisten = await deps.database.listen(EVENTS_CHANNEL, (payload) => {
      notified.set(payload, monotonicMs())
    })
    // the watcher's first scan covers the head block: an empty one, so the fill stays for the direct path
    await devnet.anvil('base').mine(1)
    // polled as the server polls it (watcherPolling): 100 ms, 1 s while anvil's newHeads subscription is open
    const { pollMs, ...polling } = watcherPolling(network.def)
    const loop = watcher.start(pollMs, polling)
    let latency:
      | {
          d: ReturnType<LatencyHistogram['summary']>
          k: ReturnType<LatencyHistogram['summary']>
          fromSubmitP99: number
        }
      | undefined
    try {
      const loopStarted = monotonicMs()
      for (let i = 0; i < 1200 && watcher.stats.iterations < 3; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 50))
      if (watcher.stats.iterations < 3) throw new Error('the watcher loop did not start')
      log(
        `${database}: watcher loop running (first iterations, including its address load, in ${round(monotonicMs() - loopStarted)} ms)`,
      )
      const nonceBase = await client.getTransactionCount({
        address: account.address,
        blockTag: 'pending',
      })
      const fees = await client.estimateFeesPerGas()
      const samples: { to: string; submitMs: number; minedMs: number }[] = []
      for (const [i, to] of latencyTargets.entries()) {
        const raw = await account.signTransaction({
          chainId: net.chainId,
          type: 'eip1559',
          nonce: nonceBase + i,
          gas: 100_000n,
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
          to: usdc.address as Hex,
          data: encodeFunctionData({
            abi: erc20Abi,
            functionName: 'transfer',
            args: [to as Hex, unit],
          }),
        })
        // a random phase against the 100 ms poll, as real payments arrive
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 150))
        const submitMs = monotonicMs()
        await rpc<Hex>(net.rpcUrl, 'eth_sendRawTransaction', [raw])
        const minedMs = monotonicMs()
        samples.push({ to, submitMs, minedMs })
        // wait (bounded) for its created event before the next sample
        const expected = new Set(notified.keys())
        for (let w = 0; w < 400; w += 1) {
          if ([...notified.keys()].some((k) => !expected.has(k))) break
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
      // give the last confirmations a moment, then map notifications to transfers
      for (let w = 0; w < 100 && notified.size < samples.length * 3; w += 1)
        await new Promise((resolve) => setTimeout(resolve, 20))
      // a NOTIFY carries the highest seq of its transaction: an event is announced by the first
      // notification whose seq is at least its own
      const announced = [...notified.entries()]
        .map(([seq, at]) => ({ seq: BigInt(seq), at }))
        .sort((a, b) => (a.seq < b.seq ? -1 : 1))
      const events = await deps.db
        .selectFrom('event')
        .select(['seq', 'type', 'data'])
        .where('seq', '>', seqBefore)
        .execute()
      const announcedAt = (seq: bigint) => announced.find((n) => n.seq >= seq)?.at
      const created = new Map<string, number>()
      const confirmed = new Map<string, number>()
      for (const event of events) {
        const object = (event.data as { object: { to_address?: string; status?: string } }).object
        const at = announcedAt(BigInt(event.seq))
        if (!object.to_address || at === undefined) continue
        if (event.type === 'invoice_payment.created') created.set(object.to_address, at)
        if (event.type === 'invoice_payment.updated' && object.status === 'confirmed')
          confirmed.set(object.to_address, at)
      }
      const detect = new LatencyHistogram()
      const confirm = new LatencyHistogram()
      const fromSubmit: number[] = []
      for (const sample of samples) {
        const c = created.get(sample.to)
        if (c === undefined) throw new Error(`no invoice_payment.created for ${sample.to}`)
        detect.recordMs(c - sample.minedMs)
        fromSubmit.push(c - sample.submitMs)
        const k = confirmed.get(sample.to)
        if (k !== undefined) confirm.recordMs(k - sample.minedMs)
      }
      const d = detect.summary()
      const k = confirm.summary()
      log(
        `${database}: detection p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms over ${d.count} transfers`,
      )
      latency = {
        d,
        k,
        fromSubmitP99: percentile(
          fromSubmit.sort((a, b) => a - b),
          99,
        ),
      }
    } finally {
      await loop.stop()
      await unlisten()
    }
    const countRecorded = async () => {
      const rows = await sql<{
        n: string
      }>`SELECT count(*) AS n FROM invoice_payment WHERE network = 'base' AND environment = 'devnet'`.execute(
        deps.db,
      )
      const created = await sql<{
        n: string
      }>`SELECT count(*) AS n FROM event WHERE type = 'invoice_payment.created'`.execute(deps.db)
      return { rows: Number(rows.rows[0]?.n ?? 0), created: Number(created.rows[0]?.n ?? 0) }
    }
    const beforeCredit = await countRecorded()
    t0 = monotonicMs()
    for (let r = 1; r < filledRounds; r += 1) await fillRound(r)
    fillSeconds += (monotonicMs() - t0) / 1000
    const lastBlock = await client.getBlockNumber()
    // the fill's blocks only: the latency phase's transfers were recorded by the loop
    const logs = (await transferLogs(firstBlock, lastBlock)).filter((entry) =>
      roundOfBlock.has(BigInt(entry.blockNumber ?? -1)),
    )
    if (logs.length !== fillTargets.length)
      throw new Error(`eth_getLogs returned ${logs.length} logs, expected ${fillTargets.length}`)
    // 4. direct path: decode + match + credit, in rounds of their own blocks. In each round the
    //    first half of the blocks one transaction per block (a watcher following the head), the
    //    second half in one transaction (a watcher catching up: one iteration covers up to 2,000
    //    blocks); then everything again.
    const tokenIdByAddress = new Map([[usdc.address.toLowerCase(), usdc.id]])
    const byBlock = new Map<string, RawEvmLog[]>()
    for (const entry of logs)
      byBlock.set(entry.blockNumber ?? '', [...(byBlock.get(entry.blockNumber ?? '') ?? []), entry])
    const blocks = [...byBlock.values()]
    const roundBlocks = Array.from({ length: filledRounds }, (_, r) =>
      blocks.filter((b) => roundOfBlock.get(BigInt(b[0]?.blockNumber ?? -1)) === r),
    )
    const head = lastBlock
    const credit = async (groups: RawEvmLog[][]) => {
      let recorded = 0
      let decodeMs = 0
      let transfersSeen = 0
      const perGroup: number[] = []
      const started = monotonicMs()
      for (const groupLogs of groups) {
        const groupStarted = monotonicMs()
        const transfers = decodeTransferLogs(groupLogs, {
          network: 'base',
          tokenIdByAddress,
          isWatched: (a) => addresses.has(a),
        })
        const matched = transfers.flatMap((transfer) => {
          const deposit = addresses.get(transfer.to)
          return deposit ? [{ transfer, deposit }] : []
        })
        transfersSeen += groupLogs.length
        decodeMs += monotonicMs() - groupStarted
        recorded += await recordRange(deps, runtime, network, matched, head)
        perGroup.push(monotonicMs() - groupStarted)
      }
      return {
        recorded,
        transfersSeen,
        ms: monotonicMs() - started,
        decodeMs,
        perGroup: perGroup.sort((a, b) => a - b),
      }
    }
    // warm-up rounds first, the same work on transfers of their own, unmeasured: the JIT, the
    // pool's connections and their prepared statements, and Postgres' caches reach their steady state
    const runRound = async (own: RawEvmLog[][]) => {
      const half = Math.max(1, Math.floor(own.length / 2))
      return {
        following: await credit(own.slice(0, half)),
        catchingUp: await credit([own.slice(half).flat()]),
        half,
      }
    }
    let warmupRecorded = 0
    for (const [r, own] of roundBlocks.slice(0, s.warmupRounds).entries()) {
      const { following, catchingUp } = await runRound(own)
      warmupRecorded += following.recorded + catchingUp.recorded
      log(
        `${database}: warm-up round ${r + 1}: ${following.recorded + catchingUp.recorded} credited`,
      )
    }
    const cpuBefore = readCpu()
    const followingRounds: Awaited<ReturnType<typeof credit>>[] = []
    const catchingUpRounds: Awaited<ReturnType<typeof credit>>[] = []
    for (const [r, own] of roundBlocks.slice(s.warmupRounds).entries()) {
      const { following, catchingUp, half } = await runRound(own)
      log(
        `${database}: round ${r + 1}: one transaction per block: ${following.recorded} credited in ${round(following.ms)} ms (${perSecond(following.recorded, following.ms)}/s); ` +
          `one transaction for ${own.length - half} blocks: ${catchingUp.recorded} in ${round(catchingUp.ms)} ms (${perSecond(catchingUp.recorded, catchingUp.ms)}/s)`,
      )
      followingRounds.push(following)
      catchingUpRounds.push(catchingUp)
    }
    const sum = (
      runs: Awaited<ReturnType<typeof credit>>[],
      pick: (run: Awaited<ReturnType<typeof credit>>) => number,
    ) => runs.reduce((total, run) => total + pick(run), 0)
    const credited =
      sum(followingRounds, (r) => r.recorded) + sum(catchingUpRounds, (r) => r.recorded)
    if (warmupRecorded + credited !== fillTargets.length)
      throw new Error(
        `recorded ${warmupRecorded} in warm-up and ${credited} measured, expected ${fillTargets.length}`,
      )
    const cpu = cpuPerUnit(cpuBefore, readCpu(), credited)
    const rates = (runs: Awaited<ReturnType<typeof credit>>[]) =>
      runs.map((run) => perSecond(run.recorded, run.ms))
    const perBlockRates = rates(followingRounds)
    const catchUpRates = rates(catchingUpRounds)
    const perBlockMs = followingRounds.flatMap((run) => run.perGroup).sort((a, b) => a - b)
    const replay = await credit([blocks.flat()])
    log(
      `${database}: the same ${logs.length} logs again: ${replay.recorded} recorded in ${round(replay.ms)} ms`,
    )
    const decodeMs =
      sum(followingRounds, (r) => r.decodeMs) + sum(catchingUpRounds, (r) => r.decodeMs)
    const counts = await countRecorded()
    const paymentRows = counts.rows - beforeCredit.rows
    const createdEvents = counts.created - beforeCredit.created
    if (paymentRows !== fillTargets.length || createdEvents !== fillTargets.length) {
      throw new Error(
        `exactly-once broken: ${paymentRows} payment rows and ${createdEvents} created events for ${fillTargets.length} transfers`,
      )
    }

    if (!latency) throw new Error('no latency measured')
    const { d, k } = latency
    return {
      database,
      watched_addresses: addresses.size,
      address_load_ms: round(addressLoadMs),
      fill_blocks: byBlock.size,
      fill_transfers: fillTargets.length,
      fill_seconds: round(fillSeconds),
      get_logs_per_s: perSecond(firstRoundLogs.length, getLogsMs),
      get_logs_ms: round(getLogsMs),
      decode_match_per_s: perSecond(
        sum(followingRounds, (r) => r.transfersSeen) +
          sum(catchingUpRounds, (r) => r.transfersSeen),
        decodeMs,
      ),
      credited,
      credited_per_s_per_block_tx: median(perBlockRates),
      credited_per_s_per_block_tx_rounds: perBlockRates.join(' '),
      credit_ms_per_block_p50: round(percentile(perBlockMs, 50)),
      credit_ms_per_block_max: round(perBlockMs.at(-1) ?? 0),
      credited_per_s_catch_up: median(catchUpRates),
      credited_per_s_catch_up_rounds: catchUpRates.join(' '),
      process_cpu_us_per_credit: cpu.processUs,
      postgres_cpu_us_per_credit: database === 'postgres' ? cpu.postgresUs : null,
      replay_recorded: replay.recorded,
      replay_per_s: perSecond(replay.transfersSeen, replay.ms),
      payment_rows: paymentRows,
      created_events: createdEvents,
      latency_samples: d.count,
      detect_p50_ms: d.p50Ms,
      detect_p90_ms: d.p90Ms,
      detect_p99_ms: d.p99Ms,
      detect_max_ms: d.maxMs,
      confirmed_p50_ms: k.p50Ms,
      confirmed_p99_ms: k.p99Ms,
      detect_from_submit_p99_ms: round(latency.fromSubmitP99),
    }
  } finally {
    await server?.stop()
    await scratch?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

export async function run(): Promise<object> {
  const s = settings(process.env)
  const databases = (process.env['BENCH_DATABASES'] ?? 'pglite,postgres')
    .split(',')
    .map((d) => d.trim())
  for (const d of databases)
    if (d !== 'pglite' && d !== 'postgres')
      throw new Error(`BENCH_DATABASES: unknown database "${d}"`)
  const passes: Pass[] = []
  for (const database of databases as DatabaseKind[])
    passes.push(await passInChild<Pass>(import.meta.url, database))
  // the direct path's throughput is the rate at which recorded logs go through when fed as the
  // watcher records them: one range per scan, a scan covering many blocks when it has any to
  // catch up (only then does throughput matter). The production database carries the target;
  // PGlite (the embedded database of `npm start`: one connection, single-threaded WebAssembly in
  // the server's process) and one range per block (a watcher following the head, where the time
  // per block is what counts) are reported beside it.
  const targets = passes.flatMap((p) => [
    ...(p.database === 'postgres'
      ? [
          {
            target: `credited transfers/s >= ${TARGETS.creditedPerSecondMin} (direct path, recorded logs fed as scanned ranges; median of rounds)`,
            database: p.database,
            actual: p.credited_per_s_catch_up,
            pass:
              p.credited_per_s_catch_up >= TARGETS.creditedPerSecondMin && p.replay_recorded === 0,
          },
        ]
      : []),
    {
      target: `detection p99 <= ${TARGETS.detectionP99MsMax} ms`,
      database: p.database,
      actual: p.detect_p99_ms,
      pass: p.detect_p99_ms <= TARGETS.detectionP99MsMax,
    },
    {
      target: 'each transfer recorded once (the same logs fed again record nothing)',
      database: p.database,
      actual: p.replay_recorded,
      pass: p.replay_recorded === 0,
    },
  ])
  const reference = passes.flatMap((p) => [
    ...(p.database === 'pglite'
      ? [
          {
            figure: 'credited transfers/s, recorded logs fed as scanned ranges (median of rounds)',
            database: p.database,
            value: p.credited_per_s_catch_up,
            process_cpu_us_per_credit: p.process_cpu_us_per_credit,
          },
        ]
      : []),
    {
      figure: 'credited transfers/s, one range per block (median of rounds)',
      database: p.database,
      value: p.credited_per_s_per_block_tx,
      process_cpu_us_per_credit: p.process_cpu_us_per_credit,
    },
    {
      figure: 'ms to credit one 800-transfer block (p50 of the per-block ranges)',
      database: p.database,
      value: p.credit_ms_per_block_p50,
      process_cpu_us_per_credit: p.process_cpu_us_per_credit,
    },
  ])
  return {
    settings: {
      watchedAddresses: s.watched,
      transfersPerRound: s.transfers,
      rounds: s.rounds,
      warmupRounds: s.warmupRounds,
      transfersPerTx: s.perTx,
      latencySamples: s.latencySamples,
      databases: databases.join(','),
      postgres: databases.includes('postgres') ? await postgresVersion() : null,
      latencyMethod:
        'from eth_sendRawTransaction returning (anvil automine: block mined) to the LISTEN notification of the invoice_payment.created event (sent at commit); watcher woken by the node’s newHeads notifications and polled as on a server (watcherPolling: every second while subscribed, 100 ms otherwise); one confirmation',
      creditMethod:
        'recorded eth_getLogs logs → decodeTransferLogs → address-map match → recordRange (pending rows + created events; on Postgres split by deposit address across PEPAY_WATCHER_WRITERS concurrent transactions of at least PEPAY_WATCHER_SPLIT_MIN transfers); in each round (its own transfers and blocks) the first half of the blocks one range each, the second half as one range, each figure the median of the rounds, after warmupRounds such rounds unmeasured; then all logs again (must record 0)',
      cpuMethod:
        'process CPU (process.cpuUsage, every thread) and the CPU of every postgres process on the machine (/proc utime + stime), over both direct phases of every measured round, divided by the transfers they credited',
    },
    results: passes,
    targets,
    reference,
    allTargetsPass: targets.every((t) => t.pass),
  }
}

// each database's pass runs in a child process of this module (passInChild)
await servePass(import.meta.url, (database) =>
  measurePass(database as DatabaseKind, settings(process.env)),
)
