import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const PASS_FLAG = '--bench-pass'

/**
 * Runs one pass of a benchmark (one database, say) in a child process of the bench's own module,
 * as a server runs: a pass that followed another in the same process ran beside the heap and
 * WebAssembly memory the first one had left for the collector. The module answers through
 * `servePass`; what the pass returns must be plain data (it crosses as JSON).
 */
export function passInChild<T>(moduleUrl: string, pass: string): Promise<T> {
  const child = fork(fileURLToPath(moduleUrl), [PASS_FLAG, pass], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise<T>((resolve, reject) => {
    let result: { value: T } | undefined
    child.on('message', (message) => {
      result = { value: message as T }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result.value)
      else reject(new Error(`the ${pass} pass exited with ${signal ?? `code ${code}`}`))
    })
  })
}

/**
 * In the child `passInChild` started for this module: runs the named pass, sends its result to
 * the parent and exits. Elsewhere (the module imported by the bench runner) it does nothing.
 */
export async function servePass(
  moduleUrl: string,
  measure: (pass: string) => Promise<unknown>,
): Promise<void> {
  const send = process.send?.bind(process)
  if (process.argv[2] !== PASS_FLAG || process.argv[1] !== fileURLToPath(moduleUrl) || !send) return
  const value = await measure(process.argv[3] ?? '')
  send(value, () => process.exit(0))
}
