/**
 * DOM for the checkout page. Regions re-render only when what they show changes (a key per
 * region), and focus is carried across a re-render, so keyboard users never lose their place.
 */
import type { AvailableToken } from 'pepay'
import { h, replace, setText, type Child } from './dom.ts'
import {
  formatCountdown,
  formatUsd,
  isTerminal,
  needsDetails,
  networkLabel,
  networksOf,
  safeReturnUrl,
  screenOf,
  secondsLeft,
  statusKindOf,
  type CheckoutState,
  type Question,
  type Screen,
  type Selection,
  type StatusKind,
} from './checkout.state.ts'
import { qrDataUri } from './qr.ts'

export interface ViewHandlers {
  select(selection: Selection): void
  changeToken(): void
  saveEmail(email: string): Promise<string | undefined>
  submitDetails(
    responses: { question_id: string; response: string | number | boolean }[],
  ): Promise<string | undefined>
  retry(): void
  close(): void
  cancelRedirect(): void
}

export interface ViewOptions {
  embed: boolean
  handlers: ViewHandlers
}

/** Status line per kind (the `aria-live` region reads it out when it changes). */
export function statusText(state: CheckoutState, kind: StatusKind): string {
  const symbol = state.address?.token_symbol ?? ''
  switch (kind) {
    case 'loading':
      return 'Loading payment details…'
    case 'choose':
      return 'Choose a network and token to pay with.'
    case 'waiting':
      return `Waiting for your payment of ${state.address?.estimated_token_amount ?? ''} ${symbol}.`
    case 'detected': {
      const p = state.progress
      return `Payment detected${p ? ` (${p.amountText} ${p.tokenSymbol})` : ''}. Waiting for confirmation.`
    }
    case 'confirming': {
      const p = state.progress
      return `Confirming payment: ${p?.confirmations ?? 0} of ${p?.confirmationsRequired ?? 1} confirmations.`
    }
    case 'underpaid':
      return `Partial payment received. ${state.remainingUsd ? `${formatUsd(state.remainingUsd)} is still due` : 'The rest is still due'} in the same token, to the same address.`
    case 'paid':
      return 'Payment received. Thank you!'
    case 'expired':
      return 'This invoice has expired.'
    case 'canceled':
      return 'This invoice was canceled.'
    case 'invalid':
      return 'This payment link is not valid.'
    case 'unreachable':
      return 'Cannot reach the payment server.'
  }
}

/** A spinner with what the page is waiting for. */
function loading(text: string): HTMLElement {
  return h(
    'div',
    { class: 'loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    text,
  )
}

function tokenMonogram(symbol: string): string {
  return (
    symbol
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 2)
      .toUpperCase() || '?'
  )
}

/** Copies text, with a fallback for pages that are not a secure context. */
async function copyText(text: string): Promise<boolean> {
  try {
    // the Clipboard API exists only in secure contexts (https, localhost)
    if ('clipboard' in navigator && window.isSecureContext) {
      await navigator.clipboard.writeText(text)
      return true
    }
  } catch {
    // fall through to the selection fallback
  }
  const area = h('textarea', {
    class: 'offscreen',
    readonly: true,
    'aria-hidden': 'true',
    tabindex: '-1',
  })
  area.value = text
  document.body.appendChild(area)
  area.select()
  let ok = false
  try {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the only copy path outside secure contexts
    ok = document.execCommand('copy')
  } catch {
    ok = false
  }
  area.remove()
  return ok
}

export class CheckoutView {
  private readonly root: HTMLElement
  private readonly options: ViewOptions
  private readonly card: HTMLElement
  private readonly header: HTMLElement
  private readonly amountLabelEl: HTMLElement
  private readonly amountEl: HTMLElement
  private readonly remainingEl: HTMLElement
  private readonly timerEl: HTMLElement
  private readonly countdownEl: HTMLElement
  private readonly statusEl: HTMLElement
  private readonly announceEl: HTMLElement
  private readonly body: HTMLElement
  private readonly extras: HTMLElement
  private readonly footer: HTMLElement
  private headerKey = ''
  private bodyKey = ''
  private extrasKey = ''
  private lastScreen: Screen | undefined
  private redirectEl: HTMLElement | undefined
  private quoteEl: HTMLElement | undefined
  private state: CheckoutState | undefined

