import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { base58 } from '@scure/base'
import { formatUnits } from 'viem'
import { isValidSolanaAddress } from '../keys/address.ts'
import {
  jsonNumber,
  parseJson,
  SOLANA_RPC_ERRORS,
  stringifyJson,
  wireSignature,
} from './http-rpc.ts'
import {
  SolanaRpcError,
  type SolanaBlock,
  type SolanaBlockTransaction,
  type SolanaRpc,
  type SolanaTokenBalance,
} from './solana-adapter.ts'
import {
  associatedTokenAccount,
  SYSTEM_PROGRAM,
  TOKEN_ACCOUNT_SIZE,
  TOKEN_PROGRAM,
  type CompiledInstructionView,
} from './transactions.ts'

/**
 * Serves a `SolanaRpc` (the embedded devnet's) as a Solana JSON-RPC 2.0 endpoint over HTTP, so
 * wallets, scripts and `createHttpSolanaRpc` reach the devnet the way they reach a Solana node:
 * same methods, same request and response shapes (`context`/`value` where Solana wraps results),
 * same error codes and messages for the cases the devnet has.
 *
 * Methods: getSlot, getBlock (encoding json; transactionDetails full, signatures or none),
 * getLatestBlockhash, getBalance, getTokenAccountBalance, getAccountInfo,
 * getMinimumBalanceForRentExemption, sendTransaction, getSignatureStatuses, getGenesisHash,
 * getHealth; JSON-RPC batches; `GET /health`.
 *
 * What a `SolanaRpc` does not know is left out rather than made up: blocks carry each
 * transaction's first signature, account keys, instructions, inner instructions, status, fee and
 * token balances, but no lamport balances, logs, message header or recent blockhash; getAccountInfo
 * answers existence, lamports and owner (the Token program for token accounts and mints, the
 * System program otherwise) with empty data. The devnet has a block at every slot and treats
 * every block as final: a block's parent is the previous slot, its height is its slot, and
 * every commitment sees the same head.
 *
 * Token accounts are found by address from the token balances of the blocks (every change to a
 * token account is a transaction listing it), indexed on demand.
 */

export type SolanaRpcServerOptions = {
  rpc: SolanaRpc
  /** Decimals of the mints, for `uiTokenAmount`; a mint not listed reports 0 decimals. */
  tokens?: readonly { address: string; decimals: number }[]
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0: any free port. */
  port?: number
}

export type SolanaRpcServer = {
  /** http://host:port */
  url: string
  close: () => Promise<void>
}

const JSON_RPC_PARSE_ERROR = -32700
const JSON_RPC_INVALID_REQUEST = -32600
const JSON_RPC_METHOD_NOT_FOUND = -32601
/** A transaction's blockhash stays valid for 150 blocks after it, as on Solana. */
const BLOCKHASH_VALIDITY = 150n
/** getSignatureStatuses takes at most 256 signatures, as on Solana. */
const MAX_SIGNATURES = 256
const MAX_REQUEST_BYTES = 1 << 20
const U64_MAX = 2n ** 64n - 1n
const MINT_SIZE = 82

class RpcFault extends Error {
  readonly code: number
  readonly data: unknown
  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.code = code
    this.data = data
  }
}

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const invalidParams = (message: string) =>
  new RpcFault(SOLANA_RPC_ERRORS.invalidParams, `Invalid params: ${message}`)

function configOf(params: unknown[], position: number): JsonObject {
  const config = params[position]
  if (config === undefined || config === null) return {}
  if (!isObject(config))
    throw invalidParams(`parameter ${position + 1} is not a configuration object`)
  return config
}

function addressParam(params: unknown[], position: number): string {
  const value = params[position]
  if (typeof value !== 'string') throw invalidParams(`parameter ${position + 1} must be an address`)
  if (!isValidSolanaAddress(value))
    throw new RpcFault(SOLANA_RPC_ERRORS.invalidParams, 'Invalid param: Invalid')
  return value
}

function u64Param(params: unknown[], position: number): bigint {
  const value = params[position]
  if (typeof value === 'bigint' && value >= 0n && value <= U64_MAX) return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  throw invalidParams(`parameter ${position + 1} must be an unsigned integer`)
}

