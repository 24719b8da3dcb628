import { createHash } from 'node:crypto'
import { base58 } from '@scure/base'
import {
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromBytes,
  createKeyPairSignerFromPrivateKeyBytes,
  createTransactionMessage,
  getBase64EncodedWireTransaction,
  getCompiledTransactionMessageDecoder,
  getSignatureFromTransaction,
  getTransactionDecoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type Blockhash,
  type Instruction,
  type KeyPairSigner,
  type Transaction,
} from '@solana/kit'
import { getTransferSolInstruction } from '@solana-program/system'
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getTransferCheckedInstruction,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token'
import { bytesToHex, hexToBytes } from 'viem'
import type { Hex } from '../chain-adapter.ts'

/**
 * Building, signing and reading Solana transactions (legacy-free v0 messages without lookup
 * tables). Shared by the adapter (sweeps, treasury sends) and the embedded devnet (faucet, payers).
 */

export const SYSTEM_PROGRAM = '11111111111111111111111111111111'
export const TOKEN_PROGRAM: string = TOKEN_PROGRAM_ADDRESS
/** Base fee per signature; the platform sets no priority fee. */
export const LAMPORTS_PER_SIGNATURE = 5_000n
/** Size of an SPL token account (what a missing destination account costs in rent). */
export const TOKEN_ACCOUNT_SIZE = 165n

// SPL Token instruction tags (first data byte) that move tokens into an account.
const TOKEN_TRANSFER = 3
const TOKEN_MINT_TO = 7
const TOKEN_TRANSFER_CHECKED = 12
const TOKEN_MINT_TO_CHECKED = 14
// System program instruction tag (u32 little endian) of a lamport transfer.
const SYSTEM_TRANSFER = 2

/** A Solana account the platform holds: base58 address and the 64-byte keypair (seed ‖ public key) as hex. */
export type SolanaKeypair = {
  address: string
  privateKey: Hex
}

export async function signerOf(keypair: SolanaKeypair): Promise<KeyPairSigner> {
  const bytes = hexToBytes(keypair.privateKey)
  if (bytes.length !== 64) throw new RangeError('a Solana keypair is 64 bytes')
  const signer = await createKeyPairSignerFromBytes(bytes)
  if (signer.address !== keypair.address)
    throw new Error(`keypair does not belong to ${keypair.address}`)
  return signer
}

/** A keypair derived from a label: fixed devnet accounts (mint, faucet, payers) keep their address on every start. */
export async function keypairFromLabel(label: string): Promise<SolanaKeypair> {
  const seed = new Uint8Array(createHash('sha256').update(label).digest())
  const signer = await createKeyPairSignerFromPrivateKeyBytes(seed)
  const secret = new Uint8Array(64)
  secret.set(seed, 0)
  secret.set(base58.decode(signer.address), 32)
  return { address: signer.address, privateKey: bytesToHex(secret) }
}

export async function associatedTokenAccount(owner: string, mint: string): Promise<string> {
  const [ata] = await findAssociatedTokenPda({
    owner: address(owner),
    mint: address(mint),
    tokenProgram: TOKEN_PROGRAM_ADDRESS,
  })
  return ata
}

export type TransferInstructionsInput = {
  from: KeyPairSigner
  feePayer: KeyPairSigner
  to: string
  /** SPL mint, or null for SOL. */
  mint: string | null
  decimals: number
  amountUnits: bigint
}

/** SOL: one system transfer. SPL: create the recipient's associated account if missing (fee payer pays rent), then a checked transfer. */
export async function transferInstructions(
  input: TransferInstructionsInput,
): Promise<Instruction[]> {
  if (input.amountUnits <= 0n) throw new RangeError('transfer amount must be positive')
  if (input.mint === null) {
    return [
      getTransferSolInstruction({
        source: input.from,
        destination: address(input.to),
        amount: input.amountUnits,
      }),
    ]
  }
  const mint = address(input.mint)
  const source = address(await associatedTokenAccount(input.from.address, input.mint))
  const destination = address(await associatedTokenAccount(input.to, input.mint))
  return [
    getCreateAssociatedTokenIdempotentInstruction({
      payer: input.feePayer,
      ata: destination,
      owner: address(input.to),
      mint,
    }),
    getTransferCheckedInstruction({
      source,
      mint,
      destination,
      authority: input.from,
      amount: input.amountUnits,
      decimals: input.decimals,
    }),
  ]
}

export type SignedSolanaTransaction = {
  /** Base64 wire transaction: what sendTransaction takes and what is stored before broadcast. */
  wire: string
  signature: string
}

