/**
 * Realtime benchmark: event commit → socket receive latency (p50/p99) and server RSS with 1,000,
 * 5,000 and 10,000 concurrent sockets on one server process; replay throughput from `since=`;
 * signed webhook deliveries per second to a local receiver with 1 and 2 worker processes.
 *
 * Process model: the API server (realtime streams) runs in a child process on a scratch Postgres
 * database; the sockets run in two worker threads of this process, the event writer and the
 * webhook receiver in its main thread. Latency
 * is measured from the writer's COMMIT to the frame's arrival on each socket, so it
 * includes NOTIFY, the hub's tail read, fan-out and this process's own frame handling (the clock
 * starts when COMMIT is sent: a frame can overtake the COMMIT acknowledgement). Worker
 * processes are children too (`node bench/realtime.ts deliver <url>`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import pg from 'pg'
import WebSocket from 'ws'
import { monotonicMs } from '@pepay/core'
import { LatencyHistogram, type HistogramSnapshot } from './lib/histogram.ts'
import { envInt } from './lib/measurement.ts'
import { createScratchDatabase } from './lib/postgres.ts'

export const TARGETS = {
  socketsAt: 10_000,
  p99MsMax: 250,
  replayEventsPerSecondMin: 20_000,
  deliveriesPerSecondMin: 1_000,
}

const SELF = fileURLToPath(import.meta.url)

// ---------------------------------------------------------------------------------------------
// Child roles

async function serve(databaseUrl: string): Promise<void> {
  const { loadConfig } = await import('../packages/server/src/config.ts')
  const { startServer } = await import('../packages/server/src/server.ts')
  const { realtimeExtension } = await import('../packages/server/src/realtime/index.ts')
  const { onboardMerchant } =
    await import('../packages/server/src/modules/merchants/merchant.service.ts')
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    PEPAY_DEVNET: 'off',
    PEPAY_SEED_DEMO: 'false',
    PEPAY_NO_WORKERS: 'true',
    DATABASE_URL: databaseUrl,
    PEPAY_DATA_DIR: '/tmp',
  })
  const server = await startServer(config, {
    extensions: [realtimeExtension({ maxConnectionsPerKey: 50_000 })],
  })
  const merchant = await onboardMerchant(server.deps.db, server.deps.secrets, server.deps.clock, {
    name: 'Bench',
    email: null,
  })
  process.stdout.write(
    `${JSON.stringify({ url: server.url, merchantId: merchant.merchant.id.toString(), key: merchant.merchantKey })}\n`,
  )
  process.stdin.on('end', () => void server.stop().then(() => process.exit(0)))
  process.stdin.resume()
}

async function deliver(databaseUrl: string): Promise<void> {
  const { loadConfig } = await import('../packages/server/src/config.ts')
  const { startServer } = await import('../packages/server/src/server.ts')
  const { webhooksExtension } = await import('../packages/server/src/modules/webhooks/index.ts')
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    PEPAY_DEVNET: 'off',
    PEPAY_SEED_DEMO: 'false',
    DATABASE_URL: databaseUrl,
    PEPAY_DATA_DIR: '/tmp',
    DATABASE_POOL_SIZE: '8',
  })
  const server = await startServer(config, {
    serveHttp: false,
    runWorkers: true,
    extensions: [webhooksExtension({ runWorker: true, pollMs: 20, batchSize: 200 })],
  })
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
  process.stdin.on('end', () => void server.stop().then(() => process.exit(0)))
  process.stdin.resume()
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface Child {
  process: ChildProcess
  first: Record<string, string | undefined>
  stop(): Promise<void>
}

async function child(role: 'serve' | 'deliver', databaseUrl: string): Promise<Child> {
  const proc = spawn(process.execPath, [SELF, role, databaseUrl], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: proc.stdout })
  const first = await new Promise<Record<string, string | undefined>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${role} child did not start in 120 s`)),
      120_000,
    )
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(JSON.parse(line) as Record<string, string | undefined>)
    })
    proc.once('exit', (code) => reject(new Error(`${role} child exited with ${code}`)))
  })
  return {
    process: proc,
    first,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve()
        proc.once('exit', () => resolve())
        proc.stdin?.end()
        setTimeout(() => proc.kill('SIGKILL'), 15_000).unref()
      }),
  }
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? '0')
  return Math.round((kb / 1024) * 10) / 10
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function appendEvents(
  pool: pg.Pool,
  merchantId: string,
  count: number,
  tag: string,
): Promise<void> {
  // the same statement shape as appendEvent (without fan-out: no endpoints exist for this merchant)
  await pool.query(
    `INSERT INTO event (seq, id, merchant_id, environment, type, created_at, data)
     SELECT s, 'evt_' || (extract(epoch from now()) * 1000)::bigint::text || '-' || s::text, $1::bigint, 'devnet',
            'invoice.updated', now(), json_build_object('object', json_build_object('object', 'invoice', 'id', $2::text || '-' || g, 'status', 'paid'))
     FROM (SELECT g, nextval(pg_get_serial_sequence('event', 'seq')) AS s FROM generate_series(1, $3::int) g) n`,
    [merchantId, tag, count],
  )
}

// ---------------------------------------------------------------------------------------------
// Measurements

const TAG_PREFIX = Buffer.from('"id":"lat-')
const QUOTE = 0x22

interface LatencyRow {
  sockets: number
  connect_s: number
  events: number
  frames: number
  p50_ms: number
  p99_ms: number
  max_ms: number
  server_rss_mib: number
}

/** Client threads: the sockets are spread over worker threads so that the clients' own frame handling is not one queue. */
const CLIENT_THREADS = 2

