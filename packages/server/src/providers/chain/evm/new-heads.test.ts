import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monotonicMs } from '@pepay/core'
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws'
import { startAnvil, type AnvilInstance } from '../devnet/anvil.ts'
import { until } from '../../../../test/helpers/wait.ts'
import { subscribeNewHeads, type NewHeadsSubscription } from './new-heads.ts'

/** A node stand-in: answers eth_subscribe (or refuses it) and pushes heads on demand. */
async function fakeNode(options: { refuse?: boolean; port?: number } = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: options.port ?? 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const sockets: ServerSocket[] = []
  const requests: { method: string; params: unknown }[] = []
  server.on('connection', (socket) => {
    sockets.push(socket)
    socket.on('message', (raw) => {
      const message = JSON.parse((raw as Buffer).toString('utf8')) as { id: number; method: string; params: unknown }
      requests.push({ method: message.method, params: message.params })
      socket.send(
        JSON.stringify(
          options.refuse
            ? { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'subscriptions not supported' } }
            : { jsonrpc: '2.0', id: message.id, result: '0xabc' },
        ),
      )
    })
  })
  const address = server.address()
  assert.ok(address && typeof address === 'object')
  return {
    url: `ws://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    connections: () => sockets.length,
    push(number: number) {
      const socket = sockets.at(-1)
      assert.ok(socket)
      socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0xabc', result: { number: `0x${number.toString(16)}` } } }))
    },
    dropAll() {
      for (const socket of sockets) socket.terminate()
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('subscribeNewHeads', () => {
  const open: NewHeadsSubscription[] = []
  after(() => {
    for (const subscription of open) subscription.close()
  })

  it('subscribes to newHeads and calls back once per announced block', async () => {
    const node = await fakeNode()
    let heads = 0
    const subscription = subscribeNewHeads({ url: node.url, onHead: () => (heads += 1) })
    open.push(subscription)
    await until(() => subscription.active, 2_000, 'subscription')
    assert.deepEqual(node.requests, [{ method: 'eth_subscribe', params: ['newHeads'] }])
    assert.equal(subscription.lastHeadAt, undefined)
    const before = monotonicMs()
    node.push(10)
    node.push(11)
    await until(() => heads === 2, 2_000, 'two heads')
    assert.ok((subscription.lastHeadAt ?? 0) >= before)
    subscription.close()
    await node.close()
  })

  it('connects and subscribes again after the node drops the connection', async () => {
    const node = await fakeNode()
    let heads = 0
    const errors: string[] = []
    const subscription = subscribeNewHeads({ url: node.url, onHead: () => (heads += 1), onError: (e) => errors.push(e.message), retryMs: 20 })
    open.push(subscription)
    await until(() => subscription.active, 2_000, 'subscription')
    node.dropAll()
    await until(() => node.connections() === 2 && subscription.active, 2_000, 'second subscription')
    assert.equal(node.requests.length, 2)
    assert.match(errors[0] ?? '', /closed/)
    node.push(12)
    await until(() => heads === 1, 2_000, 'head after reconnecting')
    subscription.close()
    await node.close()
  })

  it('reports a refused subscription and retries with a growing delay', async () => {
    const node = await fakeNode({ refuse: true })
    const errors: string[] = []
    const subscription = subscribeNewHeads({ url: node.url, onHead: () => undefined, onError: (e) => errors.push(e.message), retryMs: 20, maxRetryMs: 40 })
    open.push(subscription)
    await until(() => node.requests.length >= 3, 3_000, 'three attempts')
    assert.equal(subscription.active, false)
    assert.match(errors[0] ?? '', /eth_subscribe refused: subscriptions not supported/)
    subscription.close()
    await node.close()
  })

  it('stops reconnecting once closed', async () => {
    const node = await fakeNode()
    const subscription = subscribeNewHeads({ url: node.url, onHead: () => undefined, retryMs: 20 })
    await until(() => subscription.active, 2_000, 'subscription')
    subscription.close()
    node.dropAll()
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(node.connections(), 1)
    assert.equal(subscription.active, false)
    await node.close()
  })

  it('keeps trying a node that is not listening yet, and subscribes once it is', async () => {
    const probe = await fakeNode()
    const { url, port } = probe
    await probe.close()
    const errors: string[] = []
    const subscription = subscribeNewHeads({ url, onHead: () => undefined, onError: (e) => errors.push(e.message), retryMs: 20, maxRetryMs: 40 })
    open.push(subscription)
    await until(() => errors.length >= 2, 3_000, 'failed attempts')
    assert.equal(subscription.active, false)
    const node = await fakeNode({ port })
    await until(() => subscription.active, 3_000, 'subscription once the node listens')
    subscription.close()
    await node.close()
  })

  describe('against anvil', () => {
    let dataDir = ''
    let anvil: AnvilInstance
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'pepay-new-heads-test-'))
      anvil = await startAnvil({ chainId: 31_337, statePath: join(dataDir, 'state.json') })
    })
    after(async () => {
      await anvil?.stop()
      await rm(dataDir, { recursive: true, force: true })
    })

    it('announces every block anvil mines, on the WebSocket of its RPC port', async () => {
      let heads = 0
      const subscription = subscribeNewHeads({ url: anvil.rpcUrl.replace(/^http/, 'ws'), onHead: () => (heads += 1) })
      open.push(subscription)
      await until(() => subscription.active, 5_000, 'subscription')
      await anvil.mine(3)
      await until(() => heads === 3, 5_000, 'three heads')
      subscription.close()
    })
  })
})
