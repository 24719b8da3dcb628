import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Deps } from '../../deps.ts'
import { createInvoice } from '../invoices/invoice.service.ts'
import { findInvoice } from '../invoices/invoice.repo.ts'
import { statusAtTime } from '../invoices/invoice.state.ts'
import { checkApiKey } from './api-key.service.ts'
import { findDemoMerchant } from './merchant.repo.ts'
import { mintDashboardToken, onboardMerchant } from './merchant.service.ts'

export interface DemoCredentials {
  merchantId: string
  merchantName: string
  merchantKey: string
  commerceKey: string
  dashboardToken: string
  sampleInvoiceId: string
  samplePaymentUrl: string
}

interface StoredDemo {
  merchantId: string
  merchantKey: string
  commerceKey: string
  sampleInvoiceId?: string
  samplePaymentPath?: string
}

/**
 * Seeds the demo merchant on first run and returns its credentials. API keys are stored only as
 * hashes, so the plaintext demo keys are kept in a 0600 file in the data directory to be reprinted.
 */
export async function ensureDemoMerchant(deps: Deps): Promise<DemoCredentials> {
  mkdirSync(deps.config.dataDir, { recursive: true })
  const file = join(deps.config.dataDir, 'demo-credentials.json')
  let stored: StoredDemo | undefined = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredDemo) : undefined
  let merchant = await findDemoMerchant(deps.db)
  const now = deps.clock.now()
  const keysValid =
    stored !== undefined &&
    merchant !== undefined &&
    stored.merchantId === merchant.id.toString() &&
    (await checkApiKey(deps.db, stored.merchantKey, now)).ok &&
    (await checkApiKey(deps.db, stored.commerceKey, now)).ok

  if (!keysValid) {
    if (!merchant) {
      const onboarded = await onboardMerchant(deps.db, deps.secrets, deps.clock, {
        name: 'Pepay Demo Merchant',
        email: 'demo@merchant.example',
        isDemo: true,
      })
      merchant = onboarded.merchant
      stored = { merchantId: merchant.id.toString(), merchantKey: onboarded.merchantKey, commerceKey: onboarded.commerceKey }
    } else {
      // the data directory lost its copy of the keys (e.g. a shared Postgres): issue fresh ones
      const { createApiKey } = await import('./api-key.service.ts')
      const mk = await createApiKey(deps.db, deps.clock, { merchantId: merchant.id, name: 'Demo devnet key', scope: 'merchant', environment: 'devnet', expiresAt: null })
      const ck = await createApiKey(deps.db, deps.clock, { merchantId: merchant.id, name: 'Demo commerce key', scope: 'commerce', environment: 'devnet', expiresAt: null })
      stored = { merchantId: merchant.id.toString(), merchantKey: mk.apiKey, commerceKey: ck.apiKey }
    }
  }
  if (!merchant || !stored) throw new Error('demo merchant could not be seeded')

  let sampleOpen = false
  if (stored.sampleInvoiceId) {
    const invoice = await findInvoice(deps.db, merchant.id, stored.sampleInvoiceId)
    sampleOpen = invoice !== undefined && statusAtTime(invoice, now) === 'unpaid'
  }
  if (!sampleOpen || !stored.samplePaymentPath) {
    const created = await createInvoice(
      deps,
      { merchantId: merchant.id, environment: 'devnet' },
      { amount_usd: 25, description: 'Sample invoice (demo)', customer_id: 'demo_customer' },
      { requestId: null, idempotencyKey: `demo-${randomUUID()}` },
      undefined,
    )
    stored.sampleInvoiceId = created.invoice_id
    stored.samplePaymentPath = new URL(created.payment_url).search
  }
  writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 })
  const dashboard = await mintDashboardToken(deps.secrets, deps.clock, merchant.id)
  return {
    merchantId: merchant.id.toString(),
    merchantName: merchant.name,
    merchantKey: stored.merchantKey,
    commerceKey: stored.commerceKey,
    dashboardToken: dashboard.token,
    sampleInvoiceId: stored.sampleInvoiceId ?? "",
    samplePaymentUrl: `${deps.urls.publicBase}/pay${stored.samplePaymentPath}`,
  }
}
