import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import solc from 'solc'

/** solc ships no types; the two calls used here, typed. */
const compiler = solc as { version(): string; compile(input: string): string }

// Build-time only: solc is a workspace dev dependency. The runtime devnet reads the committed artifacts instead.

export type ContractArtifact = {
  contractName: string
  compilerVersion: string
  abi: readonly unknown[]
  bytecode: `0x${string}`
  sourceHash: string
}

export const devnetContractNames = ['TestStablecoin', 'MockAggregator'] as const

export type DevnetContractName = (typeof devnetContractNames)[number]

// Pinned so that committed artifacts are reproducible byte for byte. "shanghai" runs on every anvil hardfork we use
// and on the public testnets (Base Sepolia, BSC testnet).
export const compilerSettings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'shanghai',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const

export const pinnedCompilerVersion = '0.8.37+commit.f401782d.Emscripten.clang'

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[]
  contracts?: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>
  >
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

export async function compileDevnetContracts(solidityDir: string): Promise<ContractArtifact[]> {
  const compilerVersion = String(compiler.version())
  if (compilerVersion !== pinnedCompilerVersion) {
    throw new Error(
      `solc ${compilerVersion} is installed but artifacts are pinned to ${pinnedCompilerVersion}`,
    )
  }
  const sources: Record<string, { content: string }> = {}
  for (const name of devnetContractNames) {
    sources[`${name}.sol`] = { content: await readFile(join(solidityDir, `${name}.sol`), 'utf8') }
  }
  const input = { language: 'Solidity', sources, settings: compilerSettings }
  const output = JSON.parse(String(compiler.compile(JSON.stringify(input)))) as SolcOutput
  const fatal = (output.errors ?? []).filter((entry) => entry.severity === 'error')
  if (fatal.length > 0) {
    throw new Error(
      `solidity compilation failed:\n${fatal.map((entry) => entry.formattedMessage).join('\n')}`,
    )
  }
  return devnetContractNames.map((name) => {
    const compiled = output.contracts?.[`${name}.sol`]?.[name]
    const source = sources[`${name}.sol`]
    if (compiled === undefined || source === undefined)
      throw new Error(`solc produced no output for ${name}`)
    return {
      contractName: name,
      compilerVersion,
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
      sourceHash: sha256Hex(source.content),
    }
  })
}

export function serializeArtifact(artifact: ContractArtifact): string {
  return `${JSON.stringify(artifact, null, 2)}\n`
}
