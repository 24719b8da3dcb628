import { base58 } from '@scure/base'
import {
  SolanaRpcError,
  type SolanaBlock,
  type SolanaBlockTransaction,
  type SolanaRpc,
  type SolanaTokenBalance,
} from './solana-adapter.ts'
import { rememberedEndpointCheck } from '../endpoint-check.ts'
import { associatedTokenAccount, type CompiledInstructionView } from './transactions.ts'

/**
 * `SolanaRpc` over Solana's JSON-RPC 2.0 API (HTTP POST, https://solana.com/docs/rpc): every
 * method is the RPC method of the same meaning, called with the configured commitment.
 *
 * Big integers: Solana writes u64 values (slots, lamports, fees, rentEpoch) as bare JSON numbers,
 * and `JSON.parse` would round any above 2^53 (balances of large accounts, rentEpoch u64::MAX).
 * Responses are parsed with `parseJson`, which keeps every integer outside the safe range as a
 * bigint read from its source text; an integer inside it is exact as a number. So no u64 ever
 * passes through a rounded float. Token amounts arrive as decimal strings (`uiTokenAmount.amount`)
 * and are read as such; the float `uiAmount` is never read.
 *
 * Endpoints are tried in order of preference: on an `Unavailable` failure (network error,
 * timeout, HTTP 429 or 5xx, a node reporting itself unhealthy or behind) the next one is tried,
 * and the one that answered is preferred from then on. Error messages name the endpoint's host
 * only: RPC URLs often carry an API key in their path or query.
 */

export type SolanaCommitment = 'processed' | 'confirmed' | 'finalized'

export type HttpSolanaRpcOptions = {
  /** JSON-RPC endpoints in order of preference. */
  urls: string[]
  /** Bound on one HTTP request (connection, answer and body). */
  requestTimeoutMs: number
  /** Commitment of every read and of the send's preflight (default confirmed). */
  commitment?: SolanaCommitment
  /**
   * The cluster the endpoints must serve (`getGenesisHash`, asked of each before its first use):
   * an endpoint of another cluster is passed over like an unavailable one. Every cluster has the
   * same addresses, so a devnet endpoint would otherwise let free devnet SOL pass for a payment.
   */
  genesisHash?: { hash: string; cluster: string }
  fetch?: typeof fetch
}

const INTEGER_TEXT = /^-?\d+$/

/** JSON text to a value; integers beyond 2^53 become exact bigints (see above). */
export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    INTEGER_TEXT.test(context.source)
      ? BigInt(context.source)
      : value,
  )
}

const rawJson = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON

/** A value to JSON text, writing bigints as bare JSON numbers, as Solana writes u64 values. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? rawJson(item.toString()) : item,
  )
}

/** `text` written into JSON as a bare number (a decimal such as a token's `uiAmount`). */
export function jsonNumber(text: string): unknown {
  return rawJson(text)
}

/** Solana's custom JSON-RPC error codes (agave rpc-client-types, custom_error.rs). */
export const SOLANA_RPC_ERRORS = {
  blockCleanedUp: -32001,
  sendTransactionPreflightFailure: -32002,
  transactionSignatureVerificationFailure: -32003,
  blockNotAvailable: -32004,
  nodeUnhealthy: -32005,
  transactionPrecompileVerificationFailure: -32006,
  slotSkipped: -32007,
  longTermStorageSlotSkipped: -32009,
  transactionHistoryNotAvailable: -32011,
  transactionSignatureLenMismatch: -32013,
  blockStatusNotAvailableYet: -32014,
  unsupportedTransactionVersion: -32015,
  minContextSlotNotReached: -32016,
  longTermStorageUnreachable: -32019,
  invalidParams: -32602,
  internalError: -32603,
} as const

/** No block at the slot: skipped, missing from storage, or not produced (at this commitment) yet. */
const NO_BLOCK = new Set<number>([
  SOLANA_RPC_ERRORS.blockNotAvailable,
  SOLANA_RPC_ERRORS.slotSkipped,
  SOLANA_RPC_ERRORS.longTermStorageSlotSkipped,
])

