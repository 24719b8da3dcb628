/**
 * Entry point of the checkout page: reads the session from the URL, then runs one loop of
 * "server answer → reduce → render". Status arrives over /ws/payment when it is open and by polling
 * session details every 3 s otherwise (every 15 s beside an open stream, to re-sync the countdown).
 */
import type { CreatePaymentAddressParams, PaymentSessionStream } from 'pepay'
import { createCheckoutApi, isInvalidSession, PepayError, type CheckoutApi } from '../api.ts'
import { createBridge, type Bridge } from './embed-bridge.ts'
import {
  initialState,
  isTerminal,
  lockedSelection,
  needsRemainderQuote,
  reduce,
  safeReturnUrl,
  screenOf,
  statusKindOf,
  type Action,
  type CheckoutState,
  type Selection,
} from './checkout.state.ts'
import { CheckoutView } from './checkout.view.ts'

export const POLL_MS = 3000
export const POLL_BESIDE_STREAM_MS = 15_000
/** Realtime frames are hints: the page re-reads the session shortly after, and the server wins. */
const REFRESH_AFTER_FRAME_MS = 100
const REDIRECT_SECONDS = 3
/** First-load retries before the page offers a manual retry (1 s, 2 s, 4 s … capped at 8 s). */
const MAX_LOAD_ATTEMPTS = 6

const now = (): number => performance.now()

function messageOf(error: unknown, fallback: string): string {
  if (error instanceof PepayError) {
    if (error.code === 'NETWORK_ERROR' || error.code === 'REQUEST_TIMEOUT')
      return 'Could not reach the payment server. Check your connection and try again.'
    return error.message || fallback
  }
  return fallback
}

export class CheckoutController {
  private state: CheckoutState = initialState()
  private readonly view: CheckoutView
  private readonly api: CheckoutApi | undefined
  private readonly bridge: Bridge
  private readonly win: Window
  private readonly embed: boolean
  private stream: PaymentSessionStream | undefined
  private pollTimer: number | undefined
  private frameRefreshTimer: number | undefined
  private tickTimer: number | undefined
  private redirectTimer: number | undefined
  private refreshing = false
  private refreshAgain = false
  private loadAttempts = 0
  private expiryRefreshed = false
  private requotedFor: string | undefined

  constructor(win: Window, root: HTMLElement) {
    this.win = win
    const params = new URLSearchParams(win.location.search)
    const embed = params.get('embed') === '1'
    this.embed = embed
    this.bridge = createBridge(win, embed)
    this.view = new CheckoutView(root, {
      embed,
      handlers: {
        select: (selection) => this.allocate(selection),
        changeToken: () => this.dispatch({ type: 'change-token' }),
        saveEmail: (email) => this.saveEmail(email),
        submitDetails: (responses) => this.submitDetails(responses),
        retry: () => this.retry(),
        close: () =>
          this.bridge.post({
            type: 'pepay:close',
            invoice_id: this.state.session?.invoice_id ?? null,
          }),
        cancelRedirect: () => this.cancelRedirect(),
      },
    })
    const sessionToken = params.get('session')
    const signature = params.get('signature')
    this.api =
      sessionToken && signature
        ? createCheckoutApi(win.location.origin, { sessionToken, signature })
        : undefined
    if (embed) {
      win.document.documentElement.classList.add('embed')
      if (this.bridge.enabled && typeof ResizeObserver === 'function') {
        let lastHeight = 0
        new ResizeObserver(() => {
          const height = Math.ceil(root.getBoundingClientRect().height)
          if (height !== lastHeight) {
            lastHeight = height
            this.bridge.post({ type: 'pepay:resize', height })
          }
        }).observe(root)
      }
      win.addEventListener('keydown', (event) => {
        if (event.key === 'Escape')
          this.bridge.post({
            type: 'pepay:close',
            invoice_id: this.state.session?.invoice_id ?? null,
          })
      })
    }
    // back from the wallet app: look at the server at once instead of waiting for the next poll
    win.document.addEventListener('visibilitychange', () => {
      if (win.document.visibilityState === 'visible' && !isTerminal(this.state.status))
        void this.refresh()
    })
    win.addEventListener('pagehide', () => this.stopStream())
  }

  start(): void {
    this.view.render(this.state, now())
    if (!this.api) {
      this.dispatch({
        type: 'session-failed',
        invalid: true,
        message: 'The payment link is missing its session or signature.',
      })
      return
    }
    this.tickTimer = this.win.setInterval(() => this.tick(), 1000)
    void this.refresh()
  }

  /** For tests and embedding pages: the current state. */
  get current(): CheckoutState {
    return this.state
  }

