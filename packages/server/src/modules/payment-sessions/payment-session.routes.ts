import {
  CustomerEmailBody,
  CustomerEmailGet,
  CustomerEmailSet,
  ErrorBody,
  InvoiceQuestionsResponse,
  PayorPaymentStatus,
  SessionDetails,
  SessionQuery,
  SubmitFormBody,
  SubmitFormResponse,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Deps } from '../../deps.ts'
import { requireSession } from '../../http/auth.ts'
import { currentStatus, sessionDetails, sessionInvoice, setCustomerEmail, submitForm } from './payment-session.service.ts'

const SESSION = { auth: ['session' as const] }
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }

export function paymentSessionRoutes(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.get('/api/v1/payments/session-details', {
      config: SESSION,
      schema: { tags: ['Payment sessions'], summary: 'Session details for the payer', querystring: SessionQuery, response: { 200: SessionDetails, ...errors } },
    }, async (request) => {
      const invoice = await sessionInvoice(deps, requireSession(request), request.query.invoice_id)
      return sessionDetails(deps, invoice)
    })

    r.get('/api/v1/payments/payment-status', {
      config: SESSION,
      schema: { tags: ['Payment sessions'], summary: 'Payment status for the payer', querystring: SessionQuery, response: { 200: PayorPaymentStatus, ...errors } },
    }, async (request) => {
      const invoice = await sessionInvoice(deps, requireSession(request), request.query.invoice_id)
      return {
        status: currentStatus(invoice, deps.clock.now()),
        paid_at: invoice.paidAt ? Math.floor(invoice.paidAt.getTime() / 1000) : null,
      }
    })

    r.post('/api/v1/payments/customer-email', {
      config: SESSION,
      schema: { tags: ['Payment sessions'], summary: "Set the payer's e-mail", body: CustomerEmailBody, response: { 200: CustomerEmailSet, ...errors, 410: ErrorBody } },
    }, async (request) => {
      const invoice = await sessionInvoice(deps, requireSession(request))
      return setCustomerEmail(deps, invoice, request.body.email)
    })

    r.get('/api/v1/payments/customer-email', {
      config: SESSION,
      schema: { tags: ['Payment sessions'], summary: "The payer's e-mail", response: { 200: CustomerEmailGet, ...errors } },
    }, async (request) => {
      const invoice = await sessionInvoice(deps, requireSession(request))
      return { email: invoice.customerEmail, has_email: invoice.customerEmail !== null }
    })

    r.get('/api/v1/payments/invoice-questions', {
      config: SESSION,
      schema: { tags: ['Payment sessions'], summary: "The merchant's checkout questions", response: { 200: InvoiceQuestionsResponse, ...errors } },
    }, async (request) => {
      const invoice = await sessionInvoice(deps, requireSession(request))
      const questions = invoice.questions?.questions ?? []
      if (questions.length === 0) return { has_questions: false }
      return {
        has_questions: true,
        questions: { questions: questions.map((q) => ({ ...q, validation: { required: q.validation?.required ?? false } })) },
      }
    })

    r.post('/api/v1/payments/submit-form', {
      config: SESSION,
      schema: { tags: ['Payment sessions'], summary: 'Submit answers to the checkout questions', body: SubmitFormBody, response: { 200: SubmitFormResponse, ...errors, 410: ErrorBody } },
    }, async (request) => {
      const invoice = await sessionInvoice(deps, requireSession(request))
      return submitForm(deps, invoice, request.body.responses)
    })
  }
}
