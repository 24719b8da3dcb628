import os from 'node:os'
import { systemClock } from '@pepay/core'

export interface MachineFacts {
  cpuModel: string
  cores: number
  memoryGiB: number
  platform: string
  kernel: string
  node: string
  date: string
  /** 1-minute load average when the bench started: other work on the machine skews figures. */
  loadAverage1m: number
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    date: systemClock.now().toISOString(),
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  }
}
