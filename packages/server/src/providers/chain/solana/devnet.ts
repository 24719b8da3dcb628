import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { address, lamports, type Address } from '@solana/kit'
import {
  getMintEncoder,
  getMintSize,
  getMintToInstruction,
  getTokenDecoder,
  TOKEN_PROGRAM_ADDRESS,
  getCreateAssociatedTokenIdempotentInstruction,
} from '@solana-program/token'
import { Clock, FailedTransactionMetadata, LiteSVM } from 'litesvm'
import type {
  SolanaBlock,
  SolanaBlockTransaction,
  SolanaRpc,
  SolanaTokenBalance,
} from './solana-adapter.ts'
import { SolanaRpcError } from './solana-adapter.ts'
import {
  associatedTokenAccount,
  chainedBlockHash,
  decodeWireTransaction,
  genesisBlockHash,
  keypairFromLabel,
  signerOf,
  signTransaction,
  SYSTEM_PROGRAM,
  transferInstructions,
  type CompiledInstructionView,
  type SolanaKeypair,
} from './transactions.ts'

/**
 * An embedded Solana devnet: LiteSVM (the Solana runtime with the SPL Token and Associated Token
 * programs) in this process, behind a ledger that gives every processed transaction its own slot,
 * blockhash and parent hash, and keeps its token balance changes for the RPC-shaped reader.
 *
 * State is reproducible: the genesis accounts (mints, faucet, treasury, payers) are written
 * directly from fixed keypairs, and every later change is a transaction recorded in
 * `<dataDir>/devnet/solana.json` and replayed on start, so balances, slots and hashes come back
 * identical. A missing or unreadable ledger starts a fresh chain with a new genesis hash.
 */

export const SOLANA_DEVNET_NETWORK = 'solana'
/** A transaction's blockhash must be one of the newest 150 blocks, as on Solana. */
export const MAX_BLOCKHASH_AGE = 150
const LEDGER_VERSION = 1
const LAMPORTS_PER_SOL = 1_000_000_000n

export type SolanaDevnetToken = {
  symbol: string
  name: string
  decimals: number
  /** Mint address (base58). */
  address: string
}

export type SolanaDevnetTokenSpec = Omit<SolanaDevnetToken, 'address'>

/** The mints, in a fixed order; each mint keypair is derived from its symbol. */
export const defaultSolanaDevnetTokens: readonly SolanaDevnetTokenSpec[] = [
  { symbol: 'DUSDC', name: 'Devnet USDC', decimals: 6 },
  { symbol: 'DUSDT', name: 'Devnet USDT', decimals: 6 },
]

export type SolanaFaucetRequest = {
  /** Mint address, or 'native' for SOL. */
  token: string
  amountUnits: bigint
}

export type SolanaDevnet = {
  network: string
  genesisHash: string
  tokens: SolanaDevnetToken[]
  /** The platform's fee payer and treasury on the devnet (funded at genesis). */
  treasury: SolanaKeypair
  rpc: SolanaRpc
  /** Funded payer accounts (SOL at genesis) for tests and demos. */
  fundedAccounts: () => SolanaKeypair[]
  /** Mints tokens to the owner's associated account (created if needed), or sends SOL. */
  faucet: (owner: string, request: SolanaFaucetRequest) => Promise<{ txHash: string }>
  /** A transfer signed by `from` (who also pays the fee unless `feePayer` is given). */
  transfer: (
    from: SolanaKeypair,
    request: { token: string; to: string; amountUnits: bigint; feePayer?: SolanaKeypair },
  ) => Promise<{ txHash: string }>
  /** Slot of the newest block. */
  headSlot: () => bigint
  /**
   * Calls `listener` after each new block (every processed transaction makes one); returns the
   * function that stops it. The watcher of this devnet scans as soon as a block exists.
   */
  onBlock: (listener: () => void) => () => void
  stop: () => Promise<void>
}

