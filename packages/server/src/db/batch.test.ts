import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BatchLoader } from './batch.ts'

describe('BatchLoader', () => {
  it('answers the keys queued in one turn of the event loop with one load, in order', async () => {
    const loads: number[][] = []
    const loader = new BatchLoader(async (keys: number[]) => {
      loads.push(keys)
      return keys.map((k) => k * 10)
    })
    const values = await Promise.all([loader.load(1), loader.load(2), loader.load(3)])
    assert.deepEqual(values, [10, 20, 30])
    assert.deepEqual(loads, [[1, 2, 3]])
    assert.equal(await loader.load(4), 40)
    assert.deepEqual(loads, [[1, 2, 3], [4]])
  })

  it('holds keys while maxInFlight batches run and sends them together when one finishes', async () => {
    const loads: number[][] = []
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const loader = new BatchLoader(async (keys: number[]) => {
      loads.push(keys)
      if (loads.length === 1) await gate
      return keys
    }, { maxInFlight: 1 })
    const first = loader.load(1)
    await new Promise((resolve) => setImmediate(resolve))
    const later = [loader.load(2), loader.load(3)]
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(loads, [[1]])
    release()
    assert.deepEqual(await Promise.all([first, ...later]), [1, 2, 3])
    assert.deepEqual(loads, [[1], [2, 3]])
  })

  it('sends a full batch at once and starts the next one', async () => {
    const loads: number[][] = []
    const loader = new BatchLoader(
      async (keys: number[]) => {
        loads.push(keys)
        return keys
      },
      { maxBatch: 2 },
    )
    await Promise.all([1, 2, 3, 4, 5].map((k) => loader.load(k)))
    assert.deepEqual(loads, [[1, 2], [3, 4], [5]])
  })

  it('rejects every key of a failed load and keeps serving later ones', async () => {
    let fail = true
    const loader = new BatchLoader(async (keys: string[]) => {
      if (fail) throw new Error('database down')
      return keys
    })
    const failed = await Promise.allSettled([loader.load('a'), loader.load('b')])
    assert.deepEqual(
      failed.map((r) => r.status),
      ['rejected', 'rejected'],
    )
    fail = false
    assert.equal(await loader.load('c'), 'c')
  })

  it('rejects the batch when the load answers the wrong number of values', async () => {
    const loader = new BatchLoader(async (keys: string[]) => keys.slice(1))
    await assert.rejects(
      Promise.all([loader.load('a'), loader.load('b')]),
      /answered 1 values for 2 keys/,
    )
  })
})
