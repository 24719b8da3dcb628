import { AppError } from '@pepay/core'

/** HTTP status of this module's error codes; anything else falls through to the platform's map. */
export const RAMP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  UNSUPPORTED_COUNTRY: 400,
  UNSUPPORTED_RAIL: 400,
  UNSUPPORTED_TOKEN: 400,
  INVALID_BANK_DETAILS: 400,
  AMOUNT_OUT_OF_RANGE: 400,
  LIMIT_EXCEEDED: 400,
  QUOTE_EXPIRED: 400,
  QUOTE_ALREADY_USED: 409,
  QUOTE_MISMATCH: 400,
  BANK_ACCOUNT_EXISTS: 409,
  INSUFFICIENT_FUNDS: 409,
  KYC_REQUIRED: 403,
  CUSTOMER_BLOCKED: 403,
  SANCTIONS_HIT: 403,
  INVALID_STATE: 409,
  LEDGER_INVALID: 500,
}

export function rampError(code: keyof typeof RAMP_STATUS_BY_CODE, message: string, details?: unknown): AppError {
  return new AppError(code, message, details)
}
