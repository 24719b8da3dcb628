/**
 * Request and response types of the public API, inferred from the zod contracts in
 * `@pepay/contracts` (the same schemas the server validates with). Nothing here is written by hand
 * except where the SDK accepts more convenient input than the wire (arrays for comma lists,
 * numbers for numeric query parameters), noted per type.
 */
import type { z } from 'zod'
import type * as C from '@pepay/contracts'

type In<S extends z.ZodType> = z.input<S>
type Out<S extends z.ZodType> = z.output<S>

/** Query parameters: numbers instead of coerced text, arrays allowed for comma-separated lists. */
type QueryInput<T, Numeric extends keyof T = never, Lists = never> = {
  [K in keyof T as K extends Numeric | ListKeys<Lists> ? never : K]?: T[K]
} & { [K in Numeric]?: number } & ListProps<Lists>
type ListKeys<L> = [L] extends [never] ? never : keyof L
type ListProps<L> = [L] extends [never] ? unknown : { [K in keyof L]?: L[K] }

// ── common ────────────────────────────────────────────────────────────────────
export type Environment = Out<typeof C.Environment>
export type ErrorBody = Out<typeof C.ErrorBody>

// ── invoices ──────────────────────────────────────────────────────────────────
export type InvoiceStatus = Out<typeof C.InvoiceStatus>
export type InvoiceType = Out<typeof C.InvoiceType>
export type InvoiceExpand = Out<typeof C.InvoiceExpand>
export type Invoice = Out<typeof C.Invoice>
export type InvoicePayment = Out<typeof C.InvoicePayment>
export type InvoiceList = Out<typeof C.InvoiceList>
export type InvoiceTotals = Out<typeof C.InvoiceTotals>
export type InvoiceStatusResponse = Out<typeof C.InvoiceStatusResponse>
export type CreateInvoiceParams = In<typeof C.CreateInvoiceBody>
export type CreatedInvoice = Out<typeof C.CreateInvoiceResponse>

type ListInvoicesWire = In<typeof C.ListInvoicesQuery>
type ListLists = {
  status: string | readonly InvoiceStatus[]
  invoice_type: string | readonly InvoiceType[]
  expand: string | readonly InvoiceExpand[]
}
export type ListInvoicesParams = QueryInput<ListInvoicesWire, 'limit' | 'payments_limit', ListLists>
export type ListCustomerInvoicesParams = Omit<ListInvoicesParams, 'customer_id'>
export type RetrieveInvoiceParams = QueryInput<
  In<typeof C.RetrieveInvoiceQuery>,
  'payments_limit',
  Pick<ListLists, 'expand'>
>
export type InvoiceTotalsParams = QueryInput<
  In<typeof C.TotalsQuery>,
  never,
  Pick<ListLists, 'status' | 'invoice_type'>
>

// ── payment sessions (payor) ──────────────────────────────────────────────────
export type SessionDetails = Out<typeof C.SessionDetails>
export type SessionQueryParams = In<typeof C.SessionQuery>
export type PayorPaymentStatus = Out<typeof C.PayorPaymentStatus>
export type SetCustomerEmailParams = In<typeof C.CustomerEmailBody>
export type CustomerEmailSet = Out<typeof C.CustomerEmailSet>
export type CustomerEmail = Out<typeof C.CustomerEmailGet>
export type InvoiceQuestions = Out<typeof C.InvoiceQuestionsResponse>
export type SubmitFormParams = In<typeof C.SubmitFormBody>
export type SubmitFormResult = Out<typeof C.SubmitFormResponse>

// ── events ────────────────────────────────────────────────────────────────────
export type PepayEvent = Out<typeof C.PepayEvent>
export type EventType = C.EventType
export type EventList = Out<typeof C.EventList>
export type EventResponse = Out<typeof C.EventResponse>
type ListEventsWire = In<typeof C.ListEventsQuery>
export type ListEventsParams = QueryInput<
  ListEventsWire,
  'limit' | 'created[gte]' | 'created[lte]',
  { type: string | readonly string[] }
