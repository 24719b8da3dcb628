import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'

/** The embedded database's directory is held by a running process: a condition to report, not a crash. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError'
}

export interface DataDirLock {
  readonly path: string
  release(): void
}

/** Whether a process with this id exists (one owned by another user counts). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * One process at a time on an embedded database's directory. PGlite keeps no lock of its own, and
 * two processes writing the same data files (a second `npm start`, the operator CLI while the
 * server runs) would corrupt them. The lock is a file created exclusively, holding the owner's
 * process id; a file left by a process that no longer runs (a crash, a kill -9) is taken over.
 * Throws, naming the owner, when the directory is in use — by another process or by another
 * handle in this one.
 */
export function lockDataDir(path: string): DataDirLock {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let fd: number
    try {
      fd = openSync(path, 'wx')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const owner = ownerOf(path)
      if (owner !== undefined && isRunning(owner)) {
        const who = owner === process.pid ? 'this process (the database is already open)' : `process ${owner}`
        throw new DataDirInUseError(`the embedded database is in use by ${who}: stop it first, or set PEPAY_DATA_DIR to another directory (if no such process runs Pepay, delete ${path})`)
      }
      // left by a process that is gone: take it over
      try {
        unlinkSync(path)
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError
      }
      continue
    }
    try {
      writeSync(fd, `${process.pid}\n`)
    } finally {
      closeSync(fd)
    }
    let released = false
    return {
      path,
      release() {
        if (released) return
        released = true
        if (ownerOf(path) !== process.pid) return
        try {
          unlinkSync(path)
        } catch {
          // already gone
        }
      },
    }
  }
  throw new Error(`the embedded database's lock ${path} could not be taken`)
}
