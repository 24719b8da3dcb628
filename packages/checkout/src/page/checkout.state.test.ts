import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { AvailableToken, PaymentAddress, SessionDetails } from 'pepay'
import {
  formatCountdown,
  formatUsd,
  initialState,
  lockedSelection,
  mergeStatus,
  needsRemainderQuote,
  reduce,
  safeReturnUrl,
  screenOf,
  secondsLeft,
  statusKindOf,
  type Action,
  type CheckoutState,
  type InvoiceStatus,
} from './checkout.state.ts'

const INVOICE = '01966f4e-0000-7000-8000-000000000001'

function session(overrides: Partial<SessionDetails> = {}): SessionDetails {
  return {
    invoice_id: INVOICE,
    amount_usd: 49.99,
    amount_remaining_usd: 49.99,
    description: 'Starter plan',
    invoice_title: null,
    invoice_footer: null,
    expires_at: 1_800_000_000,
    invoice_status: 'unpaid',
    remaining_time: 3_600_000,
    remaining_seconds: 3600,
    merchant_name: 'Acme',
    merchant_email: null,
    network_environment: 'devnet',
    locked_network: null,
    locked_token_id: null,
    locked_payment_address: null,
    payment_return_url: null,
    payment_return_url_enabled: false,
    ...overrides,
  }
}

function address(overrides: Partial<PaymentAddress> = {}): PaymentAddress {
  return {
    success: true,
    quote_status: 'available',
    status_code: 'ok',
    message: null,
    temp_address: '0xabc0000000000000000000000000000000000001',
    network: 'base',
    supported_token_id: 7,
    estimated_token_amount: '49.990000',
    estimated_token_amount_units: '49990000',
    token_symbol: 'USDC',
    token_decimals: 6,
    token_address: '0xdef0000000000000000000000000000000000002',
    exchange_rate: '1.000000',
    usd_amount: 49.99,
    usd_amount_millis: 49_990,
    quote_last_updated_at: 1_799_990_000,
    quote_valid_until: 1_799_990_300,
    quote_expires_in_seconds: 300,
    retryable: null,
    retry_after_seconds: null,
    payment_uri: 'ethereum:0xdef@84532/transfer?address=0xabc&uint256=49990000',
    ws_connection: {
      token: 'jwt',
      endpoint: '/ws/payment',
      format: 'event_v1',
      ws_url: '/ws/payment?format=event_v1',
    },
    ...overrides,
  }
}

const token = {
  id: 7,
  token_symbol: 'USDC',
  token_name: 'USD Coin',
  network: 'base',
} as AvailableToken

function event(type: string, object: Record<string, unknown>, id = 'evt_1-1') {
  return { object: 'event', id, type, data: { object } }
}

function run(actions: Action[], from: CheckoutState = initialState()): CheckoutState {
  return actions.reduce(reduce, from)
}

function loaded(
  status: InvoiceStatus = 'unpaid',
  extra: Partial<SessionDetails> = {},
): CheckoutState {
  return run([
    {
      type: 'session',
      details: session({ invoice_status: status, ...extra }),
      atMs: 1000,
      issuedVersion: 0,
    },
  ])
}

