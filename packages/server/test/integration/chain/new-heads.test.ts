import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, type Api, chainLayer, devnetOf, eventually, newInvoice, payToken, tokenOf, watcherOf } from '../../helpers/chain.ts'
import { watcherPolling } from '../../../src/modules/chain/chain.extension.ts'
import type { ChainWatcher } from '../../../src/modules/chain/watcher.ts'
import type { Loop } from '../../../src/workers/loop.ts'

// The watcher loop started by hand with a poll far longer than the test: after its first
// iteration, only the devnet node's new-block notifications (eth_subscribe newHeads on anvil's
// WebSocket) can make it scan again.
const POLL_MS = 120_000

/**
 * A devnet server whose workers are off, so that the test starts the watcher's loop itself, and a
 * merchant to pay; `after` stops the loop the test left running.
 */
function watcherFixture(shop: string, key: string) {
  const f = {} as { t: TestServer; merchantKey: string; api: Api; watcher: ChainWatcher; loop: Loop | undefined }
  before(async () => {
    f.t = await startTestServer({ devnet: true, runWorkers: false, env: { PEPAY_NO_WORKERS: 'true' } })
    f.merchantKey = (await f.t.onboard(shop)).merchantKey
    f.api = apiClient(f.t.url, keyHeaders(f.merchantKey))
    f.watcher = watcherOf(f.t, key)
  })
  after(async () => {
    await f.loop?.stop()
    await f.t.close()
  })
  return f
}

/** With the loop started as the server starts it: some twenty-five iterations in 2.5 s at 100 ms, one or a few at 1 s. */
async function assertPolledEverySecond(watcher: ChainWatcher): Promise<void> {
  await eventually(async () => watcher.notifiedOfBlocks, (active) => active, 10_000, 'announcements open')
  await new Promise((resolve) => setTimeout(resolve, 300))
  const from = watcher.stats.iterations
  await new Promise((resolve) => setTimeout(resolve, 2_500))
  const polled = watcher.stats.iterations - from
  assert.ok(polled >= 1 && polled <= 4, `${polled} iterations in 2.5 s`)
}

/**
 * With the watcher's loop started on a poll minutes long: once announcements are open and the
 * loop has made its own first iteration, an invoice paid with `pay` is recorded within seconds,
 * which only a new-block announcement can have caused.
 */
async function assertPaidBeforeNextPoll(
  f: ReturnType<typeof watcherFixture>,
  input: { network: string; tokenId: number; amountUsd: number; pay: (address: string) => Promise<unknown> },
): Promise<void> {
  const { watcher } = f
  await eventually(async () => watcher.notifiedOfBlocks, (active) => active, 10_000, 'announcements open')
  // the loop's own first iteration (the one driven by hand before was the first of all)
  await eventually(async () => watcher.stats.iterations, (n) => n >= 2, 10_000, 'first loop iteration')
  const iterations = watcher.stats.iterations
  const { id, session } = await newInvoice(f.t, f.merchantKey, { amount_usd: input.amountUsd })
  const address = (await allocateAddress(session, input.network, input.tokenId)).temp_address
  const sent = performance.now()
  await input.pay(address)
  await eventually(async () => (await f.api('GET', `/api/v1/invoices/${id}`)).body.status as string, (status) => status === 'paid', 10_000, 'invoice paid')
  assert.ok(performance.now() - sent < POLL_MS / 10)
  assert.ok(watcher.stats.iterations > iterations, 'woken again after its first iteration')
}

