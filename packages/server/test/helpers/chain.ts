import assert from 'node:assert/strict'
import { createPublicClient, createWalletClient, erc20Abi, http, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainLayers } from '../../src/modules/chain/chain.extension.ts'
import type { TestServer } from './server.ts'

export function chainLayer(t: TestServer) {
  const layer = chainLayers.get(t.server.deps)
  assert.ok(layer, 'chain layer is not running')
  return layer
}

export function devnetOf(t: TestServer) {
  const devnet = chainLayer(t).runtime.devnet
  assert.ok(devnet, 'embedded devnet is not running')
  return devnet
}

/** Sends `amountUnits` of a devnet token from a funded dev account (index 1..9) to `to`. */
export async function payToken(
  t: TestServer,
  input: { network: string; tokenAddress: string; to: string; amountUnits: bigint; payer?: number },
): Promise<{ txHash: Hex; from: string }> {
  const devnet = devnetOf(t)
  const network = devnet.networks.find((n) => n.network === input.network)
  assert.ok(network)
  const payer = devnet.fundedAccounts(input.network)[(input.payer ?? 1) - 1]
  assert.ok(payer)
  // fund the payer with the token first (the faucet mints)
  await devnet.faucet(input.network, payer.address, { tokenAddress: input.tokenAddress as Hex, amountUnits: input.amountUnits })
  const account = privateKeyToAccount(payer.privateKey)
  const chain = { id: network.chainId, name: network.network, nativeCurrency: { name: 'X', symbol: 'X', decimals: 18 }, rpcUrls: { default: { http: [network.rpcUrl] } } }
  const wallet = createWalletClient({ account, chain, transport: http(network.rpcUrl, { retryCount: 0 }) })
  const client = createPublicClient({ chain, transport: http(network.rpcUrl, { retryCount: 0 }), cacheTime: 0 })
  const txHash = await wallet.writeContract({ address: input.tokenAddress as Hex, abi: erc20Abi, functionName: 'transfer', args: [input.to as Hex, input.amountUnits] })
  await client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 20, timeout: 20_000 })
  return { txHash, from: payer.address.toLowerCase() }
}

/** Polls `read` until `check` passes or the deadline passes (the watcher works asynchronously). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000, label = 'condition'): Promise<T> {
  const deadline = performance.now() + timeoutMs
  let last: T = await read()
  while (!check(last)) {
    if (performance.now() > deadline) assert.fail(`${label} not reached within ${timeoutMs} ms; last value: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
    last = await read()
  }
  return last
}
