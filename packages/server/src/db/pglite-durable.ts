import fs from 'node:fs'
import { PGlite } from '@electric-sql/pglite'

/**
 * Durable commits on the embedded database.
 *
 * PGlite starts Postgres with `-F` (fsync off), and the Emscripten file system under it turns
 * `fdatasync` into a no-op and has no `fsync` for files on the host: a commit reached the
 * operating system's page cache and no further. A process crash lost nothing, but a power loss or
 * a kernel crash could lose commits already answered (an invoice created, a payment credited) or,
 * as Postgres warns for `fsync = off`, leave the data directory inconsistent.
 *
 * Here Postgres starts with fsync on and `wal_sync_method = fsync` (the one call that reaches the
 * file system), and the host file system's streams get an `fsync` that is `fsync(2)` on the host
 * file: each commit's WAL is on disk before the commit is answered, as on a Postgres server with
 * its defaults.
 */
export function durableStartParams(): string[] {
  return [...PGlite.defaultStartParams.filter((param) => param !== '-F'), '-c', 'wal_sync_method=fsync']
}

interface HostStream {
  nfd?: number
}

interface Mount {
  mountpoint: string
  type: { stream_ops?: Record<string, unknown> & { fsync?: (stream: HostStream) => number } }
}

/** Where PGlite mounts its data directory inside the Emscripten file system. */
const PGDATA = '/pglite/data'

/**
 * Gives the mounted data directory's streams an `fsync` that reaches the disk. Throws when the
 * data directory is not mounted from the host, so a database that cannot flush never starts as
 * if it could.
 */
export function syncToDisk(db: PGlite): void {
  const mod = (db as unknown as { mod?: { FS?: { root?: { mount?: { mounts?: Mount[] } } } } }).mod
  const mount = mod?.FS?.root?.mount?.mounts?.find((m) => m.mountpoint === PGDATA)
  const ops = mount?.type.stream_ops
  if (!ops || typeof ops['write'] !== 'function') throw new Error(`embedded database: ${PGDATA} is not mounted from the host; commits could not be flushed`)
  ops.fsync = (stream) => {
    if (typeof stream.nfd === 'number') fs.fsyncSync(stream.nfd)
    return 0
  }
}
