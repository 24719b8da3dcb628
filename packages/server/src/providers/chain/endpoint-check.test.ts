import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rememberedEndpointCheck } from './endpoint-check.ts'

/** A check whose answers are scripted: 'match', 'mismatch' or 'unreachable', one per call. */
function scripted(answers: ('match' | 'mismatch' | 'unreachable')[]) {
  let calls = 0
  const check = async (): Promise<Error | undefined> => {
    const answer = answers[calls] ?? 'match'
    calls += 1
    if (answer === 'unreachable') throw new Error('connection refused')
    return answer === 'mismatch' ? new Error('serves chain 1') : undefined
  }
  return { check, calls: () => calls }
}

describe('rememberedEndpointCheck', () => {
  it('asks once for any number of callers, concurrent or later, once the endpoint matched', async () => {
    const s = scripted(['match'])
    const verify = rememberedEndpointCheck(s.check)
    await Promise.all([verify(), verify(), verify()])
    await verify()
    assert.equal(s.calls(), 1)
  })

  it('refuses every caller with the mismatch until the recheck time, then asks again', async () => {
    let clock = 0
    const s = scripted(['mismatch', 'mismatch', 'match'])
    const verify = rememberedEndpointCheck(s.check, { recheckMs: 1_000, now: () => clock })
    await assert.rejects(verify(), /serves chain 1/)
    clock = 999
    await assert.rejects(verify(), /serves chain 1/)
    assert.equal(s.calls(), 1, 'remembered within the recheck time')
    clock = 1_000
    await assert.rejects(verify(), /serves chain 1/)
    assert.equal(s.calls(), 2)
    clock = 2_000
    await verify()
    await verify()
    assert.equal(s.calls(), 3, 'a later match is kept')
  })

  it('asks again at the next call when the endpoint could not be asked', async () => {
    const s = scripted(['unreachable', 'match'])
    const verify = rememberedEndpointCheck(s.check)
    await assert.rejects(verify(), /connection refused/)
    await verify()
    assert.equal(s.calls(), 2)
  })
})
