import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'

export interface Received {
  headers: IncomingHttpHeaders
  rawBody: string
  body: any
  status: number
}

/** A real local webhook receiver: records every request; its answer can be switched. */
export class Receiver {
  readonly requests: Received[] = []
  /** Status to answer with; 0 = drop the connection. */
  status = 200
  #server: Server
  url = ''

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8')
        const status = this.status
        this.requests.push({
          headers: req.headers,
          rawBody,
          body: rawBody ? JSON.parse(rawBody) : null,
          status,
        })
        if (status === 0) {
          req.socket.destroy()
          return
        }
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(status < 300 ? '{"ok":true}' : '{"error":"receiver unavailable"}')
      })
    })
  }

  static async start(): Promise<Receiver> {
    const receiver = new Receiver()
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve))
    receiver.url = `http://127.0.0.1:${(receiver.#server.address() as AddressInfo).port}/hooks`
    return receiver
  }

  accepted(): Received[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300)
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/** The receiver-side check the docs describe: hex HMAC-SHA256 over `${timestamp}.${raw_body}`. */
export function verifySignature(
  secret: string,
  received: Received,
  header = 'x-pepay-signature',
): boolean {
  const timestamp = received.headers['x-pepay-timestamp']
  const signature = received.headers[header]
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false
  const expected = createHmac('sha256', secret).update(`${timestamp}.${received.rawBody}`).digest()
  const given = Buffer.from(signature, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
