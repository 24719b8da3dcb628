import assert from 'node:assert/strict'

/**
 * Polls `read` every `intervalMs` until it gives a value (anything but `undefined` or `false`)
 * and returns that value; fails the test, naming `label`, once `timeoutMs` has passed without one.
 * For conditions that settle asynchronously: a worker's next run, a delivery, a reconnect.
 */
export async function until<T>(
  read: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  label: string,
  intervalMs = 20,
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (value !== undefined && value !== false) return value
    if (performance.now() > deadline) assert.fail(`${label} not reached within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
