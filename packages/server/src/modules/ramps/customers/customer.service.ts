import { AppError, uuidv7 } from '@pepay/core'
import type { CreateRampCustomerBody, Environment } from '@pepay/contracts'
import type { RequestContext } from '../../../deps.ts'
import { fieldError, NotFoundError } from '../../../http/errors.ts'
import { completeIdempotencyKey, type IdempotencyClaim } from '../../../http/idempotency.ts'
import { appendEvent } from '../../events/event.repo.ts'
import { findCountry } from '../countries/country.ts'
import { rampEvent } from '../ramps.events.ts'
import { rampError } from '../ramps.errors.ts'
import { withTimeout, type RampRuntime } from '../ramp-runtime.ts'
import { findCustomer, findCustomerByReference, insertCustomer, type RampCustomer } from './customer.repo.ts'
import { customerDisplayName, serializeCustomer } from './customer.serialize.ts'

export interface Scope {
  merchantId: bigint
  environment: Environment
}

/**
 * Creates a ramp customer after screening their name. A sanctions hit does not refuse the request:
 * the customer is stored `blocked` with the reason, so the block is visible and every flow says why.
 */
export async function createCustomer(rt: RampRuntime, scope: Scope, body: CreateRampCustomerBody, ctx: RequestContext, claim: IdempotencyClaim | undefined) {
  if (body.type === 'individual') {
    if (!body.first_name) throw fieldError('first_name', 'required for an individual')
    if (!body.last_name) throw fieldError('last_name', 'required for an individual')
    if (body.business_name) throw fieldError('business_name', 'only for a business')
  } else {
    if (!body.business_name) throw fieldError('business_name', 'required for a business')
    if (body.birth_date) throw fieldError('birth_date', 'only for an individual')
  }
  if (!findCountry(body.country)) {
    throw rampError('UNSUPPORTED_COUNTRY', `country ${body.country} is not served by the ramps`, [{ field: 'country', message: 'not served', code: 'UNSUPPORTED_COUNTRY' }])
  }
  const now = rt.deps.clock.now()
  if (body.birth_date && new Date(`${body.birth_date}T00:00:00Z`) >= now) throw fieldError('birth_date', 'must be in the past')
  if (body.reference && (await findCustomerByReference(rt.deps.db, scope, body.reference))) {
    throw new AppError('CONFLICT', 'a customer with this reference already exists', [{ field: 'reference', message: 'already used', code: 'duplicate' }])
  }
  const name = customerDisplayName({ type: body.type, firstName: body.first_name ?? null, lastName: body.last_name ?? null, businessName: body.business_name ?? null })
  const screening = await withTimeout('sanctions screening', rt.settings.providerTimeoutMs, () =>
    rt.screening.screenName({ name, country: body.country, birthDate: body.birth_date ?? null }),
  )
  const result = await rt.deps.db.transaction().execute(async (trx) => {
    const customer = await insertCustomer(trx, {
      id: uuidv7(now.getTime()),
      merchantId: scope.merchantId,
      environment: scope.environment,
      type: body.type,
      reference: body.reference ?? null,
      firstName: body.first_name ?? null,
      lastName: body.last_name ?? null,
      businessName: body.business_name ?? null,
      email: body.email?.toLowerCase() ?? null,
      country: body.country,
      birthDate: body.birth_date ?? null,
      status: screening.status === 'hit' ? 'blocked' : 'active',
      screeningStatus: screening.status,
      screeningReason: screening.reason,
      kycStatus: 'not_started',
      kycLevel: null,
      kycApprovedUntil: null,
      metadata: body.metadata ?? {},
      createdAt: now,
      updatedAt: now,
    })
    const wire = serializeCustomer(customer)
    await appendEvent(trx, rampEvent({ type: 'ramp.customer.created', merchantId: scope.merchantId, environment: scope.environment, customerId: customer.id, object: wire, ctx }), now)
    await completeIdempotencyKey(trx, claim, 201, wire)
    return wire
  })
  return result
}

export async function getCustomer(rt: RampRuntime, scope: Scope, id: string): Promise<RampCustomer> {
  const customer = await findCustomer(rt.deps.db, scope, id)
  if (!customer) throw new NotFoundError('ramp customer')
  return customer
}

/** Refuses any flow for a blocked (sanctioned) customer, saying why. */
export function assertCustomerActive(customer: RampCustomer): void {
  if (customer.status === 'blocked') {
    throw rampError('CUSTOMER_BLOCKED', `customer is blocked: ${customer.screeningReason ?? 'sanctions screening hit'}`, {
      screening: { status: customer.screeningStatus, reason: customer.screeningReason },
    })
  }
}
