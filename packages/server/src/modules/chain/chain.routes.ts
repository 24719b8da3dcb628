import { AppError, uuidv7 } from '@pepay/core'
import {
  AcceptancePolicyBody,
  AvailableTokens,
  AvailableTokensQuery,
  BlockTokenBody,
  BlockTokenResponse,
  CreateWalletBody,
  DevnetInfo,
  ErrorBody,
  DevnetPayBody,
  DevnetPayResponse,
  FaucetBody,
  FaucetResponse,
  InvoiceIdParams,
  ManualVerificationBody,
  ManualVerificationResponse,
  MerchantTokens,
  MerchantTokensQuery,
  PaymentAddressBody,
  PaymentAddressResponse,
  SettlementPreference,
  TokenIdParams,
  TokenSearchQuery,
  TokenSearchResult,
  UpdateSettlementTokenBody,
  UpdateSettlementTokenResponse,
  UpdateWalletBody,
  WalletGroups,
  WalletIdParams,
  WalletResponse,
  WalletsQuery,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Deps } from '../../deps.ts'
import { requirePrincipal, requireSession } from '../../http/auth.ts'
import { scopedEnvironment } from '../../http/context.ts'
import { fieldError, NotFoundError } from '../../http/errors.ts'
import { validateAddressForNetwork } from '../../providers/chain/keys/address.ts'
import { parseUnits } from '../quotes/quote.ts'
import { sessionInvoice } from '../payment-sessions/payment-session.service.ts'
import type { ChainRuntime } from './chain.runtime.ts'
import { allocatePaymentAddress, payableTokens, priceOf, requireNetworkParam } from './payment-address.service.ts'
import { isAccepted, materializeSelective, merchantBlocks, merchantChainSettings, setTokenBlocked, updateMerchantChainSettings, type TokenRecord } from './token.repo.ts'
import { latestVerification, requestVerification } from './verification.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
const seconds = (d: Date) => Math.floor(d.getTime() / 1000)

const SETTLEMENT_DESCRIPTIONS = {
  stables_only: 'Settle only in stable coins',
  stables_preferred: 'Prefer stable coins when available, fallback to original token',
  tokens: 'Settle in the token that was paid',
} as const

