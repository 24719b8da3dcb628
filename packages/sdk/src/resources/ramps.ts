import { listPromise, type ListPromise } from '../pagination.ts'
import type { AuthKind, QueryValue, Requester, RequestOptions } from '../request.ts'
import type {
  BankAccount,
  BankAccountList,
  CreateBankAccountParams,
  CreateKycVerificationParams,
  CreateOffRampParams,
  CreateOnRampParams,
  CreateRampCustomerParams,
  CreateRampQuoteParams,
  DeletedBankAccount,
  KycVerification,
  KycVerificationList,
  LedgerEntry,
  LedgerEntryList,
  ListLedgerEntriesParams,
  ListOffRampsParams,
  ListOnRampsParams,
  ListRampCustomersParams,
  OffRamp,
  OffRampList,
  OnRamp,
  OnRampList,
  RampBalances,
  RampCountryList,
  RampCustomer,
  RampCustomerList,
  RampListParams,
  RampQuote,
  SimulateOnRampFundsParams,
} from '../wire.ts'
import { Resource, segment } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']
type Query = Record<string, QueryValue>
type CursorList<T> = { object: 'list'; data: T[]; has_more: boolean }

/** A cursor list at `path`, async-iterable across pages. */
function cursorList<T extends { id: string }>(
  resource: RampsResource,
  path: string,
  params: Query & { ending_before?: string | undefined },
  options: RequestOptions | undefined,
): ListPromise<CursorList<T>, T> {
  const fetch = (extra: Query) =>
    resource.get<CursorList<T>>(path, { ...params, ...extra }, options)
  return listPromise<CursorList<T>, T>(fetch({}), {
    items: (page) => page.data,
    hasMore: (page) => page.has_more,
    id: (item) => item.id,
    direction: params.ending_before !== undefined ? 'ending_before' : 'starting_after',
    fetch: (cursor) => fetch({ starting_after: undefined, ending_before: undefined, ...cursor }),
  })
}

class RampsResource extends Resource {
  get<T>(path: string, query: Query | undefined, options: RequestOptions | undefined): Promise<T> {
    return this.call({ method: 'GET', path, auth: MERCHANT, query, options })
  }

  post<T>(path: string, body: unknown, options: RequestOptions | undefined): Promise<T> {
    return this.call({ method: 'POST', path, auth: MERCHANT, body, options })
  }
}

class Customers extends RampsResource {
  create(params: CreateRampCustomerParams, options?: RequestOptions): Promise<RampCustomer> {
    return this.post('/api/v1/ramps/customers', params, options)
  }

  list(
    params: ListRampCustomersParams = {},
    options?: RequestOptions,
  ): ListPromise<RampCustomerList, RampCustomer> {
    return cursorList<RampCustomer>(this, '/api/v1/ramps/customers', params, options)
  }

  retrieve(customerId: string, options?: RequestOptions): Promise<RampCustomer> {
    return this.get(`/api/v1/ramps/customers/${segment(customerId)}`, undefined, options)
  }
}

class KycVerifications extends RampsResource {
  /** Starts a hosted verification at a level for a customer. */
  create(
    customerId: string,
    params: CreateKycVerificationParams,
    options?: RequestOptions,
  ): Promise<KycVerification> {
    return this.post(
      `/api/v1/ramps/customers/${segment(customerId)}/kyc-verifications`,
      params,
      options,
    )
  }

  list(
    customerId: string,
    params: RampListParams = {},
    options?: RequestOptions,
  ): ListPromise<KycVerificationList, KycVerification> {
    return cursorList<KycVerification>(
      this,
      `/api/v1/ramps/customers/${segment(customerId)}/kyc-verifications`,
      params,
      options,
    )
  }

  retrieve(verificationId: string, options?: RequestOptions): Promise<KycVerification> {
    return this.get(
      `/api/v1/ramps/kyc-verifications/${segment(verificationId)}`,
      undefined,
      options,
    )
  }
}

class BankAccounts extends RampsResource {
  create(
    customerId: string,
    params: CreateBankAccountParams,
    options?: RequestOptions,
  ): Promise<BankAccount> {
    return this.post(
      `/api/v1/ramps/customers/${segment(customerId)}/bank-accounts`,
      params,
      options,
    )
  }

