import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { until } from '../../helpers/wait.ts'

export interface RecordedCall {
  method: string
  url: string
  headers: Record<string, string>
}

/** A fetch that records what the SDK sends (method, URL, headers) and then really sends it. */
export function recordingFetch() {
  const calls: RecordedCall[] = []
  const fetchImpl = async (input: string, init: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value
    })
    calls.push({ method: init.method ?? 'GET', url: input, headers })
    return fetch(input, init)
  }
  return { fetch: fetchImpl, calls }
}

/** What the proxy does with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Destroys the connection before the request reaches the server. */
  | { kind: 'drop' }
  /** Forwards the request, lets the server commit it, then destroys the connection: the reply is lost. */
  | { kind: 'drop-after' }
  /** Answers with this status and body without forwarding. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Holds the request without answering until the client gives up. */
  | { kind: 'hang' }

export interface ProxiedRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  fault: Fault['kind']
  atMs: number
}

/**
 * A local HTTP proxy in front of the test server that applies a scripted fault to each request
 * in turn (then passes everything through), recording every request it saw.
 */
export async function startFaultProxy(upstream: string) {
  const target = new URL(upstream)
  const plan: Fault[] = []
  const seen: ProxiedRequest[] = []
  const hanging = new Set<ServerResponse>()
  const started = performance.now()

  function forward(
    req: IncomingMessage,
    body: Buffer,
    onResponse: (status: number, headers: IncomingMessage['headers'], payload: Buffer) => void,
  ) {
    const upstreamReq = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => onResponse(res.statusCode ?? 502, res.headers, Buffer.concat(chunks)))
      },
    )
    upstreamReq.on('error', () =>
      onResponse(
        502,
        {},
        Buffer.from('{"success":false,"error":{"code":"BAD_GATEWAY","message":"upstream failed"}}'),
      ),
    )
    upstreamReq.end(body)
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const fault = plan.shift() ?? { kind: 'pass' }
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        fault: fault.kind,
        atMs: performance.now() - started,
      })
      const body = Buffer.concat(chunks)
      switch (fault.kind) {
        case 'drop':
          req.socket.destroy()
          return
        case 'hang':
          hanging.add(res)
          res.on('close', () => hanging.delete(res))
          return
        case 'status':
          res.writeHead(fault.status, {
            'content-type': 'application/json',
            'x-request-id': 'req_proxy',
            ...fault.headers,
          })
          res.end(
            JSON.stringify(
              fault.body ?? {
                success: false,
                error: { code: 'INTERNAL_SERVER_ERROR', message: 'injected' },
              },
            ),
          )
          return
        case 'drop-after':
          forward(req, body, () => req.socket.destroy())
          return
        case 'pass':
          forward(req, body, (status, headers, payload) => {
            const { 'transfer-encoding': _te, connection: _c, ...rest } = headers
            res.writeHead(status, rest)
            res.end(payload)
          })
          return
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    /** Queues faults for the next requests, in order. */
    script(...faults: Fault[]) {
      plan.push(...faults)
    },
    reset() {
      plan.length = 0
      seen.length = 0
    },
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A checkout shipping address (US) for commerce suites. */
export const US_ADDRESS = {
  first_name: 'Jane',
  last_name: 'Doe',
  street_address: '123 Main St',
  address_line2: 'Apt 4B',
  city: 'Miami',
  state: 'FL',
  zip_code: '33101',
  country: 'US',
  phone: '+13055550123',
  email: 'jane@example.com',
}

/** Waits until the sandbox catalog is seeded (bounded by `timeoutMs`). */
export async function waitForCatalog(
  baseUrl: string,
  commerceKey: string,
  timeoutMs = 30_000,
): Promise<void> {
  await until(
    async () => {
      const res = await fetch(`${baseUrl}/api/commerce/status`, {
        headers: { 'x-commerce-api-key': commerceKey },
      })
      const body = (await res.json()) as { data?: { catalog?: { status?: string } } }
      return res.status === 200 && body.data?.catalog?.status === 'ready'
    },
    timeoutMs,
    'the sandbox catalog seeded',
    50,
  )
}
