import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { createBankCrypto } from './bank-crypto.ts'

describe('bank crypto', () => {
  const crypto = createBankCrypto(randomBytes(32))
  const details = JSON.stringify({ iban: 'DE89370400440532013000' })

  it('round-trips details and never stores them in clear', () => {
    const sealed = crypto.encrypt(details, 'm1|acct1')
    assert.ok(!sealed.toString('latin1').includes('DE89370400440532013000'))
    assert.equal(crypto.decrypt(sealed, 'm1|acct1'), details)
  })

  it('refuses a ciphertext moved to another row', () => {
    const sealed = crypto.encrypt(details, 'm1|acct1')
    assert.throws(() => crypto.decrypt(sealed, 'm1|acct2'))
  })

  it('refuses a tampered ciphertext', () => {
    const sealed = crypto.encrypt(details, 'm1|acct1')
    sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 1
    assert.throws(() => crypto.decrypt(sealed, 'm1|acct1'))
  })

  it('gives the same fingerprint for the same text and another under another secret', () => {
    assert.deepEqual(crypto.fingerprint('x'), crypto.fingerprint('x'))
    assert.notDeepEqual(createBankCrypto(randomBytes(32)).fingerprint('x'), crypto.fingerprint('x'))
  })
})
