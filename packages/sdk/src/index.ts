export {
  Pepay,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRYABLE_STATUS_CODES,
  DEFAULT_TIMEOUT_MS,
} from './client.ts'
export type { PepayAuthOptions, PepayOptions } from './client.ts'
export {
  PepayError,
  InvalidRequestError,
  AuthenticationError,
  PermissionError,
  NotFoundError,
  IdempotencyError,
  RateLimitError,
  ApiError,
  ConnectionError,
} from './errors.ts'
export type { AuthKind, Credentials, RequestOptions } from './request.ts'
export type { ListPromise, AutoPagingOptions } from './pagination.ts'
export {
  createWebhookVerifier,
  signWebhookPayload,
  DEFAULT_WEBHOOK_TOLERANCE_MS,
} from './webhooks.ts'
export type {
  WebhookVerifier,
  WebhookVerifierOptions,
  VerifyInput,
  VerifyResult,
  WebhookFailureReason,
  WebhookHeaders,
  SignWebhookInput,
  SignedWebhook,
} from './webhooks.ts'
export { PepayEventStream, PaymentSessionStream } from './realtime.ts'
export type { EventStreamEvents, PaymentStreamEvents, ReconnectOptions } from './realtime.ts'
export type { WaitForStatusOptions } from './resources/invoices.ts'
export type { RecoverSinceOptions } from './resources/events.ts'
export type {
  MintWsTokenParams,
  MerchantStreamOptions,
  CommerceStreamOptions,
  PaymentStreamOptions,
} from './resources/ws.ts'
export type { FetchLike, WebSocketConstructor, WebSocketLike } from './platform/runtime.ts'
export type * from './wire.ts'
