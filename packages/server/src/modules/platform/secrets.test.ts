import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomSecret } from './secrets.ts'

describe('randomSecret', () => {
  it('hands out distinct secrets of the asked length across refills of its pool', () => {
    // 24-byte secrets do not divide the 4 KiB pool: this crosses several refills and a remainder
    const secrets = Array.from({ length: 1_000 }, () => randomSecret(24))
    assert.equal(new Set(secrets).size, secrets.length)
    for (const secret of secrets) assert.equal(Buffer.from(secret, 'base64url').length, 24)
  })

  it('serves sizes larger than its pool straight from the generator', () => {
    const big = randomSecret(10_000)
    assert.equal(Buffer.from(big, 'base64url').length, 10_000)
    assert.notEqual(randomSecret(10_000), big)
  })

  it('never hands out an all-zero secret (bytes are used once and wiped)', () => {
    const zero = Buffer.alloc(16).toString('base64url')
    for (let i = 0; i < 2_000; i++) assert.notEqual(randomSecret(16), zero)
  })
})
