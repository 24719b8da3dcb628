/**
 * `npm run bench -- <name> [<name>…]` runs `bench/<name>.ts`'s exported `run()`, prints its
 * result as tables and writes `bench/results/<name>.json` with the machine's facts.
 * `npm run bench -- all` runs every `bench/*.ts` that exports `run`, one after the other.
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { monotonicMs, systemClock } from '@pepay/core'
import { machineFacts } from './lib/machine.ts'
import { formatResult, formatTable, jsonReplacer } from './lib/report.ts'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const RESULTS_DIR = join(BENCH_DIR, 'results')
const NAME = /^[a-z0-9][a-z0-9-]*$/

type BenchModule = { run?: () => Promise<object> }

function benchNames(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -'.ts'.length))
    .filter((n) => NAME.test(n))
    .sort()
}

async function load(name: string): Promise<BenchModule> {
  return (await import(pathToFileURL(join(BENCH_DIR, `${name}.ts`)).href)) as BenchModule
}

async function runOne(name: string): Promise<{ name: string; seconds: number; ok: boolean; note: string }> {
  const module = await load(name)
  if (typeof module.run !== 'function') throw new Error(`bench/${name}.ts has no exported run()`)
  const machine = machineFacts()
  process.stdout.write(`\n=== bench ${name} (${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAverage1m}) ===\n`)
  const startedMs = monotonicMs()
  const result = await module.run()
  const seconds = Math.round(monotonicMs() - startedMs) / 1000
  const { loadAverage1m: loadAtStart, ...facts } = machine
  const document = {
    bench: name,
    // the machine may be shared: load at both ends tells how much to trust the figures
    machine: { ...facts, loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: machineFacts().loadAverage1m },
    finishedAt: systemClock.now().toISOString(),
    durationSeconds: seconds,
    result,
  }
  // `details` is for the JSON file only: the printed report stays one screen
  const { details: _details, ...printable } = result as { details?: unknown }
  process.stdout.write(`${formatResult(printable)}\n`)
  // write then rename: a crash mid-write never leaves a truncated results file behind
  const path = join(RESULTS_DIR, `${name}.json`)
  writeFileSync(`${path}.tmp`, `${JSON.stringify(document, jsonReplacer, 2)}\n`)
  renameSync(`${path}.tmp`, path)
  process.stdout.write(`\nwrote ${path} (${seconds} s)\n`)
  return { name, seconds, ok: true, note: '' }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const available = benchNames()
  if (args.length === 0) {
    process.stderr.write(`usage: npm run bench -- <name…|all>\navailable: ${available.join(', ') || '(none)'}\n`)
    return 2
  }
  let names = args
  if (args.includes('all')) {
    const withRun: string[] = []
    for (const name of available) {
      // a module that fails to load is kept: runOne reports it as a failed bench
      const module = await load(name).catch(() => ({ run: () => Promise.resolve({}) }))
      if (typeof module.run === 'function') withRun.push(name)
    }
    names = withRun
  }
  for (const name of names) {
    if (!NAME.test(name) || !available.includes(name)) {
      process.stderr.write(`unknown bench "${name}"; available: ${available.join(', ')}\n`)
      return 2
    }
  }
  const summary: { name: string; seconds: number; ok: boolean; note: string }[] = []
  for (const name of names) {
    try {
      summary.push(await runOne(name))
    } catch (error) {
      const note = error instanceof Error ? error.message : String(error)
      process.stderr.write(`\nbench ${name} failed: ${error instanceof Error ? (error.stack ?? note) : note}\n`)
      summary.push({ name, seconds: 0, ok: false, note })
    }
  }
  if (names.length > 1) process.stdout.write(`\n${formatTable(summary)}\n`)
  return summary.every((s) => s.ok) ? 0 : 1
}

// exit explicitly: a bench that leaves a handle open must not hang the runner
process.exit(await main())
