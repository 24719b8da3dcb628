import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { base58 } from '@scure/base'
import { mnemonicToSeedSync } from '@scure/bip39'
import { HDKey as Slip10Key } from 'micro-key-producer/slip10.js'
import {
  MAX_DERIVATION_INDEX,
  deriveAddress,
  deriveEvmAccount,
  deriveSolanaAccount,
  evmDerivationPath,
  seedFingerprint,
  solanaDerivationPath,
} from './derive.ts'

// Hardhat/Anvil default accounts.
const TEST_JUNK = 'test test test test test test test test test test test junk'
// Solana Cookbook "Restoring BIP44 format mnemonics".
const COOKBOOK = 'neither lonely flavor argue grass remind eye tag avocado spot unusual intact'
// BIP-39 vector 0 without passphrase.
const ABANDON =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'

const testJunkSeed = mnemonicToSeedSync(TEST_JUNK)
const cookbookSeed = mnemonicToSeedSync(COOKBOOK)
const abandonSeed = mnemonicToSeedSync(ABANDON)

describe('deriveEvmAccount', () => {
  const vectors = [
    {
      index: 0,
      address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    },
    {
      index: 1,
      address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    },
    {
      index: 2,
      address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
    },
  ]
  for (const vector of vectors) {
    it(`derives the known Hardhat account ${vector.index} from the "test … junk" mnemonic`, () => {
      const account = deriveEvmAccount(testJunkSeed, vector.index)
      assert.equal(account.address, vector.address)
      assert.equal(account.privateKey, vector.privateKey)
      assert.equal(account.path, `m/44'/60'/0'/0/${vector.index}`)
    })
  }

  it('derives the known first account of the "abandon … about" mnemonic', () => {
    assert.equal(
      deriveEvmAccount(abandonSeed, 0).address,
      '0x9858EfFD232B4033E47d90003D41EC34EcaEda94',
    )
  })

  it('returns different accounts for different indexes and the same account on repeat', () => {
    const first = deriveEvmAccount(testJunkSeed, 7)
    assert.deepEqual(deriveEvmAccount(testJunkSeed, 7), first)
    assert.notEqual(deriveEvmAccount(testJunkSeed, 8).address, first.address)
  })
})

describe('deriveSolanaAccount', () => {
  const cookbookAddresses = [
    '5vftMkHL72JaJG6ExQfGAsT2uGVHpRR7oTNUPMs68Y2N',
    'GcXbfQ5yY3uxCyBNDPBbR5FjumHf89E7YHXuULfGDBBv',
    '7QPgyQwNLqnoSwHEuK8wKy2Y3Ani6EHoZRihTuWkwxbc',
    '5aE8UprEEWtpVskhxo3f8ETco2kVKiZT9SS3D5Lcg8s2',
    '5n6afo6LZmzH1J4R38ZCaNSwaztLjd48nWwToLQkCHxp',
    '2Gr1hWnbaqGXMghicSTHncqV7GVLLddNFJDC7YJoso8M',
    'BNMDY3tCyYbayMzBjZm8RW59unpDWcQRfVmWXCJhLb7D',
    '9CySTpi4iC85gMW6G4BMoYbNBsdyJrfseHoGmViLha63',
    'ApteF7PmUWS8Lzm6tJPkWgrxSFW5LwYGWCUJ2ByAec91',
    '6frdqXQAgJMyKwmZxkLYbdGjnYTvUceh6LNhkQt2siQp',
  ]
  cookbookAddresses.forEach((address, index) => {
    it(`derives the Solana Cookbook address for m/44'/501'/${index}'/0'`, () => {
      const account = deriveSolanaAccount(cookbookSeed, index)
      assert.equal(account.address, address)
      assert.equal(account.path, `m/44'/501'/${index}'/0'`)
    })
  })

  it('returns a 64-byte keypair whose halves are the signing seed and the address key', () => {
    const account = deriveSolanaAccount(cookbookSeed, 3)
    assert.equal(account.secretKey.length, 64)
    const privateSeed = account.secretKey.slice(0, 32)
    const publicKey = account.secretKey.slice(32)
    assert.deepEqual(ed25519.getPublicKey(privateSeed), publicKey)
    assert.deepEqual(base58.decode(account.address), publicKey)
    const message = new TextEncoder().encode('pepay')
    assert.ok(ed25519.verify(ed25519.sign(message, privateSeed), message, publicKey))
  })
})

