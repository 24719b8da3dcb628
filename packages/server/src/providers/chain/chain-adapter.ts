// Chain-neutral shapes exchanged between chain adapters and the payment engine.

import type { ChainKind } from './networks.ts'

export type Hex = `0x${string}`

/** Block numbers are EVM block numbers or Solana slots; hashes are 0x-hex (EVM) or base58 (Solana). */
export type ChainHead = {
  number: bigint
  hash: string
}

export type BlockHeader = {
  number: bigint
  hash: string
  parentHash: string
  timestamp: Date
}

/**
 * One incoming value movement seen on chain. `(network, txHash, logIndex)` is unique: EVM token transfers use
 * the log's index, EVM native transfers `-1 - transactionIndex`; Solana uses the instruction's position
 * (negative for SOL transfers), and the transaction signature as `txHash`.
 * Addresses (`from`, `to`, `tokenAddress`) are in their storage form so that they compare with `===`:
 * lowercase hex on EVM, base58 as-is on Solana (where `to` is the owner of the receiving token account).
 */
export type ObservedTransfer = {
  network: string
  txHash: string
  logIndex: number
  blockNumber: bigint
  blockHash: string
  from: string
  to: string
  /** Token contract, or null for the chain's native coin. */
  tokenAddress: string | null
  /** The platform's token id (token table), as given in the scan request. */
  tokenId: number
  amountUnits: bigint
}

/** Predicate over lowercase addresses; true for addresses the platform is waiting for payments on. */
export type WatchedAddressFilter = (address: string) => boolean

export type SentTransaction = {
  txHash: Hex
}

export type TransactionOutcome = {
  txHash: string
  status: 'success' | 'reverted'
  blockNumber: bigint
  blockHash: string
  gasUsed: bigint
  /** Native coin paid for gas, in the chain's smallest unit. */
  feeUnits: bigint
}

export type PriceFeedReading = {
  answer: bigint
  decimals: number
  roundId: bigint
  updatedAt: Date
}

export type TokenToScan = {
  address: string
  tokenId: number
}

export type TransferScanRequest = {
  fromBlock: bigint
  toBlock: bigint
  tokens: readonly TokenToScan[]
  /** Keeps only transfers whose recipient matches; all transfers of the tokens when omitted. */
  isWatched?: WatchedAddressFilter
}

export type NativeTransferScanRequest = {
  fromBlock: bigint
  toBlock: bigint
  isWatched?: WatchedAddressFilter
  /** The platform's token id of the chain's native coin. */
  tokenId: number
}

/** An account the platform holds the key of: EVM 32-byte private key, or Solana 64-byte keypair, as hex. */
export type ChainAccountKey = {
  address: string
  privateKey: Hex
}

export type TransferToSign = {
  from: ChainAccountKey
  to: string
  /** Token contract or mint; null for the native coin. */
  tokenAddress: string | null
  /** The token's decimals (Solana's checked transfer states them). */
  tokenDecimals: number
  amountUnits: bigint
  /** Solana: a second signer that pays the fee (and any account rent); EVM: ignored, `from` pays gas. */
  feePayer?: ChainAccountKey
}

export type SignedTransfer = {
  /** Exactly the bytes to broadcast (0x-hex on EVM, base64 wire transaction on Solana). */
  raw: string
  txHash: string
  /** EVM account nonce; null where the chain has none. */
  nonce: bigint | null
}

/**
 * What the watcher, settlement, sender and verification need from a chain. `EvmAdapter` and
 * `SolanaAdapter` implement it; chain-specific extras (price feeds, devnet helpers) stay on them.
 */
export interface ChainAdapter {
  network: string
  kind: ChainKind
  getHead: () => Promise<ChainHead>
  getBlockHash: (blockNumber: bigint) => Promise<string | undefined>
  getBlockHeader: (blockNumber: bigint) => Promise<BlockHeader | undefined>
  scanTransfers: (request: TransferScanRequest) => Promise<ObservedTransfer[]>
  scanNativeTransfers: (request: NativeTransferScanRequest) => Promise<ObservedTransfer[]>
  getNativeBalance: (owner: string) => Promise<bigint>
  getTokenBalance: (tokenAddress: string, owner: string) => Promise<bigint>
  /** `maxCostWei`: native coin (in its smallest unit: wei, lamports) to hold for the transfer. */
  estimateTransferGas: (request: { from: string; to: string; tokenAddress: string | null; amountUnits: bigint }) => Promise<{ maxCostWei: bigint }>
  /** Signs without sending: the caller stores the bytes first (persist, send, reconcile). */
  signTransfer: (request: TransferToSign) => Promise<SignedTransfer>
  /**
   * Broadcasts signed bytes. Sending the same bytes again is harmless. `expired`: the transaction
   * can never be included any more (a Solana blockhash too old) and must be signed anew.
   */
  broadcastTransfer: (raw: string) => Promise<'sent' | 'expired'>
  /** Undefined while the transaction is not included (or unknown to the node). */
  getTransactionOutcome: (txHash: string) => Promise<TransactionOutcome | undefined>
  waitForReceipt: (txHash: string, timeoutMs: number) => Promise<TransactionOutcome>
}
