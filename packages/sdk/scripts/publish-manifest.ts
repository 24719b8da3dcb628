/**
 * The package.json that is published: the same as the repository's minus the `development`
 * export condition, which points at TypeScript sources that are not shipped (bundlers such as
 * Vite enable `development` in dev mode and would otherwise resolve a missing file).
 *
 * `npm pack`/`npm publish` run `prepack` (`strip`: keep the original aside, write the published
 * manifest) and `postpack` (`restore`).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

type Exports = Record<string, string | Record<string, string>>

export function publishManifest(manifest: Record<string, unknown>): Record<string, unknown> {
  const exports = manifest['exports'] as Exports | undefined
  if (!exports) return manifest
  const published: Exports = {}
  for (const [path, target] of Object.entries(exports)) {
    if (typeof target === 'string') {
      published[path] = target
      continue
    }
    const { development: _source, ...rest } = target
    published[path] = rest
  }
  return { ...manifest, exports: published }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const manifestPath = join(root, 'package.json')
const originalPath = join(root, '.package.json.orig')

if (import.meta.url === `file://${process.argv[1]}`) {
  const mode = process.argv[2]
  if (mode === 'strip') {
    if (existsSync(originalPath))
      throw new Error('.package.json.orig exists: a previous pack did not restore package.json')
    const text = readFileSync(manifestPath, 'utf8')
    writeFileSync(originalPath, text)
    writeFileSync(
      manifestPath,
      `${JSON.stringify(publishManifest(JSON.parse(text) as Record<string, unknown>), null, 2)}\n`,
    )
  } else if (mode === 'restore') {
    if (existsSync(originalPath)) renameSync(originalPath, manifestPath)
  } else {
    process.stderr.write('usage: node scripts/publish-manifest.ts strip|restore\n')
    process.exit(2)
  }
}