  constructor(root: HTMLElement, options: ViewOptions) {
    this.root = root
    this.options = options
    this.header = h('header', { class: 'head' })
    this.amountEl = h('p', { class: 'amount', 'data-testid': 'amount-usd' })
    this.remainingEl = h('p', { class: 'remaining', 'data-testid': 'remaining-usd', hidden: true })
    this.countdownEl = h('span', {
      class: 'countdown',
      'data-testid': 'countdown',
      role: 'timer',
      'aria-live': 'off',
    })
    this.timerEl = h(
      'p',
      { class: 'timer' },
      h('span', { class: 'timer-label' }, 'Expires in '),
      this.countdownEl,
    )
    this.statusEl = h('div', {
      class: 'status',
      role: 'status',
      'aria-live': 'polite',
      'aria-atomic': 'true',
      'data-testid': 'status',
    })
    this.announceEl = h('div', { class: 'sr-only', 'aria-live': 'polite' })
    this.body = h('section', { class: 'body', 'aria-label': 'Payment' })
    this.extras = h('section', { class: 'extras', 'aria-label': 'Your details' })
    this.footer = h('footer', { class: 'foot' })
    this.amountLabelEl = h('p', { class: 'amount-label' }, 'Amount due')
    const summary = h(
      'section',
      { class: 'summary', 'aria-label': 'Amount' },
      this.amountLabelEl,
      this.amountEl,
      this.remainingEl,
      this.timerEl,
    )
    this.card = h(
      'main',
      { class: 'card', id: 'checkout' },
      this.header,
      summary,
      this.statusEl,
      this.body,
      this.extras,
      this.footer,
      this.announceEl,
    )
    replace(root, this.card)
    if (options.embed) root.classList.add('embed')
  }

  /** Announces a short message to screen readers without moving focus. */
  announce(text: string): void {
    this.announceEl.textContent = ''
    // a new text node after a clear is what makes screen readers repeat an identical message
    queueMicrotask(() => setText(this.announceEl, text))
  }

  render(state: CheckoutState, nowMs: number): void {
    this.state = state
    const screen = screenOf(state)
    const kind = statusKindOf(state)
    this.root.dataset['screen'] = screen
    this.root.dataset['status'] = state.status ?? 'loading'
    this.root.dataset['transport'] = state.transport
    this.card.setAttribute('aria-busy', screen === 'loading' ? 'true' : 'false')
    this.renderHeader(state)
    this.renderSummary(state, nowMs)
    this.statusEl.dataset['kind'] = kind
    setText(this.statusEl, statusText(state, kind))
    // result screens say it in their heading: the live region stays for screen readers only
    const result =
      screen === 'paid' ||
      screen === 'expired' ||
      screen === 'canceled' ||
      screen === 'invalid' ||
      screen === 'unreachable'
    this.statusEl.classList.toggle('sr-only', result)
    this.body.classList.toggle('result-screen', result)
    this.renderBody(state, screen)
    this.renderQuoteTimer(state, nowMs)
    this.renderExtras(state, screen)
    this.renderFooter(state)
    this.updateTitle(state, screen)
    if (screen !== this.lastScreen) {
      const previous = this.lastScreen
      this.lastScreen = screen
      // land keyboard and screen-reader users on the new step's heading
      if (previous !== undefined && previous !== 'loading') this.focusHeading()
    }
  }

  /** Every second: countdowns only. */
  tick(nowMs: number): void {
    if (!this.state) return
    this.renderCountdown(this.state, nowMs)
    this.renderQuoteTimer(this.state, nowMs)
  }

  private renderQuoteTimer(state: CheckoutState, nowMs: number): void {
    if (!this.quoteEl) return
    const left = secondsLeft(state.quoteDeadlineMs, nowMs)
    setText(
      this.quoteEl,
      left === undefined
        ? ''
        : left > 0
          ? `Rate held for ${formatCountdown(left)}.`
          : 'Updating the rate…',
    )
  }

  setRedirectSeconds(seconds: number | undefined): void {
    if (!this.redirectEl) return
    setText(
      this.redirectEl,
      seconds === undefined
        ? 'Automatic return canceled.'
        : `Returning to the merchant in ${seconds} s.`,
    )
  }