>

// ── account: API keys, access, merchant settings ──────────────────────────────
export type ApiKey = Out<typeof C.ApiKey>
export type ListApiKeysParams = In<typeof C.ListApiKeysQuery>
export type CreateApiKeyParams = In<typeof C.CreateApiKeyBody>
export type CreatedApiKey = Out<typeof C.CreatedApiKey>
export type MessageResponse = Out<typeof C.MessageResponse>
export type MainnetAccessStatus = Out<typeof C.MainnetAccessStatus>
export type MainnetActivateResult = Out<typeof C.MainnetActivateResponse>
export type SetEnvironmentParams = In<typeof C.SetEnvironmentBody>
export type SetEnvironmentResult = Out<typeof C.SetEnvironmentResponse>
export type PaymentReturnUrl = Out<typeof C.PaymentReturnUrl>
export type UpdatePaymentReturnUrlParams = In<typeof C.UpdatePaymentReturnUrlBody>

// ── realtime: ws tokens, stream filters, frames ───────────────────────────────
export type WsScope = Out<typeof C.WsScope>
export type WsToken = Out<typeof C.WsToken>
export type WsTokenResponse = Out<typeof C.WsTokenResponse>
export type WsControlFrame = Out<typeof C.WsControlFrame>
export type WsErrorFrame = Out<typeof C.WsErrorFrame>
export type PaymentQuoteObject = Out<typeof C.PaymentQuoteObject>
type StreamFilters<T> = Omit<T, 'token' | 'since' | 'format' | 'types' | 'invoice_type'>
export type MerchantStreamFilters = StreamFilters<In<typeof C.MerchantStreamQuery>> & {
  types?: string | readonly string[]
  invoice_type?: string | readonly InvoiceType[]
}
export type CommerceStreamFilters = StreamFilters<In<typeof C.CommerceStreamQuery>> & {
  types?: string | readonly string[]
}

// ── webhook endpoints and deliveries ──────────────────────────────────────────
export type WebhookEndpoint = Out<typeof C.WebhookEndpoint>
export type WebhookEndpointWithSecret = Out<typeof C.WebhookEndpointWithSecret>
export type CreateWebhookEndpointParams = In<typeof C.CreateWebhookEndpointBody>
export type UpdateWebhookEndpointParams = In<typeof C.UpdateWebhookEndpointBody>
export type WebhookEndpointResponse = Out<typeof C.WebhookEndpointResponse>
export type WebhookEndpointSecretResponse = Out<typeof C.WebhookEndpointSecretResponse>
export type WebhookEndpointList = Out<typeof C.WebhookEndpointList>
export type WebhookEndpointDeleted = Out<typeof C.WebhookEndpointDeleted>
export type WebhookDelivery = Out<typeof C.WebhookDelivery>
export type WebhookDeliveryResponse = Out<typeof C.WebhookDeliveryResponse>
export type WebhookDeliveryList = Out<typeof C.WebhookDeliveryList>
export type ListWebhookDeliveriesParams = QueryInput<In<typeof C.ListDeliveriesQuery>, 'limit'>

// ── chain: payable tokens, payment addresses, merchant tokens, settlement, wallets ──
export type Network = Out<typeof C.Network>
export type AvailableToken = Out<typeof C.AvailableToken>
export type ListAvailableTokensParams = QueryInput<
  In<typeof C.AvailableTokensQuery>,
  never,
  { available_only: boolean | 'true' | 'false' }
>
export type CreatePaymentAddressParams = In<typeof C.PaymentAddressBody>
export type PaymentAddress = Out<typeof C.PaymentAddressResponse>
export type MerchantTokens = Out<typeof C.MerchantTokens>
export type MerchantTokensParams = In<typeof C.MerchantTokensQuery>
export type SearchMerchantTokensParams = QueryInput<
  In<typeof C.TokenSearchQuery>,
  'limit' | 'offset',
  { is_active: boolean; supports_stable_settlement: boolean; blocked: boolean }
