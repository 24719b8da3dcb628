import { AppError } from '@pepay/core'
import {
  BankAccount,
  BankAccountList,
  CreateBankAccountBody,
  CreateKycVerificationBody,
  CreateOffRampBody,
  CreateOnRampBody,
  CreateRampCustomerBody,
  CreateRampQuoteBody,
  DeletedBankAccount,
  ErrorBody,
  KycVerification,
  KycVerificationList,
  LedgerEntryList,
  ListCustomersQuery,
  ListLedgerEntriesQuery,
  ListOffRampsQuery,
  ListOnRampsQuery,
  ListQuery,
  OffRamp,
  OffRampList,
  OnRamp,
  OnRampList,
  RampBalances,
  RampCountryList,
  RampCustomer,
  RampCustomerList,
  RampIdParams,
  RampQuote,
  SimulateOnRampFundsBody,
} from '@pepay/contracts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { requirePrincipal } from '../../http/auth.ts'
import { requestContext, writeEnvironment } from '../../http/context.ts'
import { errorBody, fieldError, handleError } from '../../http/errors.ts'
import { IdempotencyHeaders } from '../../http/idempotency.ts'
import { createBankAccount, deleteBankAccount, getBankAccount, listCustomerBankAccounts } from './bank-accounts/bank-account.service.ts'
import { serializeBankAccount } from './bank-accounts/bank-account.serialize.ts'
import { serializeCountry } from './countries/country.serialize.ts'
import { COUNTRIES } from './countries/country.ts'
import { listCustomers } from './customers/customer.repo.ts'
import { serializeCustomer } from './customers/customer.serialize.ts'
import { createCustomer, getCustomer, type Scope } from './customers/customer.service.ts'
import { createVerification, getVerification, listVerifications, receiveProviderWebhook } from './kyc/kyc.service.ts'
import { serializeVerification } from './kyc/kyc.serialize.ts'
import { balancesByKind, ledgerTransactionExists, listLedgerEntries } from './ledger/ledger.repo.ts'
import { serializeBalances, serializeLedgerEntry } from './ledger/ledger.serialize.ts'
import { serializeOffRamp, serializeOnRamp } from './off-ramp/off-ramp.serialize.ts'
import { createOffRamp, getOffRampView, listOffRampViews } from './off-ramp/off-ramp.service.ts'
import { createOnRamp, getOnRampView, listOnRampViews, receiveOnRampFunds } from './on-ramp/on-ramp.service.ts'
import { serializeQuote } from './quotes/quote.serialize.ts'
import { createQuote, getQuote } from './quotes/quote.service.ts'
import { RAMP_STATUS_BY_CODE } from './ramps.errors.ts'
import type { RampRuntime } from './ramp-runtime.ts'

const AUTH = { auth: ['merchant_key', 'bearer'] as ('merchant_key' | 'bearer')[] }
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody }
export const KYC_WEBHOOK_PATH = '/api/v1/ramps/webhooks/kyc-sandbox'

function scopeOf(request: FastifyRequest): Scope {
  const principal = requirePrincipal(request)
  return { merchantId: principal.merchantId, environment: writeEnvironment(principal) }
}

function page(q: { limit: number; starting_after?: string | undefined; ending_before?: string | undefined }) {
  if (q.starting_after && q.ending_before) throw fieldError('ending_before', 'cannot be combined with starting_after')
  return { limit: q.limit, startingAfter: q.starting_after, endingBefore: q.ending_before }
}

/** This module's codes map here; everything else goes to the platform's handler unchanged. */
function rampErrorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) {
    const status = RAMP_STATUS_BY_CODE[error.code]
    if (status !== undefined) {
      if (status >= 500) request.log.error({ err: error }, 'request failed')
      return reply.status(status).send(errorBody(error.code, error.message, error.details))
    }
  }
  return handleError(error, request, reply)
}

