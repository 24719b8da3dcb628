import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSandboxScreening, normalizeName } from './sandbox-screening.ts'

describe('sandbox screening', () => {
  const screening = createSandboxScreening()
  const names: [string, 'clear' | 'hit'][] = [
    ['Ivan Sanctioned', 'hit'],
    ['SANCTIONED, Ivan', 'hit'],
    ['Ívan  Sánctioned', 'hit'],
    ['Embargo Trading L.L.C.', 'clear'],
    ['Embargo Trading LLC', 'hit'],
    ['Ivan Sanction', 'clear'],
    ['Alice Example', 'clear'],
  ]
  for (const [name, status] of names) {
    it(`reports ${status} for the name "${name}"`, async () => {
      assert.equal((await screening.screenName({ name, country: null })).status, status)
    })
  }
  it('matches listed addresses whatever their case', async () => {
    assert.equal((await screening.screenAddress({ network: 'base', address: '0x000000000000000000000000000000000000BAD1' })).status, 'hit')
    assert.equal((await screening.screenAddress({ network: 'base', address: '0x000000000000000000000000000000000000bad3' })).status, 'clear')
  })
  it('folds case, accents, punctuation and word order', () => {
    assert.equal(normalizeName('  Müller-Lüdenscheidt, Hans '), 'hans ludenscheidt muller')
  })
})