>
export type TokenSearchResult = Out<typeof C.TokenSearchResult>
export type BlockTokenParams = In<typeof C.BlockTokenBody>
export type BlockTokenResult = Out<typeof C.BlockTokenResponse>
export type AcceptancePolicyParams = In<typeof C.AcceptancePolicyBody>
export type SettlementPreference = Out<typeof C.SettlementPreference>
export type UpdateSettlementTokenParams = In<typeof C.UpdateSettlementTokenBody>
export type UpdateSettlementTokenResult = Out<typeof C.UpdateSettlementTokenResponse>
export type Wallet = Out<typeof C.Wallet>
export type WalletGroups = Out<typeof C.WalletGroups>
export type WalletsParams = In<typeof C.WalletsQuery>
export type CreateWalletParams = In<typeof C.CreateWalletBody>
export type WalletResponse = Out<typeof C.WalletResponse>
export type UpdateWalletParams = In<typeof C.UpdateWalletBody>
export type ManualVerificationParams = NonNullable<In<typeof C.ManualVerificationBody>>
export type ManualVerification = Out<typeof C.ManualVerification>
export type ManualVerificationResponse = Out<typeof C.ManualVerificationResponse>
export type DevnetInfo = Out<typeof C.DevnetInfo>
export type FaucetParams = In<typeof C.FaucetBody>
export type FaucetResult = Out<typeof C.FaucetResponse>
export type DevnetPayParams = In<typeof C.DevnetPayBody>
export type DevnetPayResult = Out<typeof C.DevnetPayResponse>

// ── commerce ──────────────────────────────────────────────────────────────────
export type CommerceStatus = Out<typeof C.CommerceStatus>
export type CommerceInfo = Out<typeof C.CommerceInfo>
export type CommerceSearchParams = QueryInput<
  In<typeof C.CommerceSearchQuery>,
  'limit' | 'offset' | 'minRating',
  { prime: boolean }
>
export type CommerceSearchResult = Out<typeof C.CommerceSearchResponse>
export type ProductParams = In<typeof C.ProductQuery>
export type ProductDetails = Out<typeof C.ProductDetailsResponse>
export type OffersParams = In<typeof C.OffersQuery>
export type ProductOffers = Out<typeof C.OffersResponse>
export type CatalogImportParams = In<typeof C.CatalogImportBody>
export type CatalogImportResult = Out<typeof C.CatalogImportResponse>
export type CartIdentity = In<typeof C.CartQuery>
export type AddressIdentity = In<typeof C.DeleteAddressQuery>
export type CommerceCart = Out<typeof C.CommerceCart>
export type CartResponse = Out<typeof C.CartResponse>
export type CreateCartParams = In<typeof C.CreateCartBody>
export type CreateCartResult = Out<typeof C.CreateCartResponse>
export type AddCartItemParams = In<typeof C.AddCartItemBody>
export type AddCartItemResult = Out<typeof C.AddCartItemResponse>
export type UpdateCartItemParams = In<typeof C.UpdateCartItemBody>
export type UpdateCartItemResult = Out<typeof C.UpdateCartItemResponse>
export type RemoveCartItemResult = Out<typeof C.RemoveCartItemResponse>
export type ClearCartResult = Out<typeof C.ClearCartResponse>
export type ValidateCartResult = Out<typeof C.ValidateCartResponse>
export type CartTotalsParams = In<typeof C.CartTotalsQuery>
export type CartTotals = Out<typeof C.CartTotalsResponse>
export type EstimateParams = In<typeof C.EstimateBody>
export type EstimateResult = Out<typeof C.EstimateResponse>
export type CheckoutAddressParams = In<typeof C.AddressStepBody>
export type CheckoutAddressResult = Out<typeof C.AddressStepResponse>
export type CheckoutInvoiceParams = In<typeof C.CheckoutInvoiceBody>
export type CheckoutInvoiceResult = Out<typeof C.CheckoutInvoiceResponse>
export type CommerceOrder = Out<typeof C.CommerceOrderSnapshot>
export type OrderResponse = Out<typeof C.OrderResponse>
export type ListOrdersParams = QueryInput<In<typeof C.ListOrdersQuery>, 'limit' | 'offset'>
export type ListOrdersResult = Out<typeof C.ListOrdersResponse>
export type CancelOrderParams = In<typeof C.CancelOrderBody>
export type CancelOrderResult = Out<typeof C.CancelOrderResponse>
export type CommercePaymentStatus = Out<typeof C.PaymentStatusResponse>
export type BulkStatusParams = In<typeof C.BulkStatusBody>
export type BulkStatusResult = Out<typeof C.BulkStatusResponse>
export type CommerceInvoiceStatus = Out<typeof C.CommerceInvoiceStatusResponse>
export type ListAddressesParams = QueryInput<In<typeof C.ListAddressesQuery>, 'limit' | 'offset'>
export type ListAddressesResult = Out<typeof C.ListAddressesResponse>
export type DeleteAddressResult = Out<typeof C.DeleteAddressResponse>
export type SimulateOrderParams = In<typeof C.SimulateBody>
export type SimulateOrderResult = Out<typeof C.SimulateResponse>