export type SolanaDevnetOptions = {
  dataDir: string
  now: () => Date
  log?: (message: string) => void
  tokens?: readonly SolanaDevnetTokenSpec[]
  /** How many funded payer accounts (default 9). */
  payerCount?: number
}

type LedgerTransaction = SolanaBlockTransaction & { wire: string }

type LedgerBlock = {
  slot: bigint
  hash: string
  parentHash: string
  timeMs: number
  tx: LedgerTransaction | null
}

type LedgerFile = {
  version: number
  salt: string
  genesisTimeMs: number
  blocks: { slot: string; hash: string; timeMs: number; tx: string }[]
}

type AccountSnapshot = {
  lamports: bigint
  token: { mint: string; owner: string; amount: bigint } | undefined
}

const tokenDecoder = getTokenDecoder()

class Ledger {
  readonly svm: LiteSVM
  readonly blocks: LedgerBlock[] = []
  readonly bySignature = new Map<string, bigint>()
  readonly recentHashes = new Set<string>()
  readonly salt: string
  readonly genesisTimeMs: number
  #lines: string[] = []

  constructor(svm: LiteSVM, salt: string, genesisTimeMs: number) {
    this.svm = svm
    this.salt = salt
    this.genesisTimeMs = genesisTimeMs
    const hash = genesisBlockHash(salt)
    this.blocks.push({ slot: 0n, hash, parentHash: hash, timeMs: genesisTimeMs, tx: null })
    this.recentHashes.add(hash)
  }

  get head(): LedgerBlock {
    const head = this.blocks.at(-1)
    if (!head) throw new Error('ledger has no genesis block')
    return head
  }