describe('SLIP-10 ed25519 implementation', () => {
  // SLIP-0010 "Test vector 1 for ed25519" and "Test vector 2 for ed25519": path, chain code, key, public key.
  // prettier-ignore
  const vectors = [
    {
      seed: '000102030405060708090a0b0c0d0e0f',
      chains: [
        ['m', '90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb', '2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7', '00a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed'],
        ["m/0'", '8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69', '68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3', '008c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c'],
        ["m/0'/1'", 'a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14', 'b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2', '001932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187'],
        ["m/0'/1'/2'", '2e69929e00b5ab250f49c3fb1c12f252de4fed2c1db88387094a0f8c4c9ccd6c', '92a5b23c0b8a99e37d07df3fb9966917f5d06e02ddbd909c7e184371463e9fc9', '00ae98736566d30ed0e9d2f4486a64bc95740d89c7db33f52121f8ea8f76ff0fc1'],
        ["m/0'/1'/2'/2'", '8f6d87f93d750e0efccda017d662a1b31a266e4a6f5993b15f5c1f07f74dd5cc', '30d1dc7e5fc04c31219ab25a27ae00b50f6fd66622f6e9c913253d6511d1e662', '008abae2d66361c879b900d204ad2cc4984fa2aa344dd7ddc46007329ac76c429c'],
        ["m/0'/1'/2'/2'/1000000000'", '68789923a0cac2cd5a29172a475fe9e0fb14cd6adb5ad98a3fa70333e7afa230', '8f94d394a8e8fd6b1bc2f3f49f5c47e385281d5c17e65324b0f62483e37e8793', '003c24da049451555d51a7014a37337aa4e12d41e485abccfa46b47dfb2af54b7a'],
      ],
    },
    {
      seed: 'fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542',
      chains: [
        ['m', 'ef70a74db9c3a5af931b5fe73ed8e1a53464133654fd55e7a66f8570b8e33c3b', '171cb88b1b3c1db25add599712e36245d75bc65a1a5c9e18d76f9f2b1eab4012', '008fe9693f8fa62a4305a140b9764c5ee01e455963744fe18204b4fb948249308a'],
        ["m/0'", '0b78a3226f915c082bf118f83618a618ab6dec793752624cbeb622acb562862d', '1559eb2bbec5790b0c65d8693e4d0875b1747f4970ae8b650486ed7470845635', '0086fab68dcb57aa196c77c5f264f215a112c22a912c10d123b0d03c3c28ef1037'],
        ["m/0'/2147483647'", '138f0b2551bcafeca6ff2aa88ba8ed0ed8de070841f0c4ef0165df8181eaad7f', 'ea4f5bfe8694d8bb74b7b59404632fd5968b774ed545e810de9c32a4fb4192f4', '005ba3b9ac6e90e83effcd25ac4e58a1365a9e35a3d3ae5eb07b9e4d90bcf7506d'],
        ["m/0'/2147483647'/1'", '73bd9fff1cfbde33a1b846c27085f711c0fe2d66fd32e139d3ebc28e5a4a6b90', '3757c7577170179c7868353ada796c839135b3d30554bbb74a4b1e4a5a58505c', '002e66aa57069c86cc18249aecf5cb5a9cebbfd6fadeab056254763874a9352b45'],
        ["m/0'/2147483647'/1'/2147483646'", '0902fe8a29f9140480a00ef244bd183e8a13288e4412d8389d140aac1794825a', '5837736c89570de861ebc173b1086da4f505d4adb387c6a1b1342d5e4ac9ec72', '00e33c0f7d81d843c572275f287498e8d408654fdf0d1e065b84e2e6f157aab09b'],
        ["m/0'/2147483647'/1'/2147483646'/2'", '5d70af781f3a37b829f0d060924d5e960bdc02e85423494afc0b1a41bbe196d4', '551d333177df541ad876a60ea71f00447931c0a9da16f227c11ea080d7391b8d', '0047150c75db263559a70d5778bf36abbab30fb061ad69f69ece61a72b0cfa4fc0'],
      ],
    },
  ] as const
  for (const vector of vectors) {
    for (const [path, chainCode, privateKey, publicKey] of vector.chains) {
      it(`matches the published vector for seed ${vector.seed.slice(0, 8)}… at ${path}`, () => {
        const node = Slip10Key.fromMasterSeed(hexToBytes(vector.seed)).derive(path)
        assert.equal(bytesToHex(node.chainCode), chainCode)
        assert.equal(bytesToHex(node.privateKey), privateKey)
        assert.equal(bytesToHex(node.publicKey), publicKey)
      })
    }
  }
})

describe('deriveAddress', () => {
  it('dispatches on the network kind', () => {
    assert.equal(
      deriveAddress(testJunkSeed, 'evm', 0),
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    )
    assert.equal(
      deriveAddress(cookbookSeed, 'solana', 0),
      '5vftMkHL72JaJG6ExQfGAsT2uGVHpRR7oTNUPMs68Y2N',
    )
  })

  it('rejects an unknown network kind', () => {
    assert.throws(() => deriveAddress(testJunkSeed, 'tron' as never, 0), RangeError)
  })
})

describe('derivation index and seed checks', () => {
  const badIndexes = [
    -1,
    1.5,
    MAX_DERIVATION_INDEX + 1,
    2 ** 32,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ]
  for (const index of badIndexes) {
    it(`rejects index ${index}`, () => {
      assert.throws(() => deriveEvmAccount(testJunkSeed, index), RangeError)
      assert.throws(() => deriveSolanaAccount(testJunkSeed, index), RangeError)
    })
  }

  it('accepts the largest non-hardened index', () => {
    assert.equal(evmDerivationPath(MAX_DERIVATION_INDEX), "m/44'/60'/0'/0/2147483647")
    assert.equal(solanaDerivationPath(MAX_DERIVATION_INDEX), "m/44'/501'/2147483647'/0'")
    assert.match(
      deriveEvmAccount(testJunkSeed, MAX_DERIVATION_INDEX).address,
      /^0x[0-9a-fA-F]{40}$/,
    )
    assert.equal(deriveSolanaAccount(testJunkSeed, MAX_DERIVATION_INDEX).secretKey.length, 64)
  })

  for (const length of [0, 15, 65]) {
    it(`rejects a ${length}-byte seed`, () => {
      assert.throws(() => deriveEvmAccount(new Uint8Array(length), 0), RangeError)
      assert.throws(() => deriveSolanaAccount(new Uint8Array(length), 0), RangeError)
    })
  }
})

describe('seedFingerprint', () => {
  it('returns the BIP-32 master fingerprint of the "abandon … about" seed', () => {
    assert.equal(seedFingerprint(abandonSeed), '73c5da0a')
  })
})
