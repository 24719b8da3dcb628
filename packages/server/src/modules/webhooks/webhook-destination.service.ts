import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/** Resolves a host name to its addresses (injected in tests). */
export type Resolver = (hostname: string) => Promise<string[]>

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'verbatim' })).map((a) => a.address)

const RESOLVE_TIMEOUT_MS = 5_000

// Addresses a mainnet webhook may never reach: private, loopback, link-local, CGNAT, multicast,
// reserved and documentation ranges, and the IPv6 forms that embed or translate to IPv4.
const BLOCKED = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv6')

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

export function isPublicAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  // an IPv4-mapped IPv6 address reaches the IPv4 host it embeds (BlockList also applies IPv4
  // rules to mapped forms, so ::ffff:0:0/96 cannot be listed as a subnet)
  const mapped = MAPPED_V4.exec(address)?.[1]
  if (mapped !== undefined) return isPublicAddress(mapped)
  if (family === 6 && /^::ffff:/i.test(address)) return false
  return !BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** Mainnet (and both-environment) endpoints are strict; devnet ones may target http://localhost. */
export function isStrict(environment: 'devnet' | 'mainnet' | null): boolean {
  return environment !== 'devnet'
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string }

/** The syntax rules: http(s) only, HTTPS when strict, no credentials, no literal private address. */
export function checkWebhookUrl(text: string, strict: boolean): UrlCheck {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { ok: false, message: 'not a valid absolute URL' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, message: 'must be an http(s) URL' }
  if (strict && url.protocol !== 'https:')
    return { ok: false, message: 'mainnet endpoints must use https' }
  if (url.username || url.password) return { ok: false, message: 'must not carry credentials' }
  if (!url.hostname) return { ok: false, message: 'must name a host' }
  const host = hostOf(url)
  if (strict && (host === 'localhost' || host.endsWith('.localhost'))) {
    return { ok: false, message: 'mainnet endpoints may not target localhost' }
  }
  if (strict && isIP(host) !== 0 && !isPublicAddress(host)) {
    return {
      ok: false,
      message: 'mainnet endpoints may not target private, loopback or link-local addresses',
    }
  }
  return { ok: true, url }
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
}

export type Destination =
  | { ok: true; address: string; family: 4 | 6 }
  | { ok: false; reason: 'blocked' | 'unresolvable'; message: string }

/**
 * Resolves the URL's host and, when strict, requires every address to be public. The caller
 * connects to the returned address, so a DNS answer cannot change between check and connect.
 */
export async function resolveDestination(
  url: URL,
  strict: boolean,
  resolve: Resolver,
): Promise<Destination> {
  const host = hostOf(url)
  let addresses: string[]
  if (isIP(host) !== 0) {
    addresses = [host]
  } else {
    try {
      addresses = await withTimeout(resolve(host), RESOLVE_TIMEOUT_MS)
    } catch (error) {
      return {
        ok: false,
        reason: 'unresolvable',
        message: `cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}`,
      }
    }
  }
  const first = addresses[0]
  if (first === undefined)
    return { ok: false, reason: 'unresolvable', message: `${host} has no addresses` }
  if (strict) {
    const bad = addresses.find((a) => !isPublicAddress(a))
    if (bad !== undefined)
      return {
        ok: false,
        reason: 'blocked',
        message: `${host} resolves to a non-public address (${bad})`,
      }
  }
  return { ok: true, address: first, family: isIP(first) === 6 ? 6 : 4 }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('DNS lookup timed out')), ms)
      }),
    ])
  } finally {
    if (timer) clearTimeout(timer)
  }
}
