import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  compileDevnetContracts,
  devnetContractNames,
  serializeArtifact,
  type ContractArtifact,
} from './contract-compiler.ts'

const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), 'artifacts')
const solidityDir = join(artifactsDir, '..', '..', '..', '..', '..', 'solidity')

describe('devnet contract artifacts', () => {
  it('match a fresh compilation of the Solidity sources exactly', async () => {
    const compiled = await compileDevnetContracts(solidityDir)
    assert.deepEqual(
      compiled.map((artifact) => artifact.contractName),
      [...devnetContractNames],
    )
    for (const fresh of compiled) {
      const committedText = await readFile(join(artifactsDir, `${fresh.contractName}.json`), 'utf8')
      const committed = JSON.parse(committedText) as ContractArtifact
      const hint = `artifact ${fresh.contractName} is stale: run node packages/server/scripts/build-contracts.ts`
      assert.equal(committed.sourceHash, fresh.sourceHash, hint)
      assert.equal(committed.bytecode, fresh.bytecode, hint)
      assert.deepEqual(committed.abi, fresh.abi, hint)
      assert.equal(committedText, serializeArtifact(fresh), hint)
    }
  })

  it('exposes the ERC-20, faucet, batch and aggregator entry points the devnet relies on', async () => {
    const functionsOf = async (name: string): Promise<string[]> => {
      const artifact = JSON.parse(
        await readFile(join(artifactsDir, `${name}.json`), 'utf8'),
      ) as ContractArtifact
      return (artifact.abi as { type: string; name?: string }[])
        .filter((entry) => entry.type === 'function')
        .map((entry) => entry.name ?? '')
    }
    const stablecoin = await functionsOf('TestStablecoin')
    for (const name of [
      'transfer',
      'transferFrom',
      'approve',
      'balanceOf',
      'decimals',
      'mint',
      'batchTransfer',
    ]) {
      assert.ok(stablecoin.includes(name), `TestStablecoin lacks ${name}`)
    }
    const aggregator = await functionsOf('MockAggregator')
    for (const name of ['decimals', 'latestRoundData', 'setAnswer']) {
      assert.ok(aggregator.includes(name), `MockAggregator lacks ${name}`)
    }
  })
})
