import { randomBytes } from 'node:crypto'

let lastMs = -1
let sequence = 0

/**
 * UUIDv7: time-ordered, so b-tree inserts stay at the right edge and ids sort by creation.
 * Within one millisecond a 12-bit counter (RFC 9562 method 1) keeps ids from one process in order.
 */
export function uuidv7(nowMs: number): string {
  const bytes = randomBytes(16)
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
  const ms = BigInt(nowMs)
  bytes[0] = Number((ms >> 40n) & 0xffn)
  bytes[1] = Number((ms >> 32n) & 0xffn)
  bytes[2] = Number((ms >> 24n) & 0xffn)
  bytes[3] = Number((ms >> 16n) & 0xffn)
  bytes[4] = Number((ms >> 8n) & 0xffn)
  bytes[5] = Number(ms & 0xffn)
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
