import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createPublicClient, createWalletClient, erc20Abi, http, type Abi, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { chainLayers } from '../../src/modules/chain/chain.extension.ts'
import type { ChainWatcher } from '../../src/modules/chain/watcher.ts'
import stablecoinArtifact from '../../src/providers/chain/devnet/artifacts/TestStablecoin.json' with { type: 'json' }
import { apiClient, keyHeaders, type TestServer } from './server.ts'

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
  input: { network: string; tokenAddress: string; to: string; amountUnits: bigint; payer?: number; mint?: boolean },
): Promise<{ txHash: Hex; from: string }> {
  const devnet = devnetOf(t)
  const network = devnet.networks.find((n) => n.network === input.network)
  assert.ok(network)
  const payer = devnet.fundedAccounts(input.network)[(input.payer ?? 1) - 1]
  assert.ok(payer)
  // fund the payer with the token first (the faucet mints), unless the caller did
  if (input.mint !== false) await devnet.faucet(input.network, payer.address, { tokenAddress: input.tokenAddress as Hex, amountUnits: input.amountUnits })
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

/** A devnet token of the running chain layer, by network and symbol. */
export function tokenOf(t: TestServer, network: string, symbol: string) {
  const token = chainLayer(t).runtime.get('devnet', network)?.tokens.find((x) => x.symbol === symbol)
  assert.ok(token, `${symbol} on ${network}`)
  return token
}

/** Read-only viem client and chain definition of a devnet network. */
export function devnetClient(t: TestServer, network: string) {
  const net = devnetOf(t).networks.find((n) => n.network === network)
  assert.ok(net, `devnet network ${network}`)
  const chain = { id: net.chainId, name: net.network, nativeCurrency: { name: net.nativeSymbol, symbol: net.nativeSymbol, decimals: 18 }, rpcUrls: { default: { http: [net.rpcUrl] } } }
  return { net, chain, client: createPublicClient({ chain, transport: http(net.rpcUrl, { retryCount: 0, timeout: 10_000 }), cacheTime: 0 }) }
}

/** Sends native coin from a funded dev account (index 1..9) to `to`; resolves once mined. */
export async function payNative(t: TestServer, input: { network: string; to: string; amountUnits: bigint; payer?: number }): Promise<{ txHash: Hex; from: string; blockNumber: bigint }> {
  const payer = devnetOf(t).fundedAccounts(input.network)[(input.payer ?? 1) - 1]
  assert.ok(payer)
  const { chain, client, net } = devnetClient(t, input.network)
  const wallet = createWalletClient({ account: privateKeyToAccount(payer.privateKey), chain, transport: http(net.rpcUrl, { retryCount: 0 }) })
  const txHash = await wallet.sendTransaction({ to: input.to as Hex, value: input.amountUnits })
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 20, timeout: 20_000 })
  return { txHash, from: payer.address.toLowerCase(), blockNumber: receipt.blockNumber }
}

export type Api = ReturnType<typeof apiClient>

/** Creates an invoice with a merchant key; returns its id and a client carrying its payment-session headers. */
export async function newInvoice(t: TestServer, merchantKey: string, body: Record<string, unknown>): Promise<{ id: string; session: Api; expiresAt: number }> {
  const api = apiClient(t.url, keyHeaders(merchantKey))
  const created = await api('POST', '/api/v1/invoices', { headers: { 'idempotency-key': randomUUID() }, body })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const session = apiClient(t.url, { 'x-session-token': created.body.session_token, 'x-signature': created.body.signature })
  return { id: created.body.invoice_id as string, session, expiresAt: created.body.expires_at as number }
}

/** Allocates the invoice's deposit address and quote for a token (payer session). */
export async function allocateAddress(session: Api, network: string, tokenId: number) {
  const res = await session('POST', '/api/v1/payments/payment-addresses', { body: { network, tokenId } })
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return res.body as { temp_address: string; estimated_token_amount: string; estimated_token_amount_units: string; exchange_rate: string; usd_amount_millis: number; quote_status: string; token_symbol: string; payment_uri: string }
}

/** Event types of an invoice, oldest first. */
export async function eventTypesOf(api: Api, invoiceId: string): Promise<string[]> {
  const res = await api('GET', `/api/v1/events?invoice_id=${invoiceId}&limit=100`)
  assert.equal(res.status, 200, JSON.stringify(res.body))
  return (res.body.data.data as { type: string }[]).map((e) => e.type).reverse()
}

/** One `batchTransfer` of a devnet TestStablecoin from a funded dev account: several Transfer logs in one transaction. */
export async function payBatch(
  t: TestServer,
  input: { network: string; tokenAddress: string; recipients: string[]; amountsUnits: bigint[]; payer?: number },
): Promise<{ txHash: Hex; blockNumber: bigint }> {
  const devnet = devnetOf(t)
  const payer = devnet.fundedAccounts(input.network)[(input.payer ?? 1) - 1]
  assert.ok(payer)
  const total = input.amountsUnits.reduce((a, b) => a + b, 0n)
  await devnet.faucet(input.network, payer.address, { tokenAddress: input.tokenAddress as Hex, amountUnits: total })
  const { chain, client, net } = devnetClient(t, input.network)
  const wallet = createWalletClient({ account: privateKeyToAccount(payer.privateKey), chain, transport: http(net.rpcUrl, { retryCount: 0 }) })
  const txHash = await wallet.writeContract({ address: input.tokenAddress as Hex, abi: stablecoinArtifact.abi as Abi, functionName: 'batchTransfer', args: [input.recipients, input.amountsUnits] })
  const receipt = await client.waitForTransactionReceipt({ hash: txHash, pollingInterval: 20, timeout: 20_000 })
  assert.equal(receipt.status, 'success')
  return { txHash, blockNumber: receipt.blockNumber }
}

/** The chain layer's watcher for `key` (`<environment>:<network>`, e.g. `devnet:base`). */
export function watcherOf(t: TestServer, key: string): ChainWatcher {
  const watcher = chainLayer(t).watchers.find((w) => w.key === key)
  assert.ok(watcher, `no watcher for ${key}`)
  return watcher
}

/** Waits until the network's watcher has loaded a deposit address (before a test moves its clock). */
export async function untilWatched(t: TestServer, network: string, address: string): Promise<void> {
  const watcher = watcherOf(t, `devnet:${network}`)
  await eventually(async () => watcher.watched(address) !== undefined, (known) => known, 10_000, `${address} watched on ${network}`)
}