interface ClientThreadResult {
  frames: number
  histogram: HistogramSnapshot
}

/** Worker-thread side: opens `sockets` sockets, records when each tagged frame arrives. */
async function clientThread(input: { url: string; key: string; sockets: number }): Promise<void> {
  const port = parentPort
  if (!port) return
  const arrivals = new Map<string, number[]>()
  const clients: WebSocket[] = []
  for (let i = 0; i < input.sockets; i += 250) {
    const wave = Array.from(
      { length: Math.min(250, input.sockets - i) },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          // the client's own per-frame work is part of the measured latency: keep it minimal
          const ws = new WebSocket(input.url, {
            headers: { 'x-api-key': input.key },
            perMessageDeflate: false,
            skipUTF8Validation: true,
          })
          ws.on('message', (data: Buffer) => {
            const at = performance.timeOrigin + performance.now()
            const start = data.indexOf(TAG_PREFIX)
            const end = start < 0 ? -1 : data.indexOf(QUOTE, start + TAG_PREFIX.length)
            if (end < 0) return
            const tag = data.toString('latin1', start + 6, end)
            let list = arrivals.get(tag)
            if (!list) arrivals.set(tag, (list = []))
            list.push(at)
          })
          ws.once('open', () => resolve(ws))
          ws.once('error', reject)
        }),
    )
    clients.push(...(await Promise.all(wave)))
  }
  port.postMessage({ type: 'connected' })
  port.once('message', (message: { commits: Record<string, number> }) => {
    const histogram = new LatencyHistogram()
    let frames = 0
    for (const [tag, times] of arrivals) {
      const committed = message.commits[tag]
      if (committed === undefined) continue
      for (const at of times) {
        histogram.recordMs(Math.max(0, at - committed))
        frames += 1
      }
    }
    for (const ws of clients) ws.terminate()
    port.postMessage({
      type: 'result',
      frames,
      histogram: histogram.snapshot(),
    } satisfies ClientThreadResult & { type: string })
  })
}

