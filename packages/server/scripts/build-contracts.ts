// Compiles packages/server/solidity/*.sol with the pinned solc-js and writes the devnet artifacts that are committed.
// Usage: node packages/server/scripts/build-contracts.ts
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  compileDevnetContracts,
  serializeArtifact,
} from '../src/providers/chain/devnet/contract-compiler.ts'

const serverDir = join(dirname(fileURLToPath(import.meta.url)), '..')
export const solidityDir = join(serverDir, 'solidity')
export const artifactsDir = join(serverDir, 'src', 'providers', 'chain', 'devnet', 'artifacts')

export async function buildContracts(): Promise<string[]> {
  const artifacts = await compileDevnetContracts(solidityDir)
  await mkdir(artifactsDir, { recursive: true })
  const written: string[] = []
  for (const artifact of artifacts) {
    const path = join(artifactsDir, `${artifact.contractName}.json`)
    await writeFile(path, serializeArtifact(artifact))
    written.push(path)
  }
  return written
}

if (import.meta.main) {
  for (const path of await buildContracts()) console.log(`wrote ${path}`)
}