  private focusHeading(): void {
    const heading = this.body.querySelector<HTMLElement>('h2')
    if (!heading) return
    const active = document.activeElement
    // only take focus from nowhere or from something the re-render removed
    if (
      active &&
      active !== document.body &&
      document.contains(active) &&
      !this.body.contains(active)
    )
      return
    heading.setAttribute('tabindex', '-1')
    heading.focus({ preventScroll: false })
  }

  private renderHeader(state: CheckoutState): void {
    const s = state.session
    const key = JSON.stringify([
      s?.merchant_name,
      s?.invoice_title,
      s?.description,
      s?.network_environment,
      this.options.embed,
    ])
    if (key === this.headerKey) return
    this.headerKey = key
    const name = s?.merchant_name ?? 'Checkout'
    const title = s?.invoice_title ?? null
    const description = s?.description ?? null
    replace(
      this.header,
      h(
        'div',
        { class: 'merchant' },
        h(
          'div',
          { class: 'avatar', 'aria-hidden': 'true' },
          s ? name.trim().charAt(0).toUpperCase() || 'P' : '',
        ),
        h(
          'div',
          { class: 'merchant-text' },
          h(
            'h1',
            { class: 'merchant-name', 'data-testid': 'merchant-name' },
            s ? name : 'Checkout',
          ),
          title ? h('p', { class: 'title' }, title) : null,
          description
            ? h('p', { class: 'description', 'data-testid': 'description' }, description)
            : null,
          s?.network_environment === 'devnet'
            ? h(
                'p',
                { class: 'badge-row' },
                h('span', { class: 'badge' }, 'Test network'),
                h('span', { class: 'sr-only' }, ': payments here have no real value'),
              )
            : null,
        ),
      ),
      this.options.embed
        ? h(
            'button',
            {
              type: 'button',
              class: 'close',
              'aria-label': 'Close checkout',
              onclick: () => this.options.handlers.close(),
            },
            '×',
          )
        : null,
    )
  }

  private renderSummary(state: CheckoutState, nowMs: number): void {
    const s = state.session
    setText(
      this.amountLabelEl,
      state.status === 'paid'
        ? 'Amount paid'
        : state.status === 'underpaid'
          ? 'Invoice total'
          : 'Amount due',
    )
    setText(this.amountEl, s ? formatUsd(String(s.amount_usd)) : '')
    const showRemaining =
      state.status === 'underpaid' && state.remainingUsd !== undefined && s !== undefined
    this.remainingEl.hidden = !showRemaining
    if (showRemaining)
      setText(
        this.remainingEl,
        `Remaining ${formatUsd(state.remainingUsd ?? '')} of ${formatUsd(String(s.amount_usd))}`,
      )
    this.renderCountdown(state, nowMs)
  }

  private renderCountdown(state: CheckoutState, nowMs: number): void {
    const payable = state.phase === 'ready' && !isTerminal(state.status)
    this.timerEl.hidden = !payable
    if (!payable) return
    const left = secondsLeft(state.deadlineMs, nowMs) ?? 0
    setText(this.countdownEl, formatCountdown(left))
    this.countdownEl.setAttribute('aria-label', `${formatCountdown(left)} left to pay`)
    this.timerEl.classList.toggle('urgent', left < 300)
  }

  private renderFooter(state: CheckoutState): void {
    const footer = state.session?.invoice_footer ?? null
    const id = state.session?.invoice_id
    const key = JSON.stringify([footer, id])
    if (this.footer.dataset['key'] === key) return
    this.footer.dataset['key'] = key
    replace(
      this.footer,
      footer ? h('p', { class: 'footer-text' }, footer) : null,
      h(
        'p',
        { class: 'powered' },
        'Secured by Pepay',
        id ? h('span', { class: 'invoice-id' }, ` · Invoice ${id.slice(0, 8)}`) : null,
      ),
    )
  }

  private updateTitle(state: CheckoutState, screen: Screen): void {
    const name = state.session?.merchant_name
    const amount = state.session ? formatUsd(String(state.session.amount_usd)) : ''
    const title =
      screen === 'paid'
        ? `Paid · ${name ?? ''}`
        : screen === 'expired'
          ? `Expired · ${name ?? ''}`
          : name
            ? `Pay ${name} · ${amount}`
            : 'Pepay checkout'
    if (document.title !== title) document.title = title
  }

