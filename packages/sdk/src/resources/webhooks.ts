import { listPromise, type ListPromise } from '../pagination.ts'
import type { AuthKind, QueryValue, Requester, RequestOptions } from '../request.ts'
import type {
  CreateWebhookEndpointParams,
  ListWebhookDeliveriesParams,
  UpdateWebhookEndpointParams,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookDeliveryResponse,
  WebhookEndpoint,
  WebhookEndpointDeleted,
  WebhookEndpointList,
  WebhookEndpointResponse,
  WebhookEndpointSecretResponse,
} from '../wire.ts'
import { Resource, segment } from './resource.ts'

const MERCHANT: readonly AuthKind[] = ['apiKey', 'bearer']

class WebhookEndpoints extends Resource {
  /** Creates an endpoint; `data.secret` (the signing secret) is shown only here and on rotation. */
  create(
    params: CreateWebhookEndpointParams,
    options?: RequestOptions,
  ): Promise<WebhookEndpointSecretResponse> {
    return this.call({
      method: 'POST',
      path: '/api/v1/webhooks/endpoints',
      auth: MERCHANT,
      body: params,
      options,
    })
  }

  list(options?: RequestOptions): ListPromise<WebhookEndpointList, WebhookEndpoint> {
    const fetch = (query: Record<string, QueryValue>) =>
      this.call<WebhookEndpointList>({
        method: 'GET',
        path: '/api/v1/webhooks/endpoints',
        auth: MERCHANT,
        query,
        options,
      })
    return listPromise<WebhookEndpointList, WebhookEndpoint>(fetch({}), {
      items: (page) => page.data.data,
      hasMore: (page) => page.data.has_more,
      id: (endpoint) => endpoint.id,
      direction: 'starting_after',
      fetch: (cursor) => fetch(cursor),
    })
  }

  retrieve(endpointId: string, options?: RequestOptions): Promise<WebhookEndpointResponse> {
    return this.call({
      method: 'GET',
      path: `/api/v1/webhooks/endpoints/${segment(endpointId)}`,
      auth: MERCHANT,
      options,
    })
  }

  /** Changes the URL, events, environment, description, or enables/disables the endpoint. */
  update(
    endpointId: string,
    params: UpdateWebhookEndpointParams,
    options?: RequestOptions,
  ): Promise<WebhookEndpointResponse> {
    return this.call({
      method: 'PATCH',
      path: `/api/v1/webhooks/endpoints/${segment(endpointId)}`,
      auth: MERCHANT,
      body: params,
      options,
    })
  }

  /** Deletes the endpoint; its pending deliveries are canceled. */
  remove(endpointId: string, options?: RequestOptions): Promise<WebhookEndpointDeleted> {
    return this.call({
      method: 'DELETE',
      path: `/api/v1/webhooks/endpoints/${segment(endpointId)}`,
      auth: MERCHANT,
      options,
    })
  }

  /** New signing secret; the previous one still signs `X-Pepay-Signature-Previous` for a while. */
  rotateSecret(
    endpointId: string,
    options?: RequestOptions,
  ): Promise<WebhookEndpointSecretResponse> {
    return this.call({
      method: 'POST',
      path: `/api/v1/webhooks/endpoints/${segment(endpointId)}/rotate-secret`,
      auth: MERCHANT,
      options,
    })
  }

  /** Sends a `test.ping` event to the endpoint; returns its delivery. */
  test(endpointId: string, options?: RequestOptions): Promise<WebhookDeliveryResponse> {
    return this.call({
      method: 'POST',
      path: `/api/v1/webhooks/endpoints/${segment(endpointId)}/test`,
      auth: MERCHANT,
      options,
    })
  }
}

class WebhookDeliveries extends Resource {
  /** Deliveries newest first with their attempt log; async-iterable across pages. */
  list(
    params: ListWebhookDeliveriesParams = {},
    options?: RequestOptions,
  ): ListPromise<WebhookDeliveryList, WebhookDelivery> {
    const fetch = (extra: Record<string, QueryValue>) =>
      this.call<WebhookDeliveryList>({
        method: 'GET',
        path: '/api/v1/webhooks/deliveries',
        auth: MERCHANT,
        query: { ...(params as Record<string, QueryValue>), ...extra },
        options,
      })
    return listPromise<WebhookDeliveryList, WebhookDelivery>(fetch({}), {
      items: (page) => page.data.data,
      hasMore: (page) => page.data.has_more,
      id: (delivery) => delivery.id,
      direction: 'starting_after',
      fetch: (cursor) => fetch(cursor),
    })
  }

  retrieve(deliveryId: string, options?: RequestOptions): Promise<WebhookDeliveryResponse> {
    return this.call({
      method: 'GET',
      path: `/api/v1/webhooks/deliveries/${segment(deliveryId)}`,
      auth: MERCHANT,
      options,
    })
  }

  /** Delivers again now (a failed or succeeded delivery). */
  retry(deliveryId: string, options?: RequestOptions): Promise<WebhookDeliveryResponse> {
    return this.call({
      method: 'POST',
      path: `/api/v1/webhooks/deliveries/${segment(deliveryId)}/retry`,
      auth: MERCHANT,
      options,
    })
  }
}

/** `pepay.webhooks`: webhook endpoints and their deliveries. Verify incoming ones with `createWebhookVerifier`. */
export class Webhooks extends Resource {
  readonly endpoints: WebhookEndpoints
  readonly deliveries: WebhookDeliveries

  constructor(requester: Requester) {
    super(requester)
    this.endpoints = new WebhookEndpoints(requester)
    this.deliveries = new WebhookDeliveries(requester)
  }
}