  #snapshot(key: Address): AccountSnapshot {
    const account = this.svm.getAccount(key)
    if (!account.exists) return { lamports: 0n, token: undefined }
    let token: AccountSnapshot['token']
    if (account.programAddress === TOKEN_PROGRAM_ADDRESS && account.data.length === 165) {
      const decoded = tokenDecoder.decode(account.data)
      token = { mint: decoded.mint, owner: decoded.owner, amount: decoded.amount }
    }
    return { lamports: account.lamports, token }
  }

  /**
   * Executes one transaction as the next block. `expected` (replay) must reproduce the recorded
   * slot and hash exactly, or the ledger is unusable.
   */
  process(wire: string, timeMs: number, expected?: { slot: bigint; hash: string }): string {
    let decoded
    try {
      decoded = decodeWireTransaction(wire)
    } catch (error) {
      throw new SolanaRpcError(
        'InvalidTransaction',
        `not a transaction: ${(error as Error).message}`,
      )
    }
    if (this.bySignature.has(decoded.signature)) return decoded.signature
    if (!this.recentHashes.has(decoded.recentBlockhash))
      throw new SolanaRpcError(
        'BlockhashNotFound',
        `blockhash ${decoded.recentBlockhash} not found`,
      )
    const parent = this.head
    const slot = parent.slot + 1n
    const keys = decoded.accountKeys
    const before = keys.map((key) => this.#snapshot(key))
    const clock = this.svm.getClock()
    this.svm.setClock(
      new Clock(
        slot,
        clock.epochStartTimestamp,
        clock.epoch,
        clock.leaderScheduleEpoch,
        BigInt(Math.floor(timeMs / 1000)),
      ),
    )
    const result = this.svm.sendTransaction(decoded.transaction)
    if (result instanceof FailedTransactionMetadata) {
      // like a preflight failure: nothing is recorded and nothing changed
      throw new SolanaRpcError(
        'TransactionFailed',
        `transaction failed: ${String(result.err())}; ${result.meta().logs().slice(-3).join(' | ')}`,
      )
    }
    const after = keys.map((key) => this.#snapshot(key))
    const tokenBalances = (snapshots: AccountSnapshot[]): SolanaTokenBalance[] =>
      snapshots.flatMap((s, accountIndex) =>
        s.token
          ? [{ accountIndex, mint: s.token.mint, owner: s.token.owner, amount: s.token.amount }]
          : [],
      )
    const sum = (snapshots: AccountSnapshot[]) =>
      snapshots.reduce((total, s) => total + s.lamports, 0n)
    const view = (ix: {
      programIdIndex(): number
      accounts(): Uint8Array
      data(): Uint8Array
    }): CompiledInstructionView => ({
      programIdIndex: ix.programIdIndex(),
      accounts: [...ix.accounts()],
      data: new Uint8Array(ix.data()),
    })
    const tx: LedgerTransaction = {
      wire,
      signature: decoded.signature,
      accountKeys: keys,
      instructions: decoded.instructions,
      innerInstructions: result
        .innerInstructions()
        .map((group, index) => ({
          index,
          instructions: group.map((inner) => view(inner.instruction())),
        }))
        .filter((group) => group.instructions.length > 0),
      err: null,
      // lamports only leave the accounts of a transaction as its fee
      fee: sum(before) - sum(after),
      preTokenBalances: tokenBalances(before),
      postTokenBalances: tokenBalances(after),
    }
    const hash = chainedBlockHash(parent.hash, slot, decoded.signature)
    if (expected && (expected.slot !== slot || expected.hash !== hash)) {
      throw new Error(
        `replayed block ${slot} has hash ${hash}, the ledger recorded ${expected.hash} at ${expected.slot}`,
      )
    }
    this.blocks.push({ slot, hash, parentHash: parent.hash, timeMs, tx })
    this.bySignature.set(decoded.signature, slot)
    this.recentHashes.add(hash)
    const aged = this.blocks[this.blocks.length - 1 - MAX_BLOCKHASH_AGE]
    if (aged) this.recentHashes.delete(aged.hash)
    this.#lines.push(JSON.stringify({ slot: slot.toString(), hash, timeMs, tx: wire }))
    return decoded.signature
  }

  serialize(): string {
    return `{"version":${LEDGER_VERSION},"salt":${JSON.stringify(this.salt)},"genesisTimeMs":${this.genesisTimeMs},"blocks":[\n${this.#lines.join(',\n')}\n]}\n`
  }
}

type GenesisAccounts = {
  faucet: SolanaKeypair
  treasury: SolanaKeypair
  payers: SolanaKeypair[]
  tokens: SolanaDevnetToken[]
}

async function genesisAccounts(
  specs: readonly SolanaDevnetTokenSpec[],
  payerCount: number,
): Promise<GenesisAccounts> {
  const mints = await Promise.all(
    specs.map((spec) => keypairFromLabel(`pepay solana devnet mint ${spec.symbol}`)),
  )
  return {
    faucet: await keypairFromLabel('pepay solana devnet faucet'),
    treasury: await keypairFromLabel('pepay solana devnet treasury'),
    payers: await Promise.all(
      Array.from({ length: payerCount }, (_, i) =>
        keypairFromLabel(`pepay solana devnet payer ${i + 1}`),
      ),
    ),
    tokens: specs.map((spec, i) => ({ ...spec, address: mints[i]?.address ?? '' })),
  }
}

function newSvm(accounts: GenesisAccounts): LiteSVM {
  // blockhashes are the ledger's own (checked in Ledger.process); LiteSVM's fixed one is not used
  const svm = new LiteSVM().withBlockhashCheck(false)
  const system = address(SYSTEM_PROGRAM)
  const fund = (owner: string, sol: bigint) => {
    svm.setAccount({
      address: address(owner),
      data: new Uint8Array(0),
      executable: false,
      lamports: lamports(sol * LAMPORTS_PER_SOL),
      programAddress: system,
      space: 0n,
    })
  }
  fund(accounts.faucet.address, 1_000_000_000n)
  fund(accounts.treasury.address, 1_000_000n)
  for (const payer of accounts.payers) fund(payer.address, 10_000n)
  const mintSize = BigInt(getMintSize())
  for (const token of accounts.tokens) {
    const data = getMintEncoder().encode({
      mintAuthority: address(accounts.faucet.address),
      supply: 0n,
      decimals: token.decimals,
      isInitialized: true,
      freezeAuthority: null,
    })
    svm.setAccount({
      address: address(token.address),
      data: new Uint8Array(data),
      executable: false,
      lamports: lamports(svm.minimumBalanceForRentExemption(mintSize)),
      programAddress: TOKEN_PROGRAM_ADDRESS,
      space: mintSize,
    })
  }
  return svm
}

function loadLedger(
  path: string,
  accounts: GenesisAccounts,
  log: (message: string) => void,
): Ledger | undefined {
  if (!existsSync(path)) return undefined
  try {
    const file = JSON.parse(readFileSync(path, 'utf8')) as LedgerFile
    if (
      file.version !== LEDGER_VERSION ||
      typeof file.salt !== 'string' ||
      !Array.isArray(file.blocks)
    )
      throw new Error('unknown ledger format')
    const ledger = new Ledger(newSvm(accounts), file.salt, file.genesisTimeMs)
    for (const block of file.blocks)
      ledger.process(block.tx, block.timeMs, { slot: BigInt(block.slot), hash: block.hash })
    log(`solana devnet: replayed ${file.blocks.length} transactions`)
    return ledger
  } catch (error) {
    // keep the unreadable file for inspection; the platform sees a new genesis and rewinds its watcher
    const aside = `${path}.unreadable`
    renameSync(path, aside)
    log(
      `solana devnet: ledger ${path} is unusable (${(error as Error).message}); moved to ${aside}, starting a fresh chain`,
    )
    return undefined
  }
}

export async function startSolanaDevnet(options: SolanaDevnetOptions): Promise<SolanaDevnet> {
  const log = options.log ?? (() => {})
  const accounts = await genesisAccounts(
    options.tokens ?? defaultSolanaDevnetTokens,
    options.payerCount ?? 9,
  )
  const path = join(options.dataDir, 'devnet', `${SOLANA_DEVNET_NETWORK}.json`)
  mkdirSync(dirname(path), { recursive: true })
  const ledger =
    loadLedger(path, accounts, log) ??
    new Ledger(newSvm(accounts), randomBytes(16).toString('hex'), options.now().getTime())
  const genesis = ledger.blocks[0]
  if (!genesis) throw new Error('ledger has no genesis block')

  const persist = () => {
    // write-then-rename: a crash leaves the previous ledger or the new one, never half a file
    const temporary = `${path}.${process.pid}.tmp`
    writeFileSync(temporary, ledger.serialize())
    renameSync(temporary, path)
  }
  persist()

  let stopped = false
  const blockListeners = new Set<() => void>()
  const submit = (wire: string): string => {
    if (stopped) throw new SolanaRpcError('Unavailable', 'the solana devnet is stopped')
    const before = ledger.blocks.length
    const signature = ledger.process(wire, options.now().getTime())
    if (ledger.blocks.length > before) {
      persist()
      for (const listener of blockListeners) listener()
    }
    return signature
  }

  const blockAt = (slot: bigint): LedgerBlock | undefined =>
    slot >= 0n && slot < BigInt(ledger.blocks.length) ? ledger.blocks[Number(slot)] : undefined

  const rpc: SolanaRpc = {
    getSlot: () => Promise.resolve(ledger.head.slot),
    getBlock: (slot, { transactions }) => {
      const block = blockAt(slot)
      if (!block) return Promise.resolve(undefined)
      const result: SolanaBlock = {
        slot: block.slot,
        blockhash: block.hash,
        previousBlockhash: block.parentHash,
        blockTime: Math.floor(block.timeMs / 1000),
        transactions: transactions && block.tx ? [block.tx] : [],
      }
      return Promise.resolve(result)
    },
    getLatestBlockhash: () => Promise.resolve(ledger.head.hash),
    getBalance: (owner) => Promise.resolve(ledger.svm.getBalance(address(owner)) ?? 0n),
    getTokenBalance: async (owner, mint) => {
      const account = ledger.svm.getAccount(address(await associatedTokenAccount(owner, mint)))
      return account.exists && account.data.length === 165
        ? tokenDecoder.decode(account.data).amount
        : 0n
    },
    accountExists: (key) => Promise.resolve(ledger.svm.getAccount(address(key)).exists),
    getMinimumBalanceForRentExemption: (size) =>
      Promise.resolve(ledger.svm.minimumBalanceForRentExemption(size)),
    sendTransaction: (wire) => {
      try {
        return Promise.resolve(submit(wire))
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)))
      }
    },
    getSignatureStatus: (signature) => {
      const slot = ledger.bySignature.get(signature)
      return Promise.resolve(slot === undefined ? undefined : { slot, err: null })
    },
  }

  // The devnet's own transactions are built one at a time: two identical requests signed against
  // the same blockhash would be the same transaction (same signature), and the second a no-op.
  let queue: Promise<unknown> = Promise.resolve()
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task)
    queue = next.catch(() => undefined)
    return next
  }
  const mintOf = (token: string) => {
    const found = accounts.tokens.find((t) => t.address === token)
    if (!found) throw new RangeError(`${token} is not a solana devnet mint`)
    return found
  }

  log(`solana devnet: genesis ${genesis.hash}, head slot ${ledger.head.slot}`)
  return {
    network: SOLANA_DEVNET_NETWORK,
    genesisHash: genesis.hash,
    tokens: accounts.tokens.map((t) => ({ ...t })),
    treasury: { ...accounts.treasury },
    rpc,
    fundedAccounts: () => accounts.payers.map((p) => ({ ...p })),
    faucet: (owner, request) =>
      serially(async () => {
        if (request.amountUnits <= 0n) throw new RangeError('faucet amount must be positive')
        const faucet = await signerOf(accounts.faucet)
        if (request.token === 'native') {
          const instructions = await transferInstructions({
            from: faucet,
            feePayer: faucet,
            to: owner,
            mint: null,
            decimals: 9,
            amountUnits: request.amountUnits,
          })
          return {
            txHash: submit(
              (
                await signTransaction({
                  feePayer: faucet,
                  instructions,
                  blockhash: ledger.head.hash,
                })
              ).wire,
            ),
          }
        }
        const mint = address(mintOf(request.token).address)
        const ata = address(await associatedTokenAccount(owner, mint))
        const instructions = [
          getCreateAssociatedTokenIdempotentInstruction({
            payer: faucet,
            ata,
            owner: address(owner),
            mint,
          }),
          getMintToInstruction({
            mint,
            token: ata,
            mintAuthority: faucet,
            amount: request.amountUnits,
          }),
        ]
        return {
          txHash: submit(
            (await signTransaction({ feePayer: faucet, instructions, blockhash: ledger.head.hash }))
              .wire,
          ),
        }
      }),
    transfer: (from, request) =>
      serially(async () => {
        const signer = await signerOf(from)
        const feePayer = request.feePayer ? await signerOf(request.feePayer) : signer
        const mint = request.token === 'native' ? null : mintOf(request.token)
        const instructions = await transferInstructions({
          from: signer,
          feePayer,
          to: request.to,
          mint: mint?.address ?? null,
          decimals: mint?.decimals ?? 9,
          amountUnits: request.amountUnits,
        })
        return {
          txHash: submit(
            (await signTransaction({ feePayer, instructions, blockhash: ledger.head.hash })).wire,
          ),
        }
      }),
    headSlot: () => ledger.head.slot,
    onBlock: (listener) => {
      blockListeners.add(listener)
      return () => {
        blockListeners.delete(listener)
      }
    },
    stop: () => {
      stopped = true
      blockListeners.clear()
      return Promise.resolve()
    },
  }
}