export function chainRoutes(deps: Deps, runtime: ChainRuntime) {
  const tokensOf = (environment: 'devnet' | 'mainnet'): TokenRecord[] =>
    runtime.networks.filter((n) => n.def.environment === environment).flatMap((n) => n.tokens)

  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    // ---- payer (session) routes ----
    r.get('/api/v1/payments/available-tokens', {
      config: { auth: ['session'] },
      schema: { tags: ['Payment sessions'], summary: 'Tokens the payer can pay with', querystring: AvailableTokensQuery, response: { 200: AvailableTokens, ...errors } },
    }, async (request) => {
      const q = request.query
      requireNetworkParam(q.mode, q.network)
      const invoice = await sessionInvoice(deps, requireSession(request), q.invoice_id)
      const selectable = await payableTokens(deps, runtime, invoice)
      const rows = []
      for (const { network, token } of selectable) {
        if (q.network && network.def.network !== q.network) continue
        const degraded = runtime.degraded.get(`${network.def.environment}:${network.def.network}`)
        let availability: 'DEVNET' | 'AVAILABLE' | 'STALE' = network.def.environment === 'devnet' ? 'DEVNET' : 'AVAILABLE'
        let reason: string | null = degraded ?? null
        let rateUpdatedAt: number | null = null
        try {
          const price = await priceOf(runtime, network, token)
          rateUpdatedAt = token.isStable ? null : seconds(price.updatedAt)
        } catch (error) {
          availability = 'STALE'
          reason = (error as Error).message
        }
        if (degraded && network.def.environment === 'mainnet') availability = 'STALE'
        if (q.available_only && reason !== null) continue
        rows.push({
          id: token.id,
          token_symbol: token.symbol,
          token_name: token.name,
          token_type: token.tokenType,
          network: network.def.network,
          token_decimals: token.decimals,
          token_address: token.address,
          requires_memo: false,
          photo_uri: token.photoUri,
          is_monitored: token.isMonitored,
          has_settlement_route: true,
          supports_stable_settlement: token.supportsStableSettlement,
          settlement_rate: null,
          settlement_cost_usd: null,
          is_same_token_settlement: true,
          tier: null,
          tier_fee: null,
          availability_status: availability,
          rate_updated_at: rateUpdatedAt,
          unavailable_reason: reason,
        })
      }
      return rows
    })

    r.post('/api/v1/payments/payment-addresses', {
      config: { auth: ['session'] },
      schema: { tags: ['Payment sessions'], summary: 'Allocate the deposit address and a 5-minute quote', body: PaymentAddressBody, response: { 200: PaymentAddressResponse, ...errors } },
    }, async (request) => {
      const session = requireSession(request)
      return allocatePaymentAddress(deps, runtime, session.invoiceId, request.body)
    })

    for (const method of ['post', 'get'] as const) {
      r[method]('/api/v1/invoice/:invoiceId/verify', {
        config: { auth: ['session'] },
        schema: {
          tags: ['Payment sessions'],
          summary: method === 'post' ? 'Trigger manual verification (re-scan of the payment address)' : 'The latest manual verification job',
          params: InvoiceIdParams,
          ...(method === 'post' && { body: ManualVerificationBody }),
          response: { 200: ManualVerificationResponse, 202: ManualVerificationResponse, ...errors },
        },
        // the body is optional (the SDK sends none without params): a bodyless POST means `{}`
        preValidation: async (request) => {
          if (method === 'post' && (request.body === null || request.body === undefined)) request.body = {}
        },
      }, async (request, reply) => {
        const session = requireSession(request)
        if (request.params.invoiceId !== session.invoiceId) throw new AppError('SESSION_MISMATCH', 'invoice does not belong to this payment session')
        const invoice = await sessionInvoice(deps, session)
        if (method === 'get') {
          const job = await latestVerification(deps, invoice.id)
          if (!job) throw new NotFoundError('manual verification')
          return { success: true as const, data: job }
        }
        const body = request.body as { network?: string } | undefined
        const job = await requestVerification(deps, invoice, body?.network)
        return reply.status(202).send({ success: true as const, data: job })
      })
    }

    // ---- merchant tokens and acceptance ----
    const MERCHANT = { auth: ['merchant_key' as const, 'bearer' as const] }
    r.get('/api/v1/merchant/tokens', {
      config: MERCHANT,
      schema: { tags: ['Tokens'], summary: 'Tokens the merchant can accept', querystring: MerchantTokensQuery, response: { 200: MerchantTokens, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const environment = scopedEnvironment(principal, request.query.environment) ?? principal.environment
      const settings = await merchantChainSettings(deps.db, principal.merchantId)
      const blocks = await merchantBlocks(deps.db, principal.merchantId)
      return {
        acceptance_policy: settings.acceptancePolicy,
        environment,
        tokens: tokensOf(environment).map((t) => ({
          id: t.id,
          token_symbol: t.symbol,
          token_name: t.name,
          network: t.network,
          network_environment: t.environment,
          photo_uri: t.photoUri,
          supports_subscriptions: false,
          is_blocked: !isAccepted(settings.acceptancePolicy, blocks.get(t.id)),
          price: null,
        })),
      }
    })

    r.get('/api/v1/merchant/tokens/search', {
      config: MERCHANT,
      schema: { tags: ['Tokens'], summary: 'Search tokens with filters and offset pagination', querystring: TokenSearchQuery, response: { 200: TokenSearchResult, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const q = request.query
      const environment = scopedEnvironment(principal, q.environment) ?? principal.environment
      const settings = await merchantChainSettings(deps.db, principal.merchantId)
      const blocks = await merchantBlocks(deps.db, principal.merchantId)
      const needle = q.search?.toLowerCase()
      const matches = tokensOf(environment).filter((t) => {
        const blocked = !isAccepted(settings.acceptancePolicy, blocks.get(t.id))
        if (needle && !t.symbol.toLowerCase().includes(needle) && !t.name.toLowerCase().includes(needle) && !(t.address ?? '').toLowerCase().includes(needle)) return false
        if (q.network && t.network !== q.network) return false
        if (q.token_type && t.tokenType !== q.token_type) return false
        if (q.is_active !== undefined && t.isActive !== q.is_active) return false
        if (q.supports_stable_settlement !== undefined && t.supportsStableSettlement !== q.supports_stable_settlement) return false
        if (q.blocked !== undefined && blocked !== q.blocked) return false
        return true
      })
      return {
        acceptance_policy: settings.acceptancePolicy,
        environment,
        total: matches.length,
        limit: q.limit,
        offset: q.offset,
        tokens: matches.slice(q.offset, q.offset + q.limit).map((t) => ({
          id: t.id,
          token_symbol: t.symbol,
          token_name: t.name,
          token_address: t.address,
          token_decimals: t.decimals,
          network: t.network,
          network_environment: t.environment,
          token_type: t.tokenType,
          requires_memo: false,
          photo_uri: t.photoUri,
          supports_subscriptions: false,
          supports_stable_settlement: t.supportsStableSettlement,
          is_active: t.isActive,
          is_monitored: t.isMonitored,
          is_blocked: !isAccepted(settings.acceptancePolicy, blocks.get(t.id)),
          price: null,
        })),
      }
    })

    r.post('/api/v1/merchant/tokens/:tokenId/block', {
      config: MERCHANT,
      schema: { tags: ['Tokens'], summary: 'Block or unblock one token (switches the policy to selective)', params: TokenIdParams, body: BlockTokenBody, response: { 200: BlockTokenResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const token = runtime.tokenById(request.params.tokenId)
      if (!token || token.environment !== principal.environment) throw new AppError('UNKNOWN_TOKEN', `token ${request.params.tokenId} does not exist on ${principal.environment}`, [{ field: 'tokenId', message: 'unknown token', code: 'invalid' }])
      const now = deps.clock.now()
      await deps.db.transaction().execute(async (trx) => {
        const settings = await merchantChainSettings(trx, principal.merchantId)
        // the policy is the merchant's in both environments: materialize every token, not just this key's
        await materializeSelective(trx, principal.merchantId, settings.acceptancePolicy, runtime.networks.flatMap((n) => n.tokens).map((t) => t.id), now)
        await setTokenBlocked(trx, principal.merchantId, token.id, request.body.blocked, now)
      })
      return { success: true as const, blocked: request.body.blocked, acceptance_policy: 'selective' as const }
    })

    r.put('/api/v1/merchant/acceptance-policy', {
      config: MERCHANT,
      schema: { tags: ['Tokens'], summary: 'Set the token acceptance policy', body: AcceptancePolicyBody, response: { 200: AcceptancePolicyBody, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      await updateMerchantChainSettings(deps.db, principal.merchantId, { acceptancePolicy: request.body.acceptance_policy }, deps.clock.now())
      return { acceptance_policy: request.body.acceptance_policy }
    })

    // ---- settlement ----
    const stableOptions = (environment: 'devnet' | 'mainnet') => tokensOf(environment).filter((t) => t.supportsStableSettlement)
    const tokenInfo = (t: TokenRecord) => ({ id: t.id, token_symbol: t.symbol, token_name: t.name, network: t.network, token_address: t.address, token_decimals: t.decimals, photo_uri: t.photoUri })

    r.get('/api/v1/merchant/settlement-preference', {
      config: { auth: ['bearer'] },
      schema: { tags: ['Settlement'], summary: 'Settlement preference and stable token options', response: { 200: SettlementPreference, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const settings = await merchantChainSettings(deps.db, principal.merchantId)
      const options = stableOptions(principal.environment)
      const selected = options.find((t) => t.id === settings.settlementTokenId) ?? options.find((t) => t.isDefaultSettlement) ?? options[0]
      return {
        settlement_preference: settings.settlementPreference,
        description: SETTLEMENT_DESCRIPTIONS[settings.settlementPreference],
        selected_settlement_token: selected ? { ...tokenInfo(selected), is_default: settings.settlementTokenId === null } : null,
        available_stable_tokens: options.map((t) => ({ ...tokenInfo(t), is_default_settlement: t.isDefaultSettlement })),
        updated_at: settings.settlementUpdatedAt ? seconds(settings.settlementUpdatedAt) : null,
      }
    })

    r.put('/api/v1/merchant/settlement-token', {
      config: { auth: ['bearer'] },
      schema: { tags: ['Settlement'], summary: 'Choose the settlement stablecoin (null = system default)', body: UpdateSettlementTokenBody, response: { 200: UpdateSettlementTokenResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const id = request.body.settlement_token_id
      const token = id === null ? undefined : stableOptions(principal.environment).find((t) => t.id === id)
      if (id !== null && !token) throw fieldError('settlement_token_id', 'must be one of available_stable_tokens')
      const now = deps.clock.now()
      await updateMerchantChainSettings(deps.db, principal.merchantId, { settlementTokenId: id }, now)
      return {
        success: true as const,
        message: 'Settlement token updated successfully',
        settlement_token: token ? { id: token.id, token_symbol: token.symbol, token_name: token.name, network: token.network } : null,
        updated_at: seconds(now),
      }
    })

    // ---- settlement wallets ----
    const walletWire = (w: { id: string; address: string; wallet_type: string; is_active: boolean; created_at: Date; network: string; environment: 'devnet' | 'mainnet' }) => ({
      id: w.id, address: w.address, type: w.wallet_type, is_active: w.is_active, created_at: seconds(w.created_at), network: w.network, environment: w.environment,
    })
    r.get('/api/v1/merchant/wallets', {
      config: MERCHANT,
      schema: { tags: ['Wallets'], summary: 'Settlement wallets grouped by network', querystring: WalletsQuery, response: { 200: WalletGroups, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const environment = scopedEnvironment(principal, request.query.environment) ?? principal.environment
      let query = deps.db.selectFrom('wallet').selectAll().where('merchant_id', '=', principal.merchantId.toString()).where('environment', '=', environment)
      if (request.query.network) query = query.where('network', '=', request.query.network)
      const rows = await query.orderBy('network').orderBy('created_at').execute()
      const groups = new Map<string, ReturnType<typeof walletWire>[]>()
      for (const row of rows) groups.set(row.network, [...(groups.get(row.network) ?? []), walletWire(row)])
      return [...groups.entries()].map(([network, wallets]) => ({ network, wallets: wallets.map(({ network: _n, environment: _e, ...w }) => w) }))
    })

    r.post('/api/v1/merchant/wallets', {
      config: { auth: ['bearer'], idempotency: 'optional' },
      schema: { tags: ['Wallets'], summary: 'Add a settlement wallet (active by default; one active per network)', body: CreateWalletBody, response: { 201: WalletResponse, ...errors } },
    }, async (request, reply) => {
      const principal = requirePrincipal(request)
      const body = request.body
      const check = validateAddressForNetwork(body.network, body.wallet_address)
      if (!check.ok) throw new AppError('INVALID_ADDRESS', `wallet_address: ${check.message}`, [{ field: 'wallet_address', message: check.message, code: check.reason }])
      const environment = body.environment ?? principal.environment
      const now = deps.clock.now()
      const active = body.is_active ?? true
      const row = await deps.db.transaction().execute(async (trx) => {
        if (active) {
          await trx.updateTable('wallet').set({ is_active: false, updated_at: now }).where('merchant_id', '=', principal.merchantId.toString()).where('environment', '=', environment).where('network', '=', body.network).where('is_active', '=', true).execute()
        }
        const existing = await trx.selectFrom('wallet').select('id').where('merchant_id', '=', principal.merchantId.toString()).where('environment', '=', environment).where('network', '=', body.network).where('address', '=', check.address).executeTakeFirst()
        if (existing) throw new AppError('CONFLICT', 'this wallet is already registered for the network')
        return trx.insertInto('wallet').values({ id: uuidv7(now.getTime()), merchant_id: principal.merchantId.toString(), environment, network: body.network, address: check.address, is_active: active, created_at: now, updated_at: now }).returningAll().executeTakeFirstOrThrow()
      })
      return reply.status(201).send(walletWire(row))
    })

    r.patch('/api/v1/merchant/wallets/:walletId', {
      config: { auth: ['bearer'] },
      schema: { tags: ['Wallets'], summary: 'Activate or deactivate a wallet', params: WalletIdParams, body: UpdateWalletBody, response: { 200: WalletResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const now = deps.clock.now()
      const row = await deps.db.transaction().execute(async (trx) => {
        const wallet = await trx.selectFrom('wallet').selectAll().where('id', '=', request.params.walletId).where('merchant_id', '=', principal.merchantId.toString()).forUpdate().executeTakeFirst()
        if (!wallet) throw new NotFoundError('wallet')
        if (request.body.is_active) {
          await trx.updateTable('wallet').set({ is_active: false, updated_at: now }).where('merchant_id', '=', wallet.merchant_id).where('environment', '=', wallet.environment).where('network', '=', wallet.network).where('id', '!=', wallet.id).where('is_active', '=', true).execute()
        }
        return trx.updateTable('wallet').set({ is_active: request.body.is_active, updated_at: now }).where('id', '=', wallet.id).returningAll().executeTakeFirstOrThrow()
      })
      return walletWire(row)
    })

    r.delete('/api/v1/merchant/wallets/:walletId', {
      config: { auth: ['bearer'] },
      schema: { tags: ['Wallets'], summary: 'Remove a wallet', params: WalletIdParams, response: { 200: WalletResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      const row = await deps.db.deleteFrom('wallet').where('id', '=', request.params.walletId).where('merchant_id', '=', principal.merchantId.toString()).returningAll().executeTakeFirst()
      if (!row) throw new NotFoundError('wallet')
      return walletWire(row)
    })

    // ---- devnet helpers (devnet keys only) ----
    const devnet = runtime.devnet
    r.get('/api/v1/devnet', {
      config: { auth: ['merchant_key', 'commerce_key', 'bearer'] },
      schema: { tags: ['Devnet'], summary: 'Local devnet networks, RPC URLs and token contracts', response: { 200: DevnetInfo, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      if (principal.environment !== 'devnet' || !devnet) throw new AppError('DEVNET_ONLY', 'the devnet exists only for devnet credentials on a server running the embedded devnet')
      return {
        success: true as const,
        data: {
          networks: runtime.networks.filter((n) => n.def.environment === 'devnet').map((n) => ({
            // EVM: the anvil node; Solana: the devnet's Solana JSON-RPC endpoint (the same API as a Solana node)
            network: n.def.network, chain_id: n.def.chainId, rpc_url: n.def.rpcUrls[0] ?? '', native_symbol: n.def.nativeSymbol,
            tokens: n.tokens.map((t) => ({ id: t.id, symbol: t.symbol, address: t.address, decimals: t.decimals })),
          })),
        },
      }
    })

    r.post('/api/v1/devnet/faucet', {
      config: { auth: ['merchant_key', 'commerce_key', 'bearer'] },
      schema: { tags: ['Devnet'], summary: 'Fund an address with devnet test tokens and gas', body: FaucetBody, response: { 200: FaucetResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      if (principal.environment !== 'devnet' || !devnet) throw new AppError('DEVNET_ONLY', 'the faucet exists only for devnet credentials on a server running the embedded devnet')
      const body = request.body
      const network = runtime.get('devnet', body.network)
      const tools = network?.devnet
      if (!network || !tools) throw fieldError('network', 'not a devnet network')
      const token = network.tokens.find((t) => t.id === body.token_id)
      if (!token) throw fieldError('token_id', 'not a token of this network')
      const check = validateAddressForNetwork(body.network, body.address)
      if (!check.ok) throw fieldError('address', check.message)
      let amountUnits: bigint
      try {
        amountUnits = parseUnits(body.amount, token.decimals)
      } catch {
        throw fieldError('amount', `at most ${token.decimals} decimals`)
      }
      // a faucet, not a mint of unbounded value: 1,000,000 whole tokens per call
      if (amountUnits <= 0n || amountUnits > 1_000_000n * 10n ** BigInt(token.decimals)) throw fieldError('amount', 'must be > 0 and at most 1000000')
      // gas first, so the address can move the tokens
      await tools.faucet(check.address, { address: null }, tools.gasUnits)
      const sent = await tools.faucet(check.address, { address: token.address }, amountUnits)
      return { success: true as const, data: { tx_hash: sent.txHash, network: body.network, address: check.address, token_id: token.id, amount_units: amountUnits.toString() } }
    })

    r.post('/api/v1/devnet/pay', {
      config: { auth: ['merchant_key', 'bearer'] },
      schema: { tags: ['Devnet'], summary: 'Pay an invoice from a funded devnet account (simulates a payer)', body: DevnetPayBody, response: { 200: DevnetPayResponse, ...errors } },
    }, async (request) => {
      const principal = requirePrincipal(request)
      if (principal.environment !== 'devnet' || !devnet) throw new AppError('DEVNET_ONLY', 'devnet payments exist only for devnet credentials on a server running the embedded devnet')
      const body = request.body
      const invoice = await deps.db.selectFrom('invoice').select(['id', 'environment']).where('id', '=', body.invoice_id).where('merchant_id', '=', principal.merchantId.toString()).executeTakeFirst()
      if (!invoice || invoice.environment !== 'devnet') throw new NotFoundError('invoice')
      const network = runtime.get('devnet', body.network)
      const tools = network?.devnet
      if (!network || !tools) throw fieldError('network', 'not a devnet network')
      const token = body.token_id === undefined ? network.tokens.find((t) => t.isStable) : network.tokens.find((t) => t.id === body.token_id)
      if (!token?.address) throw fieldError('token_id', 'not a token contract (ERC-20 or SPL) of this network')
      const quote = await allocatePaymentAddress(deps, runtime, invoice.id, { network: body.network, tokenId: token.id })
      let amountUnits = BigInt(quote.estimated_token_amount_units)
      if (body.amount !== undefined) {
        try {
          amountUnits = parseUnits(body.amount, token.decimals)
        } catch {
          throw fieldError('amount', `at most ${token.decimals} decimals`)
        }
      }
      if (amountUnits <= 0n) throw fieldError('amount', 'nothing to pay')
      const sent = await tools.payFromFundedAccount({ address: token.address, decimals: token.decimals }, quote.temp_address, amountUnits)
      return {
        success: true as const,
        data: { tx_hash: sent.txHash, network: body.network, token_id: token.id, token_symbol: token.symbol, to_address: quote.temp_address, from_address: sent.from, amount_units: amountUnits.toString() },
      }
    })
  }
}
