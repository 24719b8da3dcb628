/**
 * The checkout page's state and its one transition function. Pure: no DOM, no network, no clock
 * (instants come in with the actions as monotonic milliseconds). Every amount is the server's:
 * this file copies and compares server values, it never computes one.
 */
import type { AvailableToken, InvoiceQuestions, PaymentAddress, SessionDetails } from 'pepay'

export type InvoiceStatus = SessionDetails['invoice_status']
export type Question = NonNullable<InvoiceQuestions['questions']>['questions'][number]

/** A transfer the server has seen that does not count yet (waiting for confirmations). */
export interface PaymentProgress {
  paymentId: string
  confirmations: number
  confirmationsRequired: number
  /** Token amount as the server wrote it ("12.5"), with its symbol. */
  amountText: string
  tokenSymbol: string
}

export interface Selection {
  network: string
  tokenId: number
}

export type LoadPhase = 'loading' | 'ready' | 'invalid' | 'unreachable'
export type Transport = 'poll' | 'ws'

export interface CheckoutState {
  phase: LoadPhase
  session: SessionDetails | undefined
  status: InvoiceStatus | undefined
  /** Bumped whenever a realtime frame changes the status; older poll answers cannot undo it. */
  statusVersion: number
  /** Monotonic instant at which the invoice expires, from the server's `remaining_seconds`. */
  deadlineMs: number | undefined
  tokens: AvailableToken[] | undefined
  tokensError: string | undefined
  selection: Selection | undefined
  address: PaymentAddress | undefined
  /** Monotonic instant at which the current quote ends, from `quote_expires_in_seconds`. */
  quoteDeadlineMs: number | undefined
  allocating: boolean
  addressError: string | undefined
  progress: PaymentProgress | undefined
  /** Remaining USD as decimal text, from the latest server value (session or realtime frame). */
  remainingUsd: string | undefined
  transport: Transport
  errorMessage: string | undefined
  /** The merchant's checkout questions (empty when none; undefined until loaded). */
  questions: Question[] | undefined
  /** The answers were accepted by the server in this visit. */
  detailsSubmitted: boolean
}

export type Action =
  | { type: 'session'; details: SessionDetails; atMs: number; issuedVersion: number }
  | { type: 'session-failed'; invalid: boolean; message: string }
  | { type: 'tokens'; tokens: AvailableToken[] }
  | { type: 'tokens-failed'; message: string }
  | { type: 'select'; selection: Selection }
  | { type: 'address'; address: PaymentAddress; atMs: number }
  | { type: 'address-failed'; message: string }
  | { type: 'change-token' }
  | { type: 'frame'; frame: unknown }
  | { type: 'transport'; transport: Transport }
  | { type: 'questions'; questions: Question[] }
  | { type: 'details-submitted' }

export function initialState(): CheckoutState {
  return {
    phase: 'loading',
    session: undefined,
    status: undefined,
    statusVersion: 0,
    deadlineMs: undefined,
    tokens: undefined,
    tokensError: undefined,
    selection: undefined,
    address: undefined,
    quoteDeadlineMs: undefined,
    allocating: false,
    addressError: undefined,
    progress: undefined,
    remainingUsd: undefined,
    transport: 'poll',
    errorMessage: undefined,
    questions: undefined,
    detailsSubmitted: false,
  }
}

const TERMINAL: ReadonlySet<InvoiceStatus> = new Set(['paid', 'expired', 'canceled'])
const INVOICE_STATUSES: ReadonlySet<string> = new Set([
  'unpaid',
  'underpaid',
  'paid',
  'expired',
  'canceled',
])

export function isTerminal(status: InvoiceStatus | undefined): boolean {
  return status !== undefined && TERMINAL.has(status)
}

/** How far along an invoice is; a stale answer never moves the page backwards on this scale. */
function rank(status: InvoiceStatus | undefined): number {
  if (status === undefined) return -1
  if (status === 'unpaid') return 0
  if (status === 'underpaid') return 1
  return 2
}

/** Decimal text of a JSON number the server sent (JS prints the shortest exact form: 49.99 → "49.99"). */
export function decimalText(value: number): string {
  return String(value)
}

/** The status a new server answer leaves, given what realtime frames already said. */
export function mergeStatus(
  current: InvoiceStatus | undefined,
  incoming: InvoiceStatus,
  answerIsStale: boolean,
): InvoiceStatus {
  // an answer issued before the last realtime change cannot move the page backwards
  if (
    answerIsStale &&
    current !== undefined &&
    (isTerminal(current) || rank(incoming) < rank(current))
  )
    return current
  return incoming
}

function withStatus(state: CheckoutState, status: InvoiceStatus): CheckoutState {
  if (status === state.status) return state
  const next: CheckoutState = { ...state, status, progress: undefined }
  if (isTerminal(status)) next.allocating = false
  if (status === 'underpaid') {
    // the quote shown was for the whole amount: the remainder gets a fresh one (same address)
    next.address = undefined
    next.quoteDeadlineMs = undefined
  }
  return next
}

