import type { PriceFeedReading } from '../../providers/chain/chain-adapter.ts'
import { RateUnavailableError, type PriceObservation, type RateSource, type TokenRef } from './rate-source.ts'
import { stablecoinPrice } from './quote.ts'

export const AGGREGATOR_PROVIDER = 'chainlink_aggregator'

export interface AggregatorFeed {
  /** Reads AggregatorV3 `latestRoundData` (with a timeout). */
  read(): Promise<PriceFeedReading>
}

/**
 * Native coins priced from on-chain Chainlink-style aggregators; stablecoins at par. A reading
 * older than `maxAgeMs` or not positive is refused rather than used.
 */
export function createAggregatorRateSource(options: {
  feeds: ReadonlyMap<string, AggregatorFeed>
  now: () => Date
  maxAgeMs: number
}): RateSource {
  return {
    async getPrice(tokenRef: TokenRef): Promise<PriceObservation> {
      if (tokenRef.kind === 'stable') {
        return { ...stablecoinPrice(8), updatedAt: options.now(), provider: 'par' }
      }
      const feed = options.feeds.get(tokenRef.network)
      if (!feed) throw new RateUnavailableError(tokenRef, `no price feed configured for ${tokenRef.network}`)
      let reading: PriceFeedReading
      try {
        reading = await feed.read()
      } catch (error) {
        throw new RateUnavailableError(tokenRef, `price feed unreachable: ${(error as Error).message}`)
      }
      if (reading.answer <= 0n) throw new RateUnavailableError(tokenRef, 'price feed returned a non-positive answer')
      if (options.now().getTime() - reading.updatedAt.getTime() > options.maxAgeMs) {
        throw new RateUnavailableError(tokenRef, 'Rate data is older than 5 minutes')
      }
      return { answer: reading.answer, decimals: reading.decimals, updatedAt: reading.updatedAt, provider: AGGREGATOR_PROVIDER }
    },
  }
}