/** Conditions of the node, not of the request: another endpoint (or a later try) may answer. */
const NODE_UNAVAILABLE = new Set<number>([
  SOLANA_RPC_ERRORS.blockCleanedUp,
  SOLANA_RPC_ERRORS.nodeUnhealthy,
  SOLANA_RPC_ERRORS.transactionHistoryNotAvailable,
  SOLANA_RPC_ERRORS.blockStatusNotAvailableYet,
  SOLANA_RPC_ERRORS.minContextSlotNotReached,
  SOLANA_RPC_ERRORS.longTermStorageUnreachable,
  SOLANA_RPC_ERRORS.internalError,
])

/** A transaction the node refuses to decode or verify: these bytes can never land. */
const MALFORMED_TRANSACTION = new Set<number>([
  SOLANA_RPC_ERRORS.transactionSignatureVerificationFailure,
  SOLANA_RPC_ERRORS.transactionPrecompileVerificationFailure,
  SOLANA_RPC_ERRORS.transactionSignatureLenMismatch,
  SOLANA_RPC_ERRORS.unsupportedTransactionVersion,
  SOLANA_RPC_ERRORS.invalidParams,
])

const COMMITMENT_RANK: Record<SolanaCommitment, number> = {
  processed: 0,
  confirmed: 1,
  finalized: 2,
}

type RpcFailure = { code: number; message: string; data: unknown }
type Answer = { result: unknown } | { error: RpcFailure }

/** The answer does not have the documented shape. */
class UnexpectedAnswer extends Error {}

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function object(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new UnexpectedAnswer(`${what} is not an object`)
  return value
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new UnexpectedAnswer(`${what} is not an array`)
  return value
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new UnexpectedAnswer(`${what} is not a string`)
  return value
}

function index(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new UnexpectedAnswer(`${what} is not an index`)
  return value
}

function u64(value: unknown, what: string): bigint {
  if (typeof value === 'bigint' && value >= 0n) return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value)
  throw new UnexpectedAnswer(`${what} is not a u64`)
}

/** A transaction error as text: unit variants are strings already, others their JSON. */
function errorText(value: unknown): string | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? value : stringifyJson(value)
}

function instruction(value: unknown, what: string): CompiledInstructionView {
  const ix = object(value, what)
  return {
    programIdIndex: index(ix['programIdIndex'], `${what}.programIdIndex`),
    accounts: list(ix['accounts'], `${what}.accounts`).map((a) => index(a, `${what}.accounts`)),
    data: base58.decode(text(ix['data'], `${what}.data`)),
  }
}

function tokenBalance(value: unknown, what: string): SolanaTokenBalance {
  const balance = object(value, what)
  const owner = balance['owner']
  return {
    accountIndex: index(balance['accountIndex'], `${what}.accountIndex`),
    mint: text(balance['mint'], `${what}.mint`),
    // very old transactions carry no owner
    owner: typeof owner === 'string' ? owner : '',
    amount: u64(
      object(balance['uiTokenAmount'], `${what}.uiTokenAmount`)['amount'],
      `${what}.uiTokenAmount.amount`,
    ),
  }
}

function blockTransaction(value: unknown, slot: bigint, position: number): SolanaBlockTransaction {
  const what = `block ${slot} transaction ${position}`
  const entry = object(value, what)
  const transaction = object(entry['transaction'], `${what}.transaction`)
  const message = object(transaction['message'], `${what}.transaction.message`)
  const signature = text(
    list(transaction['signatures'], `${what}.signatures`)[0],
    `${what}.signatures[0]`,
  )
  const meta = entry['meta']
  // without its status the transaction could be a payment or a failure: never guess
  if (!isObject(meta)) throw new UnexpectedAnswer(`${what} (${signature}) has no status metadata`)
  const staticKeys = list(message['accountKeys'], `${what}.accountKeys`).map((k) =>
    text(k, `${what}.accountKeys`),
  )
  // v0 transactions: accounts loaded from lookup tables follow the static keys, writable first
  const loaded = isObject(meta['loadedAddresses']) ? meta['loadedAddresses'] : {}
  const loadedKeys = [
    ...list(loaded['writable'] ?? [], `${what}.loadedAddresses.writable`),
    ...list(loaded['readonly'] ?? [], `${what}.loadedAddresses.readonly`),
  ].map((k) => text(k, `${what}.loadedAddresses`))
  return {
    signature,
    accountKeys: [...staticKeys, ...loadedKeys],
    instructions: list(message['instructions'], `${what}.instructions`).map((ix, i) =>
      instruction(ix, `${what}.instructions[${i}]`),
    ),
    innerInstructions: list(meta['innerInstructions'] ?? [], `${what}.innerInstructions`).map(
      (group, g) => {
        const inner = object(group, `${what}.innerInstructions[${g}]`)
        return {
          index: index(inner['index'], `${what}.innerInstructions[${g}].index`),
          instructions: list(
            inner['instructions'],
            `${what}.innerInstructions[${g}].instructions`,
          ).map((ix, i) => instruction(ix, `${what}.innerInstructions[${g}][${i}]`)),
        }
      },
    ),
    err: errorText(meta['err']),
    fee: u64(meta['fee'], `${what}.fee`),
    preTokenBalances: list(meta['preTokenBalances'] ?? [], `${what}.preTokenBalances`).map((b, i) =>
      tokenBalance(b, `${what}.preTokenBalances[${i}]`),
    ),
    postTokenBalances: list(meta['postTokenBalances'] ?? [], `${what}.postTokenBalances`).map(
      (b, i) => tokenBalance(b, `${what}.postTokenBalances[${i}]`),
    ),
  }
}

