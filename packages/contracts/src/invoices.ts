import { z } from 'zod'
import { Environment, EpochSeconds, Uuid, commaList, listOf } from './common.ts'

export const InvoiceStatus = z.enum(['unpaid', 'underpaid', 'paid', 'expired', 'canceled'])
export type InvoiceStatus = z.infer<typeof InvoiceStatus>
export const InvoiceType = z.enum(['standard', 'commerce'])

export const Question = z
  .object({
    id: z.string().min(1).max(100),
    question: z.string().min(1).max(500),
    type: z.enum(['email', 'text', 'number', 'boolean']),
    validation: z.object({ required: z.boolean().default(false) }).strict().optional(),
  })
  .strict()
export const Questions = z.object({ questions: z.array(Question).max(20) }).strict()

/** Decimal USD text or number; parsed exactly to usd_millis by the server (no float math). */
export const AmountUsd = z.union([z.number(), z.string()]).meta({
  description: 'USD amount, 0.01 to 1,000,000, at most 2 decimals; parsed exactly into usd_millis',
  example: 49.99,
})

export const CreateInvoiceBody = z
  .object({
    amount_usd: AmountUsd,
    description: z.string().max(255).optional(),
    customer_id: z.string().min(1).max(255).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    expires_in: z
      .number()
      .int()
      .min(60_000)
      .max(30 * 24 * 3600 * 1000)
      .optional()
      .meta({ description: 'Milliseconds; default 12 h, max 30 days' }),
    receiver_override_enable: z.boolean().optional(),
    receiver_override_address: z.string().min(1).max(128).optional(),
    invoice_title: z.string().max(255).optional(),
    invoice_footer: z.string().max(1000).optional(),
    customer_email: z.email().max(320).optional(),
    payment_return_url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
    payment_return_url_enabled: z.boolean().optional(),
    questions: Questions.optional(),
  })
  .strict()
export type CreateInvoiceBody = z.infer<typeof CreateInvoiceBody>

export const SessionHeaders = z.object({ 'x-session-token': z.string(), 'x-signature': z.string() })

export const CreateInvoiceResponse = z
  .object({
    invoice_id: Uuid,
    payment_url: z.string(),
    expires_at: EpochSeconds,
    session_token: z.string(),
    signature: z.string(),
    payment_session_headers: SessionHeaders,
  })
  .meta({ id: 'InvoiceCreated' })
export type CreateInvoiceResponse = z.infer<typeof CreateInvoiceResponse>

export const SettlementStatus = z.enum(['pending', 'processing', 'manual', 'failed', 'settled'])
export const PaymentStatus = z.enum(['pending', 'underpaid', 'confirmed', 'manual_retry', 'orphaned'])

export const InvoicePayment = z
  .object({
    object: z.literal('invoice_payment'),
    id: Uuid,
    invoice_id: Uuid,
    merchant_id: z.number().int(),
    status: PaymentStatus,
    environment: Environment,
    network: z.string(),
    token_id: z.number().int().nullable(),
    token_symbol: z.string().nullable(),
    token_address: z.string().nullable(),
    token_decimals: z.number().int(),
    token_amount: z.string().meta({ description: 'Token base units as a decimal string' }),
    token_amount_decimal: z.string(),
    amount_usd: z.number(),
    amount: z.number().int(),
    amount_decimal: z.string(),
    amount_unit: z.literal('usd_millis'),
    tx_hash: z.string(),
    log_index: z.number().int(),
    block_number: z.string().nullable(),
    from_address: z.string().nullable(),
    to_address: z.string(),
    confirmations: z.number().int(),
    confirmations_required: z.number().int(),
    is_late: z.boolean(),
    is_unmatched: z.boolean(),
    settlement_status: SettlementStatus,
    settlement: z.object({
      summary_status: SettlementStatus,
      stage: z.enum(['pending', 'sweeping', 'final']),
      merchant_settlement_id: z.number().int().nullable(),
      settlement_tx_hash: z.string().nullable(),
      network: z.string(),
      status: SettlementStatus,
      destination_address: z.string().nullable(),
    }),
    detected_at: EpochSeconds,
    confirmed_at: EpochSeconds.nullable(),
    created_at: EpochSeconds,
  })
  .meta({ id: 'InvoicePayment' })
