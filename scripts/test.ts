/**
 * `npm test`: unit tests once, then every integration suite on PGlite and again on the Postgres
 * at PEPAY_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 * Set PEPAY_TEST_DB=pglite or =postgres to run one pass; pass file paths to run a subset.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function collect(dir: string, match: (file: string) => boolean, out: string[] = []): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry === 'dist') continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) collect(path, match, out)
    else if (match(path)) out.push(path)
  }
  return out.sort()
}

const args = process.argv.slice(2)
const isIntegration = (f: string) => /\/test\/(integration|e2e|contract)\//.test(f)
const all = args.length > 0 ? args : collect('packages', (f) => f.endsWith('.test.ts'))
const unit = all.filter((f) => !isIntegration(f))
const integration = all.filter(isIntegration)
const only = process.env['PEPAY_TEST_DB']
const passes: { name: string; files: string[]; env: Record<string, string> }[] = []
if (unit.length > 0 && !only) passes.push({ name: 'unit', files: unit, env: {} })
if (integration.length > 0) {
  if (!only || only === 'pglite') passes.push({ name: 'integration on PGlite', files: integration, env: { PEPAY_TEST_DB: 'pglite' } })
  if (!only || only === 'postgres') passes.push({ name: 'integration on Postgres', files: integration, env: { PEPAY_TEST_DB: 'postgres' } })
}

let failed = false
for (const pass of passes) {
  process.stdout.write(`\n# ${pass.name}: ${pass.files.length} files\n`)
  const result = spawnSync(
    process.execPath,
    ['--conditions=development', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-reporter=spec', ...pass.files],
    { stdio: 'inherit', env: { ...process.env, ...pass.env } },
  )
  if (result.status !== 0) failed = true
}
process.exit(failed ? 1 : 0)