// ── ramps ─────────────────────────────────────────────────────────────────────
export type RampCountryList = Out<typeof C.RampCountryList>
export type RampCountry = Out<typeof C.RampCountry>
export type CreateRampCustomerParams = In<typeof C.CreateRampCustomerBody>
export type RampCustomer = Out<typeof C.RampCustomer>
export type RampCustomerList = Out<typeof C.RampCustomerList>
export type ListRampCustomersParams = QueryInput<In<typeof C.ListCustomersQuery>, 'limit'>
export type RampListParams = QueryInput<In<typeof C.ListQuery>, 'limit'>
export type CreateKycVerificationParams = In<typeof C.CreateKycVerificationBody>
export type KycVerification = Out<typeof C.KycVerification>
export type KycVerificationList = Out<typeof C.KycVerificationList>
export type CreateBankAccountParams = In<typeof C.CreateBankAccountBody>
export type BankAccount = Out<typeof C.BankAccount>
export type BankAccountList = Out<typeof C.BankAccountList>
export type DeletedBankAccount = Out<typeof C.DeletedBankAccount>
export type CreateRampQuoteParams = In<typeof C.CreateRampQuoteBody>
export type RampQuote = Out<typeof C.RampQuote>
export type CreateOffRampParams = In<typeof C.CreateOffRampBody>
export type OffRamp = Out<typeof C.OffRamp>
export type OffRampList = Out<typeof C.OffRampList>
export type ListOffRampsParams = QueryInput<
  In<typeof C.ListOffRampsQuery>,
  'limit',
  { status: string | readonly Out<typeof C.OffRampStatus>[] }
>
export type CreateOnRampParams = In<typeof C.CreateOnRampBody>
export type OnRamp = Out<typeof C.OnRamp>
export type OnRampList = Out<typeof C.OnRampList>
export type ListOnRampsParams = QueryInput<
  In<typeof C.ListOnRampsQuery>,
  'limit',
  { status: string | readonly Out<typeof C.OnRampStatus>[] }
>
export type SimulateOnRampFundsParams = In<typeof C.SimulateOnRampFundsBody>
export type RampBalances = Out<typeof C.RampBalances>
export type LedgerEntry = Out<typeof C.LedgerEntry>
export type LedgerEntryList = Out<typeof C.LedgerEntryList>
export type ListLedgerEntriesParams = QueryInput<In<typeof C.ListLedgerEntriesQuery>, 'limit'>
