import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { dirname, join } from 'node:path'

export type AnvilOptions = {
  chainId: number
  /** anvil loads this file at start (if present) and dumps its state into it periodically and on stop(). */
  statePath?: string
  /** Periodic dump interval, bounding what a hard kill loses. */
  stateIntervalSeconds?: number
  /** Interval mining; omitted = automine (one block per transaction). */
  blockTimeSeconds?: number
  mnemonic?: string
  /** Where anvil's stdout/stderr go. Default: `<statePath>.log`, or a temporary file removed on stop(). */
  logPath?: string
  /** Lifecycle messages (started, stopped, unexpected exit). */
  log?: (message: string) => void
  startTimeoutMs?: number
  stopTimeoutMs?: number
  requestTimeoutMs?: number
}

export type AnvilInstance = {
  rpcUrl: string
  chainId: number
  /** pid of the anvil process itself. */
  pid: number
  logPath: string
  request: <T = unknown>(method: string, params?: readonly unknown[]) => Promise<T>
  /** evm_snapshot; the id is consumed by revert(). */
  snapshot: () => Promise<`0x${string}`>
  revert: (snapshotId: `0x${string}`) => Promise<boolean>
  mine: (blocks?: number) => Promise<void>
  /** Replaces the last `depth` blocks with empty blocks of new hashes (anvil_reorg); their transactions are dropped. */
  reorg: (depth: number) => Promise<void>
  /** SIGTERM, then waits for exit so anvil can dump its state. Idempotent. */
  stop: () => Promise<void>
}

export const defaultAnvilMnemonic = 'test test test test test test test test test test test junk'

const listeningPattern = /Listening on 127\.0\.0\.1:(\d+)/
const startPollIntervalMs = 25

// anvil runs under a tiny sh supervisor whose stdin is a pipe from this process: when we exit for any reason
// (including SIGKILL) the pipe closes and the supervisor SIGTERMs anvil, which then dumps its state and exits.
// The supervisor itself exits as soon as anvil does, so a crash is noticed immediately.
// anvil's output goes to a file rather than a pipe because anvil aborts on a broken stdout before dumping state.
const supervisorScript = [
  'exec 3<&0',
  '"$@" </dev/null >"$PEPAY_ANVIL_LOG" 2>&1 &',
  'anvil_pid=$!',
  'echo "$anvil_pid"',
  '( while read -r _; do :; done; kill -TERM "$anvil_pid" 2>/dev/null ) <&3 &',
  'watcher_pid=$!',
  'exec 3<&-',
  'wait "$anvil_pid"',
  'status=$?',
  'kill "$watcher_pid" 2>/dev/null',
  'exit "$status"',
].join('\n')

const liveAnvilPids = new Set<number>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const pid of liveAnvilPids) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
  })
}

export function resolveAnvilBinary(): string {
  const require = createRequire(import.meta.url)
  return join(
    dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')),
    'bin',
    'anvil',
  )
}

/** Resolves true after `ms` unless cancelled; never holds the process open. */
function expiry(ms: number): { expired: Promise<boolean>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined
  let settle: (value: boolean) => void = () => {}
  const expired = new Promise<boolean>((resolve) => {
    settle = resolve
    timer = setTimeout(() => resolve(true), ms)
    timer.unref()
  })
  return {
    expired,
    cancel: () => {
      clearTimeout(timer)
      settle(false)
    },
  }
}

async function inspectJsonFile(path: string): Promise<'missing' | 'valid' | 'corrupt'> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return 'missing'
  }
  try {
    JSON.parse(text)
    return 'valid'
  } catch {
    return 'corrupt'
  }
}

/**
 * anvil rewrites its state file in place (truncate + write), so a hard kill during a periodic dump leaves a
 * truncated file that anvil refuses to load. Keep a copy of the last state that loaded and fall back to it;
 * without one, set the broken file aside and let the chain start fresh (its new genesis hash signals the reset).
 */
export async function prepareStateFile(
  statePath: string,
  log: (message: string) => void,
): Promise<void> {
  const backupPath = `${statePath}.bak`
  const current = await inspectJsonFile(statePath)
  if (current === 'missing') return
  if (current === 'valid') {
    await copyFile(statePath, backupPath)
    return
  }
  await rename(statePath, `${statePath}.corrupt`)
  if ((await inspectJsonFile(backupPath)) === 'valid') {
    await copyFile(backupPath, statePath)
    log(`anvil state ${statePath} was unreadable; restored the copy taken at the previous start`)
  } else {
    log(`anvil state ${statePath} was unreadable and has no usable backup; starting a fresh chain`)
  }
}

async function readTail(path: string, maxChars: number): Promise<string> {
  try {
    const text = await readFile(path, 'utf8')
    return text.slice(-maxChars)
  } catch {
    return ''
  }
}