describe('chain watcher woken by new-block notifications', () => {
  const f = watcherFixture('Heads Shop', 'devnet:base')
  let t: TestServer
  let watcher: ChainWatcher
  before(() => {
    ;({ t, watcher } = f)
  })

  it('gives each devnet EVM network the WebSocket of its node', () => {
    for (const network of chainLayer(t).runtime.networks.filter((n) => n.def.environment === 'devnet' && n.def.kind === 'evm')) {
      assert.match(network.def.newHeadsUrl ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/)
    }
  })

  it('subscribes only once its loop runs and it leads', async () => {
    await watcher.tick()
    assert.equal(watcher.isLeader, true)
    assert.equal(watcher.notifiedOfBlocks, false, 'an iteration driven by hand has no loop to wake')
  })

  it('records a payment within seconds although the next poll is minutes away', async () => {
    f.loop = watcher.start(POLL_MS)
    const usdc = tokenOf(t, 'base', 'USDC')
    await assertPaidBeforeNextPoll(f, {
      network: 'base',
      tokenId: usdc.id,
      amountUsd: 3,
      pay: (address) => payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: address, amountUnits: 3_000_000n }),
    })
  })

  it('closes the subscription when its loop stops', async () => {
    await f.loop?.stop()
    f.loop = undefined
    assert.equal(watcher.notifiedOfBlocks, false)
  })

  it('polls at the slower notified pace while blocks are announced, and at its own pace once they stop', async () => {
    // devnet blocks are declared a second apart: announcements count as keeping up for 3 s
    const blockTimeMs = watcher.network.def.blockTimeMs
    const notifiedPollMs = 1_500
    f.loop = watcher.start(50, { notifiedPollMs })
    await eventually(async () => watcher.notifiedOfBlocks, (active) => active, 10_000, 'subscribed')
    await devnetOf(t).anvil('base').mine(1)
    const announced = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const relaxed = watcher.stats.iterations
    await new Promise((resolve) => setTimeout(resolve, 500))
    // at 50 ms, 500 ms of polling would be some ten iterations
    if (performance.now() - announced < 3 * blockTimeMs) assert.ok(watcher.stats.iterations - relaxed <= 1, `${watcher.stats.iterations - relaxed} iterations while relaxed`)
    // once announcements are older than three block times, the poll in progress (at most
    // notifiedPollMs) is the last slow one
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, announced + 3 * blockTimeMs + notifiedPollMs + 200 - performance.now())))
    const resumed = watcher.stats.iterations
    await eventually(async () => watcher.stats.iterations - resumed, (n) => n >= 5, 5_000, 'polling at 50 ms again')
  })
  it('polls a devnet network every second while its subscription is open, blocks or none', async () => {
    await f.loop?.stop()
    const polling = watcherPolling(watcher.network.def)
    assert.deepEqual(polling, { pollMs: 100, notifiedPollMs: 1_000, minedOnDemand: true })
    const { pollMs, ...options } = polling
    f.loop = watcher.start(pollMs, options)
    await assertPolledEverySecond(watcher)
  })

  it('polls mainnet at half a block time, two block times while announcements keep up', () => {
    assert.deepEqual(watcherPolling({ environment: 'mainnet', blockTimeMs: 2_000 }), { pollMs: 1_000, notifiedPollMs: 4_000, minedOnDemand: false })
    assert.deepEqual(watcherPolling({ environment: 'mainnet', blockTimeMs: 250 }), { pollMs: 500, notifiedPollMs: 500, minedOnDemand: false })
  })
})

describe('solana devnet watcher woken by the devnet it runs beside', () => {
  const f = watcherFixture('Solana Heads Shop', 'devnet:solana')
  let t: TestServer
  let watcher: ChainWatcher
  before(() => {
    ;({ t, watcher } = f)
  })

  it('records a payment within seconds although the next poll is minutes away', async () => {
    const devnet = chainLayer(t).runtime.solanaDevnet
    assert.ok(devnet)
    await watcher.tick()
    f.loop = watcher.start(POLL_MS, { blocks: (onBlock) => devnet.onBlock(onBlock) })
    const dusdc = chainLayer(t).runtime.get('devnet', 'solana')?.tokens.find((x) => x.symbol === 'DUSDC')
    assert.ok(dusdc?.address)
    const mint = dusdc.address
    const payer = devnet.fundedAccounts()[0]
    assert.ok(payer)
    await assertPaidBeforeNextPoll(f, {
      network: 'solana',
      tokenId: dusdc.id,
      amountUsd: 4,
      pay: async (address) => {
        await devnet.faucet(payer.address, { token: mint, amountUnits: 4_000_000n })
        await devnet.transfer(payer, { token: mint, to: address, amountUnits: 4_000_000n })
      },
    })
  })

  it('stops listening when its loop stops', async () => {
    await f.loop?.stop()
    f.loop = undefined
    assert.equal(watcher.notifiedOfBlocks, false)
  })

  it('polls every second while the devnet announces its blocks, as the server starts it', async () => {
    const devnet = chainLayer(t).runtime.solanaDevnet
    assert.ok(devnet)
    const { pollMs, ...options } = watcherPolling(watcher.network.def)
    f.loop = watcher.start(pollMs, { ...options, blocks: (onBlock) => devnet.onBlock(onBlock) })
    await assertPolledEverySecond(watcher)
  })
})
