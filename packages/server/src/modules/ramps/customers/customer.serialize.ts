import { millisToJson } from '@pepay/core'
import type { RampCustomer as WireCustomer } from '@pepay/contracts'
import type { z } from 'zod'
import { KYC_LIMITS } from '../countries/country.ts'
import { epochSeconds } from '../ramp-runtime.ts'
import type { RampCustomer } from './customer.repo.ts'

export function serializeCustomer(c: RampCustomer): z.infer<typeof WireCustomer> {
  const limits = c.kycStatus === 'approved' && c.kycLevel ? KYC_LIMITS[c.kycLevel] : null
  return {
    object: 'ramp_customer',
    id: c.id,
    type: c.type,
    reference: c.reference,
    first_name: c.firstName,
    last_name: c.lastName,
    business_name: c.businessName,
    email: c.email,
    country: c.country,
    birth_date: c.birthDate,
    status: c.status,
    screening: { status: c.screeningStatus, reason: c.screeningReason },
    kyc: {
      status: c.kycStatus,
      level: c.kycStatus === 'approved' ? c.kycLevel : null,
      approved_until: c.kycApprovedUntil ? epochSeconds(c.kycApprovedUntil) : null,
      limits: limits ? { daily_usd_millis: millisToJson(limits.dailyUsdMillis), monthly_usd_millis: millisToJson(limits.monthlyUsdMillis) } : null,
    },
    environment: c.environment,
    metadata: c.metadata,
    created_at: epochSeconds(c.createdAt),
    updated_at: epochSeconds(c.updatedAt),
  }
}

export function customerDisplayName(c: Pick<RampCustomer, 'type' | 'firstName' | 'lastName' | 'businessName'>): string {
  return c.type === 'business' ? (c.businessName ?? '') : `${c.firstName ?? ''} ${c.lastName ?? ''}`.trim()
}
