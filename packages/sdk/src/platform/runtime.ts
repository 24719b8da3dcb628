/** Runtime seams: browser detection, fetch and WebSocket lookup, timers. */

/** True in a browser window or a web worker (where server credentials must not be used). */
export function isBrowserRuntime(): boolean {
  const g = globalThis as { window?: unknown; document?: unknown; importScripts?: unknown }
  return typeof g.window !== 'undefined' || typeof g.importScripts === 'function'
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export function resolveFetch(injected: FetchLike | undefined): FetchLike {
  if (injected) return injected
  if (typeof globalThis.fetch !== 'function')
    throw new Error('fetch is not available in this runtime; pass `fetch` in the options')
  return (input, init) => globalThis.fetch(input, init)
}

/** The minimal WebSocket surface the SDK uses (browser WebSocket, Node ≥ 22 global, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void
  addEventListener(type: 'error', listener: (event: unknown) => void): void
}
export type WebSocketConstructor = new (url: string) => WebSocketLike

export function resolveWebSocket(injected: WebSocketConstructor | undefined): WebSocketConstructor {
  if (injected) return injected
  const g = globalThis as { WebSocket?: WebSocketConstructor }
  if (!g.WebSocket)
    throw new Error('WebSocket is not available in this runtime; pass `WebSocket` in the options')
  return g.WebSocket
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Milliseconds on a clock that only moves forward; used for deadlines, never for business time. */
export function monotonicMs(): number {
  return globalThis.performance.now()
}
