/**
 * Type-level tests of the public surface: compiled (never run) by `tsc -p tsconfig.typetest.json`
 * against the sources and by test/build.test.ts against the built dist/*.d.ts. Every
 * `@ts-expect-error` line must be a type error, or the compilation fails.
 */
import type { z } from 'zod'
import type * as C from '@pepay/contracts'
import {
  AuthenticationError,
  createWebhookVerifier,
  Pepay,
  PepayError,
  RateLimitError,
  signWebhookPayload,
  type CreatedInvoice,
  type Invoice,
  type InvoiceStatus,
  type ListPromise,
  type InvoiceList,
  type PepayEvent,
  type PepayEventStream,
  type VerifyResult,
  type WsControlFrame,
} from 'pepay'

/* eslint-disable @typescript-eslint/no-unnecessary-type-parameters -- the type parameter is the assertion */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
function expectTrue<T extends true>(_value?: T): void {}
function expectType<T>(_value: T): void {}

// wire types are the contracts' inferred types, not copies
expectTrue<Equal<Invoice, z.output<typeof C.Invoice>>>()
expectTrue<Equal<CreatedInvoice, z.output<typeof C.CreateInvoiceResponse>>>()
expectTrue<Equal<PepayEvent, z.output<typeof C.PepayEvent>>>()
expectTrue<Equal<InvoiceStatus, 'unpaid' | 'underpaid' | 'paid' | 'expired' | 'canceled'>>()