  private dispatch(action: Action): void {
    const previous = this.state
    const next = reduce(previous, action)
    if (next === previous) return
    this.state = next
    this.view.render(next, now())
    this.effects(previous, next)
  }

  private effects(previous: CheckoutState, next: CheckoutState): void {
    const invoiceId = next.session?.invoice_id ?? ''
    if (previous.phase !== 'ready' && next.phase === 'ready') {
      this.bridge.post({ type: 'pepay:ready', invoice_id: invoiceId })
      if (!isTerminal(next.status)) {
        void this.loadTokens()
        void this.loadQuestions()
      }
    }
    const kindBefore = statusKindOf(previous)
    const kindAfter = statusKindOf(next)
    if (next.phase === 'ready' && (previous.status !== next.status || kindBefore !== kindAfter)) {
      this.bridge.post({
        type: 'pepay:status',
        invoice_id: invoiceId,
        status: next.status ?? 'unpaid',
        detail: kindAfter,
      })
    }
    if (previous.status !== next.status) {
      if (next.status === 'paid') {
        this.bridge.post({
          type: 'pepay:paid',
          invoice_id: invoiceId,
          return_url: safeReturnUrl(next.session) ?? null,
        })
        this.startRedirect()
      }
      if (next.status === 'expired')
        this.bridge.post({ type: 'pepay:expired', invoice_id: invoiceId })
      if (isTerminal(next.status)) {
        this.stopStream()
        this.stopPolling()
      }
    }
    if (needsRemainderQuote(next)) {
      const locked = lockedSelection(next.session)
      if (locked) this.allocate(locked)
    }
    // one stream per page: a re-quote mints a new token, but an open stream stays as it is
    const wsToken = next.address?.ws_connection.token
    if (wsToken && !this.stream && !isTerminal(next.status)) this.connectStream(wsToken)
    if (previous.transport !== next.transport) this.schedulePoll()
  }

  // ── server reads ────────────────────────────────────────────────────────────
  private async refresh(): Promise<void> {
    if (!this.api) return
    if (this.refreshing) {
      this.refreshAgain = true
      return
    }
    this.refreshing = true
    const issuedVersion = this.state.statusVersion
    try {
      const details = await this.api.getSessionDetails()
      this.loadAttempts = 0
      this.dispatch({ type: 'session', details, atMs: now(), issuedVersion })
    } catch (error) {
      const invalid = isInvalidSession(error)
      this.dispatch({
        type: 'session-failed',
        invalid,
        message: messageOf(error, 'Could not load this payment.'),
      })
      if (!invalid && this.state.phase !== 'ready') {
        this.loadAttempts += 1
        if (this.loadAttempts < MAX_LOAD_ATTEMPTS) {
          this.refreshing = false
          this.win.setTimeout(
            () => void this.refresh(),
            Math.min(8000, 1000 * 2 ** (this.loadAttempts - 1)),
          )
          return
        }
      }
    } finally {
      this.refreshing = false
    }
    if (this.refreshAgain) {
      this.refreshAgain = false
      void this.refresh()
      return
    }
    this.schedulePoll()
  }

  private schedulePoll(): void {
    this.stopPolling()
    if (this.state.phase !== 'ready' || isTerminal(this.state.status)) return
    const delay = this.state.transport === 'ws' ? POLL_BESIDE_STREAM_MS : POLL_MS
    this.pollTimer = this.win.setTimeout(() => void this.refresh(), delay)
  }

  private stopPolling(): void {
    if (this.pollTimer !== undefined) this.win.clearTimeout(this.pollTimer)
    this.pollTimer = undefined
  }

  private async loadTokens(): Promise<void> {
    if (!this.api) return
    try {
      this.dispatch({ type: 'tokens', tokens: await this.api.listAvailableTokens() })
    } catch (error) {
      this.dispatch({
        type: 'tokens-failed',
        message: messageOf(error, 'Could not load the payment options.'),
      })
    }
  }

  private async loadQuestions(): Promise<void> {
    if (!this.api) return
    try {
      const result = await this.api.getQuestions()
      this.dispatch({
        type: 'questions',
        questions: result.has_questions ? (result.questions?.questions ?? []) : [],
      })
    } catch {
      // questions are optional for paying: the page works without them
      this.dispatch({ type: 'questions', questions: [] })
    }
  }

  // ── payer actions ───────────────────────────────────────────────────────────
  private allocate(selection: Selection): void {
    if (!this.api) return
    this.dispatch({ type: 'select', selection })
    if (!this.state.allocating) return
    this.api
      .createPaymentAddress({
        network: selection.network as CreatePaymentAddressParams['network'],
        tokenId: selection.tokenId,
      })
      .then(
        (address) => this.dispatch({ type: 'address', address, atMs: now() }),
        (error: unknown) => {
          this.dispatch({
            type: 'address-failed',
            message: messageOf(error, 'Could not prepare a payment address.'),
          })
          // the invoice may have changed under the payer (paid, expired): the server says how
          void this.refresh()
        },
      )
  }

