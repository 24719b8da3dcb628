import { setTimeout as delay } from 'node:timers/promises'
import { mapWithConcurrency } from '../concurrency.ts'
import type {
  BlockHeader,
  ChainAdapter,
  ChainHead,
  NativeTransferScanRequest,
  ObservedTransfer,
  TransactionOutcome,
  TransferScanRequest,
} from '../chain-adapter.ts'
import {
  associatedTokenAccount,
  decodeSystemTransfer,
  decodeTokenCredit,
  LAMPORTS_PER_SIGNATURE,
  signerOf,
  signTransaction,
  SYSTEM_PROGRAM,
  TOKEN_ACCOUNT_SIZE,
  TOKEN_PROGRAM,
  transferInstructions,
  type CompiledInstructionView,
} from './transactions.ts'

/**
 * The slice of Solana's JSON-RPC the platform reads, with the same meaning as the RPC methods it
 * is named after (getSlot, getBlock, getLatestBlockhash, sendTransaction, getSignatureStatuses, …).
 * The embedded devnet implements it in-process; a mainnet implementation maps each call to the
 * RPC method (see docs/compat.md).
 */
export interface SolanaRpc {
  /** The newest slot with a block (commitment: processed on the devnet). */
  getSlot: () => Promise<bigint>
  /** undefined when the slot has no block (skipped, or not produced yet). */
  getBlock: (slot: bigint, options: { transactions: boolean }) => Promise<SolanaBlock | undefined>
  getLatestBlockhash: () => Promise<string>
  getBalance: (address: string) => Promise<bigint>
  /** Balance of `owner`'s associated token account for `mint` (0 when it does not exist). */
  getTokenBalance: (owner: string, mint: string) => Promise<bigint>
  accountExists: (address: string) => Promise<boolean>
  getMinimumBalanceForRentExemption: (size: bigint) => Promise<bigint>
  /** Returns the signature; an already processed transaction is not an error. Throws `SolanaRpcError`. */
  sendTransaction: (wireBase64: string) => Promise<string>
  getSignatureStatus: (
    signature: string,
  ) => Promise<{ slot: bigint; err: string | null } | undefined>
}

export type SolanaTokenBalance = {
  accountIndex: number
  mint: string
  owner: string
  amount: bigint
}

export type SolanaBlockTransaction = {
  signature: string
  accountKeys: string[]
  instructions: CompiledInstructionView[]
  /** Instructions invoked by programs (CPI), grouped by the top-level instruction that caused them. */
  innerInstructions: { index: number; instructions: CompiledInstructionView[] }[]
  err: string | null
  fee: bigint
  preTokenBalances: SolanaTokenBalance[]
  postTokenBalances: SolanaTokenBalance[]
}

export type SolanaBlock = {
  slot: bigint
  blockhash: string
  previousBlockhash: string
  /** Unix seconds. */
  blockTime: number
  transactions: SolanaBlockTransaction[]
}

export type SolanaRpcErrorCode =
  'BlockhashNotFound' | 'TransactionFailed' | 'InvalidTransaction' | 'Unavailable'

export class SolanaRpcError extends Error {
  readonly code: SolanaRpcErrorCode
  constructor(code: SolanaRpcErrorCode, message: string) {
    super(message)
    this.name = 'SolanaRpcError'
    this.code = code
  }
}

export type SolanaAdapterOptions = {
  network: string
  rpc: SolanaRpc
  /** Bound on every RPC call. */
  requestTimeoutMs: number
  /** How often waitForReceipt polls. */
  pollingIntervalMs?: number
  /** Concurrent getBlock calls while scanning (default 4). */
  scanConcurrency?: number
}

export type SolanaAdapter = ChainAdapter & { kind: 'solana'; rpc: SolanaRpc }

// Positions of inner instructions: 1000 × (top-level position + 1) + inner position, so that every
// transfer of a transaction has its own index (a transaction holds far fewer than 1000 instructions).
const INNER_INSTRUCTION_STRIDE = 1000

type PositionedInstruction = { position: number; instruction: CompiledInstructionView }

/** Top-level and inner instructions of a transaction, each with its unique position. */
function allInstructions(tx: SolanaBlockTransaction): PositionedInstruction[] {
  const result: PositionedInstruction[] = tx.instructions.map((instruction, position) => ({
    position,
    instruction,
  }))
  for (const group of tx.innerInstructions) {
    group.instructions.forEach((instruction, inner) => {
      result.push({ position: INNER_INSTRUCTION_STRIDE * (group.index + 1) + inner, instruction })
    })
  }
  return result
}