async function measureLatency(
  server: Child,
  pool: pg.Pool,
  sockets: number,
  events: number,
): Promise<LatencyRow> {
  const url = `${server.first['url']!.replace('http', 'ws')}/ws/merchant/events`
  const commits: Record<string, number> = {}
  const connectStart = monotonicMs()
  const threads = Array.from({ length: CLIENT_THREADS }, (_, i) => {
    const share = Math.floor(sockets / CLIENT_THREADS) + (i < sockets % CLIENT_THREADS ? 1 : 0)
    return new Worker(SELF, {
      workerData: { role: 'clients', url, key: server.first['key'], sockets: share },
    })
  })
  await Promise.all(
    threads.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve())
          w.once('error', reject)
        }),
    ),
  )
  const connectSeconds = Math.round((monotonicMs() - connectStart) / 100) / 10
  await sleep(500)
  for (let e = 0; e < events; e += 1) {
    const tag = `lat-${sockets}-${e}`
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      // announced with its seq, as appendEvent does (a hub skips a notification it has read past)
      await client.query(
        `WITH ev AS (
           INSERT INTO event (seq, id, merchant_id, environment, type, created_at, data)
           SELECT s, 'evt_' || (extract(epoch from now()) * 1000)::bigint::text || '-' || s::text, $1::bigint, 'devnet', 'invoice.updated', now(),
                  json_build_object('object', json_build_object('object', 'invoice', 'id', $2::text, 'status', 'paid'))
           FROM (SELECT nextval(pg_get_serial_sequence('event', 'seq')) AS s) n
           RETURNING seq
         )
         SELECT pg_notify('pepay_events', seq::text) FROM ev`,
        [server.first['merchantId'], tag],
      )
      // measured from sending COMMIT (a frame may overtake the COMMIT acknowledgement)
      commits[tag] = performance.timeOrigin + performance.now()
      await client.query('COMMIT')
    } finally {
      client.release()
    }
    // events apart enough that one event's fan-out is measured, not a queue of them
    await sleep(Math.max(300, sockets / 10))
  }
  await sleep(2000)
  const rss = rssMiB(server.process.pid)
  const results = await Promise.all(
    threads.map(
      (w) =>
        new Promise<ClientThreadResult>((resolve, reject) => {
          w.once('message', (message: ClientThreadResult) => resolve(message))
          w.once('error', reject)
          w.postMessage({ commits })
        }),
    ),
  )
  await Promise.all(threads.map((w) => w.terminate()))
  await sleep(1000)
  const histogram = new LatencyHistogram()
  for (const r of results) histogram.merge(r.histogram)
  const frames = results.reduce((n, r) => n + r.frames, 0)
  const s = histogram.summary()
  return {
    sockets,
    connect_s: connectSeconds,
    events,
    frames,
    p50_ms: s.p50Ms,
    p99_ms: s.p99Ms,
    max_ms: s.maxMs,
    server_rss_mib: rss,
  }
}

async function measureReplay(
  server: Child,
  pool: pg.Pool,
  count: number,
): Promise<{ events: number; seconds: number; events_per_second: number }> {
  const first = await pool.query<{ id: string }>(`SELECT id FROM event ORDER BY seq DESC LIMIT 1`)
  const since = first.rows[0]?.id
  if (!since) throw new Error('no event to replay from')
  for (let done = 0; done < count; done += 10_000)
    await appendEvents(pool, server.first['merchantId']!, Math.min(10_000, count - done), 'replay')
  await sleep(1500)
  const url = `${server.first['url']!.replace('http', 'ws')}/ws/merchant/events?since=${since}`
  const started = monotonicMs()
  let received = 0
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: { 'x-api-key': server.first['key']! },
      perMessageDeflate: false,
    })
    ws.on('message', (data: Buffer) => {
      const text = data.toString()
      if (text.startsWith('{"object":"ws_control"')) {
        ws.terminate()
        resolve()
      } else received += 1
    })
    ws.once('error', reject)
  })
  const seconds = (monotonicMs() - started) / 1000
  return {
    events: received,
    seconds: Math.round(seconds * 100) / 100,
    events_per_second: Math.round(received / seconds),
  }
}

