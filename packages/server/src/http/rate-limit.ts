/**
 * Fixed-window limiter per credential, in memory (per process). `perMinute = 0` turns it off.
 * Behind several processes the effective limit is N × perMinute; documented in the README.
 */
export function createRateLimiter(perMinute: number, nowMs: () => number) {
  const windows = new Map<string, { start: number; count: number }>()
  const WINDOW_MS = 60_000
  return {
    take(key: string): { retryAfterSeconds: number } | undefined {
      if (perMinute <= 0) return undefined
      const now = nowMs()
      const window = windows.get(key)
      if (!window || now - window.start >= WINDOW_MS) {
        if (windows.size > 100_000) windows.clear()
        windows.set(key, { start: now, count: 1 })
        return undefined
      }
      window.count += 1
      if (window.count <= perMinute) return undefined
      return { retryAfterSeconds: Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000)) }
    },
  }
}