function block(value: unknown, slot: bigint, withTransactions: boolean): SolanaBlock {
  const result = object(value, `block ${slot}`)
  const blockTime = result['blockTime']
  if (typeof blockTime !== 'number' || !Number.isSafeInteger(blockTime))
    throw new UnexpectedAnswer(`block ${slot} has no blockTime`)
  return {
    slot,
    blockhash: text(result['blockhash'], `block ${slot} blockhash`),
    previousBlockhash: text(result['previousBlockhash'], `block ${slot} previousBlockhash`),
    blockTime,
    transactions: withTransactions
      ? list(result['transactions'] ?? [], `block ${slot} transactions`).map((tx, i) =>
          blockTransaction(tx, slot, i),
        )
      : [],
  }
}

/** The first signature of a base64 wire transaction (compact-u16 count, then 64-byte signatures). */
export function wireSignature(wireBase64: string): string {
  const bytes = Buffer.from(wireBase64, 'base64')
  let count = 0
  let offset = 0
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[offset]
    if (byte === undefined || offset === 3)
      throw new SolanaRpcError('InvalidTransaction', 'not a transaction: no signature count')
    offset += 1
    count |= (byte & 0x7f) << shift
    if ((byte & 0x80) === 0) break
  }
  if (count < 1 || bytes.length < offset + 64)
    throw new SolanaRpcError('InvalidTransaction', 'not a transaction: it carries no signature')
  return base58.encode(new Uint8Array(bytes.subarray(offset, offset + 64)))
}

function hostOf(url: string): string {
  return new URL(url).host
}