/** The token an underpaid invoice is locked to, from the latest session details. */
export function lockedSelection(session: SessionDetails | undefined): Selection | undefined {
  if (
    session?.invoice_status !== 'underpaid' ||
    session.locked_network === null ||
    session.locked_token_id === null
  )
    return undefined
  return { network: session.locked_network, tokenId: session.locked_token_id }
}

/** True when the page must ask the server for a quote on its own (the remainder of an underpaid invoice). */
export function needsRemainderQuote(state: CheckoutState): boolean {
  return (
    state.phase === 'ready' &&
    state.status === 'underpaid' &&
    !state.address &&
    !state.allocating &&
    !state.addressError &&
    lockedSelection(state.session) !== undefined
  )
}

function applyFrame(state: CheckoutState, frame: unknown): CheckoutState {
  if (typeof frame !== 'object' || frame === null) return state
  const f = frame as { object?: unknown; type?: unknown; data?: { object?: unknown } }
  if (f.object !== 'event' || typeof f.type !== 'string') return state
  const object = f.data?.object
  if (typeof object !== 'object' || object === null) return state
  const o = object as Record<string, unknown>
  if (
    state.session &&
    typeof o['invoice_id'] === 'string' &&
    o['invoice_id'] !== state.session.invoice_id
  )
    return state

  if (f.type.startsWith('invoice.')) {
    if (state.session && o['id'] !== state.session.invoice_id) return state
    let next = state
    if (typeof o['amount_remaining_decimal'] === 'string')
      next = { ...next, remainingUsd: o['amount_remaining_decimal'] }
    const status = o['status']
    if (typeof status === 'string' && INVOICE_STATUSES.has(status) && status !== state.status) {
      next = {
        ...withStatus(next, status as InvoiceStatus),
        statusVersion: state.statusVersion + 1,
      }
    }
    return next
  }
  if (f.type.startsWith('invoice_payment.')) {
    if (isTerminal(state.status)) return state
    const id = o['id']
    if (typeof id !== 'string') return state
    const status = o['status']
    if (status === 'pending' || status === 'manual_retry') {
      return {
        ...state,
        progress: {
          paymentId: id,
          confirmations: typeof o['confirmations'] === 'number' ? o['confirmations'] : 0,
          confirmationsRequired:
            typeof o['confirmations_required'] === 'number' ? o['confirmations_required'] : 1,
          amountText:
            typeof o['token_amount_decimal'] === 'string' ? o['token_amount_decimal'] : '',
          tokenSymbol: typeof o['token_symbol'] === 'string' ? o['token_symbol'] : '',
        },
      }
    }
    // confirmed, underpaid or orphaned: it no longer waits; the invoice event says what it did
    if (state.progress?.paymentId === id) return { ...state, progress: undefined }
    return state
  }
  if (f.type === 'payment_quote.updated' && typeof o['amount_remaining_decimal'] === 'string') {
    return { ...state, remainingUsd: o['amount_remaining_decimal'] }
  }
  return state
}

export function reduce(state: CheckoutState, action: Action): CheckoutState {
  switch (action.type) {
    case 'session': {
      const d = action.details
      const stale = action.issuedVersion < state.statusVersion
      const status = mergeStatus(state.status, d.invoice_status, stale)
      let next: CheckoutState = {
        ...state,
        phase: 'ready',
        session: d,
        deadlineMs: action.atMs + d.remaining_seconds * 1000,
        remainingUsd:
          stale && status !== d.invoice_status
            ? state.remainingUsd
            : decimalText(d.amount_remaining_usd),
        errorMessage: undefined,
      }
      next = withStatus(next, status)
      const locked = status === 'underpaid' ? lockedSelection(d) : undefined
      if (locked) {
        const sameToken =
          next.selection?.network === locked.network && next.selection.tokenId === locked.tokenId
        // a quote for another token or another amount than the remainder is not payable any more
        const staleQuote =
          next.address !== undefined && next.address.usd_amount !== d.amount_remaining_usd
        if (!sameToken || staleQuote)
          next = { ...next, selection: locked, address: undefined, quoteDeadlineMs: undefined }
      }
      return next
    }
    case 'session-failed':
      // once loaded, a failed refresh keeps the page as it is (the next poll retries)
      if (state.phase === 'ready' && !action.invalid) return state
      return {
        ...state,
        phase: action.invalid ? 'invalid' : 'unreachable',
        errorMessage: action.message,
      }
    case 'tokens':
      return { ...state, tokens: action.tokens, tokensError: undefined }
    case 'tokens-failed':
      return { ...state, tokensError: action.message }
    case 'select':
      if (isTerminal(state.status)) return state
      // underpaid invoices accept only the locked token
      if (
        state.status === 'underpaid' &&
        state.selection &&
        (state.selection.network !== action.selection.network ||
          state.selection.tokenId !== action.selection.tokenId)
      )
        return state
      return { ...state, selection: action.selection, allocating: true, addressError: undefined }
    case 'address':
      if (isTerminal(state.status)) return { ...state, allocating: false }
      // an answer for a token the payer has since switched away from is dropped
      if (
        state.selection &&
        (action.address.network !== state.selection.network ||
          action.address.supported_token_id !== state.selection.tokenId)
      )
        return state
      return {
        ...state,
        address: action.address,
        selection: { network: action.address.network, tokenId: action.address.supported_token_id },
        quoteDeadlineMs: action.atMs + action.address.quote_expires_in_seconds * 1000,
        allocating: false,
        addressError: undefined,
      }
    case 'address-failed':
      return { ...state, allocating: false, addressError: action.message }
    case 'change-token':
      if (state.status !== 'unpaid' || state.progress) return state
      return { ...state, address: undefined, quoteDeadlineMs: undefined, addressError: undefined }
    case 'frame':
      return applyFrame(state, action.frame)
    case 'transport':
      return state.transport === action.transport
        ? state
        : { ...state, transport: action.transport }
    case 'questions':
      return { ...state, questions: action.questions }
    case 'details-submitted':
      return { ...state, detailsSubmitted: true }
  }
}

