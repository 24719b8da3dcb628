import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { TEST_DB } from '../../helpers/server.ts'

const ROOT = resolve(import.meta.dirname, '../../../../..')

describe(
  'docs/openapi.json',
  { skip: TEST_DB === 'postgres' && 'independent of the database; checked once' },
  () => {
    it('matches the document the server generates (npm run check:openapi)', () => {
      const result = spawnSync(process.execPath, ['scripts/check-openapi.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 150_000,
      })
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`)
    })
  },
)