describe('checkout state: invoice status over realtime frames', () => {
  const cases: {
    from: InvoiceStatus
    frame: ReturnType<typeof event>
    to: InvoiceStatus
    screen: string
  }[] = [
    {
      from: 'unpaid',
      frame: event('invoice.updated', { id: INVOICE, status: 'paid' }),
      to: 'paid',
      screen: 'paid',
    },
    {
      from: 'unpaid',
      frame: event('invoice.updated', {
        id: INVOICE,
        status: 'underpaid',
        amount_remaining_decimal: '20.000',
      }),
      to: 'underpaid',
      screen: 'pay',
    },
    {
      from: 'unpaid',
      frame: event('invoice.updated', { id: INVOICE, status: 'expired' }),
      to: 'expired',
      screen: 'expired',
    },
    {
      from: 'unpaid',
      frame: event('invoice.updated', { id: INVOICE, status: 'canceled' }),
      to: 'canceled',
      screen: 'canceled',
    },
    {
      from: 'underpaid',
      frame: event('invoice.updated', { id: INVOICE, status: 'paid' }),
      to: 'paid',
      screen: 'paid',
    },
    {
      from: 'underpaid',
      frame: event('invoice.updated', { id: INVOICE, status: 'expired' }),
      to: 'expired',
      screen: 'expired',
    },
    {
      from: 'unpaid',
      frame: event('invoice.updated', { id: 'another-invoice', status: 'paid' }),
      to: 'unpaid',
      screen: 'select',
    },
    {
      from: 'unpaid',
      frame: event('invoice.updated', { id: INVOICE, status: 'bogus' }),
      to: 'unpaid',
      screen: 'select',
    },
    {
      from: 'unpaid',
      frame: event('invoice_payment.created', { id: 'p1', invoice_id: INVOICE, status: 'pending' }),
      to: 'unpaid',
      screen: 'select',
    },
    {
      from: 'paid',
      frame: event('invoice_payment.created', { id: 'p1', invoice_id: INVOICE, status: 'pending' }),
      to: 'paid',
      screen: 'paid',
    },
  ]
  for (const c of cases) {
    it(`moves ${c.from} + ${c.frame.type}(${String(c.frame.data.object['status'])}, ${String(c.frame.data.object['id'])}) to ${c.to}`, () => {
      const state = reduce(loaded(c.from), { type: 'frame', frame: c.frame })
      assert.equal(state.status, c.to)
      assert.equal(screenOf(state), c.screen)
    })
  }

  it('ignores frames that are not events', () => {
    const before = loaded()
    for (const frame of [
      null,
      'text',
      { object: 'ws_control' },
      { object: 'event', type: 'invoice.updated' },
    ]) {
      assert.equal(reduce(before, { type: 'frame', frame }), before)
    }
  })

  it('bumps the status version only when a frame changes the status', () => {
    const paid = reduce(loaded(), {
      type: 'frame',
      frame: event('invoice.updated', { id: INVOICE, status: 'paid' }),
    })
    assert.equal(paid.statusVersion, 1)
    const again = reduce(paid, {
      type: 'frame',
      frame: event('invoice.updated', { id: INVOICE, status: 'paid' }),
    })
    assert.equal(again.statusVersion, 1)
  })
})

describe('checkout state: payment progress', () => {
  const withAddress = run(
    [
      { type: 'select', selection: { network: 'base', tokenId: 7 } },
      { type: 'address', address: address(), atMs: 2000 },
    ],
    loaded(),
  )

  const cases: { status: string; confirmations: number; kind: string }[] = [
    { status: 'pending', confirmations: 0, kind: 'detected' },
    { status: 'pending', confirmations: 1, kind: 'confirming' },
    { status: 'manual_retry', confirmations: 0, kind: 'detected' },
  ]
  for (const c of cases) {
    it(`shows ${c.kind} for a ${c.status} payment with ${c.confirmations} confirmations`, () => {
      const state = reduce(withAddress, {
        type: 'frame',
        frame: event('invoice_payment.created', {
          id: 'p1',
          invoice_id: INVOICE,
          status: c.status,
          confirmations: c.confirmations,
          confirmations_required: 2,
          token_amount_decimal: '49.99',
          token_symbol: 'USDC',
        }),
      })
      assert.equal(statusKindOf(state), c.kind)
      assert.equal(state.progress?.amountText, '49.99')
    })
  }

  it('clears the progress when the payment confirms and the invoice turns paid', () => {
    const detected = reduce(withAddress, {
      type: 'frame',
      frame: event('invoice_payment.created', {
        id: 'p1',
        invoice_id: INVOICE,
        status: 'pending',
        confirmations: 0,
      }),
    })
    const confirmed = reduce(detected, {
      type: 'frame',
      frame: event('invoice_payment.updated', {
        id: 'p1',
        invoice_id: INVOICE,
        status: 'confirmed',
      }),
    })
    assert.equal(confirmed.progress, undefined)
    const paid = reduce(confirmed, {
      type: 'frame',
      frame: event('invoice.updated', { id: INVOICE, status: 'paid' }),
    })
    assert.equal(statusKindOf(paid), 'paid')
  })

  it('keeps the waiting state when another payment id confirms', () => {
    const detected = reduce(withAddress, {
      type: 'frame',
      frame: event('invoice_payment.created', { id: 'p1', invoice_id: INVOICE, status: 'pending' }),
    })
    const other = reduce(detected, {
      type: 'frame',
      frame: event('invoice_payment.updated', {
        id: 'p2',
        invoice_id: INVOICE,
        status: 'confirmed',
      }),
    })
    assert.equal(other.progress?.paymentId, 'p1')
  })

  it('does not offer another token while a payment is on its way', () => {
    const detected = reduce(withAddress, {
      type: 'frame',
      frame: event('invoice_payment.created', { id: 'p1', invoice_id: INVOICE, status: 'pending' }),
    })
    assert.equal(reduce(detected, { type: 'change-token' }), detected)
    assert.equal(screenOf(reduce(withAddress, { type: 'change-token' })), 'select')
  })
})

