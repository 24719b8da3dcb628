import { resolve } from 'node:path'
import { z } from 'zod'

const boolFromEnv = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1')

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  PEPAY_DATA_DIR: z.string().default('./.pepay'),
  DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  /** Public base URL used in payment_url and ws_url (defaults to http://HOST:PORT). */
  PEPAY_PUBLIC_URL: z.string().url().optional(),
  PEPAY_MASTER_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PEPAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(0),
  PEPAY_WORKERS: boolFromEnv,
  PEPAY_NO_WORKERS: boolFromEnv,
  PEPAY_DEVNET: z.enum(['embedded', 'off']).default('embedded'),
  PEPAY_SEED_DEMO: z.enum(['true', 'false']).default('true'),
  PEPAY_MAINNET_SELF_SERVICE: boolFromEnv,
  PEPAY_DEVNET_CONFIRMATIONS: z.coerce.number().int().min(1).max(64).default(1),
  PEPAY_PAYMENT_TOLERANCE_USD_MILLIS: z.coerce.number().int().min(0).max(1_000_000).default(0),
  PEPAY_EXPIRY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Events (and their webhook deliveries) older than this are pruned; WS replays before it get a snapshot. */
  PEPAY_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Products in the generated sandbox commerce catalog (seeded once, in the background). */
  PEPAY_CATALOG_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(100_000),
  /** Concurrent transactions a chain watcher records a large range with (Postgres only). */
  PEPAY_WATCHER_WRITERS: z.coerce.number().int().min(1).max(8).default(2),
  /** Transfers per writer below which a range is recorded in the cursor's own transaction. */
  PEPAY_WATCHER_SPLIT_MIN: z.coerce.number().int().min(1).max(100_000).default(200),
})

export interface Config {
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  databasePoolSize: number
  publicUrl: string | undefined
  masterKey: string | undefined
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL']
  rateLimitPerMinute: number
  runWorkers: boolean
  devnet: 'embedded' | 'off'
  seedDemo: boolean
  expiryPollMs: number
  eventRetentionDays: number
  catalogSize: number
  mainnetSelfService: boolean
  /** Per-network chain settings: PEPAY_RPC_<NET>_<ENV>, PEPAY_CONFIRMATIONS_<NET>_<ENV>, PEPAY_PRICE_FEED_<NET>_<ENV>. */
  chainEnv: Record<string, string>
  /** Confirmation depth on the embedded devnet (default 1). */
  devnetConfirmations: number
  /** Underpayment forgiven as dust, in usd_millis (default 0). */
  paymentToleranceUsdMillis: bigint
  /** How a chain watcher records a large range: up to `writers` transactions of at least `splitMin` transfers. */
  watcherRecording: { writers: number; splitMin: number }
}

/** Parses the environment once; nothing else in the server reads process.env. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.parse(env)
  return {
    port: parsed.PORT,
    host: parsed.HOST,
    dataDir: resolve(parsed.PEPAY_DATA_DIR),
    databaseUrl: parsed.DATABASE_URL === '' ? undefined : parsed.DATABASE_URL,
    databasePoolSize: parsed.DATABASE_POOL_SIZE,
    publicUrl: parsed.PEPAY_PUBLIC_URL,
    masterKey: parsed.PEPAY_MASTER_KEY,
    logLevel: parsed.LOG_LEVEL,
    rateLimitPerMinute: parsed.PEPAY_RATE_LIMIT_PER_MINUTE,
    runWorkers: !parsed.PEPAY_NO_WORKERS,
    devnet: parsed.PEPAY_DEVNET,
    seedDemo: parsed.PEPAY_SEED_DEMO === 'true',
    expiryPollMs: parsed.PEPAY_EXPIRY_POLL_MS,
    eventRetentionDays: parsed.PEPAY_EVENT_RETENTION_DAYS,
    catalogSize: parsed.PEPAY_CATALOG_SIZE,
    mainnetSelfService: parsed.PEPAY_MAINNET_SELF_SERVICE,
    chainEnv: Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] =>
          /^PEPAY_(RPC|CONFIRMATIONS|PRICE_FEED)_[A-Z]+_(MAINNET|DEVNET)$/.test(entry[0]) && typeof entry[1] === 'string',
      ),
    ),
    devnetConfirmations: parsed.PEPAY_DEVNET_CONFIRMATIONS,
    paymentToleranceUsdMillis: BigInt(parsed.PEPAY_PAYMENT_TOLERANCE_USD_MILLIS),
    watcherRecording: { writers: parsed.PEPAY_WATCHER_WRITERS, splitMin: parsed.PEPAY_WATCHER_SPLIT_MIN },
  }
}