/** A transaction error as Solana writes it: JSON when the text is JSON, else the text. */
function errorValue(err: string): unknown {
  try {
    return JSON.parse(err)
  } catch {
    return err
  }
}

/**
 * The devnet reports a failed execution as text ("transaction failed: TransactionErrorInstructionError
 * { index: 1, error: InstructionErrorCustom { code: 1 } }; log | log"): its instruction error as
 * Solana's `{"InstructionError":[index, error]}`, and its logs.
 */
function failedSimulation(message: string): { err: unknown; logs: string[]; display: string } {
  const [head = message, ...rest] = message.split('; ')
  const logs = rest
    .join('; ')
    .split(' | ')
    .filter((l) => l.length > 0)
  const match =
    /InstructionError \{ index: (\d+), error: (?:InstructionErrorCustom \{ code: (\d+) \}|(\w+))/.exec(
      head,
    )
  if (match) {
    const [, position = '0', custom, name = 'InvalidError'] = match
    const error = custom === undefined ? name : { Custom: Number(custom) }
    const shown =
      custom === undefined ? name : `custom program error: 0x${Number(custom).toString(16)}`
    return {
      err: { InstructionError: [Number(position), error] },
      logs,
      display: `Error processing Instruction ${position}: ${shown}`,
    }
  }
  return { err: head, logs, display: head }
}

function simulationData(err: unknown, logs: string[]): JsonObject {
  return { err, logs, accounts: null, unitsConsumed: 0, returnData: null, innerInstructions: null }
}

/** Decimal text of `amount` / 10^decimals without trailing zeros, as Solana's uiAmountString. */
function uiAmountString(amount: bigint, decimals: number): string {
  return formatUnits(amount, decimals)
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      // past the limit the rest is read and dropped, so that the 413 reaches the client
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk)
    })
    request.on('end', () => {
      resolve(size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks).toString('utf8'))
    })
    request.on('error', reject)
  })
}

