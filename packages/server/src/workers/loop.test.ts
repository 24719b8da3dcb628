import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import { until } from '../../test/helpers/wait.ts'
import { runEvery } from './loop.ts'

const silent = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// timers on a loaded machine run late, never early: only lower bounds are timed
describe('runEvery', () => {
  it('runs the body at once, then again after the interval', async () => {
    let runs = 0
    const loop = runEvery('t', 150, async () => {
      runs += 1
    }, silent)
    await until(() => runs === 1, 5_000, 'first run', 2)
    await sleep(50)
    assert.equal(runs, 1, 'not before the interval')
    await until(() => runs === 2, 5_000, 'second run', 2)
    await loop.stop()
  })

  it('runs the body first after firstAfterMs when given, and a kick still runs it at once', async () => {
    let runs = 0
    const loop = runEvery('t', 60_000, async () => {
      runs += 1
    }, silent, { firstAfterMs: 150 })
    await sleep(50)
    assert.equal(runs, 0, 'not before firstAfterMs')
    await until(() => runs === 1, 5_000, 'first run', 2)
    loop.kick()
    await until(() => runs === 2, 5_000, 'kicked run', 2)
    await loop.stop()
  })

  it('asks an interval function after each run how long to wait', async () => {
    const waits = [20, 60_000]
    let asked = 0
    let runs = 0
    const loop = runEvery('t', () => waits[Math.min(asked++, waits.length - 1)] ?? 0, async () => {
      runs += 1
    }, silent)
    // at once, 20 ms later, then not for a minute
    await until(() => runs === 2 && asked === 2, 5_000, 'two runs, two waits asked', 2)
    await sleep(100)
    assert.equal(runs, 2)
    await loop.stop()
  })

  it('runs at once on a kick, and once more right after a run a kick arrived during', async () => {
    let runs = 0
    let release: (() => void) | undefined
    const loop = runEvery('t', 60_000, async () => {
      runs += 1
      if (runs === 2) await new Promise<void>((resolve) => (release = resolve))
    }, silent)
    await until(() => runs === 1, 5_000, 'first run', 2)
    loop.kick()
    await until(() => runs === 2 && release !== undefined, 5_000, 'run on the kick', 2)
    loop.kick()
    loop.kick()
    await sleep(20)
    assert.equal(runs, 2, 'never overlapping itself')
    release?.()
    await until(() => runs === 3, 5_000, 'the run the kicks asked for', 2)
    await sleep(20)
    assert.equal(runs, 3, 'two kicks during one run make one more run')
    await loop.stop()
  })

  it('keeps going after a failing run', async () => {
    let runs = 0
    const loop = runEvery('t', 10, async () => {
      runs += 1
      if (runs === 1) throw new Error('boom')
    }, silent)
    await until(() => runs >= 2, 5_000, 'a run after the failing one', 2)
    await loop.stop()
  })

  it('waits for the running body when stopped, and runs nothing after', async () => {
    let runs = 0
    let finished = false
    const loop = runEvery('t', 5, async () => {
      runs += 1
      await sleep(30)
      finished = true
    }, silent)
    await until(() => runs === 1, 5_000, 'first run', 2)
    await loop.stop()
    assert.equal(finished, true)
    const after = runs
    loop.kick()
    await sleep(30)
    assert.equal(runs, after)
  })
})
