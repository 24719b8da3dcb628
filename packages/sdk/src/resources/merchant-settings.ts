import type { AuthKind, RequestOptions } from '../request.ts'
import type { PaymentReturnUrl, UpdatePaymentReturnUrlParams } from '../wire.ts'
import { Resource } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']

/** `pepay.merchantSettings`: the default payment return URL. */
export class MerchantSettings extends Resource {
  getPaymentReturnUrl(options?: RequestOptions): Promise<PaymentReturnUrl> {
    return this.call({
      method: 'GET',
      path: '/api/v1/merchant/payment-return-url',
      auth: MERCHANT,
      options,
    })
  }

  /** Sets (HTTPS) or clears (`null`) the default return URL. */
  updatePaymentReturnUrl(
    params: UpdatePaymentReturnUrlParams,
    options?: RequestOptions,
  ): Promise<PaymentReturnUrl> {
    return this.call({
      method: 'PUT',
      path: '/api/v1/merchant/payment-return-url',
      auth: MERCHANT,
      body: params,
      options,
    })
  }
}
