import { monotonicMs } from '@pepay/core'

/**
 * New-block notifications from an EVM node: `eth_subscribe("newHeads")` over its WebSocket
 * JSON-RPC endpoint. The chain watcher polls on a timer; a notification lets it scan as soon as a
 * block exists instead of up to one poll interval later. The poll stays the source of truth: a
 * missed or late notification only means the next poll finds the block.
 *
 * The connection is kept open: when it closes or fails, it is opened again after a delay that
 * doubles from `retryMs` up to `maxRetryMs` (reset by a successful subscription).
 */
export interface NewHeadsOptions {
  /** ws:// or wss:// URL of the node's JSON-RPC endpoint. */
  url: string
  /** Called for every new head the node reports. */
  onHead: () => void
  /** Called when the subscription is lost or cannot be made (the caller logs it). */
  onError?: (error: Error) => void
  retryMs?: number
  maxRetryMs?: number
}

export interface NewHeadsSubscription {
  /** Whether a subscription is currently active. */
  readonly active: boolean
  /** When the last new head arrived (`monotonicMs()`), if one has. */
  readonly lastHeadAt: number | undefined
  /** Closes the connection and stops reconnecting. */
  close(): void
}

const SUBSCRIBE_ID = 1

export function subscribeNewHeads(options: NewHeadsOptions): NewHeadsSubscription {
  const retryMs = options.retryMs ?? 1_000
  const maxRetryMs = options.maxRetryMs ?? 30_000
  let socket: WebSocket | undefined
  let closed = false
  let active = false
  let lastHeadAt: number | undefined
  let delay = retryMs
  let timer: NodeJS.Timeout | undefined

  const fail = (error: Error) => {
    active = false
    options.onError?.(error)
  }

  const connect = () => {
    if (closed) return
    let ws: WebSocket
    try {
      ws = new WebSocket(options.url)
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)))
      schedule()
      return
    }
    socket = ws
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: SUBSCRIBE_ID, method: 'eth_subscribe', params: ['newHeads'] }))
    })
    ws.addEventListener('message', (event) => {
      const message = parse(event.data)
      if (!message) return
      if (message.id === SUBSCRIBE_ID) {
        if (message.error) {
          fail(new Error(`eth_subscribe refused: ${message.error.message ?? 'unknown error'}`))
          ws.close()
          return
        }
        active = true
        delay = retryMs
        return
      }
      if (message.method !== 'eth_subscription') return
      lastHeadAt = monotonicMs()
      options.onHead()
    })
    ws.addEventListener('error', () => {
      // the close event follows with the outcome
    })
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return
      socket = undefined
      if (closed) return
      fail(new Error(`new-heads connection closed (code ${event.code})`))
      schedule()
    })
  }

  const schedule = () => {
    if (closed || timer) return
    timer = setTimeout(() => {
      timer = undefined
      connect()
    }, delay)
    timer.unref()
    delay = Math.min(delay * 2, maxRetryMs)
  }

  connect()
  return {
    get active() {
      return active
    },
    get lastHeadAt() {
      return lastHeadAt
    },
    close() {
      closed = true
      active = false
      if (timer) clearTimeout(timer)
      timer = undefined
      socket?.close()
      socket = undefined
    },
  }
}

interface RpcMessage {
  id?: number
  method?: string
  error?: { message?: string }
}

function parse(data: unknown): RpcMessage | undefined {
  if (typeof data !== 'string') return undefined
  try {
    const value: unknown = JSON.parse(data)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}
