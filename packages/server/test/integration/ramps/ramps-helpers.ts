import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { Executor } from '../../../src/db/database.ts'
import type { ObservedDeposit } from '../../../src/deps.ts'
import { handleDepositObserved, rampsExtension, runRampWorkersOnce, type RampRuntime, type RampsOptions } from '../../../src/modules/ramps/index.ts'
import type { SandboxKycProvider } from '../../../src/providers/kyc/sandbox/sandbox-kyc.ts'
import { apiClient, keyHeaders, type TestServer } from '../../helpers/server.ts'

export type Api = ReturnType<typeof apiClient>
export type Runtime = RampRuntime & { sandboxKyc: SandboxKycProvider }

/** The ramps extension with its workers off (tests drive them by hand) and a handle on its runtime. */
export function testRampsExtension(options: RampsOptions = {}): { extension: ReturnType<typeof rampsExtension>; runtime: () => Runtime } {
  let rt: Runtime | undefined
  const extension = rampsExtension({ workers: false, kycReviewDelaySeconds: 5, ...options, onReady: (r) => (rt = r) })
  return { extension, runtime: () => { assert.ok(rt, 'ramps runtime not started'); return rt } }
}

export const idem = () => ({ 'idempotency-key': randomUUID() })

export async function post(api: Api, path: string, body: unknown) {
  return api('POST', path, { headers: idem(), body })
}

/** Runs every ramps worker until nothing is left to do (bounded). */
export async function drainWorkers(rt: Runtime, maxPasses = 20): Promise<void> {
  for (let i = 0; i < maxPasses; i += 1) {
    if ((await runRampWorkersOnce(rt)) === 0) return
  }
}

/** Seeds a stablecoin in the token table for suites that run without the chain layer. */
export async function seedStablecoin(t: TestServer, network = 'base', symbol = 'USDC', decimals = 6): Promise<number> {
  const row = await t.server.deps.db
    .insertInto('token')
    .values({ network, environment: 'devnet', symbol, name: `${symbol} test`, token_type: 'erc20', address: `0x${randomUUID().replaceAll('-', '').padEnd(40, '0')}`, address_key: `${network}:${symbol}:${randomUUID()}`, decimals, is_stable: true })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/**
 * An individual customer whose KYC at `level` goes through the sandbox for real: hosted page
 * submission, signed webhooks into the inbox, the inbox worker.
 */
export async function approvedCustomer(t: TestServer, api: Api, rt: Runtime, input: { level?: 'basic' | 'standard' | 'enhanced'; country?: string; lastName?: string } = {}) {
  const customer = await post(api, '/api/v1/ramps/customers', { type: 'individual', first_name: 'Alice', last_name: input.lastName ?? 'Example', country: input.country ?? 'DE', email: 'alice@example.com' })
  assert.equal(customer.status, 201, JSON.stringify(customer.body))
  const verification = await verifyKyc(t, api, rt, customer.body.id, input.level ?? 'standard', '123456789')
  return { id: customer.body.id as string, verificationId: verification.id }
}

/** Starts a verification, submits the hosted form with `documentNumber`, lets the sandbox decide. */
export async function verifyKyc(t: TestServer, api: Api, rt: Runtime, customerId: string, level: string, documentNumber: string) {
  const verification = await post(api, `/api/v1/ramps/customers/${customerId}/kyc-verifications`, { level })
  assert.equal(verification.status, 201, JSON.stringify(verification.body))
  const form = await fetch(verification.body.hosted_url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `document_number=${documentNumber}` })
  assert.equal(form.status, 200)
  await form.text()
  await drainWorkers(rt)
  return verification.body as { id: string; hosted_url: string }
}

/** Drives a confirmed deposit through the same function the chain watcher calls, in a transaction. */
export async function simulateDeposit(t: TestServer, deposit: Partial<ObservedDeposit> & Pick<ObservedDeposit, 'ownerId' | 'amountUnits' | 'network' | 'merchantId'>) {
  const deps = t.server.deps
  await deps.db.transaction().execute((trx: Executor) =>
    handleDepositObserved(deps, trx, {
      ownerType: 'off_ramp',
      environment: 'devnet',
      address: '0x0000000000000000000000000000000000000001',
      tokenId: null,
      txHash: `0x${randomUUID().replaceAll('-', '').padEnd(64, '0')}`,
      logIndex: 0,
      fromAddress: '0x00000000000000000000000000000000000000f1',
      status: 'confirmed',
      at: deps.clock.now(),
      ...deposit,
    }),
  )
}

export function merchantApi(t: TestServer, key: string): Api {
  return apiClient(t.url, keyHeaders(key))
}

/**
 * A stand-in for the chain layer in suites that run without the devnet: deterministic deposit
 * addresses, and treasury sends recorded once per idempotency key (as the real one promises).
 */
export function fakeChainServices() {
  const sends = new Map<string, { to: string; amountUnits: bigint; tokenId: number; txHash: string }>()
  let failNextSends = 0
  const services: import('../../../src/deps.ts').ChainServices = {
    listNetworks: () => [],
    async allocateDepositAddress(_trx, input) {
      const hex = Buffer.from(input.ownerId.replaceAll('-', ''), 'hex').toString('hex').padEnd(40, '0').slice(0, 40)
      return { id: randomUUID(), address: `0x${hex}` }
    },
    async sendFromTreasury(input) {
      if (failNextSends > 0) {
        failNextSends -= 1
        throw new Error('fake chain: node unreachable')
      }
      const existing = sends.get(input.idempotencyKey)
      if (existing) return { txHash: existing.txHash }
      const txHash = `0x${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`
      sends.set(input.idempotencyKey, { to: input.to, amountUnits: input.amountUnits, tokenId: input.tokenId, txHash })
      return { txHash }
    },
  }
  return { services, sends, failNext: (n: number) => (failNextSends = n) }
}