export async function surface(pepay: Pepay): Promise<void> {
  // constructor options
  new Pepay({
    baseUrl: 'http://localhost:3000',
    apiKey: 'pk',
    timeoutMs: 30_000,
    maxRetries: 2,
    retryableStatusCodes: [429, 500, 503],
  })
  new Pepay({ sessionToken: 'pst', signature: 'sig' })
  // @ts-expect-error unknown option
  new Pepay({ apiKeyy: 'pk' })
  // @ts-expect-error retryableStatusCodes is a list of numbers
  new Pepay({ retryableStatusCodes: ['429'] })
  const commerce: Pepay = pepay.withAuth({ commerceApiKey: 'ck' })
  commerce

  // invoices
  const created = await pepay.invoices.create({
    amount_usd: 49.99,
    description: 'Starter plan',
    expires_in: 12 * 60 * 60 * 1000,
  })
  expectType<string>(created.invoice_id)
  expectType<number>(created.expires_at)
  await pepay.invoices.create({ amount_usd: '10.50' }, { idempotencyKey: 'k', timeoutMs: 1000 })
  // @ts-expect-error amount_usd is required
  await pepay.invoices.create({ description: 'no amount' })
  // @ts-expect-error unknown body field
  await pepay.invoices.create({ amount_usd: 1, colour: 'red' })
  // @ts-expect-error expires_in is milliseconds as a number
  await pepay.invoices.create({ amount_usd: 1, expires_in: '1h' })

  const invoice = await pepay.invoices.retrieve('id', {
    expand: ['latest_payment', 'payments'],
    payments_limit: 10,
  })
  expectType<number>(invoice.amount)
  expectType<'usd_millis'>(invoice.amount_unit)
  // @ts-expect-error unsupported expand value
  await pepay.invoices.retrieve('id', { expand: ['customer'] })

  const list: ListPromise<InvoiceList, Invoice> = pepay.invoices.list({
    limit: 10,
    status: 'paid',
    invoice_type: 'standard',
    environment: 'mainnet',
  })
  const page = await list
  expectType<boolean>(page.has_more)
  for await (const item of pepay.invoices.list({ status: ['paid', 'expired'] }))
    expectType<InvoiceStatus>(item.status)
  const firstFive: Invoice[] = await pepay.invoices.list().autoPagingToArray({ limit: 5 })
  firstFive
  // @ts-expect-error status values are checked
  pepay.invoices.list({ status: ['settled'] })
  // @ts-expect-error limit is a number
  pepay.invoices.list({ limit: '10' })
  // @ts-expect-error environment is devnet or mainnet
  pepay.invoices.list({ environment: 'testnet' })

  const status = await pepay.invoices.waitForStatus('id', {
    timeoutMs: 5 * 60 * 1000,
    intervalMs: 2000,
  })
  expectType<InvoiceStatus>(status.invoice.status)
  const totals = await pepay.invoices.totals({ status: ['paid'] })
  expectType<number>(totals.totals.paid.amount)
  await pepay.invoices.manualVerification.trigger('id', { network: 'base' })
  // @ts-expect-error manual verification networks are base, solana, bsc
  await pepay.invoices.manualVerification.trigger('id', { network: 'ethereum' })

  // the documentation's alias
  const viaAlias: InvoiceList = await pepay.merchants.invoices.list({ limit: 1 })
  expectType<Invoice[]>(viaAlias.data)
  await pepay.devnet.pay({ invoice_id: 'id', network: 'base' })

  // payment sessions
  const details = await pepay.paymentSessions.getSessionDetails()
  expectType<number>(details.remaining_seconds)
  const tokens = await pepay.paymentSessions.listAvailableTokens({
    mode: 'monitored',
    network: 'base',
    available_only: true,
  })
  const address = await pepay.paymentSessions.createPaymentAddress({
    network: 'base',
    tokenId: tokens[0]?.id ?? 1,
  })
  expectType<string>(address.ws_connection.token)
  // @ts-expect-error tokenId is a number
  await pepay.paymentSessions.createPaymentAddress({ network: 'base', tokenId: '1' })
  await pepay.paymentSessions.setCustomerEmail({ email: 'customer@example.com' })
  await pepay.paymentSessions.submitForm({ responses: [{ question_id: 'q', response: true }] })

  // events and realtime
  const events = await pepay.events.list({
    limit: 25,
    type: ['invoice.*'],
    'created[gte]': 1700000000,
  })
  expectType<PepayEvent[]>(events.data.data)
  const missed: PepayEvent[] = await pepay.events.recoverSince('evt_1700000000000-123', {
    limit: 50,
  })
  missed
  const token = await pepay.ws.token.mint({ scope: 'merchant', ttlSeconds: 60 })
  expectType<string>(token.data.token)
  // @ts-expect-error scope is merchant or commerce
  await pepay.ws.token.mint({ scope: 'admin' })
  const stream: PepayEventStream = pepay.ws.connectMerchantEvents({
    token: token.data.token,
    format: 'event_v1',
    types: 'invoice.*,invoice_payment.*',
  })
  stream.on('event', (event) => expectType<string>(event.id))
  stream.on('control', (frame) => expectType<WsControlFrame['type']>(frame.type))
  stream.on('error', (error) => expectType<PepayError>(error))
  // @ts-expect-error no such stream event
  stream.on('message', () => undefined)
  pepay.ws
    .connectPaymentSession({ token: 'jwt', format: 'event_v1' })
    .on('message', (m) => expectType<Record<string, unknown>>(m))

  // webhook endpoints and deliveries
  const endpoint = await pepay.webhooks.endpoints.create({
    url: 'https://merchant.example.com/hooks',
    enabled_events: ['invoice.*'],
  })
  expectType<string>(endpoint.data.secret)
  // @ts-expect-error enabled_events is required
  await pepay.webhooks.endpoints.create({ url: 'https://merchant.example.com/hooks' })
  // @ts-expect-error status is enabled or disabled
  await pepay.webhooks.endpoints.update(endpoint.data.id, { status: 'paused' })
  for await (const delivery of pepay.webhooks.deliveries.list({
    endpoint_id: endpoint.data.id,
    status: 'failed',
  })) {
    expectType<'pending' | 'succeeded' | 'failed' | 'canceled'>(delivery.status)
  }

  // commerce and ramps
  const cart = await pepay.commerce.merchantCart.get({ customer_id: 'cust_123' })
  expectType<number>(cart.data.itemCount)
  const unknownRetailer = {
    customer_id: 'c',
    productId: 'p',
    retailer: 'aliexpress',
    title: 't',
    price: 1,
  } as const
  // @ts-expect-error retailer is one of the documented retailers
  await pepay.commerce.merchantCart.addItem(unknownRetailer)
  for await (const offRamp of pepay.ramps.offRamps.list({ status: ['paid'] }))
    expectType<string>(offRamp.id)

  // account
  const keys = await pepay.apiKeys.list()
  expectType<'active' | 'revoked' | 'suspended'>(keys[0]!.status)
  await pepay.apiKeys.create({ name: 'production-server', scope: 'merchant' })
  await pepay.merchantSettings.updatePaymentReturnUrl({ payment_return_url: null })
  await pepay.tokens.blockOrUnblock(123, { blocked: true })
  await pepay.settlement.updateSettlementToken({ settlement_token_id: 123 })
  await pepay.wallets.updateStatus('wallet_123', { is_active: true })

  // errors
  try {
    await pepay.invoices.list({ limit: 1 })
  } catch (error) {
    if (error instanceof PepayError) {
      expectType<number | undefined>(error.status)
      expectType<string>(error.code)
      expectType<string | undefined>(error.requestId)
      expectType<unknown>(error.details)
    }
    if (error instanceof RateLimitError) expectType<number | undefined>(error.retryAfterMs)
    if (error instanceof AuthenticationError) expectType<PepayError>(error)
  }
}

export async function webhooks(): Promise<void> {
  const verifier = createWebhookVerifier({
    secrets: ['whsec_current', undefined],
    toleranceMs: 5 * 60 * 1000,
  })
  const result: VerifyResult = await verifier.verify({
    rawBody: new Uint8Array(),
    headers: { 'x-pepay-signature': 'x' },
  })
  if (result.valid) expectType<string>(result.event.id)
  else expectType<'invalid_signature' | 'timestamp_out_of_range' | 'invalid_payload'>(result.reason)
  // @ts-expect-error secrets is required
  createWebhookVerifier({ toleranceMs: 1 })
  const signed = await signWebhookPayload({ payload: { id: 'evt_1-1' }, secret: 'whsec' })
  expectType<Record<string, string>>(signed.headers)
}
