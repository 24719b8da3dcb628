import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What `answer` returns for a JSON-RPC error reply instead of a result. */
export class RelayedError {
  readonly code: number
  readonly message: string
  constructor(code: number, message: string) {
    this.code = code
    this.message = message
  }
}

export interface RpcRelay {
  url: string
  /** Every JSON-RPC call received, answered here or passed on. */
  calls: { method: string; params: unknown[] }[]
  close(): Promise<void>
}

/**
 * A JSON-RPC endpoint in front of the node at `upstream`: it records every call and passes it on,
 * unless `answer` returns a result (or a `RelayedError`) for it: a local node standing in for
 * another one.
 */
export async function rpcRelay(upstream: string, answer?: (call: { method: string; params: unknown[] }) => unknown): Promise<RpcRelay> {
  const calls: RpcRelay['calls'] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      const parsed = JSON.parse(body) as { id: unknown; method: string; params?: unknown[] }
      const call = { method: parsed.method, params: parsed.params ?? [] }
      calls.push(call)
      res.setHeader('content-type', 'application/json')
      const result = answer?.(call)
      if (result instanceof RelayedError) {
        res.end(JSON.stringify({ jsonrpc: '2.0', id: parsed.id, error: { code: result.code, message: result.message } }))
        return
      }
      if (result !== undefined) {
        res.end(JSON.stringify({ jsonrpc: '2.0', id: parsed.id, result }))
        return
      }
      void fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (reply) => {
        res.end(await reply.text())
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
