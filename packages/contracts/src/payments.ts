import { z } from 'zod'
import { Environment, EpochSeconds, Uuid } from './common.ts'
import { InvoiceStatus, Questions } from './invoices.ts'

export const SessionQuery = z.object({ invoice_id: Uuid.optional() }).strict()

export const SessionDetails = z
  .object({
    invoice_id: Uuid,
    amount_usd: z.number(),
    amount_remaining_usd: z.number(),
    description: z.string().nullable(),
    invoice_title: z.string().nullable(),
    invoice_footer: z.string().nullable(),
    expires_at: EpochSeconds,
    invoice_status: InvoiceStatus,
    remaining_time: z.number().int().meta({ description: 'Milliseconds until expiry, clamped at 0' }),
    remaining_seconds: z.number().int(),
    merchant_name: z.string(),
    merchant_email: z.string().nullable(),
    network_environment: Environment,
    locked_network: z.string().nullable(),
    locked_token_id: z.number().int().nullable(),
    locked_payment_address: z.string().nullable(),
    payment_return_url: z.string().nullable(),
    payment_return_url_enabled: z.boolean(),
  })
  .meta({ id: 'PaymentSessionDetails' })

export const PayorPaymentStatus = z.object({
  status: z.enum(['unpaid', 'underpaid', 'paid', 'expired', 'canceled']),
  paid_at: EpochSeconds.nullable(),
})

export const CustomerEmailBody = z.object({ email: z.email().max(320) }).strict()
export const CustomerEmailSet = z.object({
  success: z.literal(true),
  email: z.string(),
  message: z.string(),
})
export const CustomerEmailGet = z.object({ email: z.string().nullable(), has_email: z.boolean() })

export const InvoiceQuestionsResponse = z.object({
  has_questions: z.boolean(),
  questions: Questions.optional(),
})

export const SubmitFormBody = z
  .object({
    responses: z
      .array(
        z
          .object({
            question_id: z.string().min(1).max(100),
            response: z.union([z.string().max(2000), z.number(), z.boolean()]),
          })
          .strict(),
      )
      .max(50),
  })
  .strict()
export const SubmitFormResponse = z.object({ success: z.literal(true) })
