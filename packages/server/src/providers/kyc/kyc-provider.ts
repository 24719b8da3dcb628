/** Identity verification (KYC/KYB), in our own terms. One implementation per vendor, plus the sandbox. */
export type KycProviderLevel = 'basic' | 'standard' | 'enhanced'
export type KycDecision = 'approved' | 'rejected' | 'needs_review'

export type KycProviderEvent =
  | { type: 'kyc.submitted'; eventId: string; providerRef: string; occurredAt: Date }
  | { type: 'kyc.decided'; eventId: string; providerRef: string; decision: KycDecision; reason: string | null; occurredAt: Date }
  | { type: 'unknown'; eventId: string | null; providerType: string | null }

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WebhookSignatureError'
  }
}

export interface KycProvider {
  /** Stable registry id, e.g. `kyc:sandbox`. */
  readonly id: string
  /**
   * Opens a hosted verification for one of our verification ids. Idempotent by `verificationId`:
   * a retry after a lost answer returns the same session.
   */
  startVerification(req: {
    verificationId: string
    level: KycProviderLevel
    subject: { type: 'individual' | 'business'; name: string; country: string; email: string | null }
  }): Promise<{ providerRef: string; hostedUrl: string }>
  /** Where the provider stands on a session; used by the reconciler when webhooks go missing. */
  getStatus(providerRef: string): Promise<{ status: 'created' | 'submitted' | KycDecision; reason: string | null }>
  /** Verifies the signature and normalizes the payload; throws WebhookSignatureError when forged or stale. */
  parseWebhook(raw: Uint8Array, headers: Record<string, string>): KycProviderEvent
}
