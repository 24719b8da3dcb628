import { join } from 'node:path'
import { systemClock, type Clock } from '@pepay/core'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from './app.ts'
import type { Config } from './config.ts'
import { openDatabase } from './db/database.ts'
import { migrateToLatest } from './db/migrate.ts'
import type { Deps } from './deps.ts'
import { createLogger } from './logger.ts'
import { KeyUsageTracker } from './modules/merchants/api-key.service.ts'
import { CREDENTIALS_CHANNEL, noteCredentialsChanged } from './modules/merchants/merchant.repo.ts'
import { loadPlatformSecrets } from './modules/platform/secrets.ts'
import { createSealer } from './modules/platform/sealer.ts'
import { loadEncryptionKey } from './providers/chain/keys/encryption-key.ts'
import { startIdempotencyPurger, startKeyUsageFlusher } from './workers/housekeeping.ts'
import { startEmbeddedVacuum } from './workers/embedded-vacuum.ts'
import { startInvoiceExpiryWorker } from './workers/invoice-expiry.ts'
import type { Loop } from './workers/loop.ts'

export interface RunningServer {
  app: FastifyInstance
  deps: Deps
  url: string
  /** Graceful stop: stop accepting, finish in-flight requests, stop workers, close the database. */
  stop(): Promise<void>
}

export interface ServerExtension {
  /** Starts after the database and secrets are ready; returns route plugins and a stopper. */
  start(deps: Deps): Promise<{ plugins?: AppOptions['plugins']; workers?: Loop[]; stop?: () => Promise<void> }>
}

export interface StartOptions {
  clock?: Clock
  validateResponses?: boolean
  extensions?: ServerExtension[]
  /** Run background workers in this process (default: config.runWorkers). */
  runWorkers?: boolean
  /** Serve HTTP (false for a worker-only process). */
  serveHttp?: boolean
}

export async function startServer(baseConfig: Config, options: StartOptions = {}): Promise<RunningServer> {
  // the start option wins, so every layer (chain, realtime, webhooks, commerce, ramps) agrees
  const config: Config = options.runWorkers === undefined ? baseConfig : { ...baseConfig, runWorkers: options.runWorkers }
  const log = createLogger(config.logLevel)
  const clock = options.clock ?? systemClock
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize })
  let secrets: Awaited<ReturnType<typeof loadPlatformSecrets>>
  let masterKey: Awaited<ReturnType<typeof loadEncryptionKey>>
  try {
    await migrateToLatest(database)
    secrets = await loadPlatformSecrets(database.db)
    masterKey = await loadEncryptionKey({ envValue: config.masterKey, keyFilePath: join(config.dataDir, 'master.key') })
  } catch (error) {
    // a migration that fails or a master key that cannot be read: the pool must not keep the
    // process alive (or an embedded database's directory locked) after the error
    await database.close()
    throw error
  }
  const deps: Deps = {
    config,
    database,
    db: database.db,
    clock,
    log,
    secrets,
    masterKey,
    sealer: createSealer(masterKey.key),
    keyUsage: new KeyUsageTracker(database.db),
    urls: { publicBase: config.publicUrl ?? `http://${config.host}:${config.port}` },
    hooks: { invoiceStatusChanged: [], depositObserved: [] },
    chain: undefined,
  }

  const plugins: NonNullable<AppOptions['plugins']> = []
  const loops: Loop[] = []
  const stoppers: (() => Promise<void>)[] = []
  // a key revoked or a merchant suspended by any process: drop this process's cached credentials
  const unlistenCredentials = await database.listen(CREDENTIALS_CHANNEL, noteCredentialsChanged)
  stoppers.push(unlistenCredentials)
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  let url = ''
  try {
    for (const extension of options.extensions ?? []) {
      const started = await extension.start(deps)
      plugins.push(...(started.plugins ?? []))
      loops.push(...(started.workers ?? []))
      if (started.stop) stoppers.push(started.stop)
    }
    app = await buildApp(deps, { validateResponses: options.validateResponses ?? false, plugins })
    if (options.serveHttp ?? true) {
      url = await app.listen({ port: config.port, host: config.host })
      if (!config.publicUrl) deps.urls.publicBase = url
    } else {
      await app.ready()
    }
  } catch (error) {
    // a layer that cannot start (a bad setting, a node that will not come up) or a port already
    // taken: release what was opened, so the failure leaves no connection or child process behind
    await app?.close().catch(() => undefined)
    await Promise.all(loops.map((l) => l.stop()))
    for (const s of stoppers.reverse()) await s().catch(() => undefined)
    await database.close()
    throw error
  }
  const running = app

  if (config.runWorkers) {
    loops.push(startInvoiceExpiryWorker(deps), startIdempotencyPurger(deps))
    // a Postgres server runs autovacuum itself; the embedded database has no daemon for it
    if (database.kind === 'pglite') loops.push(startEmbeddedVacuum(deps))
  }
  loops.push(startKeyUsageFlusher(deps))

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await running.close()
      await Promise.all(loops.map((l) => l.stop()))
      for (const s of stoppers.reverse()) await s()
      await deps.keyUsage.flush().catch(() => undefined)
      await database.close()
    })()
    return stopping
  }
  return { app: running, deps, url, stop }
}