export async function startAnvil(options: AnvilOptions): Promise<AnvilInstance> {
  const startTimeoutMs = options.startTimeoutMs ?? 15_000
  const stopTimeoutMs = options.stopTimeoutMs ?? 15_000
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000
  const log = options.log ?? (() => {})
  const ephemeralLog = options.logPath === undefined && options.statePath === undefined
  const logPath =
    options.logPath ??
    (options.statePath !== undefined
      ? `${options.statePath}.log`
      : join(tmpdir(), `pepay-anvil-${randomBytes(6).toString('hex')}.log`))

  const args = ['--host', '127.0.0.1', '--port', '0', '--chain-id', String(options.chainId)]
  args.push('--mnemonic', options.mnemonic ?? defaultAnvilMnemonic)
  if (options.statePath !== undefined) {
    await mkdir(dirname(options.statePath), { recursive: true })
    await prepareStateFile(options.statePath, log)
    args.push('--state', options.statePath)
    args.push('--state-interval', String(options.stateIntervalSeconds ?? 5))
  }
  if (options.blockTimeSeconds !== undefined)
    args.push('--block-time', String(options.blockTimeSeconds))

  await mkdir(dirname(logPath), { recursive: true })
  // Truncate so that a "Listening on" line from a previous run is never mistaken for this one.
  await writeFile(logPath, '')

  installExitHook()
  const supervisor: ChildProcess = spawn(
    '/bin/sh',
    ['-c', supervisorScript, 'anvil', resolveAnvilBinary(), ...args],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, PEPAY_ANVIL_LOG: logPath },
    },
  )
  let supervisorExited = false
  const supervisorExit = new Promise<number | null>((resolve) => {
    supervisor.once('exit', (code) => {
      supervisorExited = true
      resolve(code)
    })
  })

  const killEverything = (anvilPid: number | undefined): void => {
    if (anvilPid !== undefined) {
      try {
        process.kill(anvilPid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    supervisor.kill('SIGKILL')
  }

  const startDeadline = AbortSignal.timeout(startTimeoutMs)
  let anvilPid: number | undefined
  try {
    anvilPid = await new Promise<number>((resolve, reject) => {
      let buffered = ''
      const onAbort = (): void => reject(new Error('anvil supervisor did not report a pid'))
      startDeadline.addEventListener('abort', onAbort, { once: true })
      supervisor.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8')
        const newline = buffered.indexOf('\n')
        if (newline < 0) return
        const pid = Number(buffered.slice(0, newline).trim())
        startDeadline.removeEventListener('abort', onAbort)
        if (Number.isInteger(pid) && pid > 0) resolve(pid)
        else
          reject(
            new Error(`anvil supervisor reported an invalid pid: ${buffered.slice(0, newline)}`),
          )
      })
      supervisor.once('error', reject)
      supervisor.once('exit', () => reject(new Error('anvil supervisor exited during start')))
    })
    liveAnvilPids.add(anvilPid)
    supervisor.stdout?.destroy()

    let port: number | undefined
    while (port === undefined) {
      if (startDeadline.aborted)
        throw new Error(`anvil did not report its port within ${startTimeoutMs} ms`)
      if (supervisorExited) throw new Error('anvil exited during start')
      const match = listeningPattern.exec(await readFile(logPath, 'utf8'))
      if (match?.[1] !== undefined) port = Number(match[1])
      else await delay(startPollIntervalMs)
    }

    const pid = anvilPid
    const rpcUrl = `http://127.0.0.1:${port}`
    // Keep neither the event loop alive nor the supervisor pipe closed: the exit hook and the pipe cleanup suffice.
    supervisor.unref()
    const stdin = supervisor.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null
    stdin?.unref?.()

    let stopping: Promise<void> | undefined
    void supervisorExit.then((code) => {
      liveAnvilPids.delete(pid)
      if (stopping === undefined) {
        log(`anvil (chain ${options.chainId}, pid ${pid}) exited unexpectedly with code ${code}`)
      }
    })

    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (!supervisorExited) {
          // Hold the event loop until anvil has dumped its state and exited, even if nothing else is pending.
          supervisor.ref()
          supervisor.stdin?.end()
          const deadline = expiry(stopTimeoutMs)
          const timedOut = await Promise.race([supervisorExit.then(() => false), deadline.expired])
          deadline.cancel()
          if (timedOut) {
            log(
              `anvil (chain ${options.chainId}, pid ${pid}) ignored SIGTERM for ${stopTimeoutMs} ms; killing it`,
            )
            killEverything(pid)
            await supervisorExit
          }
        }
        liveAnvilPids.delete(pid)
        if (ephemeralLog) await rm(logPath, { force: true })
        log(`anvil (chain ${options.chainId}, pid ${pid}) stopped`)
      })()
      return stopping
    }

    let requestId = 0
    const request = async <T = unknown>(
      method: string,
      params: readonly unknown[] = [],
    ): Promise<T> => {
      requestId += 1
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: requestId, method, params }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      })
      const body = (await response.json()) as {
        result?: T
        error?: { code: number; message: string }
      }
      if (body.error !== undefined) {
        throw new Error(`anvil ${method} failed (${body.error.code}): ${body.error.message}`)
      }
      return body.result as T
    }

    log(`anvil (chain ${options.chainId}, pid ${pid}) listening on ${rpcUrl}`)
    return {
      rpcUrl,
      chainId: options.chainId,
      pid,
      logPath,
      request,
      snapshot: () => request<`0x${string}`>('evm_snapshot'),
      revert: (snapshotId) => request<boolean>('evm_revert', [snapshotId]),
      mine: async (blocks = 1) => {
        if (!Number.isInteger(blocks) || blocks < 1)
          throw new RangeError(`cannot mine ${blocks} blocks`)
        await request('anvil_mine', [`0x${blocks.toString(16)}`])
      },
      reorg: async (depth) => {
        if (!Number.isInteger(depth) || depth < 1)
          throw new RangeError(`invalid reorg depth ${depth}`)
        await request('anvil_reorg', [depth, []])
      },
      stop,
    }
  } catch (error) {
    killEverything(anvilPid)
    if (anvilPid !== undefined) liveAnvilPids.delete(anvilPid)
    const tail = await readTail(logPath, 2_000)
    if (ephemeralLog) await rm(logPath, { force: true })
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`failed to start anvil for chain ${options.chainId}: ${reason}\n${tail}`, {
      cause: error,
    })
  }
}