  private async saveEmail(email: string): Promise<string | undefined> {
    if (!this.api) return 'Not available.'
    try {
      await this.api.setCustomerEmail(email)
      return undefined
    } catch (error) {
      return messageOf(error, 'Could not save the e-mail address.')
    }
  }

  private async submitDetails(
    responses: { question_id: string; response: string | number | boolean }[],
  ): Promise<string | undefined> {
    if (!this.api) return 'Not available.'
    try {
      await this.api.submitForm({ responses })
      this.dispatch({ type: 'details-submitted' })
      return undefined
    } catch (error) {
      return messageOf(error, 'Could not save your details.')
    }
  }

  private retry(): void {
    const screen = screenOf(this.state)
    if (screen === 'unreachable' || screen === 'loading') {
      this.loadAttempts = 0
      void this.refresh()
    } else if (this.state.tokensError) {
      void this.loadTokens()
    } else if (this.state.selection) {
      this.allocate(this.state.selection)
    }
  }

  // ── realtime ────────────────────────────────────────────────────────────────
  private connectStream(token: string): void {
    if (!this.api) return
    this.stopStream()
    let stream: PaymentSessionStream
    try {
      stream = this.api.connectPaymentStream(token)
    } catch {
      return
    }
    this.stream = stream
    stream.on('open', () => this.dispatch({ type: 'transport', transport: 'ws' }))
    stream.on('message', (frame) => {
      this.dispatch({ type: 'frame', frame })
      if (this.frameRefreshTimer !== undefined) this.win.clearTimeout(this.frameRefreshTimer)
      this.frameRefreshTimer = this.win.setTimeout(
        () => void this.refresh(),
        REFRESH_AFTER_FRAME_MS,
      )
    })
    const fallback = (): void => this.dispatch({ type: 'transport', transport: 'poll' })
    stream.on('reconnecting', fallback)
    stream.on('error', fallback)
    stream.on('close', () => {
      // closed for good (gave up, or the page closed it): a later quote's token may open a new one
      if (this.stream === stream) this.stream = undefined
      fallback()
    })
  }

  private stopStream(): void {
    this.stream?.close()
    this.stream = undefined
  }

  // ── timers ──────────────────────────────────────────────────────────────────
  private tick(): void {
    const t = now()
    this.view.tick(t)
    const s = this.state
    if (s.phase !== 'ready' || isTerminal(s.status)) return
    if (s.deadlineMs !== undefined && t >= s.deadlineMs && !this.expiryRefreshed) {
      // the countdown reached zero: the server decides whether the invoice is expired
      this.expiryRefreshed = true
      void this.refresh()
    }
    if (
      s.address &&
      s.quoteDeadlineMs !== undefined &&
      t >= s.quoteDeadlineMs &&
      !s.progress &&
      !s.allocating &&
      s.selection
    ) {
      const quoteKey = `${s.address.temp_address}:${s.address.quote_valid_until}`
      // one re-quote per expired quote (no loop if the server keeps answering the same one)
      if (this.requotedFor !== quoteKey) {
        this.requotedFor = quoteKey
        this.allocate(s.selection)
      }
    }
  }

  private startRedirect(): void {
    const url = safeReturnUrl(this.state.session)
    // in an iframe the embedding page decides where to go (it gets return_url in pepay:paid)
    if (!url || this.embed) return
    let left = REDIRECT_SECONDS
    this.view.setRedirectSeconds(left)
    this.redirectTimer = this.win.setInterval(() => {
      left -= 1
      this.view.setRedirectSeconds(Math.max(0, left))
      if (left <= 0) {
        this.cancelRedirect(false)
        this.win.location.assign(url)
      }
    }, 1000)
  }

  private cancelRedirect(announce = true): void {
    if (this.redirectTimer !== undefined) this.win.clearInterval(this.redirectTimer)
    this.redirectTimer = undefined
    if (announce) this.view.setRedirectSeconds(undefined)
  }

  stop(): void {
    this.stopStream()
    this.stopPolling()
    if (this.tickTimer !== undefined) this.win.clearInterval(this.tickTimer)
    this.cancelRedirect(false)
  }
}

const root = document.getElementById('app')
if (root) {
  const controller = new CheckoutController(window, root)
  controller.start()
  // read-only handle for support and for the browser tests
  ;(window as unknown as { pepayCheckout?: { readonly state: CheckoutState } }).pepayCheckout = {
    get state() {
      return controller.current
    },
  }
}
