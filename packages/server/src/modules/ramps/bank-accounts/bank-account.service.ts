import { uuidv7 } from '@pepay/core'
import type { RequestContext } from '../../../deps.ts'
import { NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { findCountry, RAILS, type RailId } from '../countries/country.ts'
import { assertCustomerActive, getCustomer, type Scope } from '../customers/customer.service.ts'
import type { IdPage } from '../ramp-page.repo.ts'
import { rampError } from '../ramps.errors.ts'
import { withTimeout, type RampRuntime } from '../ramp-runtime.ts'
import { findBankAccount, insertBankAccount, listBankAccounts, softDeleteBankAccount, type BankAccount } from './bank-account.repo.ts'
import { serializeBankAccount } from './bank-account.serialize.ts'
import { canonicalDetails, validateBankDetails, type BankDetails } from './bank-validation.ts'

/** The country must be served and the rail must be one of its rails; says which, never a 500. */
export function resolveCountryRail(countryCode: string, rail: RailId) {
  const country = findCountry(countryCode)
  if (!country) {
    throw rampError('UNSUPPORTED_COUNTRY', `country ${countryCode} is not served by the ramps`, [{ field: 'country', message: 'not served', code: 'UNSUPPORTED_COUNTRY' }])
  }
  if (!country.rails.includes(rail)) {
    throw rampError('UNSUPPORTED_RAIL', `${RAILS[rail].name} is not offered in ${country.name} (offered: ${country.rails.join(', ')})`, [
      { field: 'rail', message: `not offered in ${country.code}`, code: 'UNSUPPORTED_RAIL' },
    ])
  }
  return { country, rail: RAILS[rail] }
}

function associatedData(account: { merchantId: bigint; id: string }): string {
  return `${account.merchantId}|${account.id}`
}

/**
 * Validates the details for the rail, screens the holder, then stores the details encrypted
 * (AES-256-GCM, bound to the row) with a keyed fingerprint against duplicates; only the masked
 * form is kept in clear. Nothing is written when any check fails.
 */
export async function createBankAccount(
  rt: RampRuntime,
  scope: Scope,
  customerId: string,
  body: { rail: RailId; country: string; holder_name: string; details: Record<string, unknown> },
  claim: IdempotencyClaim | undefined,
  _ctx: RequestContext,
) {
  const customer = await getCustomer(rt, scope, customerId)
  assertCustomerActive(customer)
  const { country, rail } = resolveCountryRail(body.country, body.rail)
  const validated = validateBankDetails(rail.id, country.code, body.details)
  const holderName = body.holder_name.trim()
  const screening = await withTimeout('sanctions screening', rt.settings.providerTimeoutMs, () => rt.screening.screenName({ name: holderName, country: country.code }))
  if (screening.status === 'hit') {
    throw rampError('SANCTIONS_HIT', `account holder is blocked: ${screening.reason ?? 'sanctions screening hit'}`, { screening })
  }
  const now = rt.deps.clock.now()
  const id = uuidv7(now.getTime())
  const sealed = rt.bankCrypto.encrypt(JSON.stringify(validated.details), associatedData({ merchantId: scope.merchantId, id }))
  const result = await rt.deps.db.transaction().execute(async (trx) => {
    const account = await insertBankAccount(trx, {
      id,
      customerId,
      merchantId: scope.merchantId,
      environment: scope.environment,
      country: country.code,
      currency: rail.currency,
      rail: rail.id,
      holderName,
      detailsCiphertext: sealed,
      keyVersion: rt.bankCrypto.keyVersion,
      fingerprint: rt.bankCrypto.fingerprint(`${customerId}|${canonicalDetails(rail.id, validated.details)}`),
      masked: validated.masked,
      createdAt: now,
      deletedAt: null,
    })
    if (!account) throw rampError('BANK_ACCOUNT_EXISTS', 'this customer already has this bank account on this rail')
    const wire = serializeBankAccount(account)
    await completeIdempotencyKey(trx, claim, 201, wire)
    return wire
  })
  return result
}

export async function listCustomerBankAccounts(rt: RampRuntime, scope: Scope, customerId: string, page: IdPage) {
  await getCustomer(rt, scope, customerId)
  return listBankAccounts(rt.deps.db, customerId, page)
}

export async function getBankAccount(rt: RampRuntime, scope: Scope, id: string): Promise<BankAccount> {
  const account = await findBankAccount(rt.deps.db, scope, id)
  if (!account) throw new NotFoundError('bank account')
  return account
}

export async function deleteBankAccount(rt: RampRuntime, scope: Scope, id: string): Promise<{ object: 'ramp_bank_account'; id: string; deleted: true }> {
  const account = await findBankAccount(rt.deps.db, scope, id, { includeDeleted: true })
  if (!account) throw new NotFoundError('bank account')
  await softDeleteBankAccount(rt.deps.db, id, rt.deps.clock.now())
  return { object: 'ramp_bank_account', id, deleted: true }
}

/** Clear details for the payout call only; never logged, never serialized. */
export function decryptBankDetails(rt: RampRuntime, account: BankAccount): BankDetails {
  return JSON.parse(rt.bankCrypto.decrypt(account.detailsCiphertext, associatedData(account))) as BankDetails
}