export function rampRoutes(rt: RampRuntime) {
  return async (app: FastifyInstance): Promise<void> => {
    app.setErrorHandler(rampErrorHandler)
    const r = app.withTypeProvider<ZodTypeProvider>()
    const tags = ['Ramps']

    r.get('/api/v1/ramps/countries', {
      config: AUTH,
      schema: { tags, summary: 'Countries and rails served, with limits, required bank fields and KYC levels', response: { 200: RampCountryList, ...errors } },
    }, async () => ({ object: 'list' as const, data: [...COUNTRIES.values()].map(serializeCountry), has_more: false }))

    // ---------- customers ----------
    r.post('/api/v1/ramps/customers', {
      config: { ...AUTH, idempotency: 'required' },
      schema: { tags, summary: 'Create a ramp customer (screened against sanctions lists)', headers: IdempotencyHeaders, body: CreateRampCustomerBody, response: { 201: RampCustomer, ...errors } },
    }, async (request, reply) => reply.status(201).send(await createCustomer(rt, scopeOf(request), request.body, requestContext(request), request.idempotency)))

    r.get('/api/v1/ramps/customers', {
      config: AUTH,
      schema: { tags, summary: 'List ramp customers', querystring: ListCustomersQuery, response: { 200: RampCustomerList, ...errors } },
    }, async (request) => {
      const scope = scopeOf(request)
      const result = await listCustomers(rt.deps.db, { ...scope, reference: request.query.reference }, page(request.query))
      return { object: 'list' as const, data: result.customers.map(serializeCustomer), has_more: result.hasMore }
    })

    r.get('/api/v1/ramps/customers/:id', {
      config: AUTH,
      schema: { tags, summary: 'Retrieve a ramp customer', params: RampIdParams, response: { 200: RampCustomer, ...errors } },
    }, async (request) => serializeCustomer(await getCustomer(rt, scopeOf(request), request.params.id)))

    // ---------- KYC ----------
    r.post('/api/v1/ramps/customers/:id/kyc-verifications', {
      config: { ...AUTH, idempotency: 'required' },
      schema: { tags, summary: 'Start a hosted KYC verification at a level', params: RampIdParams, headers: IdempotencyHeaders, body: CreateKycVerificationBody, response: { 201: KycVerification, ...errors } },
    }, async (request, reply) =>
      reply.status(201).send(await createVerification(rt, scopeOf(request), request.params.id, request.body.level, requestContext(request), request.idempotency)),
    )

    r.get('/api/v1/ramps/customers/:id/kyc-verifications', {
      config: AUTH,
      schema: { tags, summary: "List a customer's KYC verifications", params: RampIdParams, querystring: ListQuery, response: { 200: KycVerificationList, ...errors } },
    }, async (request) => {
      const result = await listVerifications(rt, scopeOf(request), request.params.id, page(request.query))
      return { object: 'list' as const, data: result.verifications.map(serializeVerification), has_more: result.hasMore }
    })

    r.get('/api/v1/ramps/kyc-verifications/:id', {
      config: AUTH,
      schema: { tags, summary: 'Retrieve a KYC verification', params: RampIdParams, response: { 200: KycVerification, ...errors } },
    }, async (request) => serializeVerification(await getVerification(rt, scopeOf(request), request.params.id)))

    // ---------- bank accounts ----------
    r.post('/api/v1/ramps/customers/:id/bank-accounts', {
      config: { ...AUTH, idempotency: 'required' },
      schema: { tags, summary: 'Add a bank account (validated per rail, stored encrypted, shown masked)', params: RampIdParams, headers: IdempotencyHeaders, body: CreateBankAccountBody, response: { 201: BankAccount, ...errors } },
    }, async (request, reply) =>
      reply.status(201).send(await createBankAccount(rt, scopeOf(request), request.params.id, request.body, request.idempotency, requestContext(request))),
    )

    r.get('/api/v1/ramps/customers/:id/bank-accounts', {
      config: AUTH,
      schema: { tags, summary: "List a customer's bank accounts (masked)", params: RampIdParams, querystring: ListQuery, response: { 200: BankAccountList, ...errors } },
    }, async (request) => {
      const result = await listCustomerBankAccounts(rt, scopeOf(request), request.params.id, page(request.query))
      return { object: 'list' as const, data: result.accounts.map(serializeBankAccount), has_more: result.hasMore }
    })

    r.get('/api/v1/ramps/bank-accounts/:id', {
      config: AUTH,
      schema: { tags, summary: 'Retrieve a bank account (masked)', params: RampIdParams, response: { 200: BankAccount, ...errors } },
    }, async (request) => serializeBankAccount(await getBankAccount(rt, scopeOf(request), request.params.id)))

    r.delete('/api/v1/ramps/bank-accounts/:id', {
      config: AUTH,
      schema: { tags, summary: 'Delete a bank account', params: RampIdParams, response: { 200: DeletedBankAccount, ...errors } },
    }, async (request) => deleteBankAccount(rt, scopeOf(request), request.params.id))

    // ---------- quotes ----------
    r.post('/api/v1/ramps/quotes', {
      config: { ...AUTH, idempotency: 'required' },
      schema: { tags, summary: 'Quote an off-ramp or on-ramp by source or destination amount', headers: IdempotencyHeaders, body: CreateRampQuoteBody, response: { 201: RampQuote, ...errors } },
    }, async (request, reply) => reply.status(201).send(await createQuote(rt, scopeOf(request), request.body, requestContext(request), request.idempotency)))

    r.get('/api/v1/ramps/quotes/:id', {
      config: AUTH,
      schema: { tags, summary: 'Retrieve a quote', params: RampIdParams, response: { 200: RampQuote, ...errors } },
    }, async (request) => serializeQuote(await getQuote(rt, scopeOf(request), request.params.id)))

    // ---------- off-ramps ----------
    r.post('/api/v1/ramps/off-ramps', {
      config: { ...AUTH, idempotency: 'required' },
      schema: { tags, summary: 'Create an off-ramp: a deposit address for the stablecoin, paid out to the bank account', headers: IdempotencyHeaders, body: CreateOffRampBody, response: { 201: OffRamp, ...errors } },
    }, async (request, reply) => reply.status(201).send(await createOffRamp(rt, scopeOf(request), request.body, requestContext(request), request.idempotency)))

    r.get('/api/v1/ramps/off-ramps', {
      config: AUTH,
      schema: { tags, summary: 'List off-ramps', querystring: ListOffRampsQuery, response: { 200: OffRampList, ...errors } },
    }, async (request) => {
      const q = request.query
      const result = await listOffRampViews(rt, { ...scopeOf(request), customerId: q.customer_id, statuses: q.status }, page(q))
      return { object: 'list' as const, data: result.views.map(serializeOffRamp), has_more: result.hasMore }
    })

    r.get('/api/v1/ramps/off-ramps/:id', {
      config: AUTH,
      schema: { tags, summary: 'Retrieve an off-ramp', params: RampIdParams, response: { 200: OffRamp, ...errors } },
    }, async (request) => serializeOffRamp(await getOffRampView(rt, scopeOf(request), request.params.id)))

    // ---------- on-ramps ----------
    r.post('/api/v1/ramps/on-ramps', {
      config: { ...AUTH, idempotency: 'required' },
      schema: { tags, summary: 'Create an on-ramp: fiat deposit instructions, stablecoin delivered on-chain', headers: IdempotencyHeaders, body: CreateOnRampBody, response: { 201: OnRamp, ...errors } },
    }, async (request, reply) => reply.status(201).send(await createOnRamp(rt, scopeOf(request), request.body, requestContext(request), request.idempotency)))

    r.get('/api/v1/ramps/on-ramps', {
      config: AUTH,
      schema: { tags, summary: 'List on-ramps', querystring: ListOnRampsQuery, response: { 200: OnRampList, ...errors } },
    }, async (request) => {
      const q = request.query
      const result = await listOnRampViews(rt, { ...scopeOf(request), customerId: q.customer_id, statuses: q.status }, page(q))
      return { object: 'list' as const, data: result.views.map(serializeOnRamp), has_more: result.hasMore }
    })

    r.get('/api/v1/ramps/on-ramps/:id', {
      config: AUTH,
      schema: { tags, summary: 'Retrieve an on-ramp', params: RampIdParams, response: { 200: OnRamp, ...errors } },
    }, async (request) => serializeOnRamp(await getOnRampView(rt, scopeOf(request), request.params.id)))

    r.post('/api/v1/ramps/devnet/on-ramps/:id/simulate-funds', {
      config: { ...AUTH, idempotency: 'optional' },
      schema: { tags, summary: 'Devnet: simulate the fiat transfer of an on-ramp arriving', params: RampIdParams, body: SimulateOnRampFundsBody, response: { 200: OnRamp, ...errors } },
    }, async (request) => {
      const scope = scopeOf(request)
      if (scope.environment !== 'devnet') throw new AppError('DEVNET_ONLY', 'funds can only be simulated on devnet')
      return serializeOnRamp(await receiveOnRampFunds(rt, scope, request.params.id, request.body.amount === undefined ? undefined : BigInt(request.body.amount), requestContext(request)))
    })

    // ---------- ledger ----------
    r.get('/api/v1/ramps/balances', {
      config: AUTH,
      schema: { tags, summary: 'Ledger balances by account kind and asset', response: { 200: RampBalances, ...errors } },
    }, async (request) => {
      const scope = scopeOf(request)
      return serializeBalances(scope.environment, await balancesByKind(rt.deps.db, scope.merchantId, scope.environment))
    })

    r.get('/api/v1/ramps/ledger-entries', {
      config: AUTH,
      schema: { tags, summary: 'Ledger entries (double-entry transactions with postings), newest first', querystring: ListLedgerEntriesQuery, response: { 200: LedgerEntryList, ...errors } },
    }, async (request) => {
      const scope = scopeOf(request)
      const q = request.query
      if (q.starting_after && q.ending_before) throw fieldError('ending_before', 'cannot be combined with starting_after')
      for (const [field, value] of [['starting_after', q.starting_after], ['ending_before', q.ending_before]] as const) {
        if (value !== undefined && !(await ledgerTransactionExists(rt.deps.db, scope.merchantId, BigInt(value)))) throw fieldError(field, 'no such ledger entry for this merchant')
      }
      const result = await listLedgerEntries(
        rt.deps.db,
        { ...scope, reference: q.reference, kindCode: q.kind },
        { limit: q.limit, startingAfter: q.starting_after ? BigInt(q.starting_after) : undefined, endingBefore: q.ending_before ? BigInt(q.ending_before) : undefined },
      )
      return { object: 'list' as const, data: result.entries.map(serializeLedgerEntry), has_more: result.hasMore }
    })

    // ---------- provider webhooks in (raw first) ----------
    await app.register(async (raw) => {
      raw.removeContentTypeParser('application/json')
      raw.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) => done(null, body))
      raw.post(KYC_WEBHOOK_PATH, { schema: { hide: true } as never }, async (request, reply) => {
        const body = request.body
        if (!Buffer.isBuffer(body) || body.length === 0) return reply.status(400).send(errorBody('VALIDATION_ERROR', 'empty webhook body'))
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value
        await receiveProviderWebhook(rt, rt.kyc.id, headers, body)
        return reply.status(200).send({ received: true })
      })
    })
  }
}