  // ── body: one screen at a time ──────────────────────────────────────────────
  private renderBody(state: CheckoutState, screen: Screen): void {
    // what the screen shows, and nothing else: a rebuilt form loses what the payer typed in it (the
    // details screen must not be rebuilt when the token list it does not show arrives)
    const choosing = screen === 'select' || screen === 'pay'
    const key = JSON.stringify([
      screen,
      choosing ? state.tokens?.map((t) => t.id) : null,
      choosing ? state.tokensError : null,
      choosing ? state.selection : null,
      choosing ? state.allocating : null,
      choosing ? state.addressError : null,
      choosing ? state.address?.temp_address : null,
      choosing ? state.address?.estimated_token_amount : null,
      choosing ? state.address?.payment_uri : null,
      screen === 'pay' ? state.status : null,
      screen === 'pay' ? state.progress?.paymentId : null,
      screen === 'paid' ? safeReturnUrl(state.session) : null,
      screen === 'unreachable' || screen === 'invalid' ? state.errorMessage : null,
    ])
    if (key === this.bodyKey) return
    this.bodyKey = key
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset['focus']
    this.quoteEl = undefined
    this.redirectEl = undefined
    replace(this.body, ...this.bodyFor(state, screen))
    if (focusKey) this.body.querySelector<HTMLElement>(`[data-focus="${focusKey}"]`)?.focus()
  }

  private bodyFor(state: CheckoutState, screen: Screen): Child[] {
    switch (screen) {
      case 'loading':
        return [loading('Loading payment details…')]
      case 'invalid':
        return [
          h('h2', null, 'This payment link is not valid'),
          h(
            'p',
            { class: 'muted' },
            'It may be incomplete or mistyped. Ask the merchant for a new payment link. Do not send any payment.',
          ),
        ]
      case 'unreachable':
        return [
          h('h2', null, 'Cannot reach the payment server'),
          h('p', { class: 'muted' }, 'Check your connection. Your payment details are safe.'),
          this.retryButton(),
        ]
      case 'details':
        return [
          h('h2', null, 'Your details'),
          h(
            'p',
            { class: 'muted' },
            `${state.session?.merchant_name ?? 'The merchant'} needs a few details before you pay.`,
          ),
          this.detailsForm(state, true),
        ]
      case 'select':
        return this.selectScreen(state)
      case 'pay':
        return this.payScreen(state)
      case 'paid':
        return this.paidScreen(state)
      case 'expired':
        return [
          h('div', { class: 'result expired', 'aria-hidden': 'true' }, '!'),
          h('h2', null, 'This invoice has expired'),
          h(
            'p',
            { class: 'muted' },
            'Nothing can be paid on it any more. Do not send funds to an address shown earlier; ask the merchant for a new payment link.',
          ),
        ]
      case 'canceled':
        return [
          h('div', { class: 'result expired', 'aria-hidden': 'true' }, '!'),
          h('h2', null, 'This invoice was canceled'),
          h(
            'p',
            { class: 'muted' },
            'Nothing can be paid on it. Do not send funds to an address shown earlier.',
          ),
        ]
    }
  }

  private retryButton(): HTMLElement {
    return h(
      'button',
      {
        type: 'button',
        class: 'primary',
        'data-focus': 'retry',
        onclick: () => this.options.handlers.retry(),
      },
      'Try again',
    )
  }

