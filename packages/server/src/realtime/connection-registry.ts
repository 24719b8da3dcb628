import type { StreamConnection } from './stream-connection.ts'

/** Every open stream of this process: heartbeats, per-credential limits and shutdown. */
export class ConnectionRegistry {
  readonly #all = new Set<StreamConnection>()
  readonly #perKey = new Map<string, number>()
  #heartbeat: NodeJS.Timeout | undefined

  get size(): number {
    return this.#all.size
  }

  count(limitKey: string): number {
    return this.#perKey.get(limitKey) ?? 0
  }

  add(connection: StreamConnection, limitKey: string): void {
    this.#all.add(connection)
    this.#perKey.set(limitKey, this.count(limitKey) + 1)
  }

  release(connection: StreamConnection, limitKey: string): void {
    if (!this.#all.delete(connection)) return
    const n = this.count(limitKey) - 1
    if (n <= 0) this.#perKey.delete(limitKey)
    else this.#perKey.set(limitKey, n)
  }

  startHeartbeat(intervalMs: number): void {
    this.#heartbeat = setInterval(() => {
      for (const connection of [...this.#all]) connection.heartbeat()
    }, intervalMs)
    this.#heartbeat.unref()
  }

  /** Closes every stream with the reconnect code (each gets its resume cursor first). */
  shutdown(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    for (const connection of [...this.#all]) connection.shutdown()
  }
}