describe('checkout state: server answers', () => {
  it('does not let a poll answer issued before a realtime change move the status backwards', () => {
    const paid = reduce(loaded(), {
      type: 'frame',
      frame: event('invoice.updated', { id: INVOICE, status: 'paid' }),
    })
    const stale = reduce(paid, {
      type: 'session',
      details: session({ invoice_status: 'unpaid' }),
      atMs: 5000,
      issuedVersion: 0,
    })
    assert.equal(stale.status, 'paid')
    const fresh = reduce(paid, {
      type: 'session',
      details: session({ invoice_status: 'paid' }),
      atMs: 5000,
      issuedVersion: 1,
    })
    assert.equal(fresh.status, 'paid')
  })

  const merges: [InvoiceStatus | undefined, InvoiceStatus, boolean, InvoiceStatus][] = [
    [undefined, 'unpaid', false, 'unpaid'],
    ['unpaid', 'paid', false, 'paid'],
    ['paid', 'unpaid', false, 'unpaid'],
    ['paid', 'unpaid', true, 'paid'],
    ['underpaid', 'unpaid', true, 'underpaid'],
    ['unpaid', 'underpaid', true, 'underpaid'],
    ['paid', 'expired', true, 'paid'],
    ['expired', 'paid', false, 'paid'],
  ]
  for (const [current, incoming, stale, expected] of merges) {
    it(`merges ${String(current)} with a ${stale ? 'stale' : 'fresh'} ${incoming} answer into ${expected}`, () => {
      assert.equal(mergeStatus(current, incoming, stale), expected)
    })
  }

  it('re-syncs the countdown from remaining_seconds on every session answer', () => {
    const first = run([
      {
        type: 'session',
        details: session({ remaining_seconds: 100 }),
        atMs: 1000,
        issuedVersion: 0,
      },
    ])
    assert.equal(secondsLeft(first.deadlineMs, 1000), 100)
    const second = reduce(first, {
      type: 'session',
      details: session({ remaining_seconds: 40 }),
      atMs: 50_000,
      issuedVersion: 0,
    })
    assert.equal(secondsLeft(second.deadlineMs, 50_000), 40)
    assert.equal(secondsLeft(second.deadlineMs, 200_000), 0)
  })

  it('marks the link invalid on an auth failure and unreachable on a network failure', () => {
    assert.equal(
      screenOf(reduce(initialState(), { type: 'session-failed', invalid: true, message: 'x' })),
      'invalid',
    )
    assert.equal(
      screenOf(reduce(initialState(), { type: 'session-failed', invalid: false, message: 'x' })),
      'unreachable',
    )
    // a failed refresh after loading keeps the page
    const ready = loaded()
    assert.equal(reduce(ready, { type: 'session-failed', invalid: false, message: 'x' }), ready)
  })
})

describe('checkout state: underpaid invoices', () => {
  const partial = session({
    invoice_status: 'underpaid',
    amount_remaining_usd: 20,
    locked_network: 'base',
    locked_token_id: 7,
    locked_payment_address: '0xabc',
  })

  it('locks the selection to the first payment token and asks for a fresh quote of the remainder', () => {
    const paying = run(
      [
        { type: 'select', selection: { network: 'base', tokenId: 7 } },
        { type: 'address', address: address(), atMs: 2000 },
      ],
      loaded(),
    )
    const underpaid = reduce(paying, {
      type: 'session',
      details: partial,
      atMs: 3000,
      issuedVersion: 0,
    })
    assert.equal(underpaid.address, undefined)
    assert.deepEqual(underpaid.selection, { network: 'base', tokenId: 7 })
    assert.deepEqual(lockedSelection(underpaid.session), { network: 'base', tokenId: 7 })
    assert.equal(needsRemainderQuote(underpaid), true)
    assert.equal(statusKindOf(underpaid), 'underpaid')
    assert.equal(underpaid.remainingUsd, '20')
  })

  it('keeps a quote of the remainder and refuses another token', () => {
    const underpaid = run([{ type: 'session', details: partial, atMs: 3000, issuedVersion: 0 }])
    const selecting = reduce(underpaid, {
      type: 'select',
      selection: { network: 'base', tokenId: 7 },
    })
    assert.equal(needsRemainderQuote(selecting), false)
    const quoted = reduce(selecting, {
      type: 'address',
      address: address({ usd_amount: 20, estimated_token_amount: '20.000000' }),
      atMs: 3100,
    })
    const again = reduce(quoted, {
      type: 'session',
      details: partial,
      atMs: 6000,
      issuedVersion: 0,
    })
    assert.equal(again.address?.estimated_token_amount, '20.000000')
    assert.equal(
      reduce(again, { type: 'select', selection: { network: 'bsc', tokenId: 9 } }),
      again,
    )
    assert.equal(reduce(again, { type: 'change-token' }), again)
  })

  it('drops an address answer for a token the payer switched away from', () => {
    const state = run([{ type: 'select', selection: { network: 'base', tokenId: 8 } }], loaded())
    assert.equal(
      reduce(state, { type: 'address', address: address({ supported_token_id: 7 }), atMs: 1 }),
      state,
    )
  })

  it('takes the remainder from payment_quote frames', () => {
    const state = reduce(loaded('underpaid'), {
      type: 'frame',
      frame: event('payment_quote.updated', {
        object: 'payment_quote',
        invoice_id: INVOICE,
        amount_remaining_decimal: '12.345',
      }),
    })
    assert.equal(state.remainingUsd, '12.345')
  })
})