/** What the page shows, derived from the state. */
export type Screen =
  | 'loading'
  | 'invalid'
  | 'unreachable'
  | 'details'
  | 'select'
  | 'pay'
  | 'paid'
  | 'expired'
  | 'canceled'

/** Required questions are answered before a token is chosen (the merchant needs them to ship). */
export function needsDetails(state: CheckoutState): boolean {
  return (
    !state.detailsSubmitted && (state.questions ?? []).some((q) => q.validation?.required === true)
  )
}

export function screenOf(state: CheckoutState): Screen {
  if (state.phase !== 'ready') return state.phase
  switch (state.status) {
    case 'paid':
      return 'paid'
    case 'expired':
      return 'expired'
    case 'canceled':
      return 'canceled'
    case 'underpaid':
      return 'pay'
    case 'unpaid':
    case undefined:
      if (state.address) return 'pay'
      return needsDetails(state) ? 'details' : 'select'
  }
}

/** The one-line payment status announced to assistive technology. */
export type StatusKind =
  | 'loading'
  | 'waiting'
  | 'detected'
  | 'confirming'
  | 'underpaid'
  | 'paid'
  | 'expired'
  | 'canceled'
  | 'invalid'
  | 'unreachable'
  | 'choose'

export function statusKindOf(state: CheckoutState): StatusKind {
  const screen = screenOf(state)
  if (
    screen === 'paid' ||
    screen === 'expired' ||
    screen === 'canceled' ||
    screen === 'invalid' ||
    screen === 'unreachable' ||
    screen === 'loading'
  )
    return screen
  if (state.progress) return state.progress.confirmations > 0 ? 'confirming' : 'detected'
  if (state.status === 'underpaid') return 'underpaid'
  return screen === 'select' || screen === 'details' ? 'choose' : 'waiting'
}

/** Seconds left on a monotonic deadline, clamped at 0 and rounded up (the page never shows 0 early). */
export function secondsLeft(deadlineMs: number | undefined, nowMs: number): number | undefined {
  if (deadlineMs === undefined) return undefined
  return Math.max(0, Math.ceil((deadlineMs - nowMs) / 1000))
}

/** "11:59:58", "4:05", "0:00". */
export function formatCountdown(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds))
  const hours = Math.floor(s / 3600)
  const minutes = Math.floor((s % 3600) / 60)
  const seconds = s % 60
  const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes)
  const ss = String(seconds).padStart(2, '0')
  return hours > 0 ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`
}

/**
 * Server decimal USD text for display: "49.99" → "$49.99", "20.000" → "$20.00", "1234.5" →
 * "$1,234.50", "12.345" → "$12.345". Text operations only (no float arithmetic on the amount).
 */
export function formatUsd(decimal: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim())
  if (!match) return `$${decimal}`
  const [, sign = '', whole = '0', rawFraction = ''] = match
  let fraction = rawFraction.replace(/0+$/, '')
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}$${grouped}.${fraction}`
}

/** Human network name for a lowercase network id ("base" → "Base", "bsc" → "BNB Chain"). */
export function networkLabel(network: string): string {
  const known: Record<string, string> = {
    ethereum: 'Ethereum',
    base: 'Base',
    solana: 'Solana',
    avalanche: 'Avalanche',
    ton: 'TON',
    bsc: 'BNB Chain',
    arbitrum: 'Arbitrum',
    optimism: 'Optimism',
    cardano: 'Cardano',
    sui: 'Sui',
  }
  return known[network] ?? network.charAt(0).toUpperCase() + network.slice(1)
}

/** Distinct networks of the payable tokens, in first-seen order. */
export function networksOf(tokens: readonly AvailableToken[]): string[] {
  const seen: string[] = []
  for (const t of tokens) if (!seen.includes(t.network)) seen.push(t.network)
  return seen
}

/** A return URL the page may navigate to: http(s) only (never javascript: or data:). */
export function safeReturnUrl(session: SessionDetails | undefined): string | undefined {
  if (!session?.payment_return_url_enabled || !session.payment_return_url) return undefined
  try {
    const url = new URL(session.payment_return_url)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined
  } catch {
    return undefined
  }
}