export async function signTransaction(input: {
  feePayer: KeyPairSigner
  instructions: Instruction[]
  blockhash: string
}): Promise<SignedSolanaTransaction> {
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(input.feePayer, m),
    // lastValidBlockHeight is only read by confirmation helpers; validity is the blockhash's age on chain
    (m) =>
      setTransactionMessageLifetimeUsingBlockhash(
        { blockhash: input.blockhash as Blockhash, lastValidBlockHeight: 0n },
        m,
      ),
    (m) => appendTransactionMessageInstructions(input.instructions, m),
  )
  const transaction = await signTransactionMessageWithSigners(message)
  return {
    wire: getBase64EncodedWireTransaction(transaction),
    signature: getSignatureFromTransaction(transaction),
  }
}

export type CompiledInstructionView = {
  programIdIndex: number
  accounts: number[]
  data: Uint8Array
}

export type DecodedTransaction = {
  transaction: Transaction
  /** The first signature: the transaction's id. */
  signature: string
  accountKeys: Address[]
  recentBlockhash: string
  instructions: CompiledInstructionView[]
}

/** Parses a base64 wire transaction; throws on anything malformed. */
export function decodeWireTransaction(wire: string): DecodedTransaction {
  const transaction = getTransactionDecoder().decode(Buffer.from(wire, 'base64'))
  const message = getCompiledTransactionMessageDecoder().decode(transaction.messageBytes)
  const signatureBytes = Object.values(transaction.signatures)[0]
  if (!signatureBytes) throw new Error('transaction is not signed')
  if (message.version === 1) throw new Error('version 1 transaction messages are not supported')
  // accounts loaded from lookup tables would be missing from accountKeys: refuse rather than misread
  if (message.version === 0 && (message.addressTableLookups?.length ?? 0) > 0)
    throw new Error('address lookup tables are not supported')
  return {
    transaction,
    signature: base58.encode(signatureBytes),
    accountKeys: [...message.staticAccounts],
    recentBlockhash: message.lifetimeToken,
    instructions: message.instructions.map((ix) => ({
      programIdIndex: ix.programAddressIndex,
      accounts: [...(ix.accountIndices ?? [])],
      data: new Uint8Array(ix.data ?? new Uint8Array(0)),
    })),
  }
}

function readU64(data: Uint8Array, offset: number): bigint | undefined {
  if (data.length < offset + 8) return undefined
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).readBigUInt64LE(offset)
}

/** An SPL instruction that credits a token account: which account indexes receive and send, and how much. */
export type TokenCredit = {
  /** Index (within the instruction's accounts) of the receiving token account. */
  destination: number
  /** Index of the sending token account; undefined for a mint. */
  source: number | undefined
  /** Index of the signing authority (owner of the source, or the mint authority). */
  authority: number
  /** Index of the mint account when the instruction names it. */
  mint: number | undefined
  amountUnits: bigint
}

export function decodeTokenCredit(data: Uint8Array): TokenCredit | undefined {
  const amountUnits = readU64(data, 1)
  if (amountUnits === undefined) return undefined
  switch (data[0]) {
    case TOKEN_TRANSFER:
      return { source: 0, destination: 1, authority: 2, mint: undefined, amountUnits }
    case TOKEN_TRANSFER_CHECKED:
      return { source: 0, mint: 1, destination: 2, authority: 3, amountUnits }
    case TOKEN_MINT_TO:
    case TOKEN_MINT_TO_CHECKED:
      return { mint: 0, destination: 1, authority: 2, source: undefined, amountUnits }
    default:
      return undefined
  }
}

/** Lamports of a System program transfer instruction (accounts: from, to), if it is one. */
export function decodeSystemTransfer(data: Uint8Array): bigint | undefined {
  if (data.length < 12) return undefined
  if (
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).readUInt32LE(0) !== SYSTEM_TRANSFER
  )
    return undefined
  return readU64(data, 4)
}

/** Solana block hashes are base58 of 32 bytes, chained from the parent (devnet ledger). */
export function chainedBlockHash(parentHash: string, slot: bigint, signature: string): string {
  const slotBytes = Buffer.alloc(8)
  slotBytes.writeBigUInt64LE(slot)
  return base58.encode(
    new Uint8Array(
      createHash('sha256')
        .update(base58.decode(parentHash))
        .update(slotBytes)
        .update(base58.decode(signature))
        .digest(),
    ),
  )
}

export function genesisBlockHash(salt: string): string {
  return base58.encode(
    new Uint8Array(
      createHash('sha256').update('pepay solana devnet genesis').update(salt).digest(),
    ),
  )
}
