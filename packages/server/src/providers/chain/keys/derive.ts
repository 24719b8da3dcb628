import { HDKey as Bip32Key } from '@scure/bip32'
import { base58 } from '@scure/base'
import { HDKey as Slip10Key } from 'micro-key-producer/slip10.js'
import { toHex } from 'viem'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/**
 * Deposit-address derivation from the master seed. Pure and cache-free: the same seed and index
 * always give the same account, so addresses can be re-derived at any time from a backup.
 *
 * EVM:    m/44'/60'/0'/0/{index}      (BIP-32/BIP-44, secp256k1; same as MetaMask account N)
 * Solana: m/44'/501'/{index}'/0'      (SLIP-10 ed25519, all hardened; same as Phantom account N)
 */

export type NetworkKind = 'evm' | 'solana'

export interface EvmAccount {
  /** EIP-55 checksummed address. */
  address: Address
  privateKey: Hex
  path: string
}

export interface SolanaAccount {
  /** Base58 of the 32-byte ed25519 public key. */
  address: string
  /** 64 bytes: private seed (32) followed by public key (32), the Solana keypair format. */
  secretKey: Uint8Array
  path: string
}

/** Indexes are BIP-32 child numbers below the hardened offset. */
export const MAX_DERIVATION_INDEX = 0x7fff_ffff

// BIP-32 allows seeds of 128 to 512 bits; anything else is a caller bug.
const MIN_SEED_BYTES = 16
const MAX_SEED_BYTES = 64

export function assertDerivationIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_DERIVATION_INDEX) {
    throw new RangeError(
      `derivation index must be an integer in [0, ${MAX_DERIVATION_INDEX}], got ${String(index)}`,
    )
  }
}

function assertSeed(seed: Uint8Array): void {
  if (
    !(seed instanceof Uint8Array) ||
    seed.length < MIN_SEED_BYTES ||
    seed.length > MAX_SEED_BYTES
  ) {
    throw new RangeError(`seed must be ${MIN_SEED_BYTES} to ${MAX_SEED_BYTES} bytes`)
  }
}

export function evmDerivationPath(index: number): string {
  assertDerivationIndex(index)
  return `m/44'/60'/0'/0/${index}`
}

export function solanaDerivationPath(index: number): string {
  assertDerivationIndex(index)
  return `m/44'/501'/${index}'/0'`
}

export function deriveEvmAccount(seed: Uint8Array, index: number): EvmAccount {
  assertSeed(seed)
  const path = evmDerivationPath(index)
  const node = Bip32Key.fromMasterSeed(seed).derive(path)
  if (!node.privateKey) throw new Error(`no private key at ${path}`)
  const privateKey = toHex(node.privateKey)
  return { address: privateKeyToAccount(privateKey).address, privateKey, path }
}

export function deriveSolanaAccount(seed: Uint8Array, index: number): SolanaAccount {
  assertSeed(seed)
  const path = solanaDerivationPath(index)
  const node = Slip10Key.fromMasterSeed(seed).derive(path)
  const publicKey = node.publicKeyRaw
  const secretKey = new Uint8Array(64)
  secretKey.set(node.privateKey, 0)
  secretKey.set(publicKey, 32)
  return { address: base58.encode(publicKey), secretKey, path }
}

export function deriveAddress(seed: Uint8Array, networkKind: NetworkKind, index: number): string {
  switch (networkKind) {
    case 'evm':
      return deriveEvmAccount(seed, index).address
    case 'solana':
      return deriveSolanaAccount(seed, index).address
    default:
      throw new RangeError(`unknown network kind: ${String(networkKind satisfies never)}`)
  }
}

/**
 * BIP-32 master key fingerprint (first 4 bytes of HASH160 of the master public key), as 8 hex
 * chars. Identifies a seed in logs and backups without revealing anything usable.
 */
export function seedFingerprint(seed: Uint8Array): string {
  assertSeed(seed)
  return Bip32Key.fromMasterSeed(seed).fingerprint.toString(16).padStart(8, '0')
}