export function createSolanaAdapter(options: SolanaAdapterOptions): SolanaAdapter {
  const { network, rpc } = options
  const pollingIntervalMs = options.pollingIntervalMs ?? 500
  const scanConcurrency = options.scanConcurrency ?? 4

  const call = <T>(label: string, task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new SolanaRpcError(
            'Unavailable',
            `${network} ${label} timed out after ${options.requestTimeoutMs} ms`,
          ),
        )
      }, options.requestTimeoutMs)
      task().then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error instanceof Error ? error : new Error(String(error)))
        },
      )
    })

  const getBlockHeader = async (slot: bigint): Promise<BlockHeader | undefined> => {
    const block = await call('getBlock', () => rpc.getBlock(slot, { transactions: false }))
    if (!block) return undefined
    return {
      number: block.slot,
      hash: block.blockhash,
      parentHash: block.previousBlockhash,
      timestamp: new Date(block.blockTime * 1000),
    }
  }

  const blocksIn = async (fromBlock: bigint, toBlock: bigint): Promise<SolanaBlock[]> => {
    const slots: bigint[] = []
    for (let slot = fromBlock; slot <= toBlock; slot += 1n) slots.push(slot)
    const blocks = await mapWithConcurrency(slots, scanConcurrency, (slot) =>
      call('getBlock', () => rpc.getBlock(slot, { transactions: true })),
    )
    return blocks.filter((block): block is SolanaBlock => block !== undefined)
  }

  const scanTransfers = async (request: TransferScanRequest): Promise<ObservedTransfer[]> => {
    if (request.tokens.length === 0 || request.fromBlock > request.toBlock) return []
    const tokenIdByMint = new Map(request.tokens.map((token) => [token.address, token.tokenId]))
    const transfers: ObservedTransfer[] = []
    for (const block of await blocksIn(request.fromBlock, request.toBlock)) {
      for (const tx of block.transactions) {
        // a failed transaction moved nothing (only its fee)
        if (tx.err !== null) continue
        const post = new Map(tx.postTokenBalances.map((b) => [b.accountIndex, b]))
        const pre = new Map(tx.preTokenBalances.map((b) => [b.accountIndex, b]))
        for (const { position, instruction } of allInstructions(tx)) {
          if (tx.accountKeys[instruction.programIdIndex] !== TOKEN_PROGRAM) continue
          const credit = decodeTokenCredit(instruction.data)
          if (!credit || credit.amountUnits === 0n) continue
          const destinationIndex = instruction.accounts[credit.destination]
          if (destinationIndex === undefined) continue
          // the token account's owner is who got paid: deposit addresses are owners, not token accounts
          const destination = post.get(destinationIndex) ?? pre.get(destinationIndex)
          if (!destination) continue
          const tokenId = tokenIdByMint.get(destination.mint)
          if (tokenId === undefined) continue
          if (request.isWatched !== undefined && !request.isWatched(destination.owner)) continue
          const sourceIndex =
            credit.source === undefined ? undefined : instruction.accounts[credit.source]
          const authorityIndex = instruction.accounts[credit.authority]
          const sourceOwner =
            sourceIndex === undefined
              ? undefined
              : (pre.get(sourceIndex) ?? post.get(sourceIndex))?.owner
          transfers.push({
            network,
            txHash: tx.signature,
            logIndex: position,
            blockNumber: block.slot,
            blockHash: block.blockhash,
            from:
              sourceOwner ??
              (authorityIndex === undefined ? '' : (tx.accountKeys[authorityIndex] ?? '')),
            to: destination.owner,
            tokenAddress: destination.mint,
            tokenId,
            amountUnits: credit.amountUnits,
          })
        }
      }
    }
    return transfers
  }

  const scanNativeTransfers = async (
    request: NativeTransferScanRequest,
  ): Promise<ObservedTransfer[]> => {
    if (request.fromBlock > request.toBlock) return []
    const transfers: ObservedTransfer[] = []
    for (const block of await blocksIn(request.fromBlock, request.toBlock)) {
      for (const tx of block.transactions) {
        if (tx.err !== null) continue
        for (const { position, instruction } of allInstructions(tx)) {
          if (tx.accountKeys[instruction.programIdIndex] !== SYSTEM_PROGRAM) continue
          const lamports = decodeSystemTransfer(instruction.data)
          if (lamports === undefined || lamports === 0n) continue
          const from = tx.accountKeys[instruction.accounts[0] ?? -1]
          const to = tx.accountKeys[instruction.accounts[1] ?? -1]
          if (from === undefined || to === undefined) continue
          if (request.isWatched !== undefined && !request.isWatched(to)) continue
          // negative like EVM native transfers: never collides with a token transfer of the same transaction
          transfers.push({
            network,
            txHash: tx.signature,
            logIndex: -1 - position,
            blockNumber: block.slot,
            blockHash: block.blockhash,
            from,
            to,
            tokenAddress: null,
            tokenId: request.tokenId,
            amountUnits: lamports,
          })
        }
      }
    }
    return transfers
  }

  const getTransactionOutcome = async (
    signature: string,
  ): Promise<TransactionOutcome | undefined> => {
    const status = await call('getSignatureStatuses', () => rpc.getSignatureStatus(signature))
    if (!status) return undefined
    const block = await call('getBlock', () => rpc.getBlock(status.slot, { transactions: true }))
    if (!block) return undefined
    const tx = block.transactions.find((t) => t.signature === signature)
    return {
      txHash: signature,
      status: status.err === null ? 'success' : 'reverted',
      blockNumber: block.slot,
      blockHash: block.blockhash,
      gasUsed: 0n,
      feeUnits: tx?.fee ?? 0n,
    }
  }

  const head = async (): Promise<ChainHead> => {
    const slot = await call('getSlot', () => rpc.getSlot())
    const header = await getBlockHeader(slot)
    if (!header)
      throw new SolanaRpcError(
        'Unavailable',
        `${network} node returned no block for its slot ${slot}`,
      )
    return { number: header.number, hash: header.hash }
  }

  return {
    kind: 'solana',
    network,
    rpc,
    getHead: head,
    getBlockHash: async (slot) => (await getBlockHeader(slot))?.hash,
    getBlockHeader,
    scanTransfers,
    scanNativeTransfers,
    getNativeBalance: (owner) => call('getBalance', () => rpc.getBalance(owner)),
    getTokenBalance: (mint, owner) =>
      call('getTokenAccountBalance', () => rpc.getTokenBalance(owner, mint)),
    estimateTransferGas: async ({ to, tokenAddress }) => {
      // two signatures at most (owner and fee payer), plus rent when the recipient's token account must be created
      let rent = 0n
      if (tokenAddress !== null) {
        const destination = await associatedTokenAccount(to, tokenAddress)
        if (!(await call('getAccountInfo', () => rpc.accountExists(destination)))) {
          rent = await call('getMinimumBalanceForRentExemption', () =>
            rpc.getMinimumBalanceForRentExemption(TOKEN_ACCOUNT_SIZE),
          )
        }
      }
      return {
        gasLimit: 2n,
        maxFeePerGasWei: LAMPORTS_PER_SIGNATURE,
        maxCostWei: 2n * LAMPORTS_PER_SIGNATURE + rent,
      }
    },
    signTransfer: async (request) => {
      const from = await signerOf(request.from)
      const feePayer = request.feePayer ? await signerOf(request.feePayer) : from
      const instructions = await transferInstructions({
        from,
        feePayer,
        to: request.to,
        mint: request.tokenAddress,
        decimals: request.tokenDecimals,
        amountUnits: request.amountUnits,
      })
      const blockhash = await call('getLatestBlockhash', () => rpc.getLatestBlockhash())
      const signed = await signTransaction({ feePayer, instructions, blockhash })
      return { raw: signed.wire, txHash: signed.signature, nonce: null }
    },
    broadcastTransfer: async (raw) => {
      try {
        await call('sendTransaction', () => rpc.sendTransaction(raw))
        return 'sent'
      } catch (error) {
        // the blockhash aged out: these bytes can never land, a new signature is needed
        if (error instanceof SolanaRpcError && error.code === 'BlockhashNotFound') return 'expired'
        throw error
      }
    },
    getTransactionOutcome,
    waitForReceipt: async (signature, timeoutMs) => {
      const deadline = AbortSignal.timeout(timeoutMs)
      for (;;) {
        const outcome = await getTransactionOutcome(signature)
        if (outcome !== undefined) return outcome
        if (deadline.aborted)
          throw new Error(
            `${network} transaction ${signature} not processed within ${timeoutMs} ms`,
          )
        await delay(pollingIntervalMs)
      }
    },
  }
}
