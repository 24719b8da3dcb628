import { fieldError } from '../../../http/errors.ts'
import { validateAddressForNetwork } from '../../../providers/chain/keys/address.ts'

/** Who a cart, estimate, address or order belongs to inside one merchant and environment. */
export interface CustomerIdentity {
  /** Stable lookup key: `customer:<id>` when a customer id is given, else `wallet:<network>:<address>`. */
  key: string
  customerId: string | null
  walletAddress: string | null
  walletNetwork: string | null
}

export interface IdentityInput {
  customer_id?: string | undefined
  wallet_address?: string | undefined
  wallet_network?: string | undefined
}

const TON_ADDRESS = /^(?:[EUk0]Q[A-Za-z0-9_-]{46}|-?\d:[0-9a-fA-F]{64})$/
const CARDANO_ADDRESS = /^addr1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{50,120}$/
const SUI_ADDRESS = /^0x[0-9a-fA-F]{64}$/

/** Storage form of a wallet address for its network, or a reason it is not one. */
export function normalizeWalletAddress(
  network: string,
  address: string,
): { ok: true; address: string } | { ok: false; message: string } {
  if (network === 'ton')
    return TON_ADDRESS.test(address)
      ? { ok: true, address }
      : { ok: false, message: 'not a valid ton address' }
  if (network === 'cardano')
    return CARDANO_ADDRESS.test(address)
      ? { ok: true, address }
      : { ok: false, message: 'not a valid cardano address (addr1…)' }
  if (network === 'sui')
    return SUI_ADDRESS.test(address)
      ? { ok: true, address: address.toLowerCase() }
      : { ok: false, message: 'not a valid sui address (0x + 64 hex)' }
  const checked = validateAddressForNetwork(network, address)
  return checked.ok
    ? { ok: true, address: checked.address }
    : { ok: false, message: checked.message }
}

/**
 * Parses `customer_id` | (`wallet_address` + `wallet_network`). When both kinds are given the
 * customer id is the identity and the wallet is kept as an attribute (docs/commerce.md).
 */
export function parseIdentity(input: IdentityInput): CustomerIdentity {
  const customerId = input.customer_id?.trim() ? input.customer_id : undefined
  const hasAddress = input.wallet_address !== undefined && input.wallet_address !== ''
  const hasNetwork = input.wallet_network !== undefined
  if (hasAddress && !hasNetwork)
    throw fieldError('wallet_network', 'required together with wallet_address')
  if (hasNetwork && !hasAddress)
    throw fieldError('wallet_address', 'required together with wallet_network')
  let walletAddress: string | null = null
  let walletNetwork: string | null = null
  if (hasAddress && hasNetwork) {
    const network = input.wallet_network as string
    const checked = normalizeWalletAddress(network, input.wallet_address as string)
    if (!checked.ok) throw fieldError('wallet_address', checked.message)
    walletAddress = checked.address
    walletNetwork = network
  }
  if (customerId === undefined && walletAddress === null) {
    throw fieldError(
      'customer_id',
      'customer identification is required: customer_id or wallet_address + wallet_network',
    )
  }
  return {
    key:
      customerId !== undefined
        ? `customer:${customerId}`
        : `wallet:${walletNetwork}:${walletAddress}`,
    customerId: customerId ?? null,
    walletAddress,
    walletNetwork,
  }
}
