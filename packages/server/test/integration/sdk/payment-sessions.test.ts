import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import {
  AuthenticationError,
  InvalidRequestError,
  Pepay,
  PermissionError,
  type CreatedInvoice,
} from 'pepay'
import {
  CustomerEmailGet,
  InvoiceQuestionsResponse,
  PayorPaymentStatus,
  SessionDetails,
} from '@pepay/contracts'
import { startTestServer, type TestServer } from '../../helpers/server.ts'
import type { OnboardedMerchant } from '../../../src/modules/merchants/merchant.service.ts'
import { recordingFetch } from './helpers.ts'

describe('SDK pepay.paymentSessions', () => {
  let t: TestServer
  let acme: OnboardedMerchant
  let merchant: Pepay
  let invoice: CreatedInvoice
  let payer: Pepay

  before(async () => {
    t = await startTestServer()
    acme = await t.onboard('Acme Coffee')
    merchant = new Pepay({ baseUrl: t.url, apiKey: acme.merchantKey, maxRetries: 0 })
    invoice = await merchant.invoices.create({
      amount_usd: 25,
      description: 'Two bags of beans',
      questions: {
        questions: [
          {
            id: 'q_email',
            question: 'Receipt e-mail?',
            type: 'email',
            validation: { required: true },
          },
        ],
      },
    })
    payer = new Pepay({
      baseUrl: t.url,
      sessionToken: invoice.session_token,
      signature: invoice.signature,
      maxRetries: 0,
    })
  })
  after(async () => t.close())

  it('reads the session details with the session headers only', async () => {
    const rec = recordingFetch()
    const client = new Pepay({
      baseUrl: t.url,
      sessionToken: invoice.session_token,
      signature: invoice.signature,
      fetch: rec.fetch,
    })
    const details = await client.paymentSessions.getSessionDetails()
    SessionDetails.parse(details)
    assert.equal(details.invoice_id, invoice.invoice_id)
    assert.equal(details.amount_usd, 25)
    assert.equal(details.merchant_name, 'Acme Coffee')
    assert.equal(details.invoice_status, 'unpaid')
    assert.ok(details.remaining_seconds > 0)
    const headers = rec.calls[0]?.headers ?? {}
    assert.equal(headers['x-session-token'], invoice.session_token)
    assert.equal(headers['x-signature'], invoice.signature)
    assert.equal(headers['x-api-key'], undefined)
  })

  it('reads the payment status', async () => {
    const status = await payer.paymentSessions.getPaymentStatus()
    PayorPaymentStatus.parse(status)
    assert.deepEqual(status, { status: 'unpaid', paid_at: null })
  })

  it('sets and reads the customer e-mail', async () => {
    const empty = await payer.paymentSessions.getCustomerEmail()
    CustomerEmailGet.parse(empty)
    assert.deepEqual(empty, { email: null, has_email: false })
    const set = await payer.paymentSessions.setCustomerEmail({ email: 'Payer@Example.com' })
    assert.equal(set.success, true)
    const read = await payer.paymentSessions.getCustomerEmail()
    assert.equal(read.has_email, true)
    assert.equal(read.email?.toLowerCase(), 'payer@example.com')
  })

  it('reads the questions and submits the form', async () => {
    const questions = await payer.paymentSessions.getQuestions()
    InvoiceQuestionsResponse.parse(questions)
    assert.equal(questions.has_questions, true)
    assert.equal(questions.questions?.questions[0]?.id, 'q_email')
    const result = await payer.paymentSessions.submitForm({
      responses: [{ question_id: 'q_email', response: 'payer@example.com' }],
    })
    assert.deepEqual(result, { success: true })
  })

  it('throws InvalidRequestError naming the field for a bad e-mail', async () => {
    await assert.rejects(
      payer.paymentSessions.setCustomerEmail({ email: 'not-an-email' }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequestError)
        assert.equal(error.code, 'VALIDATION_ERROR')
        assert.ok((error.details as { field: string }[]).some((d) => d.field === 'email'))
        return true
      },
    )
  })

  it('throws PermissionError for a signature that does not match the token', async () => {
    const forged = new Pepay({
      baseUrl: t.url,
      sessionToken: invoice.session_token,
      signature: `${'0'.repeat(64)}.${Date.now()}`,
      maxRetries: 0,
    })
    await assert.rejects(
      forged.paymentSessions.getSessionDetails(),
      (error: unknown) => error instanceof PermissionError && error.status === 403,
    )
  })

  it('throws AuthenticationError for an unknown session token', async () => {
    const unknown = new Pepay({
      baseUrl: t.url,
      sessionToken: 'pst_unknown',
      signature: invoice.signature,
      maxRetries: 0,
    })
    await assert.rejects(
      unknown.paymentSessions.getPaymentStatus(),
      (error: unknown) => error instanceof AuthenticationError && error.status === 401,
    )
  })

  it('throws PermissionError when invoice_id names another invoice', async () => {
    await assert.rejects(
      payer.paymentSessions.getSessionDetails({ invoice_id: randomUUID() }),
      (error: unknown) => error instanceof PermissionError && error.code === 'SESSION_MISMATCH',
    )
  })

  it('fails locally when a merchant-key client calls a payer route', async () => {
    await assert.rejects(
      merchant.paymentSessions.getSessionDetails(),
      (error: unknown) =>
        error instanceof AuthenticationError && error.code === 'CREDENTIALS_MISSING',
    )
  })

  it('answers a payer of a canceled invoice with its status', async () => {
    const other = await merchant.invoices.create({ amount_usd: 1 })
    await merchant.invoices.cancel(other.invoice_id)
    const client = merchant.withAuth({
      sessionToken: other.session_token,
      signature: other.signature,
    })
    const status = await client.paymentSessions.getPaymentStatus()
    assert.equal(status.status, 'canceled')
    await assert.rejects(
      client.invoices.list(),
      (error: unknown) =>
        error instanceof AuthenticationError && error.code === 'CREDENTIALS_MISSING',
    )
  })
})