export function createHttpSolanaRpc(options: HttpSolanaRpcOptions): SolanaRpc {
  if (options.urls.length === 0) throw new RangeError('at least one Solana RPC URL is needed')
  const endpoints = options.urls.map((url) => {
    let host: string
    try {
      host = hostOf(url)
    } catch {
      throw new RangeError('a Solana RPC URL is not a valid URL')
    }
    return { url, host }
  })
  const commitment = options.commitment ?? 'confirmed'
  // getBlock answers only confirmed and finalized blocks
  const blockCommitment = commitment === 'processed' ? 'confirmed' : commitment
  const fetchImpl = options.fetch ?? fetch
  let preferred = 0
  let nextId = 1

  /** One JSON-RPC call to one endpoint: its answer, or `Unavailable`. */
  const post = async (
    endpoint: { url: string; host: string },
    method: string,
    params: unknown[],
  ): Promise<Answer> => {
    const body = stringifyJson({ jsonrpc: '2.0', id: nextId++, method, params })
    let status: number
    let payload: string
    try {
      const response = await fetchImpl(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      })
      status = response.status
      payload = await response.text()
    } catch (error) {
      const reason =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${options.requestTimeoutMs} ms`
          : error instanceof Error
            ? [error.message, (error.cause as Error | undefined)?.message]
                .filter(Boolean)
                .join(': ')
            : String(error)
      throw new SolanaRpcError('Unavailable', `${endpoint.host} ${method}: ${reason}`)
    }
    if (status === 429 || status >= 500)
      throw new SolanaRpcError('Unavailable', `${endpoint.host} ${method}: HTTP ${status}`)
    let parsed: unknown
    try {
      parsed = parseJson(payload)
    } catch {
      parsed = undefined
    }
    if (isObject(parsed) && isObject(parsed['error'])) {
      const error = parsed['error']
      const failure: RpcFailure = {
        code: typeof error['code'] === 'number' ? error['code'] : 0,
        message: typeof error['message'] === 'string' ? error['message'] : '',
        data: error['data'],
      }
      if (NODE_UNAVAILABLE.has(failure.code))
        throw new SolanaRpcError(
          'Unavailable',
          `${endpoint.host} ${method}: ${failure.code} ${failure.message}`,
        )
      return { error: failure }
    }
    if (status < 200 || status >= 300)
      throw new SolanaRpcError('Unavailable', `${endpoint.host} ${method}: HTTP ${status}`)
    if (!isObject(parsed) || !('result' in parsed))
      throw new SolanaRpcError('Unavailable', `${endpoint.host} ${method}: not a JSON-RPC response`)
    return { result: parsed['result'] }
  }

  /**
   * Per endpoint: resolves once it answered the expected genesis hash (see `genesisHash`, and
   * `rememberedEndpointCheck`); `Unavailable` otherwise.
   */
  const clusterChecks = endpoints.map((endpoint) => {
    const expected = options.genesisHash
    if (!expected) return () => Promise.resolve()
    return rememberedEndpointCheck(async () => {
      const answer = await post(endpoint, 'getGenesisHash', [])
      const served = 'result' in answer ? answer.result : undefined
      if (served === expected.hash) return undefined
      return new SolanaRpcError(
        'Unavailable',
        `the node at ${endpoint.host} serves the cluster with genesis hash ${typeof served === 'string' ? served : 'unknown'}, not ${expected.cluster}`,
      )
    })
  })

  /**
   * Calls `method` on the preferred endpoint, failing over on `Unavailable`; `read` turns the
   * answer into the value (an answer of the wrong shape counts as the endpoint being unavailable).
   */
  const call = async <T>(
    method: string,
    params: unknown[],
    read: (answer: Answer) => T,
  ): Promise<T> => {
    const failures: string[] = []
    for (let attempt = 0; attempt < endpoints.length; attempt += 1) {
      const at = (preferred + attempt) % endpoints.length
      const endpoint = endpoints[at]
      if (!endpoint) continue
      try {
        await clusterChecks[at]?.()
        const value = read(await post(endpoint, method, params))
        preferred = at
        return value
      } catch (error) {
        if (error instanceof UnexpectedAnswer) {
          failures.push(`${endpoint.host} ${method}: unexpected answer: ${error.message}`)
          continue
        }
        if (error instanceof SolanaRpcError && error.code === 'Unavailable') {
          failures.push(error.message)
          continue
        }
        throw error
      }
    }
    throw new SolanaRpcError('Unavailable', failures.join('; '))
  }

  /** The result, or the JSON-RPC error as a thrown Error. */
  const resultOf = (method: string, answer: Answer): unknown => {
    if ('error' in answer)
      throw new Error(
        `solana ${method} failed: JSON-RPC error ${answer.error.code}: ${answer.error.message}`,
      )
    return answer.result
  }

  const contextValue = (method: string, answer: Answer): unknown =>
    object(resultOf(method, answer), `${method} result`)['value']

  return {
    getSlot: () =>
      call('getSlot', [{ commitment }], (answer) => u64(resultOf('getSlot', answer), 'slot')),

    getBlock: (slot, { transactions }) =>
      call(
        'getBlock',
        [
          slot,
          {
            commitment: blockCommitment,
            encoding: 'json',
            transactionDetails: transactions ? 'full' : 'none',
            rewards: false,
            maxSupportedTransactionVersion: 0,
          },
        ],
        (answer) => {
          if ('error' in answer && NO_BLOCK.has(answer.error.code)) return undefined
          const result = resultOf('getBlock', answer)
          return result === null ? undefined : block(result, slot, transactions)
        },
      ),

    getLatestBlockhash: () =>
      call('getLatestBlockhash', [{ commitment }], (answer) =>
        text(
          object(contextValue('getLatestBlockhash', answer), 'getLatestBlockhash value')[
            'blockhash'
          ],
          'blockhash',
        ),
      ),

    getBalance: (address) =>
      call('getBalance', [address, { commitment }], (answer) =>
        u64(contextValue('getBalance', answer), 'balance'),
      ),

    getTokenBalance: async (owner, mint) => {
      const account = await associatedTokenAccount(owner, mint)
      return call('getTokenAccountBalance', [account, { commitment }], (answer) => {
        // an associated token account that was never created holds nothing
        if (
          'error' in answer &&
          answer.error.code === SOLANA_RPC_ERRORS.invalidParams &&
          /could not find account/i.test(answer.error.message)
        )
          return 0n
        const value = object(contextValue('getTokenAccountBalance', answer), 'token balance')
        return u64(value['amount'], 'token amount')
      })
    },

    accountExists: (address) =>
      call(
        'getAccountInfo',
        // existence only: no account data is transferred
        [address, { commitment, encoding: 'base64', dataSlice: { offset: 0, length: 0 } }],
        (answer) => contextValue('getAccountInfo', answer) !== null,
      ),

    getMinimumBalanceForRentExemption: (size) =>
      call('getMinimumBalanceForRentExemption', [size, { commitment }], (answer) =>
        u64(resultOf('getMinimumBalanceForRentExemption', answer), 'rent'),
      ),

    sendTransaction: async (wireBase64) => {
      const signature = wireSignature(wireBase64)
      return call(
        'sendTransaction',
        [wireBase64, { encoding: 'base64', skipPreflight: false, preflightCommitment: commitment }],
        (answer) => {
          if ('result' in answer) return text(answer.result, 'signature')
          return sendFailure(answer.error, signature)
        },
      )
    },

    getSignatureStatus: (signature) =>
      call('getSignatureStatuses', [[signature], { searchTransactionHistory: true }], (answer) => {
        const status = list(contextValue('getSignatureStatuses', answer), 'statuses')[0]
        if (status === null || status === undefined) return undefined
        const found = object(status, 'signature status')
        const level = found['confirmationStatus']
        // older nodes: confirmations null means rooted (finalized)
        const reached: SolanaCommitment =
          level === 'processed' || level === 'confirmed' || level === 'finalized'
            ? level
            : found['confirmations'] === null
              ? 'finalized'
              : 'processed'
        if (COMMITMENT_RANK[reached] < COMMITMENT_RANK[commitment]) return undefined
        return { slot: u64(found['slot'], 'status slot'), err: errorText(found['err']) }
      }),
  }
}

/**
 * sendTransaction's JSON-RPC errors as the adapter reads them: a preflight that finds the
 * transaction already processed is success (its signature), an unknown blockhash means the bytes
 * expired, any other preflight failure is the transaction failing, and a refusal to decode or
 * verify is a malformed transaction.
 */
function sendFailure(error: RpcFailure, signature: string): string {
  const detail = `${error.code} ${error.message}`
  if (error.code === SOLANA_RPC_ERRORS.sendTransactionPreflightFailure) {
    const simulation = isObject(error.data) ? error.data : {}
    const err = simulation['err']
    if (err === 'AlreadyProcessed' || /already been processed/i.test(error.message))
      return signature
    if (err === 'BlockhashNotFound' || /blockhash not found/i.test(error.message))
      throw new SolanaRpcError('BlockhashNotFound', `sendTransaction: ${detail}`)
    const logs = Array.isArray(simulation['logs'])
      ? simulation['logs'].filter((l): l is string => typeof l === 'string').slice(-3)
      : []
    throw new SolanaRpcError(
      'TransactionFailed',
      `sendTransaction: ${detail}${logs.length > 0 ? `; ${logs.join(' | ')}` : ''}`,
    )
  }
  if (MALFORMED_TRANSACTION.has(error.code))
    throw new SolanaRpcError('InvalidTransaction', `sendTransaction: ${detail}`)
  // an answer of unknown meaning: sending the same bytes again later is safe (same signature)
  throw new SolanaRpcError('Unavailable', `sendTransaction: ${detail}`)
}
