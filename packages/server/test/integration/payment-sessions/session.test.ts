import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { FakeClock } from '@pepay/core'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'

const SESSION_DETAIL_KEYS = [
  'amount_remaining_usd',
  'amount_usd',
  'description',
  'expires_at',
  'invoice_footer',
  'invoice_id',
  'invoice_status',
  'invoice_title',
  'locked_network',
  'locked_payment_address',
  'locked_token_id',
  'merchant_email',
  'merchant_name',
  'network_environment',
  'payment_return_url',
  'payment_return_url_enabled',
  'remaining_seconds',
  'remaining_time',
]

const QUESTIONS = {
  questions: [
    { id: 'email', question: 'Receipt e-mail?', type: 'email', validation: { required: true } },
    { id: 'seats', question: 'How many seats?', type: 'number', validation: { required: true } },
    { id: 'gift', question: 'Is it a gift?', type: 'boolean' },
    { id: 'note', question: 'Anything else?', type: 'text', validation: { required: false } },
  ],
}

interface Session {
  invoiceId: string
  headers: Record<string, string>
}

describe('payment session routes', () => {
  const clock = new FakeClock(Date.UTC(2026, 5, 1))
  let t: TestServer
  let merchant: OnboardedMerchant
  let merchantApi: ReturnType<typeof apiClient>
  let call: ReturnType<typeof apiClient>

  before(async () => {
    t = await startTestServer({ clock, runWorkers: false })
    merchant = await t.onboard('Session Shop')
    merchantApi = apiClient(t.url, keyHeaders(merchant.merchantKey))
    call = apiClient(t.url)
  })
  after(async () => t.close())

  async function openSession(body: Record<string, unknown> = {}): Promise<Session> {
    const res = await merchantApi('POST', '/api/v1/invoices', {
      headers: { 'idempotency-key': randomUUID() },
      body: { amount_usd: '49.99', ...body },
    })
    assert.equal(res.status, 201, JSON.stringify(res.body))
    return { invoiceId: res.body.invoice_id, headers: res.body.payment_session_headers }
  }

  describe('GET /api/v1/payments/session-details', () => {
    it('returns the documented shape for an open invoice', async () => {
      const s = await openSession({
        description: 'Pro plan',
        invoice_title: 'Invoice #7',
        invoice_footer: 'Thank you',
        expires_in: 600_000,
      })
      const res = await call('GET', '/api/v1/payments/session-details', { headers: s.headers })
      assert.equal(res.status, 200)
      assert.deepEqual(Object.keys(res.body).sort(), SESSION_DETAIL_KEYS)
      assert.deepEqual(res.body, {
        invoice_id: s.invoiceId,
        amount_usd: 49.99,
        amount_remaining_usd: 49.99,
        description: 'Pro plan',
        invoice_title: 'Invoice #7',
        invoice_footer: 'Thank you',
        expires_at: Math.floor(clock.now().getTime() / 1000) + 600,
        invoice_status: 'unpaid',
        remaining_time: 600_000,
        remaining_seconds: 600,
        merchant_name: 'Session Shop',
        merchant_email: 'session.shop@example.com',
        network_environment: 'devnet',
        locked_network: null,
        locked_token_id: null,
        locked_payment_address: null,
        payment_return_url: null,
        payment_return_url_enabled: false,
      })
    })

    it('counts remaining time down and clamps it at zero once the deadline passes', async () => {
      const s = await openSession({ expires_in: 120_000 })
      clock.advance(1_500)
      const running = await call('GET', '/api/v1/payments/session-details', { headers: s.headers })
      assert.equal(running.body.remaining_time, 118_500)
      assert.equal(running.body.remaining_seconds, 118)
      clock.advance(200_000)
      const expired = await call('GET', '/api/v1/payments/session-details', { headers: s.headers })
      assert.equal(expired.status, 200)
      assert.equal(expired.body.remaining_time, 0)
      assert.equal(expired.body.remaining_seconds, 0)
      // the payer sees the deadline even before the expiry worker has run
      assert.equal(expired.body.invoice_status, 'expired')
    })

    it("falls back to the merchant's default return URL unless the invoice sets its own", async () => {
      const set = await merchantApi('PUT', '/api/v1/merchant/payment-return-url', {
        body: { payment_return_url: 'https://shop.example.com/done' },
      })
      assert.equal(set.status, 200)
      try {
        const inherited = await openSession()
        const a = await call('GET', '/api/v1/payments/session-details', {
          headers: inherited.headers,
        })
        assert.equal(a.body.payment_return_url, 'https://shop.example.com/done')
        assert.equal(a.body.payment_return_url_enabled, true)
        const own = await openSession({ payment_return_url: 'https://shop.example.com/order/9' })
        const b = await call('GET', '/api/v1/payments/session-details', { headers: own.headers })
        assert.equal(b.body.payment_return_url, 'https://shop.example.com/order/9')
        assert.equal(b.body.payment_return_url_enabled, true)
        const disabled = await openSession({ payment_return_url_enabled: false })
        const c = await call('GET', '/api/v1/payments/session-details', {
          headers: disabled.headers,
        })
        assert.equal(c.body.payment_return_url, null)
        assert.equal(c.body.payment_return_url_enabled, false)
      } finally {
        await merchantApi('PUT', '/api/v1/merchant/payment-return-url', {
          body: { payment_return_url: null },
        })
      }
    })

    it('accepts its own invoice_id and refuses another with 403 SESSION_MISMATCH', async () => {
      const s = await openSession()
      const other = await openSession()
      const same = await call('GET', `/api/v1/payments/session-details?invoice_id=${s.invoiceId}`, {
        headers: s.headers,
      })
      assert.equal(same.status, 200)
      for (const path of ['/api/v1/payments/session-details', '/api/v1/payments/payment-status']) {
        const res = await call('GET', `${path}?invoice_id=${other.invoiceId}`, {
          headers: s.headers,
        })
        assert.equal(res.status, 403, path)
        assert.equal(res.body.error.code, 'SESSION_MISMATCH')
      }
      const malformed = await call('GET', '/api/v1/payments/session-details?invoice_id=nope', {
        headers: s.headers,
      })
      assert.equal(malformed.status, 400)
      assert.equal(malformed.body.error.details[0].field, 'invoice_id')
      const unknownParam = await call('GET', '/api/v1/payments/session-details?foo=1', {
        headers: s.headers,
      })
      assert.equal(unknownParam.status, 400)
      assert.equal(unknownParam.body.error.details[0].field, 'foo')
    })
  })

  describe('session credentials', () => {
    const forged: [
      string,
      (s: Session, other: Session) => Record<string, string>,
      number,
      string,
    ][] = [
      [
        'an unknown token with a well-formed signature',
        (s) => ({ ...s.headers, 'x-session-token': `pst_${'A'.repeat(32)}` }),
        401,
        'SESSION_INVALID',
      ],
      [
        'a token without the pst_ prefix',
        (s) => ({ ...s.headers, 'x-session-token': (s.headers['x-session-token'] ?? '').slice(4) }),
        401,
        'SESSION_INVALID',
      ],
      [
        'a signature without its timestamp',
        (s) => ({
          ...s.headers,
          'x-signature': (s.headers['x-signature'] ?? '').split('.')[0] ?? '',
        }),
        401,
        'SESSION_INVALID',
      ],
      [
        'a sig_ style signature',
        (s) => ({ ...s.headers, 'x-signature': 'sig_123' }),
        401,
        'SESSION_INVALID',
      ],
      [
        'a tampered signature hash',
        (s) => ({ ...s.headers, 'x-signature': flipFirst(s.headers['x-signature'] ?? '') }),
        403,
        'SESSION_MISMATCH',
      ],
      [
        'a shifted signature timestamp',
        (s) => ({ ...s.headers, 'x-signature': shiftTimestamp(s.headers['x-signature'] ?? '') }),
        403,
        'SESSION_MISMATCH',
      ],
      [
        "another session's signature",
        (s, other) => ({ ...s.headers, 'x-signature': other.headers['x-signature'] ?? '' }),
        403,
        'SESSION_MISMATCH',
      ],
    ]
    for (const [label, headers, status, code] of forged) {
      it(`answers ${status} ${code} for ${label}`, async () => {
        const s = await openSession()
        const other = await openSession()
        const res = await call('GET', '/api/v1/payments/session-details', {
          headers: headers(s, other),
        })
        assert.equal(res.status, status, JSON.stringify(res.body))
        assert.equal(res.body.error.code, code)
        assert.equal(JSON.stringify(res.body).includes(s.invoiceId), false)
      })
    }
  })

  describe('GET /api/v1/payments/payment-status', () => {
    it('follows the invoice through cancel and expiry', async () => {
      const open = await openSession({ expires_in: 60_000 })
      const unpaid = await call('GET', '/api/v1/payments/payment-status', { headers: open.headers })
      assert.deepEqual(unpaid.body, { status: 'unpaid', paid_at: null })
      const canceledSession = await openSession()
      await merchantApi('POST', `/api/v1/invoices/${canceledSession.invoiceId}/cancel`)
      const canceled = await call('GET', '/api/v1/payments/payment-status', {
        headers: canceledSession.headers,
      })
      assert.deepEqual(canceled.body, { status: 'canceled', paid_at: null })
      clock.advance(60_000)
      const expired = await call('GET', '/api/v1/payments/payment-status', {
        headers: open.headers,
      })
      assert.deepEqual(expired.body, { status: 'expired', paid_at: null })
    })
  })

  describe('customer e-mail', () => {
    it('starts empty, stores the normalised address and reads it back', async () => {
      const s = await openSession()
      const empty = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
      assert.deepEqual(empty.body, { email: null, has_email: false })
      const set = await call('POST', '/api/v1/payments/customer-email', {
        headers: s.headers,
        body: { email: 'Payer.One@Example.COM' },
      })
      assert.equal(set.status, 200)
      assert.deepEqual(set.body, {
        success: true,
        email: 'payer.one@example.com',
        message: 'Email added successfully',
      })
      const read = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
      assert.deepEqual(read.body, { email: 'payer.one@example.com', has_email: true })
    })

    it('shows the e-mail the merchant set at creation, lower-cased', async () => {
      const s = await openSession({ customer_email: 'Buyer@Example.com' })
      const read = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
      assert.deepEqual(read.body, { email: 'buyer@example.com', has_email: true })
    })

    const invalid: [string, unknown, string][] = [
      ['a missing email', {}, 'email'],
      ['a malformed email', { email: 'not-an-email' }, 'email'],
      ['an empty email', { email: '' }, 'email'],
      ['a numeric email', { email: 42 }, 'email'],
      ['an unknown field', { email: 'a@example.com', name: 'A' }, 'name'],
    ]
    for (const [label, body, field] of invalid) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label} and stores nothing`, async () => {
        const s = await openSession()
        const res = await call('POST', '/api/v1/payments/customer-email', {
          headers: s.headers,
          body,
        })
        assert.equal(res.status, 400)
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          JSON.stringify(res.body.error.details),
        )
        const read = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
        assert.equal(read.body.has_email, false)
      })
    }

    it('answers 410 INVOICE_EXPIRED after the deadline and keeps the stored address', async () => {
      const s = await openSession({ expires_in: 60_000, customer_email: 'first@example.com' })
      clock.advance(60_001)
      const res = await call('POST', '/api/v1/payments/customer-email', {
        headers: s.headers,
        body: { email: 'late@example.com' },
      })
      assert.equal(res.status, 410)
      assert.equal(res.body.error.code, 'INVOICE_EXPIRED')
      const read = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
      assert.equal(read.body.email, 'first@example.com')
    })

    it('answers 400 for a canceled invoice', async () => {
      const s = await openSession()
      await merchantApi('POST', `/api/v1/invoices/${s.invoiceId}/cancel`)
      const res = await call('POST', '/api/v1/payments/customer-email', {
        headers: s.headers,
        body: { email: 'x@example.com' },
      })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'INVOICE_NOT_PAYABLE')
    })
  })

  describe('GET /api/v1/payments/invoice-questions', () => {
    it('answers has_questions false without a questions field when none are set', async () => {
      const s = await openSession()
      const res = await call('GET', '/api/v1/payments/invoice-questions', { headers: s.headers })
      assert.deepEqual(res.body, { has_questions: false })
    })

    it("returns the merchant's questions with required defaulting to false", async () => {
      const s = await openSession({ questions: QUESTIONS })
      const res = await call('GET', '/api/v1/payments/invoice-questions', { headers: s.headers })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, {
        has_questions: true,
        questions: {
          questions: [
            {
              id: 'email',
              question: 'Receipt e-mail?',
              type: 'email',
              validation: { required: true },
            },
            {
              id: 'seats',
              question: 'How many seats?',
              type: 'number',
              validation: { required: true },
            },
            {
              id: 'gift',
              question: 'Is it a gift?',
              type: 'boolean',
              validation: { required: false },
            },
            {
              id: 'note',
              question: 'Anything else?',
              type: 'text',
              validation: { required: false },
            },
          ],
        },
      })
    })
  })

  describe('POST /api/v1/payments/submit-form', () => {
    it('accepts valid answers and fills the customer e-mail from the e-mail answer', async () => {
      const s = await openSession({ questions: QUESTIONS })
      const res = await call('POST', '/api/v1/payments/submit-form', {
        headers: s.headers,
        body: {
          responses: [
            { question_id: 'email', response: 'Answer@Example.com' },
            { question_id: 'seats', response: 3 },
            { question_id: 'gift', response: false },
          ],
        },
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.deepEqual(res.body, { success: true })
      const email = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
      assert.deepEqual(email.body, { email: 'answer@example.com', has_email: true })
    })

    const valid = [
      { question_id: 'email', response: 'a@example.com' },
      { question_id: 'seats', response: 2 },
    ]
    const invalid: [string, unknown, string][] = [
      [
        'a missing required answer',
        { responses: [{ question_id: 'email', response: 'a@example.com' }] },
        'responses',
      ],
      ['no answers at all', { responses: [] }, 'responses'],
      [
        'a string for a number question',
        { responses: [valid[0], { question_id: 'seats', response: '2' }] },
        'responses.1.response',
      ],
      [
        'a string for a boolean question',
        { responses: [...valid, { question_id: 'gift', response: 'yes' }] },
        'responses.2.response',
      ],
      [
        'a malformed e-mail answer',
        { responses: [{ question_id: 'email', response: 'nope' }, valid[1]] },
        'responses.0.response',
      ],
      [
        'a blank text answer',
        { responses: [...valid, { question_id: 'note', response: '   ' }] },
        'responses.2.response',
      ],
      [
        'an unknown question id',
        { responses: [...valid, { question_id: 'colour', response: 'red' }] },
        'responses.2.question_id',
      ],
      [
        'a question answered twice',
        { responses: [...valid, { question_id: 'seats', response: 4 }] },
        'responses.2.question_id',
      ],
      [
        'an object as an answer',
        { responses: [valid[0], { question_id: 'seats', response: { n: 2 } }] },
        'responses.1.response',
      ],
      ['responses that are not a list', { responses: 'email=a@example.com' }, 'responses'],
      ['a missing responses field', {}, 'responses'],
      ['an unknown top-level field', { responses: valid, extra: true }, 'extra'],
      [
        'an unknown field in an answer',
        { responses: [valid[0], { ...valid[1], note: 'x' }] },
        'responses.1.note',
      ],
    ]
    for (const [label, body, field] of invalid) {
      it(`answers 400 VALIDATION_ERROR naming ${field} for ${label}`, async () => {
        const s = await openSession({ questions: QUESTIONS })
        const res = await call('POST', '/api/v1/payments/submit-form', { headers: s.headers, body })
        assert.equal(res.status, 400, JSON.stringify(res.body))
        assert.equal(res.body.error.code, 'VALIDATION_ERROR')
        assert.ok(
          res.body.error.details.some((d: { field: string }) => d.field === field),
          `expected ${field} in ${JSON.stringify(res.body.error.details)}`,
        )
        const email = await call('GET', '/api/v1/payments/customer-email', { headers: s.headers })
        assert.equal(email.body.has_email, false, 'a refused form writes nothing')
      })
    }

    it('answers 400 naming responses when the invoice has no questions', async () => {
      const s = await openSession()
      const res = await call('POST', '/api/v1/payments/submit-form', {
        headers: s.headers,
        body: { responses: valid },
      })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.details[0].field, 'responses')
    })

    it('answers 410 INVOICE_EXPIRED after the deadline', async () => {
      const s = await openSession({ questions: QUESTIONS, expires_in: 60_000 })
      clock.advance(60_000)
      const res = await call('POST', '/api/v1/payments/submit-form', {
        headers: s.headers,
        body: { responses: valid },
      })
      assert.equal(res.status, 410)
      assert.equal(res.body.error.code, 'INVOICE_EXPIRED')
    })
  })
})

function flipFirst(signature: string): string {
  return `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`
}

function shiftTimestamp(signature: string): string {
  const [hash, ts] = signature.split('.')
  return `${hash}.${(BigInt(ts ?? '0') + 1n).toString()}`
}
