/** An expected, typed operating error. HTTP mapping lives in the server's error map. */
export class AppError extends Error {
  readonly code: string
  readonly details: unknown
  constructor(code: string, message: string, details?: unknown) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.details = details
  }
}

/** A programmer error: the invariant does not hold, crash the request. */
export class AssertionFailed extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AssertionFailed'
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message)
}
