/**
 * `npm run gen` writes docs/openapi.json; `npm run check:openapi` regenerates it into a temp file
 * and fails when the committed copy differs. The document comes from the server itself (the
 * foundation plus every default extension), built in-process on a throwaway embedded database
 * with no network, so the output depends on the code only. Keys are sorted for stable diffs.
 *
 *   node scripts/check-openapi.ts            check (exit 1 on drift)
 *   node scripts/check-openapi.ts --write    regenerate docs/openapi.json
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../packages/server/src/config.ts'
import { defaultExtensions } from '../packages/server/src/extensions.ts'
import { startServer } from '../packages/server/src/server.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const TARGET = join(ROOT, 'docs', 'openapi.json')
/** Building the document takes a few seconds; anything beyond this is a hang, not slowness. */
const BUILD_TIMEOUT_MS = 120_000

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Object keys sorted recursively; arrays keep their order (it carries meaning, e.g. `required`). */
export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const sorted: { [key: string]: Json } = {}
    for (const key of Object.keys(value).sort()) {
      const child = value[key]
      if (child !== undefined) sorted[key] = sortKeys(child)
    }
    return sorted
  }
  return value
}

export async function buildOpenApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pepay-openapi-'))
  try {
    // a fixed environment, not process.env: the document must not depend on who generates it
    const config = loadConfig({
      PEPAY_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PEPAY_DEVNET: 'off',
      PEPAY_SEED_DEMO: 'false',
      PEPAY_NO_WORKERS: 'true',
    })
    const server = await startServer(config, {
      serveHttp: false,
      runWorkers: false,
      extensions: defaultExtensions(config),
    })
    try {
      const document = JSON.parse(JSON.stringify(server.app.swagger())) as Json
      return `${JSON.stringify(sortKeys(document), null, 2)}\n`
    } finally {
      await server.stop()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function operations(text: string): Set<string> {
  const document = JSON.parse(text) as { paths?: Record<string, Record<string, unknown>> }
  const out = new Set<string>()
  for (const [path, methods] of Object.entries(document.paths ?? {})) {
    for (const method of Object.keys(methods)) out.add(`${method.toUpperCase()} ${path}`)
  }
  return out
}

/** A short account of what changed, so the failure says more than "differs". */
function describeDrift(committed: string, fresh: string): string[] {
  const before = operations(committed)
  const after = operations(fresh)
  const lines: string[] = []
  for (const op of after)
    if (!before.has(op)) lines.push(`  + ${op} (missing from the committed file)`)
  for (const op of before) if (!after.has(op)) lines.push(`  - ${op} (no longer served)`)
  if (lines.length === 0) {
    const a = committed.split('\n')
    const b = fresh.split('\n')
    const at = a.findIndex((line, i) => line !== b[i])
    const index = at === -1 ? Math.min(a.length, b.length) : at
    lines.push(`  first difference at line ${index + 1}:`)
    lines.push(`    committed: ${a[index]?.trim() ?? '(end of file)'}`)
    lines.push(`    generated: ${b[index]?.trim() ?? '(end of file)'}`)
  }
  return lines
}

async function main(): Promise<number> {
  const write = process.argv.includes('--write')
  const fresh = await buildOpenApiDocument()
  const shown = relative(process.cwd(), TARGET) || TARGET
  if (write) {
    writeFileSync(TARGET, fresh)
    process.stdout.write(`wrote ${shown} (${operations(fresh).size} operations)\n`)
    return 0
  }
  const scratch = mkdtempSync(join(tmpdir(), 'pepay-openapi-check-'))
  try {
    const generated = join(scratch, 'openapi.json')
    writeFileSync(generated, fresh)
    if (!existsSync(TARGET)) {
      process.stderr.write(`${shown} does not exist. Run \`npm run gen\` and commit it.\n`)
      return 1
    }
    const committed = readFileSync(TARGET, 'utf8')
    if (committed === readFileSync(generated, 'utf8')) {
      process.stdout.write(`${shown} is up to date (${operations(fresh).size} operations)\n`)
      return 0
    }
    process.stderr.write(
      [
        `${shown} is out of date with the server's routes and contracts.`,
        ...describeDrift(committed, fresh),
        'Run `npm run gen` and commit docs/openapi.json.',
        '',
      ].join('\n'),
    )
    return 1
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const guard = setTimeout(() => {
    process.stderr.write(`openapi generation did not finish within ${BUILD_TIMEOUT_MS / 1000} s\n`)
    process.exit(2)
  }, BUILD_TIMEOUT_MS)
  guard.unref()
  main()
    .then((code) => process.exit(code))
    .catch((error: unknown) => {
      process.stderr.write(
        `openapi generation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      )
      process.exit(2)
    })
}
