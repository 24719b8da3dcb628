import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AppError } from '@pepay/core'
import { base58 } from '@scure/base'
import {
  EVM_NETWORKS,
  InvalidAddressError,
  checksumEvmAddress,
  isValidEvmAddress,
  isValidSolanaAddress,
  networkKindOf,
  normalizeEvmAddress,
  validateAddressForNetwork,
} from './address.ts'

const CHECKSUMMED = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const LOWER = CHECKSUMMED.toLowerCase()
const UPPER = `0x${CHECKSUMMED.slice(2).toUpperCase()}`
const USDC_MINT = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'

describe('isValidEvmAddress', () => {
  const cases: Array<[string, string, boolean]> = [
    ['checksummed', CHECKSUMMED, true],
    ['all lowercase', LOWER, true],
    ['all uppercase', UPPER, true],
    ['EIP-55 spec example', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', true],
    ['one letter with the wrong case', CHECKSUMMED.replace('f39F', 'f39f'), false],
    ['39 hex digits', CHECKSUMMED.slice(0, 41), false],
    ['41 hex digits', `${CHECKSUMMED}0`, false],
    ['no 0x prefix', CHECKSUMMED.slice(2), false],
    ['capital 0X prefix', `0X${LOWER.slice(2)}`, false],
    ['surrounding space', ` ${CHECKSUMMED}`, false],
    ['non-hex digit', `0x${'g'.repeat(40)}`, false],
    ['empty', '', false],
  ]
  for (const [label, address, expected] of cases) {
    it(`returns ${expected} for ${label}`, () => {
      assert.equal(isValidEvmAddress(address), expected)
    })
  }
})

describe('normalizeEvmAddress and checksumEvmAddress', () => {
  it('stores every accepted spelling as lowercase', () => {
    for (const spelling of [CHECKSUMMED, LOWER, UPPER])
      assert.equal(normalizeEvmAddress(spelling), LOWER)
  })

  it('displays every accepted spelling with the EIP-55 checksum', () => {
    for (const spelling of [CHECKSUMMED, LOWER, UPPER])
      assert.equal(checksumEvmAddress(spelling), CHECKSUMMED)
  })

  it('throws InvalidAddressError on a bad checksum', () => {
    const bad = CHECKSUMMED.replace('f39F', 'f39f')
    assert.throws(
      () => normalizeEvmAddress(bad),
      (error: unknown) =>
        error instanceof InvalidAddressError &&
        error instanceof AppError &&
        error.code === 'INVALID_ADDRESS',
    )
    assert.throws(() => checksumEvmAddress(bad), InvalidAddressError)
  })
})

describe('isValidSolanaAddress', () => {
  const cases: Array<[string, string, boolean]> = [
    ['the USDC mint', USDC_MINT, true],
    ['a wallet key', '5vftMkHL72JaJG6ExQfGAsT2uGVHpRR7oTNUPMs68Y2N', true],
    ['32 zero bytes', '11111111111111111111111111111111', true],
    ['31 bytes', base58.encode(new Uint8Array(31).fill(7)), false],
    ['33 bytes', base58.encode(new Uint8Array(33).fill(7)), false],
    ['a character outside base58 (0)', `0${USDC_MINT.slice(1)}`, false],
    ['a character outside base58 (l)', `l${USDC_MINT.slice(1)}`, false],
    ['an EVM address', CHECKSUMMED, false],
    ['surrounding space', `${USDC_MINT} `, false],
    ['very long text', '2'.repeat(10_000), false],
    ['empty', '', false],
  ]
  for (const [label, address, expected] of cases) {
    it(`returns ${expected} for ${label}`, () => {
      assert.equal(isValidSolanaAddress(address), expected)
    })
  }
})

describe('networkKindOf', () => {
  it('maps every EVM network to evm and solana to solana', () => {
    for (const network of EVM_NETWORKS) assert.equal(networkKindOf(network), 'evm')
    assert.equal(networkKindOf('solana'), 'solana')
  })

  it('returns undefined for unknown or differently cased ids', () => {
    for (const network of ['polygon', 'Ethereum', 'SOLANA', ''])
      assert.equal(networkKindOf(network), undefined)
  })
})

describe('validateAddressForNetwork', () => {
  const cases: Array<{
    network: string
    address: string
    expected: ReturnType<typeof validateAddressForNetwork>['ok']
    stored?: string
    reason?: string
  }> = [
    { network: 'ethereum', address: CHECKSUMMED, expected: true, stored: LOWER },
    { network: 'base', address: UPPER, expected: true, stored: LOWER },
    { network: 'bsc', address: LOWER, expected: true, stored: LOWER },
    { network: 'arbitrum', address: CHECKSUMMED, expected: true, stored: LOWER },
    { network: 'optimism', address: CHECKSUMMED, expected: true, stored: LOWER },
    { network: 'avalanche', address: CHECKSUMMED, expected: true, stored: LOWER },
    { network: 'solana', address: USDC_MINT, expected: true, stored: USDC_MINT },
    { network: 'ethereum', address: USDC_MINT, expected: false, reason: 'invalid-address' },
    { network: 'solana', address: CHECKSUMMED, expected: false, reason: 'invalid-address' },
    {
      network: 'base',
      address: CHECKSUMMED.replace('f39F', 'f39f'),
      expected: false,
      reason: 'invalid-address',
    },
    {
      network: 'ethereum',
      address: `0x${'0'.repeat(40)}`,
      expected: false,
      reason: 'burn-address',
    },
    {
      network: 'solana',
      address: '11111111111111111111111111111111',
      expected: false,
      reason: 'burn-address',
    },
    { network: 'polygon', address: CHECKSUMMED, expected: false, reason: 'unsupported-network' },
  ]
  for (const c of cases) {
    it(`${c.expected ? 'accepts' : `rejects (${c.reason})`} ${c.address.slice(0, 10)}… on ${c.network}`, () => {
      const result = validateAddressForNetwork(c.network, c.address)
      if (c.expected) {
        assert.ok(result.ok)
        assert.equal(result.address, c.stored)
        assert.equal(result.network, c.network)
      } else {
        assert.ok(!result.ok)
        assert.equal(result.reason, c.reason)
        assert.ok(result.message.length > 0)
      }
    })
  }
})
