import { readdirSync, readFileSync } from 'node:fs'

/** CPU time spent so far by this process (all threads) and by the local Postgres server's processes. */
export interface CpuReading {
  processMs: number
  /** Every process named `postgres` on this machine (backends, WAL writer, checkpointer…); null off Linux. */
  postgresMs: number | null
}

export function readCpu(): CpuReading {
  const usage = process.cpuUsage()
  return { processMs: (usage.user + usage.system) / 1000, postgresMs: postgresCpuMs() }
}

/** CPU spent between two readings, in microseconds per unit of work (a credited transfer, a request). */
export function cpuPerUnit(before: CpuReading, after: CpuReading, units: number): { processUs: number; postgresUs: number | null } {
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(units, 1))
  return {
    processUs: per(after.processMs - before.processMs),
    postgresUs: before.postgresMs === null || after.postgresMs === null ? null : per(after.postgresMs - before.postgresMs),
  }
}

/** utime + stime of every `postgres` process, from /proc (Linux). A process that exits between readings drops out. */
function postgresCpuMs(): number | null {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return null
  }
  let ticks = 0
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue
      // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // the process exited while being read
    }
  }
  return ticks * MS_PER_TICK
}

/** /proc counts CPU time in USER_HZ ticks, 100 per second on Linux (part of its user ABI). */
const MS_PER_TICK = 10
