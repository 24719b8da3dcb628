import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startAnvil, type AnvilInstance } from './anvil.ts'

type RpcBlock = { number: `0x${string}`; hash: `0x${string}` }

const anvilModulePath = fileURLToPath(new URL('./anvil.ts', import.meta.url))

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = AbortSignal.timeout(timeoutMs)
  while (!deadline.aborted) {
    if (condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return condition()
}

async function blockNumber(anvil: AnvilInstance): Promise<number> {
  return Number(BigInt(await anvil.request<string>('eth_blockNumber')))
}

async function blockHash(anvil: AnvilInstance, number: number): Promise<string> {
  const block = await anvil.request<RpcBlock | null>('eth_getBlockByNumber', [
    `0x${number.toString(16)}`,
    false,
  ])
  assert.ok(block, `block ${number} exists`)
  return block.hash
}

describe('startAnvil', () => {
  let dir = ''
  const started: AnvilInstance[] = []
  const strayPids: number[] = []
  const launch = async (options: Parameters<typeof startAnvil>[0]): Promise<AnvilInstance> => {
    const anvil = await startAnvil(options)
    started.push(anvil)
    return anvil
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pepay-anvil-test-'))
  })

  after(async () => {
    await Promise.all(started.map((anvil) => anvil.stop()))
    for (const pid of strayPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('serves the requested chain id on a free local port', async () => {
    const anvil = await launch({ chainId: 4242 })
    assert.match(anvil.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.equal(await anvil.request<string>('eth_chainId'), '0x1092')
    assert.ok(isAlive(anvil.pid))
    await anvil.stop()
    assert.equal(isAlive(anvil.pid), false)
  })

  it('persists the chain across stop and start with the same state file', async () => {
    const statePath = join(dir, 'persist.json')
    const first = await launch({ chainId: 31337, statePath })
    const genesis = await blockHash(first, 0)
    await first.mine(3)
    const tip = await blockHash(first, 3)
    await first.stop()

    const second = await launch({ chainId: 31337, statePath })
    assert.equal(await blockNumber(second), 3)
    assert.equal(await blockHash(second, 0), genesis)
    assert.equal(await blockHash(second, 3), tip)
    await second.stop()
  })

  it('terminates anvil and keeps its state when the parent process is killed', async () => {
    const statePath = join(dir, 'orphan.json')
    const script = [
      `import { startAnvil } from ${JSON.stringify(anvilModulePath)}`,
      `const anvil = await startAnvil({ chainId: 31337, statePath: ${JSON.stringify(statePath)} })`,
      `await anvil.mine(2)`,
      `console.log('pid=' + anvil.pid)`,
      `setInterval(() => {}, 1000)`,
    ].join('\n')
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    parent.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    try {
      assert.ok(
        await waitUntil(() => /pid=\d+/.test(output), 15_000),
        'child reported the anvil pid',
      )
      const anvilPid = Number(/pid=(\d+)/.exec(output)?.[1])
      strayPids.push(anvilPid)
      assert.ok(isAlive(anvilPid))
      parent.kill('SIGKILL')
      assert.ok(
        await waitUntil(() => !isAlive(anvilPid), 10_000),
        'anvil exits after its parent died',
      )
    } finally {
      parent.kill('SIGKILL')
    }

    const restarted = await launch({ chainId: 31337, statePath })
    assert.equal(await blockNumber(restarted), 2)
    await restarted.stop()
  })

  it('resolves stop() in a process that has nothing else to wait for', async () => {
    const script = [
      `import { startAnvil } from ${JSON.stringify(anvilModulePath)}`,
      `const anvil = await startAnvil({ chainId: 31337, statePath: ${JSON.stringify(join(dir, 'last-call.json'))} })`,
      `await anvil.stop()`,
      `console.log('stopped ' + anvil.pid)`,
    ].join('\n')
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    assert.equal(code, 0, output)
    const pid = Number(/stopped (\d+)/.exec(output)?.[1])
    assert.ok(pid > 0, output)
    assert.equal(isAlive(pid), false)
  })

  it('reorgs the last 1 to 3 blocks, leaving older blocks untouched', async () => {
    const anvil = await launch({ chainId: 31337 })
    await anvil.mine(6)
    for (const depth of [1, 2, 3]) {
      const before = await Promise.all([3, 4, 5, 6].map((number) => blockHash(anvil, number)))
      await anvil.reorg(depth)
      const afterReorg = await Promise.all([3, 4, 5, 6].map((number) => blockHash(anvil, number)))
      assert.equal(await blockNumber(anvil), 6)
      for (const [offset, number] of [3, 4, 5, 6].entries()) {
        const replaced = number > 6 - depth
        assert.equal(
          afterReorg[offset] !== before[offset],
          replaced,
          `depth ${depth}, block ${number}`,
        )
      }
    }
    await assert.rejects(anvil.reorg(0), RangeError)
  })

  it('reverts to a snapshot', async () => {
    const anvil = await launch({ chainId: 31337 })
    await anvil.mine(2)
    const snapshotId = await anvil.snapshot()
    await anvil.mine(5)
    assert.equal(await blockNumber(anvil), 7)
    assert.equal(await anvil.revert(snapshotId), true)
    assert.equal(await blockNumber(anvil), 2)
  })

  it('fails with anvil output when the node cannot start', async () => {
    await assert.rejects(
      startAnvil({ chainId: 31337, mnemonic: 'definitely not a valid mnemonic' }),
      /failed to start anvil for chain 31337[\s\S]*invalid/,
    )
  })

  it('recovers from a state file truncated by a hard kill using the copy taken at the previous start', async () => {
    const statePath = join(dir, 'truncated.json')
    const first = await launch({ chainId: 31337, statePath })
    await first.mine(4)
    await first.stop()
    const second = await launch({ chainId: 31337, statePath })
    await second.mine(1)
    await second.stop()
    const dumped = await readFile(statePath, 'utf8')
    await writeFile(statePath, dumped.slice(0, Math.floor(dumped.length / 2)))

    const messages: string[] = []
    const recovered = await launch({
      chainId: 31337,
      statePath,
      log: (message) => messages.push(message),
    })
    assert.equal(await blockNumber(recovered), 4)
    assert.ok(messages.some((message) => message.includes('restored')))
    assert.equal(
      await readFile(`${statePath}.corrupt`, 'utf8'),
      dumped.slice(0, Math.floor(dumped.length / 2)),
    )
    await recovered.stop()
  })
})
