import {
  AddressParams,
  DeleteAddressQuery,
  DeleteAddressResponse,
  ListAddressesQuery,
  ListAddressesResponse,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { epochSeconds } from '../carts/cart.serialize.ts'
import type { Commerce } from '../shared/context.ts'
import { COMMERCE_AUTH, commerceErrors, tenantOf } from '../shared/http.ts'
import { listSavedAddresses, removeSavedAddress } from './address.service.ts'

const tags = ['Commerce addresses']

export function addressRoutes(commerce: Commerce) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.get(
      '/api/v1/commerce/merchant/addresses',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: "List a customer's saved shipping addresses",
          querystring: ListAddressesQuery,
          response: { 200: ListAddressesResponse, ...commerceErrors },
        },
      },
      async (request) => {
        const addresses = await listSavedAddresses(commerce, tenantOf(request), request.query)
        return {
          success: true as const,
          data: {
            addresses: addresses.map((a) => ({
              addressId: a.id,
              customerId: a.customerId,
              walletAddress: a.walletAddress,
              walletNetwork: a.walletNetwork,
              firstName: a.firstName,
              lastName: a.lastName,
              addressLine1: a.addressLine1,
              addressLine2: a.addressLine2,
              city: a.city,
              state: a.state,
              zipCode: a.zipCode,
              country: a.country,
              phoneNumber: a.phone,
              email: a.email,
              isValidated: a.isValidated,
              validatedAt: a.validatedAt ? epochSeconds(a.validatedAt) : null,
              createdAt: epochSeconds(a.createdAt),
            })),
          },
        }
      },
    )

    r.delete(
      '/api/v1/commerce/merchant/addresses/:addressId',
      {
        config: COMMERCE_AUTH,
        schema: {
          tags,
          summary: 'Delete a saved address',
          params: AddressParams,
          querystring: DeleteAddressQuery,
          response: { 200: DeleteAddressResponse, ...commerceErrors },
        },
      },
      async (request) => {
        await removeSavedAddress(
          commerce,
          tenantOf(request),
          request.params.addressId,
          request.query,
        )
        return {
          success: true as const,
          data: { addressId: request.params.addressId, deleted: true as const },
        }
      },
    )
  }
}
