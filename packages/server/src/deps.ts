import type { Clock } from '@pepay/core'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from './config.ts'
import type { Database, Executor } from './db/database.ts'
import type { DB } from './db/schema.ts'
import type { KeyUsageTracker } from './modules/merchants/api-key.service.ts'
import type { Sealer } from './modules/platform/sealer.ts'
import type { PlatformSecrets } from './modules/platform/secrets.ts'
import type { LoadedEncryptionKey } from './providers/chain/keys/encryption-key.ts'

/** Everything a service needs, built once from Config and passed explicitly. */
export interface Deps {
  config: Config
  database: Database
  db: Kysely<DB>
  clock: Clock
  log: Logger
  secrets: PlatformSecrets
  /** The master key (PEPAY_MASTER_KEY or the data directory's key file): the HD seed's and the sealer's root. */
  masterKey: LoadedEncryptionKey
  /** Encrypts secrets stored for reading back (webhook signing secrets). */
  sealer: Sealer
  keyUsage: KeyUsageTracker
  /** The externally reachable base URL (scheme://host:port), fixed once the server listens. */
  urls: { publicBase: string }
  /** Extension points filled by the chain, realtime and webhook layers when they start. */
  hooks: Hooks
  /** Set by the chain layer when it runs. */
  chain: ChainServices | undefined
}

export interface Hooks {
  /**
   * Called inside the transaction that changes an invoice's status (payment confirmed, reorg,
   * expiry, cancel), after the invoice row is updated: commerce moves its order in the same commit.
   */
  invoiceStatusChanged: ((trx: Executor, change: InvoiceStatusChange) => Promise<void>)[]
  /**
   * Called inside the watcher's transaction when a transfer to a deposit address that is not an
   * invoice's (owner_type other than 'invoice', e.g. an off-ramp) reaches its confirmations, or is
   * orphaned by a reorg. Exactly once per (network, tx_hash, log_index) and status.
   */
  depositObserved: ((trx: Executor, deposit: ObservedDeposit) => Promise<void>)[]
}

export interface InvoiceStatusChange {
  invoiceId: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  invoiceType: 'standard' | 'commerce'
  commerceOrderId: string | null
  previousStatus: 'unpaid' | 'underpaid' | 'paid' | 'expired' | 'canceled'
  status: 'unpaid' | 'underpaid' | 'paid' | 'expired' | 'canceled'
  /** The latest confirmed payment when the change comes from the chain (network, token, tx). */
  payment: { network: string; tokenId: number | null; txHash: string; fromAddress: string | null; amountUnits: bigint } | null
  at: Date
}

export interface ObservedDeposit {
  ownerType: string
  ownerId: string
  merchantId: bigint
  environment: 'devnet' | 'mainnet'
  network: string
  address: string
  tokenId: number | null
  amountUnits: bigint
  txHash: string
  logIndex: number
  fromAddress: string | null
  status: 'confirmed' | 'orphaned'
  at: Date
}

/**
 * What the chain layer offers other modules (commerce refunds, ramps). Present when the chain
 * layer runs (embedded devnet or configured RPC).
 */
export interface ChainServices {
  /** Networks configured for an environment with their tokens (integer ids as in the API). */
  listNetworks(environment: 'devnet' | 'mainnet'): { network: string; chainId: number; tokens: { id: number; symbol: string; decimals: number; address: string | null }[] }[]
  /** A unique deposit address for (owner, network), derived from the master seed and watched. */
  allocateDepositAddress(
    trx: Executor,
    input: { ownerType: string; ownerId: string; merchantId: bigint; environment: 'devnet' | 'mainnet'; network: string; tokenId: number },
  ): Promise<{ id: string; address: string }>
  /**
   * Sends tokens from the platform treasury (devnet: a funded account) to `to`. Idempotent by
   * `idempotencyKey`: the same key never sends twice. Resolves once the tx is mined.
   */
  sendFromTreasury(input: {
    environment: 'devnet' | 'mainnet'
    network: string
    tokenId: number
    to: string
    amountUnits: bigint
    idempotencyKey: string
  }): Promise<{ txHash: string }>
}

/** Request facts that travel into events (`request.id`, `request.idempotency_key`). */
export interface RequestContext {
  requestId: string | null
  idempotencyKey: string | null
}
