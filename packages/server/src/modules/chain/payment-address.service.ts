import { AppError, millisToJson, millisToUsdNumber, uuidv7 } from '@pepay/core'
import type { Deps } from '../../deps.ts'
import { fieldError } from '../../http/errors.ts'
import { lockInvoice, type Invoice } from '../invoices/invoice.repo.ts'
import { remainingUsdMillis } from '../invoices/invoice.state.ts'
import { currentStatus } from '../payment-sessions/payment-session.service.ts'
import { mintPaymentSessionToken } from '../payment-sessions/session-jwt.ts'
import { formatUnits, stablecoinPrice, usdMillisToTokenUnits, type FixedPointPrice } from '../quotes/quote.ts'
import { depositAccount, type ChainNetwork, type ChainRuntime } from './chain.runtime.ts'
import { findDepositAddress, insertDepositAddress, insertQuote, nextDerivationIndex, updateDepositToken } from './deposit.repo.ts'
import { isAccepted, merchantBlocks, merchantChainSettings, type TokenRecord } from './token.repo.ts'

export const QUOTE_TTL_MS = 5 * 60_000
/** Native coins move against USD while the payer pays: quote 0.5 % above the due amount. */
export const NATIVE_BUFFER_BPS = 50

export async function priceOf(runtime: ChainRuntime, network: ChainNetwork, token: TokenRecord) {
  if (token.isStable) return { ...stablecoinPrice(8), updatedAt: new Date(0), provider: 'par' }
  return runtime.rates[network.def.environment].getPrice({ network: network.def.network, symbol: token.symbol, kind: 'native' })
}

/** Decimal text of a token amount with at least `min(decimals, 6)` fraction digits ("49.990000"). */
export function displayUnits(amountUnits: bigint, decimals: number): string {
  const exact = formatUnits(amountUnits, decimals)
  const [whole, fraction = ''] = exact.split('.')
  const minDigits = Math.min(decimals, 6)
  return minDigits === 0 ? (whole ?? '0') : `${whole}.${fraction.padEnd(minDigits, '0')}`
}

/** Tokens per 1 USD, six decimals, from a fixed-point USD price (integer math). */
export function tokensPerUsd(price: FixedPointPrice): string {
  const micro = (10n ** 6n * 10n ** BigInt(price.decimals)) / price.answer
  return `${micro / 1_000_000n}.${(micro % 1_000_000n).toString().padStart(6, '0')}`
}

/** EIP-681 URI for EVM wallets (token transfer or native value); a Solana Pay transfer request on Solana. */
export function paymentUri(network: ChainNetwork, token: TokenRecord, to: string, amountUnits: bigint): string {
  if (network.def.kind === 'solana') {
    // Solana Pay: amount in whole tokens (decimal), spl-token names the mint; none for SOL
    const amount = formatUnits(amountUnits, token.decimals)
    return token.address === null ? `solana:${to}?amount=${amount}` : `solana:${to}?amount=${amount}&spl-token=${token.address}`
  }
  if (token.tokenType === 'native') return `ethereum:${to}@${network.def.chainId}?value=${amountUnits}`
  return `ethereum:${token.address}@${network.def.chainId}/transfer?address=${to}&uint256=${amountUnits}`
}

export interface SelectableToken {
  network: ChainNetwork
  token: TokenRecord
}

/** Tokens the payer may use for this invoice: merchant policy applied, locked token only when underpaid. */
export async function payableTokens(deps: Deps, runtime: ChainRuntime, invoice: Invoice): Promise<SelectableToken[]> {
  const settings = await merchantChainSettings(deps.db, invoice.merchantId)
  const blocks = await merchantBlocks(deps.db, invoice.merchantId)
  const status = currentStatus(invoice, deps.clock.now())
  const result: SelectableToken[] = []
  for (const network of runtime.networks) {
    if (network.def.environment !== invoice.environment) continue
    for (const token of network.tokens) {
      if (!isAccepted(settings.acceptancePolicy, blocks.get(token.id))) continue
      if (status === 'underpaid' && (invoice.lockedNetwork !== network.def.network || invoice.lockedTokenId !== token.id)) continue
      result.push({ network, token })
    }
  }
  return result
}