async function measureDeliveries(
  databaseUrl: string,
  pool: pg.Pool,
  merchantId: string,
  workers: number,
  count: number,
) {
  let accepted = 0
  const receiver: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      accepted += 1
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  receiver.keepAliveTimeout = 5000
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
  const endpointId = `we_${Buffer.from(`bench${workers}`).toString('hex').padEnd(32, '0').slice(0, 32)}`
  await pool.query(
    `INSERT INTO webhook_endpoint (id, merchant_id, url, enabled_events, environment, secret, created_at, updated_at)
     VALUES ($1, $2::bigint, $3, ARRAY['invoice.*'], 'devnet', 'whsec_bench', now(), now())`,
    [endpointId, merchantId, url],
  )
  const children: Child[] = []
  for (let i = 0; i < workers; i += 1) children.push(await child('deliver', databaseUrl))
  await sleep(500)
  await pool.query(`UPDATE webhook_endpoint SET status = 'disabled' WHERE id <> $1`, [endpointId])
  const eventsFrom = await pool.query<{ max: string | null }>(
    `SELECT max(seq)::text AS max FROM event`,
  )
  await appendEvents(pool, merchantId, count, `wh${workers}`)
  const started = monotonicMs()
  await pool.query(
    `INSERT INTO webhook_delivery (id, endpoint_id, merchant_id, event_seq, event_id, event_type, status, next_attempt_at, created_at, updated_at)
     SELECT 'wd_' || lpad(to_hex(seq), 12, '0') || substr(md5($1), 1, 12), $1, merchant_id, seq, id, type, 'pending', now(), now(), now()
     FROM event WHERE seq > $2::bigint AND merchant_id = $3::bigint`,
    [endpointId, eventsFrom.rows[0]?.max ?? '0', merchantId],
  )
  let done = 0
  const deadline = monotonicMs() + 120_000
  while (monotonicMs() < deadline) {
    const r = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM webhook_delivery WHERE endpoint_id = $1 AND status = 'succeeded'`,
      [endpointId],
    )
    done = Number(r.rows[0]?.n ?? '0')
    if (done >= count) break
    await sleep(25)
  }
  const seconds = (monotonicMs() - started) / 1000
  await Promise.all(children.map((c) => c.stop()))
  receiver.closeAllConnections()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
  return {
    workers,
    deliveries: done,
    receiver_requests: accepted,
    duplicates: Math.max(0, accepted - done),
    seconds: Math.round(seconds * 100) / 100,
    deliveries_per_second: Math.round(done / seconds),
  }
}

export async function run(): Promise<object> {
  const env = process.env
  const levels = (env['BENCH_REALTIME_SOCKETS'] ?? '1000,5000,10000')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0)
  const events = envInt(env, 'BENCH_REALTIME_EVENTS', 20)
  const replayCount = envInt(env, 'BENCH_REALTIME_REPLAY_EVENTS', 50_000)
  const deliveryCount = envInt(env, 'BENCH_REALTIME_DELIVERIES', 5_000)
  const database = await createScratchDatabase()
  const pool = new pg.Pool({ connectionString: database.url, max: 4 })
  pool.on('error', () => {
    // an idle connection was closed by the server; the pool replaces it
  })
  let server: Child | undefined
  try {
    server = await child('serve', database.url)
    const latency: LatencyRow[] = []
    for (const sockets of levels) latency.push(await measureLatency(server, pool, sockets, events))
    const replay = await measureReplay(server, pool, replayCount)
    const merchantId = server.first['merchantId']!
    await server.stop()
    server = undefined
    const deliveries = [
      await measureDeliveries(database.url, pool, merchantId, 1, deliveryCount),
      await measureDeliveries(database.url, pool, merchantId, 2, deliveryCount),
    ]
    const top = latency.find((row) => row.sockets === TARGETS.socketsAt)
    return {
      latency,
      replay,
      deliveries,
      targets: {
        [`p99 < ${TARGETS.p99MsMax} ms at ${TARGETS.socketsAt} sockets`]:
          top !== undefined &&
          top.frames === top.sockets * top.events &&
          top.p99_ms < TARGETS.p99MsMax,
        [`replay >= ${TARGETS.replayEventsPerSecondMin} events/s`]:
          replay.events_per_second >= TARGETS.replayEventsPerSecondMin,
        [`>= ${TARGETS.deliveriesPerSecondMin} signed deliveries/s`]: deliveries.some(
          (d) => d.deliveries_per_second >= TARGETS.deliveriesPerSecondMin,
        ),
        'no duplicate deliveries': deliveries.every((d) => d.duplicates === 0),
      },
    }
  } finally {
    await server?.stop()
    await pool.end()
    await database.drop()
  }
}

// a worker thread of measureLatency
if (!isMainThread && (workerData as { role?: string } | null)?.role === 'clients') {
  await clientThread(workerData as { url: string; key: string; sockets: number })
}

// `node bench/realtime.ts serve|deliver <database url>`: the child roles
if (isMainThread && process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const [role, url] = process.argv.slice(2)
  if (role === 'serve' && url) await serve(url)
  else if (role === 'deliver' && url) await deliver(url)
  else {
    process.stderr.write(
      'usage: node bench/realtime.ts serve|deliver <database url> (or npm run bench -- realtime)\n',
    )
    process.exit(2)
  }
}
