import { AppError } from '@pepay/core'
import { base58 } from '@scure/base'
import { getAddress } from 'viem'
import type { Address } from 'viem'
import type { NetworkKind } from './derive.ts'

export const EVM_NETWORKS = [
  'ethereum',
  'base',
  'bsc',
  'arbitrum',
  'optimism',
  'avalanche',
] as const
export const SOLANA_NETWORKS = ['solana'] as const

export type EvmNetworkId = (typeof EVM_NETWORKS)[number]
export type SolanaNetworkId = (typeof SOLANA_NETWORKS)[number]
export type NetworkId = EvmNetworkId | SolanaNetworkId

const EVM_ADDRESS_SHAPE = /^0x[0-9a-fA-F]{40}$/
const EVM_ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'
// 32 zero bytes: the System Program id; tokens sent to it are unrecoverable.
const SOLANA_ZERO_ADDRESS = '11111111111111111111111111111111'
const SOLANA_PUBLIC_KEY_BYTES = 32
// Base58 of 32 bytes is 32 to 44 characters; checked first so huge inputs are not decoded.
const SOLANA_ADDRESS_SHAPE = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/

export class InvalidAddressError extends AppError {
  readonly kind: NetworkKind
  constructor(kind: NetworkKind, address: string) {
    super('INVALID_ADDRESS', `invalid ${kind} address: ${JSON.stringify(address.slice(0, 64))}`)
    this.name = 'InvalidAddressError'
    this.kind = kind
  }
}

export function networkKindOf(network: string): NetworkKind | undefined {
  if ((EVM_NETWORKS as readonly string[]).includes(network)) return 'evm'
  if ((SOLANA_NETWORKS as readonly string[]).includes(network)) return 'solana'
  return undefined
}

export function isNetworkId(network: string): network is NetworkId {
  return networkKindOf(network) !== undefined
}

/**
 * `0x` + 40 hex digits. All-lowercase and all-uppercase carry no checksum and are accepted;
 * mixed case is an EIP-55 checksum and must be correct (it catches typos).
 */
export function isValidEvmAddress(address: string): boolean {
  if (!EVM_ADDRESS_SHAPE.test(address)) return false
  const body = address.slice(2)
  if (body === body.toLowerCase() || body === body.toUpperCase()) return true
  return getAddress(address) === address
}

/** Storage form: lowercase, so equality and unique indexes work on plain text. */
export function normalizeEvmAddress(address: string): Address {
  if (!isValidEvmAddress(address)) throw new InvalidAddressError('evm', address)
  return address.toLowerCase() as Address
}

/** Display form: EIP-55 checksummed. */
export function checksumEvmAddress(address: string): Address {
  if (!isValidEvmAddress(address)) throw new InvalidAddressError('evm', address)
  return getAddress(address.toLowerCase())
}

/** Base58 text decoding to exactly 32 bytes. Off-curve keys (program-derived accounts) are valid. */
export function isValidSolanaAddress(address: string): boolean {
  if (!SOLANA_ADDRESS_SHAPE.test(address)) return false
  try {
    return base58.decode(address).length === SOLANA_PUBLIC_KEY_BYTES
  } catch {
    return false
  }
}

export type AddressValidation =
  | { ok: true; network: NetworkId; kind: NetworkKind; address: string }
  | {
      ok: false
      reason: 'unsupported-network' | 'invalid-address' | 'burn-address'
      message: string
    }

/**
 * Checks an address supplied for a network and returns its storage form (lowercase for EVM,
 * unchanged base58 for Solana). Burn addresses are refused: funds sent there are lost.
 */
export function validateAddressForNetwork(network: string, address: string): AddressValidation {
  const kind = networkKindOf(network)
  if (kind === undefined) {
    return { ok: false, reason: 'unsupported-network', message: `unsupported network "${network}"` }
  }
  const networkId = network as NetworkId
  if (kind === 'evm') {
    if (!isValidEvmAddress(address)) {
      return {
        ok: false,
        reason: 'invalid-address',
        message: `not a valid ${network} address (expected 0x and 40 hex digits with a correct checksum)`,
      }
    }
    const stored = normalizeEvmAddress(address)
    if (stored === EVM_ZERO_ADDRESS) {
      return { ok: false, reason: 'burn-address', message: 'the zero address cannot receive funds' }
    }
    return { ok: true, network: networkId, kind, address: stored }
  }
  if (!isValidSolanaAddress(address)) {
    return {
      ok: false,
      reason: 'invalid-address',
      message: 'not a valid solana address (expected base58 of a 32-byte public key)',
    }
  }
  if (address === SOLANA_ZERO_ADDRESS) {
    return {
      ok: false,
      reason: 'burn-address',
      message: 'the system program id cannot receive funds',
    }
  }
  return { ok: true, network: networkId, kind, address }
}