  list(
    customerId: string,
    params: RampListParams = {},
    options?: RequestOptions,
  ): ListPromise<BankAccountList, BankAccount> {
    return cursorList<BankAccount>(
      this,
      `/api/v1/ramps/customers/${segment(customerId)}/bank-accounts`,
      params,
      options,
    )
  }

  retrieve(bankAccountId: string, options?: RequestOptions): Promise<BankAccount> {
    return this.get(`/api/v1/ramps/bank-accounts/${segment(bankAccountId)}`, undefined, options)
  }

  remove(bankAccountId: string, options?: RequestOptions): Promise<DeletedBankAccount> {
    return this.call({
      method: 'DELETE',
      path: `/api/v1/ramps/bank-accounts/${segment(bankAccountId)}`,
      auth: MERCHANT,
      options,
    })
  }
}

class Quotes extends RampsResource {
  /** Quotes by `source_amount` or `destination_amount` (exactly one; integer minor/base units as text). */
  create(params: CreateRampQuoteParams, options?: RequestOptions): Promise<RampQuote> {
    return this.post('/api/v1/ramps/quotes', params, options)
  }

  retrieve(quoteId: string, options?: RequestOptions): Promise<RampQuote> {
    return this.get(`/api/v1/ramps/quotes/${segment(quoteId)}`, undefined, options)
  }
}

class OffRamps extends RampsResource {
  create(params: CreateOffRampParams, options?: RequestOptions): Promise<OffRamp> {
    return this.post('/api/v1/ramps/off-ramps', params, options)
  }

  list(
    params: ListOffRampsParams = {},
    options?: RequestOptions,
  ): ListPromise<OffRampList, OffRamp> {
    return cursorList<OffRamp>(this, '/api/v1/ramps/off-ramps', params, options)
  }

  retrieve(offRampId: string, options?: RequestOptions): Promise<OffRamp> {
    return this.get(`/api/v1/ramps/off-ramps/${segment(offRampId)}`, undefined, options)
  }
}

class OnRamps extends RampsResource {
  create(params: CreateOnRampParams, options?: RequestOptions): Promise<OnRamp> {
    return this.post('/api/v1/ramps/on-ramps', params, options)
  }

  list(params: ListOnRampsParams = {}, options?: RequestOptions): ListPromise<OnRampList, OnRamp> {
    return cursorList<OnRamp>(this, '/api/v1/ramps/on-ramps', params, options)
  }

  retrieve(onRampId: string, options?: RequestOptions): Promise<OnRamp> {
    return this.get(`/api/v1/ramps/on-ramps/${segment(onRampId)}`, undefined, options)
  }

  /** Devnet: the customer's fiat transfer arrives (default: the instructed amount). */
  simulateFunds(
    onRampId: string,
    params: SimulateOnRampFundsParams = {},
    options?: RequestOptions,
  ): Promise<OnRamp> {
    return this.post(
      `/api/v1/ramps/devnet/on-ramps/${segment(onRampId)}/simulate-funds`,
      params,
      options,
    )
  }
}

class LedgerEntries extends RampsResource {
  list(
    params: ListLedgerEntriesParams = {},
    options?: RequestOptions,
  ): ListPromise<LedgerEntryList, LedgerEntry> {
    return cursorList<LedgerEntry>(this, '/api/v1/ramps/ledger-entries', params, options)
  }
}

/** `pepay.ramps`: customers, KYC, bank accounts, quotes, off-ramps and on-ramps, ledger. */
export class Ramps extends RampsResource {
  readonly customers: Customers
  readonly kycVerifications: KycVerifications
  readonly bankAccounts: BankAccounts
  readonly quotes: Quotes
  readonly offRamps: OffRamps
  readonly onRamps: OnRamps
  readonly ledgerEntries: LedgerEntries

  constructor(requester: Requester) {
    super(requester)
    this.customers = new Customers(requester)
    this.kycVerifications = new KycVerifications(requester)
    this.bankAccounts = new BankAccounts(requester)
    this.quotes = new Quotes(requester)
    this.offRamps = new OffRamps(requester)
    this.onRamps = new OnRamps(requester)
    this.ledgerEntries = new LedgerEntries(requester)
  }

  /** Countries and rails served, with limits, required bank fields and KYC levels. */
  listCountries(options?: RequestOptions): Promise<RampCountryList> {
    return this.get('/api/v1/ramps/countries', undefined, options)
  }

  balances(options?: RequestOptions): Promise<RampBalances> {
    return this.get('/api/v1/ramps/balances', undefined, options)
  }
}
