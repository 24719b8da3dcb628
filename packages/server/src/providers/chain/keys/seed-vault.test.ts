import assert from 'node:assert/strict'
import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { bytesToHex } from '@noble/hashes/utils.js'
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { deriveEvmAccount } from './derive.ts'
import {
  SeedDecryptError,
  SeedVaultStateError,
  exportMnemonic,
  openSeedVault,
  reencryptSeedBlob,
  restoreSeedVault,
  sealMnemonic,
  unsealMnemonic,
} from './seed-vault.ts'
import type { SeedStore } from './seed-vault.ts'

const ABANDON =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'

function memoryStore(initial?: string): SeedStore & { blob: string | undefined; saves: number } {
  const store = {
    blob: initial,
    saves: 0,
    async load() {
      return store.blob
    },
    async save(blob: string) {
      store.saves += 1
      if (store.blob !== undefined) return false
      store.blob = blob
      return true
    },
  }
  return store
}

/** Independent encoder of the documented v1 format, so the format itself is pinned. */
function sealV1(plaintext: string, masterKey: Uint8Array, aad = 'pepay-master-seed-v1'): string {
  const key = Buffer.from(
    hkdfSync('sha256', masterKey, new Uint8Array(0), 'pepay/master-seed/v1', 32),
  )
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(aad))
  const body = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ])
  return `v1.${nonce.toString('base64')}.${body.toString('base64')}`
}

const key = () => new Uint8Array(randomBytes(32))

describe('openSeedVault', () => {
  it('creates, stores and returns a 24-word seed on first open', async () => {
    const store = memoryStore()
    const encryptionKey = key()
    const vault = await openSeedVault({ store, encryptionKey })
    assert.equal(vault.created, true)
    assert.equal(vault.seed.length, 64)
    assert.match(vault.fingerprint, /^[0-9a-f]{8}$/)
    assert.match(store.blob ?? '', /^v1\.[A-Za-z0-9+/]{16}\.[A-Za-z0-9+/]+={0,2}$/)
    const mnemonic = await exportMnemonic({ store, encryptionKey })
    assert.equal(mnemonic.split(' ').length, 24)
    assert.ok(validateMnemonic(mnemonic, wordlist))
    assert.deepEqual(vault.seed, mnemonicToSeedSync(mnemonic))
  })

  it('returns the same seed on later opens without saving again', async () => {
    const store = memoryStore()
    const encryptionKey = key()
    const first = await openSeedVault({ store, encryptionKey })
    const second = await openSeedVault({ store, encryptionKey })
    assert.equal(second.created, false)
    assert.deepEqual(second.seed, first.seed)
    assert.equal(second.fingerprint, first.fingerprint)
    assert.equal(store.saves, 1)
  })

  it('never stores the mnemonic or seed in clear', async () => {
    const store = memoryStore()
    const encryptionKey = key()
    const vault = await openSeedVault({ store, encryptionKey })
    const mnemonic = await exportMnemonic({ store, encryptionKey })
    const [, nonce, body] = (store.blob ?? '').split('.') as [string, string, string]
    const stored = Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(body, 'base64')])
    // Words of 5+ letters: a 5-byte chance match in random ciphertext is ~2^-40.
    for (const word of mnemonic.split(' ').filter((w) => w.length >= 5)) {
      assert.ok(!stored.includes(Buffer.from(word)))
    }
    assert.ok(!stored.includes(Buffer.from(vault.seed.subarray(0, 8))))
    assert.ok(!(store.blob ?? '').includes(bytesToHex(vault.seed).slice(0, 16)))
  })

  it('throws SeedDecryptError for a wrong key and leaves the stored seed untouched', async () => {
    const store = memoryStore()
    await openSeedVault({ store, encryptionKey: key() })
    const before = store.blob
    await assert.rejects(openSeedVault({ store, encryptionKey: key() }), (error: unknown) => {
      assert.ok(error instanceof SeedDecryptError)
      assert.equal(error.reason, 'wrong-key-or-tampered')
      assert.match(error.message, /PEPAY_MASTER_KEY/)
      return true
    })
    assert.equal(store.blob, before)
    assert.equal(store.saves, 1)
  })

  it('uses the seed saved by a concurrent process when it loses the race', async () => {
    const encryptionKey = key()
    const theirs = sealMnemonic(ABANDON, encryptionKey)
    let loads = 0
    const store: SeedStore = {
      async load() {
        loads += 1
        return loads === 1 ? undefined : theirs
      },
      async save() {
        return false
      },
    }
    const vault = await openSeedVault({ store, encryptionKey })
    assert.equal(vault.created, false)
    assert.deepEqual(vault.seed, mnemonicToSeedSync(ABANDON))
    assert.equal(vault.fingerprint, '73c5da0a')
  })

  it('opens one shared seed when many processes start at once', async () => {
    const store = memoryStore()
    const encryptionKey = key()
    const vaults = await Promise.all(
      Array.from({ length: 8 }, () => openSeedVault({ store, encryptionKey })),
    )
    assert.equal(vaults.filter((v) => v.created).length, 1)
    for (const vault of vaults) assert.deepEqual(vault.seed, vaults[0]?.seed)
  })

  it('throws SeedVaultStateError when the store refuses a save but holds nothing', async () => {
    const store: SeedStore = { load: async () => undefined, save: async () => false }
    await assert.rejects(openSeedVault({ store, encryptionKey: key() }), (error: unknown) => {
      assert.ok(error instanceof SeedVaultStateError)
      assert.equal(error.code, 'SEED_STORE_INCONSISTENT')
      return true
    })
  })

  for (const length of [0, 16, 31, 33, 64]) {
    it(`rejects a ${length}-byte encryption key`, async () => {
      await assert.rejects(
        openSeedVault({ store: memoryStore(), encryptionKey: new Uint8Array(length) }),
        RangeError,
      )
    })
  }
})