export async function startSolanaRpcServer(
  options: SolanaRpcServerOptions,
): Promise<SolanaRpcServer> {
  const { rpc } = options
  const decimals = new Map((options.tokens ?? []).map((t) => [t.address, t.decimals]))
  const mints = new Set(decimals.keys())

  // token account address → its mint, owner and latest amount, from the blocks' token balances
  const tokenAccounts = new Map<string, { mint: string; owner: string; amount: bigint }>()
  let indexedThrough = -1n
  let indexing: Promise<void> = Promise.resolve()
  const refreshTokenAccounts = (): Promise<void> => {
    const next = indexing.then(async () => {
      const head = await rpc.getSlot()
      if (head < indexedThrough) {
        tokenAccounts.clear()
        indexedThrough = -1n
      }
      for (let slot = indexedThrough + 1n; slot <= head; slot += 1n) {
        const found = await rpc.getBlock(slot, { transactions: true })
        for (const tx of found?.transactions ?? []) {
          if (tx.err !== null) continue
          for (const balance of tx.postTokenBalances) {
            const address = tx.accountKeys[balance.accountIndex]
            if (address === undefined) continue
            tokenAccounts.set(address, {
              mint: balance.mint,
              owner: balance.owner,
              amount: balance.amount,
            })
            mints.add(balance.mint)
          }
          // a token account in the pre balances but not the post ones was closed
          const after = new Set(tx.postTokenBalances.map((b) => b.accountIndex))
          for (const balance of tx.preTokenBalances) {
            const address = tx.accountKeys[balance.accountIndex]
            if (address !== undefined && !after.has(balance.accountIndex))
              tokenAccounts.delete(address)
          }
        }
        indexedThrough = slot
      }
    })
    indexing = next.catch(() => undefined)
    return next
  }

  const uiTokenAmount = (mint: string, amount: bigint) => {
    const places = decimals.get(mint) ?? 0
    const shown = uiAmountString(amount, places)
    return {
      amount: amount.toString(),
      decimals: places,
      uiAmount: jsonNumber(shown),
      uiAmountString: shown,
    }
  }

  const context = async () => ({ slot: await rpc.getSlot() })

  const instructionJson = (ix: CompiledInstructionView) => ({
    programIdIndex: ix.programIdIndex,
    accounts: ix.accounts,
    data: base58.encode(ix.data),
    stackHeight: null,
  })

  const tokenBalanceJson = (balance: SolanaTokenBalance) => ({
    accountIndex: balance.accountIndex,
    mint: balance.mint,
    owner: balance.owner,
    programId: TOKEN_PROGRAM,
    uiTokenAmount: uiTokenAmount(balance.mint, balance.amount),
  })

  const transactionJson = (tx: SolanaBlockTransaction) => {
    const err = tx.err === null ? null : errorValue(tx.err)
    return {
      transaction: {
        signatures: [tx.signature],
        message: {
          accountKeys: tx.accountKeys,
          instructions: tx.instructions.map(instructionJson),
        },
      },
      meta: {
        err,
        status: err === null ? { Ok: null } : { Err: err },
        fee: tx.fee,
        innerInstructions: tx.innerInstructions.map((group) => ({
          index: group.index,
          instructions: group.instructions.map(instructionJson),
        })),
        preTokenBalances: tx.preTokenBalances.map(tokenBalanceJson),
        postTokenBalances: tx.postTokenBalances.map(tokenBalanceJson),
        // the devnet refuses address lookup tables: every key is in the message
        loadedAddresses: { writable: [], readonly: [] },
        rewards: [],
      },
    }
  }

  const blockJson = (found: SolanaBlock, config: JsonObject) => {
    const details = config['transactionDetails'] ?? 'full'
    return {
      blockHeight: found.slot,
      blockTime: found.blockTime,
      blockhash: found.blockhash,
      parentSlot: found.slot === 0n ? 0n : found.slot - 1n,
      previousBlockhash: found.previousBlockhash,
      ...(details === 'full' && { transactions: found.transactions.map(transactionJson) }),
      ...(details === 'signatures' && { signatures: found.transactions.map((tx) => tx.signature) }),
      ...(config['rewards'] !== false && { rewards: [] }),
    }
  }

  const sendTransaction = async (params: unknown[]): Promise<string> => {
    const config = configOf(params, 1)
    const encoded = params[0]
    if (typeof encoded !== 'string')
      throw invalidParams('parameter 1 must be an encoded transaction')
    const encoding = config['encoding'] ?? 'base58'
    let wire: string
    if (encoding === 'base64') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded))
        throw new RpcFault(SOLANA_RPC_ERRORS.invalidParams, 'invalid base64 encoding: InvalidByte')
      wire = encoded
    } else if (encoding === 'base58') {
      try {
        wire = Buffer.from(base58.decode(encoded)).toString('base64')
      } catch {
        throw new RpcFault(
          SOLANA_RPC_ERRORS.invalidParams,
          'invalid base58 encoding: InvalidCharacter',
        )
      }
    } else {
      throw invalidParams(
        `unsupported encoding: ${stringifyJson(encoding)}. Supported encodings: base58, base64`,
      )
    }
    let signature: string
    try {
      signature = wireSignature(wire)
    } catch (error) {
      throw new RpcFault(
        SOLANA_RPC_ERRORS.invalidParams,
        `failed to deserialize transaction: ${(error as Error).message}`,
      )
    }
    // the preflight of a transaction that already landed reports it, as Solana's does
    if ((await rpc.getSignatureStatus(signature)) !== undefined)
      throw new RpcFault(
        SOLANA_RPC_ERRORS.sendTransactionPreflightFailure,
        'Transaction simulation failed: This transaction has already been processed',
        simulationData('AlreadyProcessed', []),
      )
    try {
      return await rpc.sendTransaction(wire)
    } catch (error) {
      if (!(error instanceof SolanaRpcError)) throw error
      switch (error.code) {
        case 'BlockhashNotFound':
          throw new RpcFault(
            SOLANA_RPC_ERRORS.sendTransactionPreflightFailure,
            'Transaction simulation failed: Blockhash not found',
            simulationData('BlockhashNotFound', []),
          )
        case 'TransactionFailed': {
          const failed = failedSimulation(error.message)
          throw new RpcFault(
            SOLANA_RPC_ERRORS.sendTransactionPreflightFailure,
            `Transaction simulation failed: ${failed.display}`,
            simulationData(failed.err, failed.logs),
          )
        }
        case 'InvalidTransaction':
          throw new RpcFault(
            SOLANA_RPC_ERRORS.invalidParams,
            `invalid transaction: ${error.message}`,
          )
        case 'Unavailable':
          throw error
      }
    }
  }

  const methods: Record<string, (params: unknown[]) => Promise<unknown>> = {
    getHealth: async () => 'ok',
    getSlot: () => rpc.getSlot(),
    getGenesisHash: async () => {
      const genesis = await rpc.getBlock(0n, { transactions: false })
      if (!genesis)
        throw new RpcFault(SOLANA_RPC_ERRORS.blockNotAvailable, 'Block not available for slot 0')
      return genesis.blockhash
    },
    getBlock: async (params) => {
      const slot = u64Param(params, 0)
      const config = configOf(params, 1)
      const encoding = config['encoding'] ?? 'json'
      if (encoding !== 'json')
        throw invalidParams(
          `unsupported encoding: ${stringifyJson(encoding)}; this devnet serves blocks as json`,
        )
      const details = config['transactionDetails'] ?? 'full'
      if (details !== 'full' && details !== 'signatures' && details !== 'none')
        throw invalidParams(
          `unsupported transactionDetails: ${stringifyJson(details)}; use full, signatures or none`,
        )
      if (config['commitment'] === 'processed')
        throw invalidParams('Method does not support commitment below `confirmed`')
      const found = await rpc.getBlock(slot, { transactions: details !== 'none' })
      if (!found)
        throw new RpcFault(
          SOLANA_RPC_ERRORS.blockNotAvailable,
          `Block not available for slot ${slot}`,
        )
      return blockJson(found, config)
    },
    getLatestBlockhash: async () => {
      const { slot } = await context()
      return {
        context: { slot },
        value: {
          blockhash: await rpc.getLatestBlockhash(),
          lastValidBlockHeight: slot + BLOCKHASH_VALIDITY,
        },
      }
    },
    getBalance: async (params) => {
      const address = addressParam(params, 0)
      return { context: await context(), value: await rpc.getBalance(address) }
    },
    getTokenAccountBalance: async (params) => {
      const address = addressParam(params, 0)
      await refreshTokenAccounts()
      const account = tokenAccounts.get(address)
      if (!account) {
        throw new RpcFault(
          SOLANA_RPC_ERRORS.invalidParams,
          (await rpc.accountExists(address))
            ? 'Invalid param: not a Token account'
            : 'Invalid param: could not find account',
        )
      }
      // an associated account's balance is the rpc's own answer; any other's is its latest in a block
      const amount =
        (await associatedTokenAccount(account.owner, account.mint)) === address
          ? await rpc.getTokenBalance(account.owner, account.mint)
          : account.amount
      return { context: await context(), value: uiTokenAmount(account.mint, amount) }
    },
    getAccountInfo: async (params) => {
      const address = addressParam(params, 0)
      const config = configOf(params, 1)
      const encoding = config['encoding'] ?? 'base58'
      if (!(await rpc.accountExists(address))) return { context: await context(), value: null }
      await refreshTokenAccounts()
      const isTokenAccount = tokenAccounts.has(address)
      const isMint = mints.has(address)
      return {
        context: await context(),
        value: {
          data: ['', encoding === 'base58' ? 'base58' : 'base64'],
          executable: false,
          lamports: await rpc.getBalance(address),
          owner: isTokenAccount || isMint ? TOKEN_PROGRAM : SYSTEM_PROGRAM,
          rentEpoch: U64_MAX,
          space: isTokenAccount ? TOKEN_ACCOUNT_SIZE : isMint ? MINT_SIZE : 0,
        },
      }
    },
    getMinimumBalanceForRentExemption: async (params) =>
      rpc.getMinimumBalanceForRentExemption(params.length === 0 ? 0n : u64Param(params, 0)),
    sendTransaction,
    getSignatureStatuses: async (params) => {
      const signatures = params[0]
      if (!Array.isArray(signatures) || !signatures.every((s) => typeof s === 'string'))
        throw invalidParams('parameter 1 must be a list of signatures')
      if (signatures.length > MAX_SIGNATURES)
        throw new RpcFault(
          SOLANA_RPC_ERRORS.invalidParams,
          `Too many inputs provided; max ${MAX_SIGNATURES}`,
        )
      const value = await Promise.all(
        signatures.map(async (signature: string) => {
          const status = await rpc.getSignatureStatus(signature)
          if (!status) return null
          const err = status.err === null ? null : errorValue(status.err)
          return {
            slot: status.slot,
            // null: rooted; every devnet block is final
            confirmations: null,
            err,
            status: err === null ? { Ok: null } : { Err: err },
            confirmationStatus: 'finalized',
          }
        }),
      )
      return { context: await context(), value }
    },
  }

  const answer = async (request: unknown): Promise<JsonObject> => {
    const id = isObject(request) ? request['id'] : undefined
    const reply = (body: JsonObject) => ({
      jsonrpc: '2.0',
      ...body,
      id: typeof id === 'string' || typeof id === 'number' || typeof id === 'bigint' ? id : null,
    })
    const fault = (code: number, message: string, data?: unknown) =>
      reply({ error: { code, message, ...(data !== undefined && { data }) } })
    if (
      !isObject(request) ||
      request['jsonrpc'] !== '2.0' ||
      typeof request['method'] !== 'string' ||
      (request['params'] !== undefined && !Array.isArray(request['params']))
    )
      return fault(JSON_RPC_INVALID_REQUEST, 'Invalid Request')
    const method = Object.hasOwn(methods, request['method'])
      ? methods[request['method']]
      : undefined
    if (!method) return fault(JSON_RPC_METHOD_NOT_FOUND, 'Method not found')
    try {
      return reply({ result: await method((request['params'] as unknown[] | undefined) ?? []) })
    } catch (error) {
      if (error instanceof RpcFault) return fault(error.code, error.message, error.data)
      if (error instanceof SolanaRpcError && error.code === 'Unavailable')
        return fault(SOLANA_RPC_ERRORS.nodeUnhealthy, 'Node is unhealthy', { numSlotsBehind: null })
      if (error instanceof SolanaRpcError && error.code === 'InvalidTransaction')
        return fault(SOLANA_RPC_ERRORS.invalidParams, `Invalid params: ${error.message}`)
      return fault(SOLANA_RPC_ERRORS.internalError, 'Internal error')
    }
  }

  /** A JSON-RPC error that answers no request id (the request could not be read). */
  const requestFault = (code: number, message: string) =>
    stringifyJson({ jsonrpc: '2.0', error: { code, message }, id: null })

  const respond = (
    response: ServerResponse,
    status: number,
    body: string,
    type = 'application/json',
  ) => {
    response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
    response.end(body)
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method === 'GET' && request.url === '/health') {
      respond(response, 200, 'ok', 'text/plain')
      return
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST')
      respond(response, 405, requestFault(JSON_RPC_INVALID_REQUEST, 'Invalid Request'))
      return
    }
    const body = await readBody(request)
    if (body === undefined) {
      respond(response, 413, requestFault(JSON_RPC_INVALID_REQUEST, 'Invalid Request: too large'))
      return
    }
    let parsed: unknown
    try {
      parsed = parseJson(body)
    } catch {
      respond(response, 200, requestFault(JSON_RPC_PARSE_ERROR, 'Parse error'))
      return
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) {
        respond(response, 200, requestFault(JSON_RPC_INVALID_REQUEST, 'Invalid Request'))
        return
      }
      respond(response, 200, stringifyJson(await Promise.all(parsed.map(answer))))
      return
    }
    respond(response, 200, stringifyJson(await answer(parsed)))
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent)
        respond(response, 500, requestFault(SOLANA_RPC_ERRORS.internalError, 'Internal error'))
      else response.destroy()
    })
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
