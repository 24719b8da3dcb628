import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const sdkRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const repoRoot = join(sdkRoot, '..', '..')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

function run(args: string[], cwd: string, command = process.execPath) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  return { status: result.status, out: `${result.stdout}${result.stderr}` }
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  )
}

describe('the published package (npm run build -w pepay)', () => {
  let tmp: string
  let tarball: { filename: string; files: { path: string }[] }

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'pepay-pack-'))
    // a real pack: prepack builds dist/ and strips the `development` condition, postpack restores it
    const packed = spawnSync('npm', ['pack', '--json', '--pack-destination', tmp], {
      cwd: sdkRoot,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    assert.equal(packed.status, 0, `${packed.stdout}${packed.stderr}`)
    // stdout holds the lifecycle scripts' output, then the JSON report
    const [info] = JSON.parse(
      packed.stdout.slice(packed.stdout.lastIndexOf('\n[\n') + 1),
    ) as (typeof tarball)[]
    assert.ok(info)
    tarball = info
  })
  after(() => rmSync(tmp, { recursive: true, force: true }))

  it('emits ESM JavaScript and declarations for every source file', () => {
    for (const name of [
      'index.js',
      'index.d.ts',
      'client.js',
      'webhooks.js',
      'realtime.d.ts',
      'contracts/index.d.ts',
    ]) {
      assert.ok(existsSync(join(sdkRoot, 'dist', name)), `dist/${name}`)
    }
    for (const file of files(join(sdkRoot, 'dist'))) {
      const text = readFileSync(file, 'utf8')
      assert.doesNotMatch(text, /from ['"]\.{1,2}\/[^'"]+\.ts['"]/, `${file} imports a .ts path`)
      if (file.endsWith('.js'))
        assert.doesNotMatch(
          text,
          /@pepay\/contracts|from ['"]zod['"]/,
          `${file} has a run-time dependency`,
        )
    }
  })

  it('imports in plain Node without TypeScript and exposes Pepay and createWebhookVerifier', () => {
    const script = `
      import { Pepay, createWebhookVerifier, signWebhookPayload, PepayError } from 'pepay'
      const url = import.meta.resolve('pepay')
      const verifier = createWebhookVerifier({ secrets: ['whsec_x'] })
      const signed = await signWebhookPayload({ payload: { id: 'evt_1-1' }, secret: 'whsec_x' })
      const result = await verifier.verify({ rawBody: signed.body, headers: signed.headers })
      const client = new Pepay({ apiKey: 'pk_test_x' })
      console.log(JSON.stringify({ url, valid: result.valid, pepay: typeof Pepay, invoices: typeof client.invoices.create, error: new PepayError({ code: 'X', message: 'm' }) instanceof Error }))
    `
    const result = run(
      ['--no-experimental-strip-types', '--input-type=module', '-e', script],
      repoRoot,
    )
    assert.equal(result.status, 0, result.out)
    const out = JSON.parse(result.out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>
    assert.match(String(out['url']), /\/packages\/sdk\/dist\/index\.js$/)
    assert.deepEqual(
      { ...out, url: undefined },
      { url: undefined, valid: true, pepay: 'function', invoices: 'function', error: true },
    )
  })

  it('passes the type-level tests against the built declarations', () => {
    // the same assertions compile against the sources in `npm run typecheck` (development condition)
    const dist = run([tsc, '-p', 'tsconfig.typetest-dist.json'], sdkRoot)
    assert.equal(dist.status, 0, dist.out)
  })

  it('packs dist, the README and a manifest without the source condition; the tarball imports outside the monorepo', () => {
    assert.match(
      readFileSync(join(sdkRoot, 'package.json'), 'utf8'),
      /"development"/,
      'postpack restored package.json',
    )
    assert.ok(!existsSync(join(sdkRoot, '.package.json.orig')))
    const paths = tarball.files.map((f) => f.path)
    for (const p of [
      'package.json',
      'README.md',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/contracts/index.d.ts',
    ])
      assert.ok(paths.includes(p), p)
    assert.ok(
      !paths.some((p) => p.startsWith('src/') || p.startsWith('test/') || p.startsWith('scripts/')),
      paths.join(', '),
    )

    const modules = join(tmp, 'consumer', 'node_modules')
    mkdirSync(modules, { recursive: true })
    const untar = spawnSync('tar', ['-xzf', join(tmp, tarball.filename), '-C', modules], {
      encoding: 'utf8',
    })
    assert.equal(untar.status, 0, untar.stderr)
    renameSync(join(modules, 'package'), join(modules, 'pepay'))
    const manifest = JSON.parse(readFileSync(join(modules, 'pepay', 'package.json'), 'utf8')) as {
      exports: Record<string, Record<string, string>>
    }
    assert.equal(manifest.exports['.']?.['development'], undefined)
    // a bundler or Node with the development condition on still gets dist/
    const script =
      "import { Pepay, createWebhookVerifier } from 'pepay'; console.log(import.meta.resolve('pepay'), typeof Pepay, typeof createWebhookVerifier)"
    const consumer = run(
      [
        '--no-experimental-strip-types',
        '--conditions=development',
        '--input-type=module',
        '-e',
        script,
      ],
      join(tmp, 'consumer'),
    )
    assert.equal(consumer.status, 0, consumer.out)
    assert.match(
      consumer.out.trim(),
      /consumer\/node_modules\/pepay\/dist\/index\.js function function$/,
    )
  })
})
