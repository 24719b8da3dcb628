/** The only place that reads the wall clock; everything else receives a Clock. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = {
  now: () => new Date(),
}

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  #ms: number
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.#ms = typeof start === 'number' ? start : start.getTime()
  }
  now(): Date {
    return new Date(this.#ms)
  }
  advance(ms: number): void {
    this.#ms += ms
  }
  set(at: Date): void {
    this.#ms = at.getTime()
  }
}

/** Monotonic milliseconds for measuring durations (not for instants). */
export function monotonicMs(): number {
  return performance.now()
}
