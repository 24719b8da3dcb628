import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  AuthenticationError,
  InvalidRequestError,
  NotFoundError,
  Pepay,
  PermissionError,
  type CreatedInvoice,
} from 'pepay'
import {
  AvailableTokens,
  ManualVerificationResponse,
  MerchantTokens,
  PaymentAddressResponse,
  SettlementPreference,
  TokenSearchResult,
  WalletGroups,
} from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

describe('SDK chain namespaces on the devnet: payment addresses, tokens, settlement, wallets, manual verification', () => {
  let t: TestServer
  let acme: OnboardedMerchant
  let merchant: Pepay
  let dashboard: Pepay

  before(async () => {
    t = await startTestServer({ devnet: true })
    acme = await t.onboard('Chain Shop')
    merchant = new Pepay({ baseUrl: t.url, apiKey: acme.merchantKey, maxRetries: 0 })
    dashboard = merchant.withAuth({ bearerToken: acme.dashboardToken })
  })
  after(async () => t.close())

  const payerOf = (invoice: CreatedInvoice) =>
    merchant.withAuth({ sessionToken: invoice.session_token, signature: invoice.signature })

  it('pays an invoice end to end: available tokens, payment address, devnet payment, waitForStatus', async () => {
    const invoice = await merchant.invoices.create({ amount_usd: 12.5 })
    const payer = payerOf(invoice)
    const tokens = await payer.paymentSessions.listAvailableTokens({
      network: 'base',
      mode: 'network',
      available_only: true,
    })
    AvailableTokens.parse(tokens)
    const usdc = tokens.find((x) => x.token_symbol === 'USDC')
    assert.ok(usdc)
    assert.equal(usdc.availability_status, 'DEVNET')
    const address = await payer.paymentSessions.createPaymentAddress({
      network: 'base',
      tokenId: usdc.id,
    })
    PaymentAddressResponse.parse(address)
    assert.equal(address.quote_status, 'available')
    assert.equal(address.ws_connection.endpoint, '/ws/payment')
    assert.equal(address.usd_amount_millis, 12500)
    const paid = await merchant.devnet.pay({
      invoice_id: invoice.invoice_id,
      network: 'base',
      token_id: usdc.id,
    })
    assert.equal(paid.data.to_address, address.temp_address)
    const final = await merchant.invoices.waitForStatus(invoice.invoice_id, {
      timeoutMs: 20_000,
      intervalMs: 100,
    })
    assert.equal(final.invoice.status, 'paid')
    assert.equal(final.latest_payment?.status, 'confirmed')
    assert.deepEqual(await payer.paymentSessions.getPaymentStatus(), {
      status: 'paid',
      paid_at: final.invoice.paid_at,
    })
  })

  it('triggers and reads a manual verification with the payer credentials', async () => {
    const invoice = await merchant.invoices.create({ amount_usd: 3 })
    const payer = payerOf(invoice)
    const [token] = await payer.paymentSessions.listAvailableTokens({ network: 'base' })
    assert.ok(token)
    await payer.paymentSessions.createPaymentAddress({ network: 'base', tokenId: token.id })
    const job = await payer.invoices.manualVerification.trigger(invoice.invoice_id, {
      network: 'base',
    })
    ManualVerificationResponse.parse(job)
    assert.equal(job.data.invoice_id, invoice.invoice_id)
    const read = await payer.invoices.manualVerification.retrieve(invoice.invoice_id)
    assert.equal(read.data.id, job.data.id)
    await assert.rejects(
      merchant.invoices.manualVerification.retrieve(invoice.invoice_id),
      (e: unknown) => e instanceof AuthenticationError && e.code === 'CREDENTIALS_MISSING',
    )
    await assert.rejects(payer.invoices.manualVerification.retrieve(randomUUID()), PermissionError)
  })

  it('throws InvalidRequestError for a token id that does not exist', async () => {
    const payer = payerOf(await merchant.invoices.create({ amount_usd: 3 }))
    await assert.rejects(
      payer.paymentSessions.createPaymentAddress({ network: 'base', tokenId: 999_999 }),
      InvalidRequestError,
    )
  })

  it('lists, searches and blocks merchant tokens', async () => {
    const supported = await merchant.tokens.listMerchantSupported({ environment: 'devnet' })
    MerchantTokens.parse(supported)
    const usdt = supported.tokens.find((x) => x.network === 'base' && x.token_symbol === 'USDT')
    assert.ok(usdt)
    const search = await merchant.tokens.searchMerchantTokens({
      search: 'usd',
      network: 'base',
      limit: 10,
      offset: 0,
    })
    TokenSearchResult.parse(search)
    assert.ok(search.tokens.length > 0 && search.tokens.every((x) => x.network === 'base'))
    const blocked = await merchant.tokens.blockOrUnblock(usdt.id, { blocked: true })
    assert.deepEqual(blocked, { success: true, blocked: true, acceptance_policy: 'selective' })
    const after = await merchant.tokens.listMerchantSupported()
    assert.equal(after.tokens.find((x) => x.id === usdt.id)?.is_blocked, true)
    await merchant.tokens.blockOrUnblock(usdt.id, { blocked: false })
    await assert.rejects(merchant.tokens.searchMerchantTokens({ limit: 500 }), InvalidRequestError)
  })

  it('reads and updates the settlement token with the dashboard token only', async () => {
    const prefs = await dashboard.settlement.getPreferences()
    SettlementPreference.parse(prefs)
    const stable = prefs.available_stable_tokens[0]
    assert.ok(stable)
    const updated = await dashboard.settlement.updateSettlementToken({
      settlement_token_id: stable.id,
    })
    assert.equal(updated.settlement_token?.id, stable.id)
    await assert.rejects(
      merchant.settlement.getPreferences(),
      (e: unknown) => e instanceof AuthenticationError && e.code === 'CREDENTIALS_MISSING',
    )
  })

  it('manages settlement wallets: create, list, deactivate, remove', async () => {
    const address = `0x${randomUUID().replaceAll('-', '').padEnd(40, '0').slice(0, 40)}`
    const created = await dashboard.wallets.create({ network: 'base', wallet_address: address })
    assert.equal(created.address.toLowerCase(), address.toLowerCase())
    const groups = await merchant.wallets.list({ network: 'base' })
    WalletGroups.parse(groups)
    assert.ok(groups.some((g) => g.wallets.some((w) => w.id === created.id)))
    const off = await dashboard.wallets.updateStatus(created.id, { is_active: false })
    assert.equal(off.is_active, false)
    await dashboard.wallets.remove(created.id)
    await assert.rejects(dashboard.wallets.remove(created.id), NotFoundError)
    await assert.rejects(
      merchant.wallets.create({ network: 'base', wallet_address: address }),
      (e: unknown) => e instanceof AuthenticationError && e.code === 'CREDENTIALS_MISSING',
    )
  })

  it('refuses devnet payments for an invoice of another merchant', async () => {
    const outsider = await t.onboard('Outsider')
    const invoice = await merchant.invoices.create({ amount_usd: 1 })
    const other = merchant.withAuth({ apiKey: outsider.merchantKey })
    await assert.rejects(other.devnet.pay({ invoice_id: invoice.invoice_id }), NotFoundError)
  })
})
