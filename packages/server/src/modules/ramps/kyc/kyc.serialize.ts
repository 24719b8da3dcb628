import type { KycVerification as WireVerification } from '@pepay/contracts'
import type { z } from 'zod'
import { epochSeconds } from '../ramp-runtime.ts'
import type { KycVerification } from './kyc.repo.ts'

export function serializeVerification(v: KycVerification): z.infer<typeof WireVerification> {
  return {
    object: 'ramp_kyc_verification',
    id: v.id,
    customer_id: v.customerId,
    level: v.level,
    status: v.status,
    provider: v.provider,
    hosted_url: v.hostedUrl,
    reason: v.reason,
    link_expires_at: epochSeconds(v.linkExpiresAt),
    approved_until: v.approvedUntil ? epochSeconds(v.approvedUntil) : null,
    created_at: epochSeconds(v.createdAt),
    updated_at: epochSeconds(v.updatedAt),
    decided_at: v.decidedAt ? epochSeconds(v.decidedAt) : null,
  }
}
