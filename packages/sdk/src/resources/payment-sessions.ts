import type { AuthKind, RequestOptions } from '../request.ts'
import type {
  AvailableToken,
  CreatePaymentAddressParams,
  ListAvailableTokensParams,
  PaymentAddress,
  CustomerEmail,
  CustomerEmailSet,
  InvoiceQuestions,
  PayorPaymentStatus,
  SessionDetails,
  SessionQueryParams,
  SetCustomerEmailParams,
  SubmitFormParams,
  SubmitFormResult,
} from '../wire.ts'
import { Resource } from './resource.ts'

export const SESSION: readonly AuthKind[] = ['session']

/** `pepay.paymentSessions`: the payer's browser-safe routes (x-session-token + x-signature). */
export class PaymentSessions extends Resource {
  getSessionDetails(
    params: SessionQueryParams = {},
    options?: RequestOptions,
  ): Promise<SessionDetails> {
    return this.call({
      method: 'GET',
      path: '/api/v1/payments/session-details',
      auth: SESSION,
      query: params,
      options,
    })
  }

  /** Tokens the payer can pay with (`mode`: monitored, all, network; `checkout` = monitored). */
  listAvailableTokens(
    params: ListAvailableTokensParams = {},
    options?: RequestOptions,
  ): Promise<AvailableToken[]> {
    return this.call({
      method: 'GET',
      path: '/api/v1/payments/available-tokens',
      auth: SESSION,
      query: params,
      options,
    })
  }

  /**
   * Allocates (or re-quotes) the deposit address for a network and token, with a 5-minute quote
   * and the `ws_connection` token for `pepay.ws.connectPaymentSession`.
   */
  createPaymentAddress(
    params: CreatePaymentAddressParams,
    options?: RequestOptions,
  ): Promise<PaymentAddress> {
    return this.call({
      method: 'POST',
      path: '/api/v1/payments/payment-addresses',
      auth: SESSION,
      body: params,
      options,
    })
  }

  getPaymentStatus(
    params: SessionQueryParams = {},
    options?: RequestOptions,
  ): Promise<PayorPaymentStatus> {
    return this.call({
      method: 'GET',
      path: '/api/v1/payments/payment-status',
      auth: SESSION,
      query: params,
      options,
    })
  }

  setCustomerEmail(
    params: SetCustomerEmailParams,
    options?: RequestOptions,
  ): Promise<CustomerEmailSet> {
    return this.call({
      method: 'POST',
      path: '/api/v1/payments/customer-email',
      auth: SESSION,
      body: params,
      options,
    })
  }

  getCustomerEmail(options?: RequestOptions): Promise<CustomerEmail> {
    return this.call({
      method: 'GET',
      path: '/api/v1/payments/customer-email',
      auth: SESSION,
      options,
    })
  }

  /** The merchant's checkout questions (`has_questions`, `questions`). */
  getQuestions(options?: RequestOptions): Promise<InvoiceQuestions> {
    return this.call({
      method: 'GET',
      path: '/api/v1/payments/invoice-questions',
      auth: SESSION,
      options,
    })
  }

  submitForm(params: SubmitFormParams, options?: RequestOptions): Promise<SubmitFormResult> {
    return this.call({
      method: 'POST',
      path: '/api/v1/payments/submit-form',
      auth: SESSION,
      body: params,
      options,
    })
  }
}
