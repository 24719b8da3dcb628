import type { ApiRequest, Requester } from '../request.ts'

/** Base of every resource class: one method per endpoint, returning the documented JSON body. */
export class Resource {
  protected readonly requester: Requester

  constructor(requester: Requester) {
    this.requester = requester
  }

  protected async call<T>(req: ApiRequest): Promise<T> {
    return (await this.requester.request<T>(req)).body
  }
}

/** A path segment from a caller-supplied id (never lets an id change the route). */
export function segment(id: string | number): string {
  const text = String(id)
  if (text.length === 0) throw new TypeError('id must not be empty')
  return encodeURIComponent(text)
}
