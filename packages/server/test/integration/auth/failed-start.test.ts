import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { sql } from 'kysely'
import {
  createTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../../helpers/server.ts'
import { eventually } from '../../helpers/chain.ts'

/** Processes whose command line mentions `dataDir` (the devnet's anvil nodes keep their state there). */
function processesUsing(dataDir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(dataDir)) found.push(`${entry}: ${cmdline}`)
    } catch {
      // exited while listed
    }
  }
  return found
}

/** Backends connected to the test database (Postgres only; the embedded database has none). */
async function connectionsTo(reader: TestServer, db: TestDatabase): Promise<number> {
  if (!db.url) return 0
  const name = new URL(db.url).pathname.slice(1)
  const result = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name}`.execute(
    reader.server.deps.db,
  )
  return result.rows[0]?.n ?? 0
}

describe('a server that fails to start', () => {
  let running: TestServer

  /** No devnet node of the failed start runs on, and none of its connections stays open. */
  const assertReleased = async (db: TestDatabase) => {
    assert.deepEqual(processesUsing(db.dataDir), [], 'no devnet node left running')
    await eventually(
      () => connectionsTo(running, db),
      (n) => n === 0,
      3_000,
      'the failed start closed its connections',
    )
  }

  before(async () => {
    running = await startTestServer()
  })
  after(async () => {
    await running.close()
  })

  it('releases its database, its workers and its devnet nodes when the port is taken', async () => {
    const db = await createTestDatabase()
    try {
      const port = new URL(running.url).port
      await assert.rejects(
        startTestServer({ database: db, devnet: true, env: { PORT: port } }),
        /EADDRINUSE/,
      )
      await assertReleased(db)
      // and the same database and directory serve the next start
      const next = await startTestServer({ database: db })
      await next.stopServer()
    } finally {
      await db.drop()
    }
  })

  it('stops the devnet nodes it started when the chain layer fails after them', async () => {
    const db = await createTestDatabase()
    try {
      // a database that accepts the schema but refuses the token registry
      const first = await startTestServer({ database: db })
      await sql`ALTER TABLE token ADD CONSTRAINT refuse_tokens CHECK (false) NOT VALID`.execute(
        first.server.deps.db,
      )
      await first.stopServer()
      await assert.rejects(startTestServer({ database: db, devnet: true }), /refuse_tokens/)
      await assertReleased(db)
    } finally {
      await db.drop()
    }
  })

  it('leaves no readiness check behind in the servers still running', async () => {
    const response = await fetch(`${running.url}/readyz`)
    const body = (await response.json()) as { status: string; checks: { name: string }[] }
    assert.equal(response.status, 200)
    assert.deepEqual(
      body.checks.map((c) => c.name),
      ['database'],
    )
  })
})