describe('checkout state: screens', () => {
  it('asks required questions before the token choice, and not optional ones', () => {
    const required = reduce(loaded(), {
      type: 'questions',
      questions: [{ id: 'q1', question: 'Company', type: 'text', validation: { required: true } }],
    })
    assert.equal(screenOf(required), 'details')
    assert.equal(screenOf(reduce(required, { type: 'details-submitted' })), 'select')
    const optional = reduce(loaded(), {
      type: 'questions',
      questions: [{ id: 'q1', question: 'Company', type: 'text' }],
    })
    assert.equal(screenOf(optional), 'select')
  })

  it('shows the payment screen once an address is allocated, and nothing payable when terminal', () => {
    const paying = run(
      [
        { type: 'tokens', tokens: [token] },
        { type: 'select', selection: { network: 'base', tokenId: 7 } },
        { type: 'address', address: address(), atMs: 1 },
      ],
      loaded(),
    )
    assert.equal(screenOf(paying), 'pay')
    assert.equal(statusKindOf(paying), 'waiting')
    const expired = reduce(paying, {
      type: 'session',
      details: session({ invoice_status: 'expired', remaining_seconds: 0 }),
      atMs: 2,
      issuedVersion: 0,
    })
    assert.equal(screenOf(expired), 'expired')
    assert.equal(
      reduce(expired, { type: 'select', selection: { network: 'base', tokenId: 7 } }),
      expired,
    )
  })
})

describe('checkout formatting', () => {
  const usd: [string, string][] = [
    ['49.99', '$49.99'],
    ['20.000', '$20.00'],
    ['20', '$20.00'],
    ['1234567.5', '$1,234,567.50'],
    ['12.345', '$12.345'],
    ['0.001', '$0.001'],
  ]
  for (const [input, output] of usd)
    it(`formats ${input} as ${output}`, () => assert.equal(formatUsd(input), output))

  const countdowns: [number, string][] = [
    [0, '0:00'],
    [5, '0:05'],
    [65, '1:05'],
    [3600, '1:00:00'],
    [43_199, '11:59:59'],
    [-3, '0:00'],
  ]
  for (const [input, output] of countdowns)
    it(`shows ${input} s as ${output}`, () => assert.equal(formatCountdown(input), output))

  it('rounds the seconds left up, so the countdown never reaches 0:00 early', () => {
    assert.equal(secondsLeft(10_500, 10_000), 1)
    assert.equal(secondsLeft(10_000, 10_000), 0)
    assert.equal(secondsLeft(undefined, 0), undefined)
  })

  it('follows only http(s) return URLs that are enabled', () => {
    assert.equal(
      safeReturnUrl(
        session({
          payment_return_url: 'https://shop.example/thanks',
          payment_return_url_enabled: true,
        }),
      ),
      'https://shop.example/thanks',
    )
    assert.equal(
      safeReturnUrl(
        session({
          payment_return_url: 'https://shop.example/thanks',
          payment_return_url_enabled: false,
        }),
      ),
      undefined,
    )
    assert.equal(
      safeReturnUrl(
        session({ payment_return_url: 'javascript:alert(1)', payment_return_url_enabled: true }),
      ),
      undefined,
    )
    assert.equal(
      safeReturnUrl(session({ payment_return_url: 'not a url', payment_return_url_enabled: true })),
      undefined,
    )
  })
})