describe('unsealMnemonic', () => {
  const masterKey = key()

  it('reads a blob written by an independent encoder of the v1 format', () => {
    assert.equal(unsealMnemonic(sealV1(ABANDON, masterKey), masterKey), ABANDON)
  })

  const failures: Array<[string, () => string, string]> = [
    ['a different AAD', () => sealV1(ABANDON, masterKey, 'other-purpose'), 'wrong-key-or-tampered'],
    [
      'a flipped ciphertext bit',
      () => flipLastCiphertextByte(sealMnemonic(ABANDON, masterKey)),
      'wrong-key-or-tampered',
    ],
    [
      'an unknown version',
      () => sealMnemonic(ABANDON, masterKey).replace(/^v1\./, 'v2.'),
      'unsupported-version',
    ],
    ['two parts', () => 'v1.abc', 'malformed-blob'],
    ['four parts', () => `${sealMnemonic(ABANDON, masterKey)}.x`, 'malformed-blob'],
    [
      'a short nonce',
      () => `v1.${Buffer.alloc(8).toString('base64')}.${Buffer.alloc(40).toString('base64')}`,
      'malformed-blob',
    ],
    [
      'a tag-only body',
      () => `v1.${Buffer.alloc(12).toString('base64')}.${Buffer.alloc(16).toString('base64')}`,
      'malformed-blob',
    ],
    ['non-base64 text', () => 'v1.!!!!.????', 'malformed-blob'],
    ['an empty string', () => '', 'malformed-blob'],
    [
      'a valid encryption of text that is not a mnemonic',
      () => sealV1('hello world', masterKey),
      'invalid-mnemonic',
    ],
    [
      'a mnemonic with a bad checksum',
      () => sealV1(ABANDON.replace(/about$/, 'abandon'), masterKey),
      'invalid-mnemonic',
    ],
  ]
  for (const [label, makeBlob, reason] of failures) {
    it(`throws SeedDecryptError(${reason}) for ${label}`, () => {
      assert.throws(
        () => unsealMnemonic(makeBlob(), masterKey),
        (error: unknown) => {
          assert.ok(error instanceof SeedDecryptError)
          assert.equal(error.reason, reason)
          return true
        },
      )
    })
  }

  it('uses a fresh nonce for every seal', () => {
    assert.notEqual(sealMnemonic(ABANDON, masterKey), sealMnemonic(ABANDON, masterKey))
  })
})

function flipLastCiphertextByte(blob: string): string {
  const [version, nonce, body] = blob.split('.') as [string, string, string]
  const bytes = Buffer.from(body, 'base64')
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1
  return `${version}.${nonce}.${bytes.toString('base64')}`
}

describe('exportMnemonic', () => {
  it('throws SeedVaultStateError before any seed exists', async () => {
    await assert.rejects(
      exportMnemonic({ store: memoryStore(), encryptionKey: key() }),
      (error: unknown) => {
        assert.ok(error instanceof SeedVaultStateError)
        assert.equal(error.code, 'SEED_NOT_INITIALIZED')
        return true
      },
    )
  })
})

describe('restoreSeedVault', () => {
  it('restores a backed-up mnemonic so the same addresses derive again', async () => {
    const store = memoryStore()
    const encryptionKey = key()
    const vault = await restoreSeedVault({
      store,
      encryptionKey,
      mnemonic: `  ${ABANDON.toUpperCase()}\n`,
    })
    assert.equal(vault.fingerprint, '73c5da0a')
    assert.equal(
      deriveEvmAccount(vault.seed, 0).address,
      '0x9858EfFD232B4033E47d90003D41EC34EcaEda94',
    )
    const reopened = await openSeedVault({ store, encryptionKey })
    assert.deepEqual(reopened.seed, vault.seed)
    assert.equal(await exportMnemonic({ store, encryptionKey }), ABANDON)
  })

  it('refuses to overwrite an existing seed', async () => {
    const store = memoryStore()
    const encryptionKey = key()
    await openSeedVault({ store, encryptionKey })
    const before = store.blob
    await assert.rejects(
      restoreSeedVault({ store, encryptionKey, mnemonic: ABANDON }),
      (error: unknown) => {
        assert.ok(error instanceof SeedVaultStateError)
        assert.equal(error.code, 'SEED_ALREADY_INITIALIZED')
        return true
      },
    )
    assert.equal(store.blob, before)
  })

  it('rejects text that is not a valid mnemonic', async () => {
    const store = memoryStore()
    await assert.rejects(
      restoreSeedVault({ store, encryptionKey: key(), mnemonic: 'abandon about' }),
      RangeError,
    )
    assert.equal(store.blob, undefined)
  })
})

describe('reencryptSeedBlob', () => {
  it('moves the seed to a new key and the old key stops working', () => {
    const currentKey = key()
    const nextKey = key()
    const rotated = reencryptSeedBlob({
      blob: sealMnemonic(ABANDON, currentKey),
      currentKey,
      nextKey,
    })
    assert.equal(unsealMnemonic(rotated, nextKey), ABANDON)
    assert.throws(() => unsealMnemonic(rotated, currentKey), SeedDecryptError)
  })

  it('refuses to rotate with the wrong current key', () => {
    assert.throws(
      () =>
        reencryptSeedBlob({
          blob: sealMnemonic(ABANDON, key()),
          currentKey: key(),
          nextKey: key(),
        }),
      SeedDecryptError,
    )
  })
})
