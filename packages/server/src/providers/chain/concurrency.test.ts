import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { mapWithConcurrency } from './concurrency.ts'

describe('mapWithConcurrency', () => {
  it('answers in the order of the items, whatever order the calls finish in', async () => {
    const results = await mapWithConcurrency([30, 10, 20, 0], 4, async (ms) => {
      await delay(ms)
      return ms * 2
    })
    assert.deepEqual(results, [60, 20, 40, 0])
  })

  it('never has more than the given number of calls in flight', async () => {
    let inFlight = 0
    let most = 0
    await mapWithConcurrency(Array.from({ length: 20 }, (_, i) => i), 3, async () => {
      inFlight += 1
      most = Math.max(most, inFlight)
      await delay(2)
      inFlight -= 1
    })
    assert.equal(most, 3)
  })

  it('rejects with the first failure', async () => {
    await assert.rejects(
      mapWithConcurrency([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('rpc down')
        return n
      }),
      /rpc down/,
    )
  })

  it('answers an empty list without calling the task', async () => {
    assert.deepEqual(await mapWithConcurrency([], 4, () => Promise.reject(new Error('called'))), [])
  })
})