  private selectScreen(state: CheckoutState): Child[] {
    if (state.tokensError) {
      return [
        h('h2', null, 'Choose how to pay'),
        h('p', { class: 'error', role: 'alert' }, state.tokensError),
        this.retryButton(),
      ]
    }
    const tokens = state.tokens
    if (!tokens) return [h('h2', null, 'Choose how to pay'), loading('Loading payment options…')]
    if (tokens.length === 0) {
      return [
        h('h2', null, 'Choose how to pay'),
        h(
          'p',
          { class: 'muted' },
          'No payment option is available for this invoice right now. Please try again later or contact the merchant.',
        ),
      ]
    }
    const networks = networksOf(tokens)
    let network =
      state.selection?.network && networks.includes(state.selection.network)
        ? state.selection.network
        : (networks[0] ?? '')
    const tokenList = h('div', { class: 'tokens' })
    const submit = h(
      'button',
      { type: 'submit', class: 'primary', 'data-focus': 'continue', 'data-testid': 'continue' },
      state.allocating ? 'Preparing address…' : 'Continue',
    )
    if (state.allocating) submit.setAttribute('aria-disabled', 'true')
    const fillTokens = (): void => {
      const forNetwork = tokens.filter((t) => t.network === network)
      const current =
        state.selection?.network === network ? state.selection.tokenId : forNetwork[0]?.id
      replace(tokenList, ...forNetwork.map((t) => this.tokenOption(t, t.id === current)))
    }
    fillTokens()
    const networkField =
      networks.length > 1
        ? h(
            'div',
            { class: 'field' },
            h('label', { for: 'network', class: 'label' }, 'Network'),
            h(
              'select',
              {
                id: 'network',
                'data-focus': 'network',
                'data-testid': 'network',
                onchange: (e: Event) => {
                  network = (e.target as HTMLSelectElement).value
                  fillTokens()
                },
              },
              ...networks.map((n) =>
                h('option', { value: n, selected: n === network }, networkLabel(n)),
              ),
            ),
          )
        : h(
            'p',
            { class: 'network-only' },
            h('span', { class: 'label' }, 'Network'),
            ' ',
            h('strong', null, networkLabel(network)),
          )
    const form = h(
      'form',
      {
        class: 'select-form',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault()
          if (state.allocating) return
          const checked = tokenList.querySelector<HTMLInputElement>('input[name="token"]:checked')
          if (!checked) return
          this.options.handlers.select({ network, tokenId: Number.parseInt(checked.value, 10) })
        },
      },
      networkField,
      h('fieldset', { class: 'field' }, h('legend', { class: 'label' }, 'Token'), tokenList),
      state.addressError ? h('p', { class: 'error', role: 'alert' }, state.addressError) : null,
      submit,
    )
    return [h('h2', null, 'Choose how to pay'), form]
  }

  private tokenOption(token: AvailableToken, checked: boolean): HTMLElement {
    const id = `token-${token.id}`
    return h(
      'label',
      { class: 'token', for: id },
      h('input', {
        type: 'radio',
        name: 'token',
        id,
        value: String(token.id),
        checked,
        'data-focus': `token-${token.id}`,
        'data-testid': `token-${token.token_symbol}`,
      }),
      h('span', { class: 'token-badge', 'aria-hidden': 'true' }, tokenMonogram(token.token_symbol)),
      h(
        'span',
        { class: 'token-text' },
        h('span', { class: 'token-symbol' }, token.token_symbol),
        h('span', { class: 'token-name' }, token.token_name),
      ),
    )
  }

  private payScreen(state: CheckoutState): Child[] {
    const address = state.address
    const underpaid = state.status === 'underpaid'
    if (state.progress) {
      // the instructions go away while a transfer confirms: sending again would pay twice
      const p = state.progress
      return [
        h('h2', null, 'Payment on its way'),
        loading(
          p.amountText
            ? `${p.amountText} ${p.tokenSymbol} received, waiting for the network to confirm it.`
            : 'Waiting for the network to confirm your payment.',
        ),
        h('p', { class: 'muted' }, 'There is nothing more to send. This page updates by itself.'),
      ]
    }
    const heading = h('h2', null, underpaid ? 'Send the remaining amount' : 'Send your payment')
    if (!address) {
      return [
        heading,
        state.addressError
          ? h('p', { class: 'error', role: 'alert' }, state.addressError)
          : loading(
              underpaid ? 'Getting the remaining amount…' : 'Preparing your payment address…',
            ),
        state.addressError ? this.retryButton() : null,
      ]
    }
    const network = networkLabel(address.network)
    this.quoteEl =
      address.exchange_rate !== '1.000000' ? h('p', { class: 'hint quote' }) : undefined
    const canChange = state.status === 'unpaid' && !state.progress
    return [
      heading,
      h(
        'div',
        { class: 'pay-grid' },
        h(
          'figure',
          { class: 'qr' },
          h('img', {
            src: qrDataUri(address.payment_uri),
            width: '200',
            height: '200',
            alt: `QR code: pay ${address.estimated_token_amount} ${address.token_symbol} on ${network} from a wallet app`,
          }),
          h('figcaption', { class: 'hint' }, 'Scan to pay'),
        ),
        h(
          'div',
          { class: 'pay-side' },
          this.copyField(
            'amount',
            'Amount',
            address.estimated_token_amount,
            h('span', { class: 'unit' }, ` ${address.token_symbol}`),
            'token-amount',
          ),
          h(
            'a',
            { class: 'secondary wallet-link', href: address.payment_uri, 'data-focus': 'wallet' },
            'Open in wallet',
          ),
        ),
        this.copyField(
          'address',
          `${address.token_symbol} address on ${network}`,
          address.temp_address,
          null,
          'address',
        ),
      ),
      h(
        'p',
        { class: 'hint warn' },
        `Send exactly this amount of ${address.token_symbol} on ${network}. Other tokens or networks sent to this address may be lost.`,
      ),
      this.quoteEl ?? null,
      canChange
        ? h(
            'button',
            {
              type: 'button',
              class: 'link',
              'data-focus': 'change',
              onclick: () => this.options.handlers.changeToken(),
            },
            'Pay with a different token',
          )
        : null,
    ]
  }

  private copyField(
    name: string,
    label: string,
    value: string,
    suffix: Child,
    testId: string,
  ): HTMLElement {
    const labelId = `${name}-label`
    const valueEl = h(
      'code',
      {
        class: `value ${name}`,
        id: `${name}-value`,
        'data-testid': testId,
        'aria-labelledby': labelId,
      },
      value,
    )
    const button = h(
      'button',
      { type: 'button', class: 'copy', 'data-focus': `copy-${name}`, 'aria-label': `Copy ${name}` },
      'Copy',
    )
    button.addEventListener('click', () => {
      void copyText(value).then((ok) => {
        setText(button, ok ? 'Copied' : 'Copy failed')
        this.announce(ok ? `${label} copied` : `Could not copy the ${label.toLowerCase()}`)
        window.setTimeout(() => setText(button, 'Copy'), 2000)
      })
    })
    return h(
      'div',
      { class: `field copy-field ${name}-field` },
      h('span', { class: 'label', id: labelId }, label),
      h('div', { class: 'copy-row' }, h('span', { class: 'value-wrap' }, valueEl, suffix), button),
    )
  }

  private paidScreen(state: CheckoutState): Child[] {
    const returnUrl = safeReturnUrl(state.session)
    const children: Child[] = [
      h('div', { class: 'result paid', 'aria-hidden': 'true' }, '✓'),
      h('h2', { 'data-testid': 'paid-heading' }, 'Payment received'),
      h(
        'p',
        { class: 'muted' },
        `Thank you. ${state.session ? `${formatUsd(String(state.session.amount_usd))} paid to ${state.session.merchant_name}.` : ''}`,
      ),
    ]
    if (returnUrl && !this.options.embed) {
      this.redirectEl = h('p', { class: 'hint', 'data-testid': 'redirect' })
      children.push(
        this.redirectEl,
        h(
          'div',
          { class: 'actions' },
          h(
            'a',
            { class: 'primary', href: returnUrl, 'data-focus': 'return', rel: 'noreferrer' },
            'Return to merchant',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              'data-focus': 'stay',
              onclick: () => this.options.handlers.cancelRedirect(),
            },
            'Stay on this page',
          ),
        ),
      )
    }
    return children
  }

  // ── extras: e-mail and the merchant's questions, kept across body re-renders ──
  private renderExtras(state: CheckoutState, screen: Screen): void {
    const payable = screen === 'select' || screen === 'pay'
    const questions = state.questions ?? []
    const askDetails =
      payable && questions.length > 0 && !needsDetails(state) && !state.detailsSubmitted
    const askEmail =
      payable && state.questions !== undefined && !questions.some((q) => q.type === 'email')
    const key = JSON.stringify([askEmail, askDetails])
    if (key === this.extrasKey) return
    this.extrasKey = key
    this.extras.hidden = !askEmail && !askDetails
    replace(
      this.extras,
      askEmail ? this.emailForm() : null,
      askDetails ? this.detailsForm(state, false) : null,
    )
  }

  private emailForm(): HTMLElement {
    const input = h('input', {
      id: 'email',
      type: 'email',
      name: 'email',
      autocomplete: 'email',
      inputmode: 'email',
      maxlength: '320',
      'aria-describedby': 'email-msg',
      'data-focus': 'email',
    })
    const message = h(
      'p',
      { class: 'field-msg', id: 'email-msg', 'aria-live': 'polite' },
      'We send your receipt here.',
    )
    const button = h(
      'button',
      { type: 'submit', class: 'secondary', 'data-focus': 'email-save' },
      'Save',
    )
    return h(
      'form',
      {
        class: 'email-form',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault()
          const value = input.value.trim()
          if (!input.checkValidity() || value.length === 0) {
            input.setAttribute('aria-invalid', 'true')
            setText(message, 'Enter a valid e-mail address, like name@example.com.')
            message.classList.add('error')
            input.focus()
            return
          }
          button.setAttribute('aria-disabled', 'true')
          void this.options.handlers.saveEmail(value).then((error) => {
            button.removeAttribute('aria-disabled')
            input.setAttribute('aria-invalid', error ? 'true' : 'false')
            message.classList.toggle('error', error !== undefined)
            message.classList.toggle('ok', error === undefined)
            setText(message, error ?? 'Saved. Your receipt will be sent to this address.')
          })
        },
      },
      h(
        'label',
        { for: 'email', class: 'label' },
        'E-mail for your receipt ',
        h('span', { class: 'optional' }, '(optional)'),
      ),
      h('div', { class: 'inline' }, input, button),
      message,
    )
  }

  private detailsForm(state: CheckoutState, gate: boolean): HTMLElement {
    const questions = state.questions ?? []
    const message = h('p', { class: 'field-msg', 'aria-live': 'polite' })
    const inputs = questions.map((q, index) => this.questionField(q, index))
    const button = h(
      'button',
      { type: 'submit', class: gate ? 'primary' : 'secondary', 'data-focus': 'details-save' },
      gate ? 'Continue' : 'Save details',
    )
    return h(
      'form',
      {
        class: 'details-form',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault()
          const responses: { question_id: string; response: string | number | boolean }[] = []
          let firstInvalid: HTMLInputElement | undefined
          for (const { question, input } of inputs) {
            const required = question.validation?.required === true
            let valid = true
            if (question.type === 'boolean') {
              if (required && !input.checked) valid = false
              else if (input.checked || required)
                responses.push({ question_id: question.id, response: input.checked })
            } else {
              const raw = input.value.trim()
              if (raw.length === 0) valid = !required
              else if (!input.checkValidity()) valid = false
              else if (question.type === 'number') {
                // a form answer, not an amount of money
                if (Number.isFinite(input.valueAsNumber))
                  responses.push({ question_id: question.id, response: input.valueAsNumber })
                else valid = false
              } else responses.push({ question_id: question.id, response: raw })
            }
            input.setAttribute('aria-invalid', valid ? 'false' : 'true')
            if (!valid && !firstInvalid) firstInvalid = input
          }
          if (firstInvalid) {
            message.classList.add('error')
            setText(message, 'Please complete the highlighted fields.')
            firstInvalid.focus()
            return
          }
          if (responses.length === 0) {
            message.classList.add('error')
            setText(message, 'Answer at least one question, or skip this step.')
            return
          }
          button.setAttribute('aria-disabled', 'true')
          void this.options.handlers.submitDetails(responses).then((error) => {
            button.removeAttribute('aria-disabled')
            message.classList.toggle('error', error !== undefined)
            message.classList.toggle('ok', error === undefined)
            setText(message, error ?? 'Saved.')
          })
        },
      },
      gate
        ? null
        : h(
            'h2',
            { class: 'small' },
            `Details for ${state.session?.merchant_name ?? 'the merchant'}`,
          ),
      ...inputs.map((i) => i.field),
      message,
      button,
    )
  }

  private questionField(
    question: Question,
    index: number,
  ): { question: Question; input: HTMLInputElement; field: HTMLElement } {
    const id = `q-${index}`
    const required = question.validation?.required === true
    const type =
      question.type === 'email'
        ? 'email'
        : question.type === 'number'
          ? 'number'
          : question.type === 'boolean'
            ? 'checkbox'
            : 'text'
    const input = h('input', {
      id,
      type,
      name: question.id,
      required,
      'aria-required': required ? 'true' : undefined,
      autocomplete: question.type === 'email' ? 'email' : undefined,
      'data-focus': id,
      maxlength: type === 'text' || type === 'email' ? '2000' : undefined,
    })
    const label = h(
      'label',
      { for: id, class: type === 'checkbox' ? 'check-label' : 'label' },
      question.question,
      required
        ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *')
        : h('span', { class: 'optional' }, ' (optional)'),
    )
    const field =
      type === 'checkbox'
        ? h('div', { class: 'field check' }, input, label)
        : h('div', { class: 'field' }, label, input)
    return { question, input, field }
  }
}
