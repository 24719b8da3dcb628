import type { Logger } from 'pino'

export interface Loop {
  stop(): Promise<void>
  /** Runs the body now instead of waiting for the next tick. */
  kick(): void
}

/**
 * Runs `body` every `intervalMs` (never overlapping itself) until stopped. A failing run is
 * logged and retried on the next tick: a worker never dies from one bad iteration. A function
 * for `intervalMs` is asked after each run how long to wait before the next. The first run comes
 * at once, or after `firstAfterMs`.
 */
export function runEvery(
  name: string,
  intervalMs: number | (() => number),
  body: () => Promise<void>,
  log: Logger,
  options: { firstAfterMs?: number } = {},
): Loop {
  const interval = typeof intervalMs === 'function' ? intervalMs : () => intervalMs
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false
  let again = false
  const tick = (): void => {
    timer = undefined
    if (stopped) return
    if (running) {
      again = true
      return
    }
    running = body()
      .catch((error: unknown) => log.error({ err: error, worker: name }, 'worker iteration failed'))
      .finally(() => {
        running = undefined
        if (stopped) return
        if (again) {
          again = false
          timer = setTimeout(tick, 0)
        } else {
          timer = setTimeout(tick, interval())
        }
      })
  }
  timer = setTimeout(tick, options.firstAfterMs ?? 0)
  return {
    kick() {
      if (stopped) return
      if (running) {
        again = true
        return
      }
      if (timer) clearTimeout(timer)
      timer = setTimeout(tick, 0)
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
