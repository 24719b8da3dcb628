/**
 * `npm run build -w pepay`: compiles src/ to ESM + .d.ts in dist/ with tsc, then vendors the
 * declarations of @pepay/contracts into dist/contracts/ so the published types need only `zod`
 * (the SDK's JavaScript imports nothing from the contracts: they are types only).
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, ...args], { cwd: root, stdio: 'inherit' })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc ${args.join(' ')} exited with ${code}`)),
    )
  })
}

rmSync(dist, { recursive: true, force: true })
// the two compilations write to separate folders: run them side by side
await Promise.all([run(['-p', 'tsconfig.build.json']), run(['-p', 'tsconfig.contracts.json'])])

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  )
}

// declarations keep the sources' `.ts` specifiers: point them at the emitted `.js` files, and the
// SDK's contract imports at the vendored contract declarations
for (const file of files(dist)) {
  if (!file.endsWith('.d.ts')) continue
  let text = readFileSync(file, 'utf8').replace(
    /((?:from\s+|import\()['"]\.{1,2}\/[^'"]+)\.ts(['"])/g,
    '$1.js$2',
  )
  if (text.includes("'@pepay/contracts'")) {
    let target = relative(dirname(file), join(dist, 'contracts', 'index.js')).replaceAll('\\', '/')
    if (!target.startsWith('.')) target = `./${target}`
    text = text.replaceAll("'@pepay/contracts'", `'${target}'`)
  }
  writeFileSync(file, text)
}
for (const file of files(dist)) {
  if (file.endsWith('.js') && readFileSync(file, 'utf8').includes('@pepay/contracts')) {
    throw new Error(`${relative(root, file)} imports @pepay/contracts at run time`)
  }
}
process.stdout.write(`built ${relative(process.cwd(), dist) || 'dist'}\n`)