export type InvoicePayment = z.infer<typeof InvoicePayment>

export const Invoice = z
  .object({
    object: z.literal('invoice'),
    id: Uuid,
    merchant_id: z.number().int(),
    status: InvoiceStatus,
    invoice_type: InvoiceType,
    currency: z.literal('usd'),
    amount: z.number().int(),
    amount_decimal: z.string(),
    amount_paid: z.number().int(),
    amount_paid_decimal: z.string(),
    amount_remaining: z.number().int(),
    amount_remaining_decimal: z.string(),
    amount_unit: z.literal('usd_millis'),
    description: z.string().nullable(),
    customer_id: z.string().nullable(),
    payer_wallet_address: z.string().nullable(),
    payer_wallet_network: z.string().nullable(),
    commerce_order_id: z.string().nullable(),
    environment: Environment,
    exceptions: z
      .array(z.enum(['overpaid', 'late_payment']))
      .meta({ description: 'Payments that need the merchant’s attention (overpaid, paid after expiry)' }),
    expires_at: EpochSeconds,
    created_at: EpochSeconds,
    paid_at: EpochSeconds.nullable(),
    last_payment_at: EpochSeconds.nullable(),
    canceled_at: EpochSeconds.nullable(),
    metadata: z.record(z.string(), z.unknown()),
    latest_payment: InvoicePayment.nullable().optional(),
    payments: z.array(InvoicePayment).optional(),
  })
  .meta({ id: 'Invoice' })
export type Invoice = z.infer<typeof Invoice>

export const InvoiceList = listOf(Invoice)

export const InvoiceExpand = z.enum(['latest_payment', 'payments'])
const PaymentsLimit = z.coerce.number().int().min(1).max(100).default(10)
const DateTimeQuery = z.union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,12}$/)])

export const ListInvoicesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(10),
    starting_after: Uuid.optional(),
    ending_before: Uuid.optional(),
    status: commaList(InvoiceStatus).optional(),
    invoice_type: commaList(InvoiceType).optional(),
    customer_id: z.string().min(1).max(255).optional(),
    environment: Environment.optional(),
    created_gte: DateTimeQuery.optional(),
    created_lte: DateTimeQuery.optional(),
    expand: z.union([commaList(InvoiceExpand), z.array(InvoiceExpand)]).optional(),
    payments_limit: PaymentsLimit,
    payer_wallet_address: z.string().min(1).max(128).optional(),
    payer_wallet_network: z.string().min(1).max(32).optional(),
  })
  .strict()
export type ListInvoicesQuery = z.infer<typeof ListInvoicesQuery>

export const RetrieveInvoiceQuery = z
  .object({
    expand: z.union([commaList(InvoiceExpand), z.array(InvoiceExpand)]).optional(),
    payments_limit: PaymentsLimit,
  })
  .strict()

export const TotalsQuery = ListInvoicesQuery.pick({
  status: true,
  invoice_type: true,
  customer_id: true,
  environment: true,
  created_gte: true,
  created_lte: true,
}).strict()

export const InvoiceIdParams = z.object({ invoiceId: Uuid }).strict()
export const CustomerIdParams = z.object({ customerId: z.string().min(1).max(255) }).strict()

const TotalsBucket = z.object({ amount: z.number().int(), amount_decimal: z.string(), count: z.number().int() })
export const InvoiceTotals = z
  .object({
    object: z.literal('invoice_totals'),
    currency: z.literal('usd'),
    amount_unit: z.literal('usd_millis'),
    totals: z.object({
      all: TotalsBucket,
      paid: TotalsBucket,
      unpaid: TotalsBucket,
      underpaid: TotalsBucket,
      expired: TotalsBucket,
      canceled: TotalsBucket,
    }),
  })
  .meta({ id: 'InvoiceTotals' })

export const InvoiceStatusResponse = z
  .object({
    object: z.literal('invoice_status'),
    invoice: Invoice.omit({ latest_payment: true, payments: true }),
    latest_payment: InvoicePayment.nullable(),
  })
  .meta({ id: 'InvoiceStatus' })
