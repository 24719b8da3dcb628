// Chain-neutral shapes exchanged between chain adapters and the payment engine.

export type Hex = `0x${string}`

export type ChainHead = {
  number: bigint
  hash: Hex
}

export type BlockHeader = {
  number: bigint
  hash: Hex
  parentHash: Hex
  timestamp: Date
}

/**
 * One incoming value movement seen on chain. `(network, txHash, logIndex)` is unique: token transfers use the
 * log's index, native coin transfers use `-1 - transactionIndex`.
 * Addresses (`from`, `to`, `tokenAddress`) are lowercase hex so that they compare with `===`.
 */
export type ObservedTransfer = {
  network: string
  txHash: Hex
  logIndex: number
  blockNumber: bigint
  blockHash: Hex
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
  txHash: Hex
  status: 'success' | 'reverted'
  blockNumber: bigint
  blockHash: Hex
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
