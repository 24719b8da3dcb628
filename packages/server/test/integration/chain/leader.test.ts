import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { apiClient, keyHeaders, startTestServer, TEST_DB, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, type Api, devnetClient, eventually, newInvoice, payToken, tokenOf, watcherOf } from '../../helpers/chain.ts'
import type { ChainWatcher } from '../../../src/modules/chain/watcher.ts'
import type { Loop } from '../../../src/workers/loop.ts'

// Two platform processes on one Postgres: this test's server (its watcher loop started by hand)
// and a child process running the same ChainWatcher against this server's anvil. Only the holder
// of the network's advisory lock scans; the other stands by and takes over when the leader stops
// or dies. PGlite is one process's embedded database, so there is nothing to elect there.

const skip = TEST_DB === 'postgres' ? false : 'needs a Postgres shared by two processes (PGlite is embedded in one process)'
const SCRIPT = fileURLToPath(new URL('./watcher-process.ts', import.meta.url))

interface Child {
  process: ChildProcess
  state: { leader: boolean; iterations: number }
  /** Status lines received (one every 50 ms while the child runs). */
  reports: number
  exited: Promise<unknown>
}

describe('one chain watcher leader per network across processes', { skip }, () => {
  let t: TestServer
  let api: Api
  let merchantKey: string
  let watcher: ChainWatcher
  let loop: Loop | undefined
  const children: Child[] = []

  before(async () => {
    t = await startTestServer({ devnet: true, runWorkers: false, env: { PEPAY_NO_WORKERS: 'true' } })
    merchantKey = (await t.onboard('Leader Shop')).merchantKey
    api = apiClient(t.url, keyHeaders(merchantKey))
    watcher = watcherOf(t, 'devnet:base')
  })
  after(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL')
    await Promise.all(children.map((c) => c.exited))
    await loop?.stop()
    await t.close()
  })

  function startChild(): Child {
    const { net } = devnetClient(t, 'base')
    const child = spawn(process.execPath, ['--conditions=development', SCRIPT], {
      env: {
        ...process.env,
        PEPAY_TEST_DATABASE_URL: t.db.url ?? '',
        PEPAY_TEST_DATA_DIR: t.db.dataDir,
        PEPAY_TEST_RPC_URL: net.rpcUrl,
        PEPAY_TEST_NETWORK: 'base',
        PEPAY_TEST_CHAIN_ID: String(net.chainId),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const entry: Child = { process: child, state: { leader: false, iterations: 0 }, reports: 0, exited: once(child, 'exit') }
    let buffered = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      const last = lines.at(-1)
      if (last) entry.state = JSON.parse(last) as Child['state']
      entry.reports += lines.length
    })
    children.push(entry)
    return entry
  }

  const invoiceOf = async (id: string) => (await api('GET', `/api/v1/invoices/${id}?expand=payments`)).body
  async function payInvoice(amountUsd: number) {
    const usdc = tokenOf(t, 'base', 'USDC')
    const { id, session } = await newInvoice(t, merchantKey, { amount_usd: amountUsd })
    const quote = await allocateAddress(session, 'base', usdc.id)
    const paid = await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: BigInt(amountUsd) * 1_000_000n })
    return { id, txHash: paid.txHash }
  }
  async function creditedOnce(id: string, txHash: string, amountMillis: number) {
    const invoice = await eventually(() => invoiceOf(id), (i) => i.status === 'paid', 15_000, `invoice ${id} paid`)
    assert.equal(invoice.amount_paid, amountMillis)
    assert.deepEqual(invoice.payments.map((p: { tx_hash: string }) => p.tx_hash), [txHash])
    const events = await api('GET', `/api/v1/events?invoice_id=${id}&type=invoice_payment.created&limit=100`)
    assert.equal(events.body.data.data.length, 1)
  }

  it('lets the first process lead while the second stands by without scanning', async () => {
    const child = startChild()
    await eventually(async () => child.state, (s) => s.leader, 30_000, 'child leads')
    loop = watcher.start(100)
    const paid = await payInvoice(3)
    await creditedOnce(paid.id, paid.txHash, 3000)
    assert.equal(watcher.isLeader, false)
    assert.equal(watcher.stats.iterations, 0, 'the standby never scanned')
    assert.ok(child.state.iterations > 0)
  })

  it('takes over when the leader process is killed (kill -9) and credits what it missed once', async () => {
    const [child] = children
    assert.ok(child)
    child.process.kill('SIGKILL')
    await child.exited
    // paid while nobody leads: the new leader resumes from the committed cursor
    const gap = await payInvoice(4)
    await eventually(async () => watcher.isLeader, (leader) => leader, 15_000, 'this process leads')
    await creditedOnce(gap.id, gap.txHash, 4000)
    const after = await payInvoice(5)
    await creditedOnce(after.id, after.txHash, 5000)
  })

  it('hands leadership back when the leader stops gracefully, each payment credited once', async () => {
    const standby = startChild()
    // twenty status lines: about a second of its watcher loop (every 100 ms) finding the lock taken
    await eventually(async () => standby.reports, (n) => n >= 20, 30_000, 'child running')
    assert.equal(standby.state.leader, false)
    assert.equal(standby.state.iterations, 0)
    assert.ok(loop)
    await loop.stop()
    loop = undefined
    assert.equal(watcher.isLeader, false)
    await eventually(async () => standby.state, (s) => s.leader, 15_000, 'child takes over')
    const paid = await payInvoice(6)
    await creditedOnce(paid.id, paid.txHash, 6000)
    standby.process.kill('SIGTERM')
    await standby.exited
    assert.equal(standby.process.exitCode, 0)
  })
})
