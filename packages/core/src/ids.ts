import { randomBytes, randomFillSync } from 'node:crypto'

let lastMs = -1
let sequence = 0

/** Random bytes for 256 ids at a time: one CSPRNG call instead of one per id (the watcher makes hundreds per block). */
const pool = Buffer.allocUnsafe(16 * 256)
let poolOffset = pool.length

function random16(): Buffer {
  if (poolOffset >= pool.length) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16)
  poolOffset += 16
  return bytes
}

/**
 * UUIDv7: time-ordered, so b-tree inserts stay at the right edge and ids sort by creation.
 * Within one millisecond a 12-bit counter (RFC 9562 method 1) keeps ids from one process in order.
 */
export function uuidv7(nowMs: number): string {
  // a view into the pool, used once
  const bytes = random16()
  if (nowMs > lastMs) {
    lastMs = nowMs
    // start low in the range so the counter has room to grow within the millisecond
    sequence = (bytes[6] ?? 0) & 0x07
  } else {
    sequence += 1
    if (sequence > 0xfff) {
      // counter exhausted: borrow the next millisecond, as RFC 9562 allows
      lastMs += 1
      sequence = 0
    }
    nowMs = lastMs
  }
  // 48-bit milliseconds: exact in a double; the high 16 bits by division, the low 32 by remainder
  const high = Math.floor(nowMs / 0x1_0000_0000)
  const low = nowMs % 0x1_0000_0000
  bytes[0] = (high >>> 8) & 0xff
  bytes[1] = high & 0xff
  bytes[2] = (low >>> 24) & 0xff
  bytes[3] = (low >>> 16) & 0xff
  bytes[4] = (low >>> 8) & 0xff
  bytes[5] = low & 0xff
  bytes[6] = 0x70 | ((sequence >> 8) & 0x0f)
  bytes[7] = sequence & 0xff
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value)
}

/** Random url-safe token material (keys, session tokens, secrets). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url')
}

/** Prefixes of opaque identifiers, in one place. */
export const ID_PREFIX = {
  sessionToken: 'pst_',
  merchantKeyDevnet: 'pk_test_',
  merchantKeyMainnet: 'pk_live_',
  commerceKeyDevnet: 'ck_test_',
  commerceKeyMainnet: 'ck_live_',
  webhookEndpoint: 'we_',
  webhookSecret: 'whsec_',
  webhookDelivery: 'wd_',
} as const

export const EVENT_ID_PATTERN = /^evt_(\d{1,16})-(\d{1,19})$/

export function formatEventId(createdMs: number, seq: bigint): string {
  return `evt_${createdMs}-${seq}`
}

/** Returns the sequence number of an event id, or undefined for anything malformed. */
export function parseEventSeq(id: string): bigint | undefined {
  const match = EVENT_ID_PATTERN.exec(id)
  return match?.[2] === undefined ? undefined : BigInt(match[2])
}
