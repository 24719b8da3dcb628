import type { BankAccount as WireBankAccount } from '@pepay/contracts'
import type { z } from 'zod'
import { epochSeconds } from '../ramp-runtime.ts'
import type { BankAccount } from './bank-account.repo.ts'

/** Only the masked form ever leaves the server. */
export function serializeBankAccount(a: BankAccount): z.infer<typeof WireBankAccount> {
  return {
    object: 'ramp_bank_account',
    id: a.id,
    customer_id: a.customerId,
    rail: a.rail as z.infer<typeof WireBankAccount>['rail'],
    country: a.country,
    currency: a.currency,
    holder_name: a.holderName,
    details: a.masked,
    created_at: epochSeconds(a.createdAt),
  }
}
