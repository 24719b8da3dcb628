import {
  bestEligibleOffer,
  deliveryDaysMax,
  NO_ELIGIBLE_OFFER_MESSAGE,
  type Retailer,
} from '../../../providers/retail/retail-provider.ts'
import type { StoredInvalidLine, StoredLine } from '../commerce.table.ts'
import { catalogScope, type Commerce, type Tenant } from '../shared/context.ts'

export interface LineRequest {
  productId: string
  retailer: Retailer | undefined
  quantity: number
  requestedPriceUsdMillis: bigint | null
  /** Carried through for cart validation reports. */
  ref?: string
}

export interface SelectedLines {
  valid: (StoredLine & { ref?: string })[]
  invalid: (StoredInvalidLine & { ref?: string })[]
}

/**
 * Prices each requested line at the provider's best-value eligible offer (New, Prime or
 * marketplace fulfilled, delivered within the window). The provider's price is charged, whatever
 * the shopper saw; lines without an eligible offer are reported with the reason.
 */
export async function selectOffers(
  commerce: Commerce,
  tenant: Tenant,
  lines: LineRequest[],
): Promise<SelectedLines> {
  const scope = catalogScope(tenant)
  const valid: SelectedLines['valid'] = []
  const invalid: SelectedLines['invalid'] = []
  for (const line of lines) {
    const found = await commerce.provider.getOffers(scope, line.productId, {
      retailer: line.retailer,
    })
    const retailer = line.retailer ?? found?.product.retailer ?? 'amazon'
    const ref = line.ref === undefined ? {} : { ref: line.ref }
    if (!found) {
      invalid.push({ productId: line.productId, retailer, error: 'Product not found', ...ref })
      continue
    }
    const offer = bestEligibleOffer(found.offers)
    if (!offer) {
      invalid.push({
        productId: line.productId,
        retailer: found.product.retailer,
        error: NO_ELIGIBLE_OFFER_MESSAGE,
        ...ref,
      })
      continue
    }
    valid.push({
      productId: found.product.productId,
      retailer: found.product.retailer,
      title: found.product.title,
      imageUrl: found.product.imageUrl,
      quantity: line.quantity,
      priceUsdMillis: offer.priceUsdMillis.toString(),
      shippingUsdMillis: offer.shippingUsdMillis.toString(),
      offerId: offer.offerId,
      sellerName: offer.sellerName,
      deliveryDaysMin: offer.handlingDaysMin + offer.transitDays,
      deliveryDaysMax: deliveryDaysMax(offer),
      requestedPriceUsdMillis: line.requestedPriceUsdMillis?.toString() ?? null,
      ...ref,
    })
  }
  return { valid, invalid }
}
