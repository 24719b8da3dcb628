import { createHash } from 'node:crypto'
import type { CheckoutAddress as CheckoutAddressSchema } from '@pepay/contracts'
import type { z } from 'zod'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import {
  normalizeCountry,
  normalizeState,
  normalizeUsPhone,
  normalizeZip,
  stateForZip,
  tidyCase,
} from '../checkout/us-address.ts'
import type { Commerce, Tenant } from '../shared/context.ts'
import { parseIdentity, type IdentityInput } from '../shared/identity.ts'
import {
  deleteAddress,
  findAddress,
  listAddresses,
  type AddressFields,
  type SavedAddress,
} from './address.repo.ts'

type CheckoutAddress = z.infer<typeof CheckoutAddressSchema>

/**
 * Validates and standardizes a US shipping address: state to its USPS code, ZIP to 12345 or
 * 12345-6789 and checked against the state, phone to E.164, names in tidy case. Every problem
 * names its field (`address.<field>`).
 */
export function standardizeAddress(
  input: CheckoutAddress,
  now: Date,
): { fields: AddressFields; fingerprint: string } {
  const country = normalizeCountry(input.country)
  if (!country)
    throw fieldError('address.country', 'only US shipping addresses are supported (country "US")')
  const state = normalizeState(input.state)
  if (!state) throw fieldError('address.state', 'not a US state code or name')
  const zipCode = normalizeZip(input.zip_code)
  if (!zipCode) throw fieldError('address.zip_code', 'must be a US ZIP code: 12345 or 12345-6789')
  const zipState = stateForZip(zipCode)
  if (zipState !== state)
    throw fieldError('address.zip_code', `ZIP code ${zipCode} is not in ${state}`)
  let phone: string | null = null
  if (input.phone !== undefined) {
    const normalized = normalizeUsPhone(input.phone)
    if (!normalized) throw fieldError('address.phone', 'not a valid US phone number')
    phone = normalized
  }
  const fields: AddressFields = {
    firstName: tidyCase(input.first_name),
    lastName: tidyCase(input.last_name),
    addressLine1: tidyCase(input.street_address),
    addressLine2: tidyCase(input.address_line2 ?? ''),
    city: tidyCase(input.city),
    state,
    zipCode,
    country,
    phone,
    email: input.email?.toLowerCase() ?? null,
    isValidated: true,
    validatedAt: now,
  }
  const fingerprint = createHash('sha256')
    .update(
      [
        fields.firstName,
        fields.lastName,
        fields.addressLine1,
        fields.addressLine2,
        fields.city,
        state,
        zipCode.slice(0, 5),
      ]
        .join('\n')
        .toLowerCase(),
    )
    .digest('hex')
  return { fields, fingerprint }
}

export async function listSavedAddresses(
  commerce: Commerce,
  tenant: Tenant,
  input: IdentityInput & { limit: number; offset: number },
): Promise<SavedAddress[]> {
  const identity = parseIdentity(input)
  return listAddresses(
    commerce.deps.db,
    { ...tenant, identityKey: identity.key },
    { limit: input.limit, offset: input.offset },
  )
}

/** Deletes a saved address; with an identity given, only that identity's address. */
export async function removeSavedAddress(
  commerce: Commerce,
  tenant: Tenant,
  addressId: string,
  input: IdentityInput,
): Promise<void> {
  const hasIdentity =
    input.customer_id !== undefined ||
    input.wallet_address !== undefined ||
    input.wallet_network !== undefined
  const identityKey = hasIdentity ? parseIdentity(input).key : undefined
  await commerce.deps.db.transaction().execute(async (trx) => {
    const address = await findAddress(trx, { ...tenant, identityKey }, addressId)
    if (!address) throw new NotFoundError('address')
    await deleteAddress(trx, address.id)
  })
}
