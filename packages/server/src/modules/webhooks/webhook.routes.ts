import {
  CreateWebhookEndpointBody,
  ErrorBody,
  ListDeliveriesQuery,
  UpdateWebhookEndpointBody,
  WebhookDeliveryIdParams,
  WebhookDeliveryList,
  WebhookDeliveryResponse,
  WebhookEndpointDeleted,
  WebhookEndpointIdParams,
  WebhookEndpointList,
  WebhookEndpointResponse,
  WebhookEndpointSecretResponse,
} from '@pepay/contracts'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Deps } from '../../deps.ts'
import { requirePrincipal } from '../../http/auth.ts'
import { requestContext } from '../../http/context.ts'
import { IdempotencyHeaders } from '../../http/idempotency.ts'
import { getDelivery, listDeliveriesFor, retryDelivery } from './webhook-delivery.service.ts'
import {
  createEndpoint,
  deleteEndpoint,
  endpointScope,
  getEndpoint,
  rotateSecret,
  sendTestPing,
  updateEndpointSettings,
  type WebhookRuntime,
} from './webhook-endpoint.service.ts'
import { listEndpoints } from './webhook.repo.ts'
import { serializeDelivery, serializeEndpoint } from './webhook.serialize.ts'

const AUTH = { auth: ['merchant_key', 'bearer'] as ('merchant_key' | 'bearer')[] }
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody }
const tags = ['Webhooks']
/** POSTs that take no body accept none (an empty JSON object is fine). */
const NoBody = z.object({}).strict().nullable().optional()

export function webhookRoutes(deps: Deps, runtime: WebhookRuntime) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>()

    r.post(
      '/api/v1/webhooks/endpoints',
      {
        config: { ...AUTH, idempotency: 'optional' },
        schema: {
          tags,
          summary:
            'Create a webhook endpoint (the signing secret is returned only here and on rotation)',
          headers: IdempotencyHeaders,
          body: CreateWebhookEndpointBody,
          response: { 201: WebhookEndpointSecretResponse, ...errors, 409: ErrorBody },
        },
      },
      async (request, reply) => {
        const result = await createEndpoint(
          deps,
          runtime,
          requirePrincipal(request),
          request.body,
          request.idempotency,
        )
        return reply.status(201).send(result)
      },
    )

    r.get(
      '/api/v1/webhooks/endpoints',
      {
        config: AUTH,
        schema: {
          tags,
          summary: 'List webhook endpoints',
          response: { 200: WebhookEndpointList, ...errors },
        },
      },
      async (request) => {
        const principal = requirePrincipal(request)
        const rows = await listEndpoints(deps.db, endpointScope(principal), 100)
        const now = deps.clock.now()
        return {
          success: true as const,
          data: {
            object: 'list' as const,
            data: rows.map((e) => serializeEndpoint(e, now)),
            has_more: false,
          },
        }
      },
    )

    r.get(
      '/api/v1/webhooks/endpoints/:endpointId',
      {
        config: AUTH,
        schema: {
          tags,
          summary: 'Retrieve a webhook endpoint',
          params: WebhookEndpointIdParams,
          response: { 200: WebhookEndpointResponse, ...errors },
        },
      },
      async (request) => {
        const endpoint = await getEndpoint(
          deps,
          requirePrincipal(request),
          request.params.endpointId,
        )
        return { success: true as const, data: serializeEndpoint(endpoint, deps.clock.now()) }
      },
    )

    r.patch(
      '/api/v1/webhooks/endpoints/:endpointId',
      {
        config: AUTH,
        schema: {
          tags,
          summary:
            'Update a webhook endpoint (status=enabled re-enables a disabled one and resumes its deliveries)',
          params: WebhookEndpointIdParams,
          body: UpdateWebhookEndpointBody,
          response: { 200: WebhookEndpointResponse, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await updateEndpointSettings(
          deps,
          runtime,
          requirePrincipal(request),
          request.params.endpointId,
          request.body,
        ),
      }),
    )

    r.delete(
      '/api/v1/webhooks/endpoints/:endpointId',
      {
        config: AUTH,
        schema: {
          tags,
          summary: 'Delete a webhook endpoint (pending deliveries are canceled)',
          params: WebhookEndpointIdParams,
          response: { 200: WebhookEndpointDeleted, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await deleteEndpoint(deps, requirePrincipal(request), request.params.endpointId),
      }),
    )

    r.post(
      '/api/v1/webhooks/endpoints/:endpointId/rotate-secret',
      {
        config: { ...AUTH, idempotency: 'optional' },
        schema: {
          tags,
          summary:
            'Rotate the signing secret (the previous one keeps signing X-Pepay-Signature-Previous for 24 h)',
          params: WebhookEndpointIdParams,
          body: NoBody,
          response: { 200: WebhookEndpointSecretResponse, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await rotateSecret(deps, requirePrincipal(request), request.params.endpointId),
      }),
    )

    r.post(
      '/api/v1/webhooks/endpoints/:endpointId/test',
      {
        config: { ...AUTH, idempotency: 'optional' },
        schema: {
          tags,
          summary: 'Send a test.ping event to this endpoint',
          params: WebhookEndpointIdParams,
          body: NoBody,
          response: { 200: WebhookDeliveryResponse, ...errors },
        },
      },
      async (request) => {
        const delivery = await sendTestPing(
          deps,
          runtime,
          requirePrincipal(request),
          request.params.endpointId,
          requestContext(request),
        )
        return { success: true as const, data: serializeDelivery(delivery, []) }
      },
    )

    r.get(
      '/api/v1/webhooks/deliveries',
      {
        config: AUTH,
        schema: {
          tags,
          summary: 'List webhook deliveries with their attempts (newest first)',
          querystring: ListDeliveriesQuery,
          response: { 200: WebhookDeliveryList, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await listDeliveriesFor(deps, requirePrincipal(request), request.query),
      }),
    )

    r.get(
      '/api/v1/webhooks/deliveries/:deliveryId',
      {
        config: AUTH,
        schema: {
          tags,
          summary: 'Retrieve a webhook delivery with its attempt log',
          params: WebhookDeliveryIdParams,
          response: { 200: WebhookDeliveryResponse, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await getDelivery(deps, requirePrincipal(request), request.params.deliveryId),
      }),
    )

    r.post(
      '/api/v1/webhooks/deliveries/:deliveryId/retry',
      {
        config: { ...AUTH, idempotency: 'optional' },
        schema: {
          tags,
          summary: 'Send a delivery again now (any status), with a fresh retry window',
          params: WebhookDeliveryIdParams,
          body: NoBody,
          response: { 200: WebhookDeliveryResponse, ...errors },
        },
      },
      async (request) => ({
        success: true as const,
        data: await retryDelivery(
          deps,
          runtime,
          requirePrincipal(request),
          request.params.deliveryId,
        ),
      }),
    )
  }
}
