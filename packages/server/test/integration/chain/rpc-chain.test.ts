import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startAnvil, type AnvilInstance } from '../../../src/providers/chain/devnet/anvil.ts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import { chainLayer, watcherOf } from '../../helpers/chain.ts'
import { rpcRelay } from '../../helpers/rpc-relay.ts'

/** Base mainnet's chain id, as the network registry has it. */
const BASE_CHAIN_ID = 8453

async function readiness(t: TestServer): Promise<{ name: string; ok: boolean; detail?: string }[]> {
  const response = await fetch(`${t.url}/readyz`)
  assert.equal(response.status, 200)
  return ((await response.json()) as { checks: { name: string; ok: boolean; detail?: string }[] }).checks
}

describe('PEPAY_RPC_<NETWORK>_MAINNET pointing at a node of another chain', () => {
  let ethereumNode: AnvilInstance
  let baseNode: AnvilInstance
  let t: TestServer

  before(async () => {
    // two real nodes: one serves chain 1 (Ethereum's id), the other Base's
    ;[ethereumNode, baseNode] = await Promise.all([startAnvil({ chainId: 1 }), startAnvil({ chainId: BASE_CHAIN_ID })])
    t = await startTestServer({ runWorkers: false, env: { PEPAY_RPC_BASE_MAINNET: ethereumNode.rpcUrl } })
  })
  after(async () => {
    await t?.close()
    await Promise.all([ethereumNode?.stop(), baseNode?.stop()])
  })

  it('leaves the network degraded, naming both chains, and reads nothing from it', async () => {
    const layer = chainLayer(t)
    const watcher = watcherOf(t, 'mainnet:base')
    await watcher.tick()
    const reason = layer.runtime.degraded.get('mainnet:base')
    assert.match(reason ?? '', new RegExp(`serves chain 1, not base's chain ${BASE_CHAIN_ID}`))
    assert.equal(watcher.stats.lastHead, 0n, 'no head was taken from the other chain')
    const check = (await readiness(t)).find((c) => c.name === 'chain:mainnet:base')
    assert.deepEqual(check, { name: 'chain:mainnet:base', ok: false, detail: reason })
  })

  it('follows the chain once the URL serves the right one, asking its chain id and genesis block once', async () => {
    const relay = await rpcRelay(baseNode.rpcUrl)
    // iterations driven by hand only, so that every call to the node is one of theirs
    const right = await startTestServer({ runWorkers: false, env: { PEPAY_RPC_BASE_MAINNET: relay.url } })
    try {
      const layer = chainLayer(right)
      const watcher = watcherOf(right, 'mainnet:base')
      for (let i = 0; i < 3; i += 1) {
        await baseNode.mine(2)
        await watcher.tick()
      }
      assert.equal(layer.runtime.degraded.get('mainnet:base'), undefined)
      assert.equal(watcher.stats.lastError, null)
      assert.ok(watcher.stats.lastHead >= 6n)
      assert.deepEqual((await readiness(right)).find((c) => c.name === 'chain:mainnet:base'), { name: 'chain:mainnet:base', ok: true })
      // three iterations, one question about the chain and one about its block 0
      assert.equal(relay.calls.filter((c) => c.method === 'eth_chainId').length, 1)
      assert.equal(relay.calls.filter((c) => c.method === 'eth_getBlockByNumber' && c.params[0] === '0x0').length, 1)
      assert.ok(relay.calls.filter((c) => c.method === 'eth_getLogs').length >= 3, 'every iteration scanned')
    } finally {
      await right.close()
      await relay.close()
    }
  })
})