export async function allocatePaymentAddress(
  deps: Deps,
  runtime: ChainRuntime,
  invoiceId: string,
  selection: { network: string; tokenId: number },
) {
  const network = runtime.networks.find((n) => n.def.network === selection.network)
  const now = deps.clock.now()
  // the head is read before the transaction: no network I/O while holding a row lock
  let createdBlock: bigint | null = null
  if (network) {
    try {
      createdBlock = (await network.adapter.getHead()).number
    } catch {
      createdBlock = null
    }
  }
  const result = await deps.db.transaction().execute(async (trx) => {
    const invoice = await lockInvoice(trx, invoiceId)
    if (!invoice) throw new AppError('NOT_FOUND', 'payment session not found')
    const chainNetwork = runtime.get(invoice.environment, selection.network)
    if (!chainNetwork) throw new AppError('UNKNOWN_NETWORK', `network "${selection.network}" is not available on ${invoice.environment}`, [{ field: 'network', message: 'not available', code: 'invalid' }])
    const token = chainNetwork.tokens.find((t) => t.id === selection.tokenId)
    if (!token) throw new AppError('UNKNOWN_TOKEN', `token ${selection.tokenId} is not a ${selection.network} token`, [{ field: 'tokenId', message: 'unknown token for this network', code: 'invalid' }])
    const status = currentStatus(invoice, now)
    if (status === 'paid') throw new AppError('INVOICE_ALREADY_PAID', 'invoice is already paid')
    if (status === 'expired' || status === 'canceled') throw new AppError('INVOICE_NOT_PAYABLE', `invoice is ${status}`)
    const settings = await merchantChainSettings(trx, invoice.merchantId)
    const blocks = await merchantBlocks(trx, invoice.merchantId)
    if (!isAccepted(settings.acceptancePolicy, blocks.get(token.id))) {
      throw new AppError('TOKEN_BLOCKED', `the merchant does not accept ${token.symbol} on ${selection.network}`, [{ field: 'tokenId', message: 'not accepted by the merchant', code: 'blocked' }])
    }
    if (status === 'underpaid' && (invoice.lockedNetwork !== selection.network || invoice.lockedTokenId !== token.id)) {
      throw new AppError('TOKEN_NOT_ACCEPTED', `invoice is partly paid: pay the remainder in token ${invoice.lockedTokenId} on ${invoice.lockedNetwork}`, [{ field: 'tokenId', message: 'locked to the first payment token', code: 'locked' }])
    }
    let deposit = await findDepositAddress(trx, 'invoice', invoice.id, selection.network)
    if (!deposit) {
      const kind = chainNetwork.def.kind
      const index = await nextDerivationIndex(trx, kind)
      const account = depositAccount(runtime.seed, kind, index)
      deposit = await insertDepositAddress(trx, {
        id: uuidv7(now.getTime()),
        ownerType: 'invoice',
        ownerId: invoice.id,
        invoiceId: invoice.id,
        merchantId: invoice.merchantId,
        environment: invoice.environment,
        network: selection.network,
        chainKind: kind,
        derivationIndex: index,
        address: account.address,
        tokenId: token.id,
        createdBlock,
        createdAt: now,
      })
    } else if (deposit.tokenId !== token.id) {
      await updateDepositToken(trx, deposit.id, token.id)
    }
    return { invoice, chainNetwork, token, deposit }
  })

  const { invoice, chainNetwork, token, deposit } = result
  const remaining = remainingUsdMillis(invoice)
  let price
  try {
    price = await priceOf(runtime, chainNetwork, token)
  } catch (error) {
    if (error instanceof AppError) {
      return unavailableQuote(deps, invoice, chainNetwork, token, deposit.address, remaining, error.message)
    }
    throw error
  }
  const tokenAmount = usdMillisToTokenUnits({
    usdMillis: remaining,
    tokenDecimals: token.decimals,
    priceUsd: price,
    bufferBps: token.isStable ? 0 : NATIVE_BUFFER_BPS,
    rounding: 'ceil',
  })
  const validUntil = new Date(now.getTime() + QUOTE_TTL_MS)
  await insertQuote(deps.db, {
    id: uuidv7(now.getTime()),
    invoiceId: invoice.id,
    network: chainNetwork.def.network,
    tokenId: token.id,
    usdMillis: remaining,
    tokenAmount,
    priceAnswer: price.answer,
    priceDecimals: price.decimals,
    priceProvider: price.provider,
    createdAt: now,
    validUntil,
  })
  const wsToken = await mintPaymentSessionToken(deps, { invoiceId: invoice.id, merchantId: invoice.merchantId, environment: invoice.environment, expiresAt: invoice.expiresAt })
  return {
    success: true as const,
    quote_status: 'available' as const,
    status_code: 'ok' as const,
    message: null,
    temp_address: deposit.address,
    network: chainNetwork.def.network,
    supported_token_id: token.id,
    estimated_token_amount: displayUnits(tokenAmount, token.decimals),
    estimated_token_amount_units: tokenAmount.toString(),
    token_symbol: token.symbol,
    token_decimals: token.decimals,
    token_address: token.address,
    exchange_rate: tokensPerUsd(price),
    usd_amount: millisToUsdNumber(remaining),
    usd_amount_millis: millisToJson(remaining),
    quote_last_updated_at: Math.floor(now.getTime() / 1000),
    quote_valid_until: Math.floor(validUntil.getTime() / 1000),
    quote_expires_in_seconds: Math.floor(QUOTE_TTL_MS / 1000),
    retryable: null,
    retry_after_seconds: null,
    payment_uri: paymentUri(chainNetwork, token, deposit.address, tokenAmount),
    ws_connection: { token: wsToken, endpoint: '/ws/payment' as const, format: 'event_v1' as const, ws_url: '/ws/payment?format=event_v1' },
  }
}

async function unavailableQuote(
  deps: Deps,
  invoice: Invoice,
  network: ChainNetwork,
  token: TokenRecord,
  address: string,
  remaining: bigint,
  reason: string,
) {
  const now = deps.clock.now()
  const wsToken = await mintPaymentSessionToken(deps, { invoiceId: invoice.id, merchantId: invoice.merchantId, environment: invoice.environment, expiresAt: invoice.expiresAt })
  return {
    success: true as const,
    quote_status: 'unavailable' as const,
    status_code: 'quote_unavailable' as const,
    message: reason,
    temp_address: address,
    network: network.def.network,
    supported_token_id: token.id,
    estimated_token_amount: '0',
    estimated_token_amount_units: '0',
    token_symbol: token.symbol,
    token_decimals: token.decimals,
    token_address: token.address,
    exchange_rate: '0',
    usd_amount: millisToUsdNumber(remaining),
    usd_amount_millis: millisToJson(remaining),
    quote_last_updated_at: Math.floor(now.getTime() / 1000),
    quote_valid_until: Math.floor(now.getTime() / 1000),
    quote_expires_in_seconds: 0,
    retryable: true,
    retry_after_seconds: 30,
    payment_uri: '',
    ws_connection: { token: wsToken, endpoint: '/ws/payment' as const, format: 'event_v1' as const, ws_url: '/ws/payment?format=event_v1' },
  }
}

export function requireNetworkParam(mode: string, network: string | undefined): void {
  if (mode === 'network' && !network) throw fieldError('network', 'required when mode=network')
}

