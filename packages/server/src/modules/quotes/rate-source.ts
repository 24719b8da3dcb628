import { AppError } from '@pepay/core'
import type { FixedPointPrice } from './quote.ts'

export interface TokenRef {
  network: string
  symbol: string
  kind: 'stable' | 'native'
}

/** USD price of one whole token (`answer / 10^decimals`) and where and when it was observed. */
export interface PriceObservation extends FixedPointPrice {
  updatedAt: Date
  provider: string
}

export interface RateSource {
  getPrice(tokenRef: TokenRef): Promise<PriceObservation>
}

export class RateUnavailableError extends AppError {
  readonly tokenRef: TokenRef
  constructor(tokenRef: TokenRef, message: string) {
    super('SERVICE_UNAVAILABLE', message, { network: tokenRef.network, symbol: tokenRef.symbol })
    this.name = 'RateUnavailableError'
    this.tokenRef = tokenRef
  }
}

/**
 * Keys are `"<network>:<SYMBOL>"` for one network or `"<SYMBOL>"` for every network; the
 * network-specific entry wins. Symbols match case-insensitively.
 */
export type FixedRateTable = Readonly<Record<string, FixedPointPrice>>

export const FIXED_RATE_PROVIDER = 'fixed'

function tableKey(network: string | undefined, symbol: string): string {
  const normalized = symbol.toUpperCase()
  return network === undefined ? normalized : `${network.toLowerCase()}:${normalized}`
}

/**
 * Fixed prices for devnet and tests. `clock` stamps each observation, so staleness checks
 * downstream treat the prices as current.
 */
export function createFixedRateSource(
  table: FixedRateTable,
  options: { clock: () => Date; provider?: string },
): RateSource {
  const prices = new Map<string, FixedPointPrice>()
  for (const [key, price] of Object.entries(table)) {
    const separator = key.indexOf(':')
    const network = separator === -1 ? undefined : key.slice(0, separator)
    const symbol = separator === -1 ? key : key.slice(separator + 1)
    if (symbol === '' || network === '') throw new RangeError(`bad rate table key "${key}"`)
    if (typeof price.answer !== 'bigint' || price.answer <= 0n) {
      throw new RangeError(`rate for "${key}" must have a positive bigint answer`)
    }
    if (!Number.isInteger(price.decimals) || price.decimals < 0 || price.decimals > 255) {
      throw new RangeError(`rate for "${key}" must have integer decimals in [0, 255]`)
    }
    const normalizedKey = tableKey(network, symbol)
    if (prices.has(normalizedKey)) throw new RangeError(`duplicate rate table key "${key}"`)
    prices.set(normalizedKey, { answer: price.answer, decimals: price.decimals })
  }
  const provider = options.provider ?? FIXED_RATE_PROVIDER

  return {
    async getPrice(tokenRef) {
      const price =
        prices.get(tableKey(tokenRef.network, tokenRef.symbol)) ??
        prices.get(tableKey(undefined, tokenRef.symbol))
      if (!price) {
        throw new RateUnavailableError(
          tokenRef,
          `no fixed price for ${tokenRef.symbol} on ${tokenRef.network}`,
        )
      }
      return {
        answer: price.answer,
        decimals: price.decimals,
        updatedAt: options.clock(),
        provider,
      }
    },
  }
}
