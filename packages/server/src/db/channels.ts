import pg from 'pg'

type Callback = (payload: string) => void

interface Channel {
  callbacks: Set<Callback>
  /** The LISTEN statement; a failed one leaves the channel unregistered. */
  ready: Promise<void>
}

/**
 * The channels a process listens on and their callbacks, whatever carries the notifications: a
 * channel is listened to when its first callback arrives and unlistened when its last one
 * leaves. The engine runs the statements and feeds `dispatch` with what it receives.
 */
export class Channels {
  readonly #channels = new Map<string, Channel>()
  readonly #run: (statement: string) => Promise<void>
  readonly #unrun: (statement: string) => Promise<void>

  /** `run` issues LISTEN; `unlisten`, when given, issues UNLISTEN instead of `run`. */
  constructor(run: (statement: string) => Promise<void>, unlisten: (statement: string) => Promise<void> = run) {
    this.#run = run
    this.#unrun = unlisten
  }

  /** Every channel listened to (or about to be). */
  names(): string[] {
    return [...this.#channels.keys()]
  }

  /** Hands `payload` to every callback of `channel`, each in a microtask of its own. */
  dispatch(channel: string, payload: string): void {
    const found = this.#channels.get(channel)
    if (!found) return
    for (const callback of found.callbacks) queueMicrotask(() => callback(payload))
  }

  /** Hands `payload` to every callback of every channel. */
  dispatchAll(payload: string): void {
    for (const name of this.#channels.keys()) this.dispatch(name, payload)
  }

  async listen(name: string, onNotify: Callback): Promise<() => Promise<void>> {
    let channel = this.#channels.get(name)
    if (!channel) {
      const created: Channel = {
        callbacks: new Set(),
        ready: this.#run(`LISTEN ${pg.escapeIdentifier(name)}`).catch((error: unknown) => {
          if (this.#channels.get(name) === created) this.#channels.delete(name)
          throw error
        }),
      }
      this.#channels.set(name, created)
      channel = created
    }
    const joined = channel
    joined.callbacks.add(onNotify)
    try {
      await joined.ready
    } catch (error) {
      joined.callbacks.delete(onNotify)
      throw error
    }
    return async () => {
      if (!joined.callbacks.delete(onNotify) || joined.callbacks.size > 0) return
      if (this.#channels.get(name) !== joined) return
      this.#channels.delete(name)
      await this.#unrun(`UNLISTEN ${pg.escapeIdentifier(name)}`)
    }
  }
}
