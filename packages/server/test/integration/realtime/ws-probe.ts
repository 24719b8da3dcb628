import WebSocket from 'ws'

export interface Closed {
  code: number
  reason: string
}

/** A real WebSocket client for tests: records every frame, awaits conditions with a deadline. */
export class WsProbe {
  readonly ws: WebSocket
  readonly frames: any[] = []
  readonly closed: Promise<Closed>
  #waiters: (() => void)[] = []

  private constructor(ws: WebSocket) {
    this.ws = ws
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
        this.#notify()
      })
    })
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')))
      this.#notify()
    })
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<WsProbe> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers })
      const probe = new WsProbe(ws)
      ws.once('open', () => resolve(probe))
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`unexpected response ${res.statusCode}`))
        ws.terminate()
      })
      ws.once('error', reject)
    })
  }

  /** Connects expecting the upgrade to be refused; returns the HTTP status and JSON body. */
  static reject(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers })
      ws.once('open', () => {
        ws.terminate()
        reject(new Error('upgrade unexpectedly accepted'))
      })
      ws.once('unexpected-response', (_req, res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString()
        })
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null })
          ws.terminate()
        })
      })
      ws.once('error', () => undefined)
    })
  }

  #notify(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /** Resolves once `predicate` holds over the frames so far, or rejects at the deadline. */
  async waitFor(
    predicate: (frames: any[]) => boolean,
    timeoutMs = 5000,
    label = 'condition',
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs
    while (!predicate(this.frames)) {
      const left = deadline - performance.now()
      if (left <= 0)
        throw new Error(`timed out waiting for ${label}; got ${this.frames.length} frames`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  events(): any[] {
    return this.frames.filter((f) => f.object === 'event')
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.ws.close()
    await Promise.race([this.closed, new Promise((resolve) => setTimeout(resolve, 1000))])
    this.ws.terminate()
  }
}

export function wsUrl(httpUrl: string, path: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString()
  return `${httpUrl.replace(/^http/, 'ws')}${path}${qs ? `?${qs}` : ''}`
}

export function seqOf(id: string): bigint {
  return BigInt(id.split('-')[1] ?? '0')
}
