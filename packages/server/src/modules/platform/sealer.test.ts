import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSealer } from './sealer.ts'

describe('createSealer', () => {
  const sealer = createSealer(Buffer.alloc(32, 7))

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const sealed = sealer.seal('whsec_abc123', 'we_1')
    assert.ok(sealer.isSealed(sealed))
    assert.ok(!sealed.includes('whsec_abc123'))
    assert.equal(sealer.open(sealed, 'we_1'), 'whsec_abc123')
  })

  it('seals the same secret differently each time', () => {
    assert.notEqual(sealer.seal('s', 'c'), sealer.seal('s', 'c'))
  })

  it('refuses a sealed value opened in another context or under another master key', () => {
    const sealed = sealer.seal('whsec_abc123', 'we_1')
    assert.throws(() => sealer.open(sealed, 'we_2'))
    assert.throws(() => createSealer(Buffer.alloc(32, 8)).open(sealed, 'we_1'))
  })

  it('refuses a tampered sealed value', () => {
    const sealed = sealer.seal('whsec_abc123', 'we_1')
    const bytes = Buffer.from(sealed.slice('sealed:v1:'.length), 'base64')
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1
    assert.throws(() => sealer.open(`sealed:v1:${bytes.toString('base64')}`, 'we_1'))
  })

  it('returns a value stored before sealing as it is', () => {
    assert.equal(sealer.open('whsec_legacy', 'we_1'), 'whsec_legacy')
    assert.equal(sealer.isSealed('whsec_legacy'), false)
  })
})
