import type { ScreeningProvider, ScreeningResult } from '../screening.ts'

/**
 * A fixed, fictional sanctions list for devnet and tests. Names match after case folding, accent
 * stripping and token sorting (so "SANCTIONED, Ivan" matches "Ivan Sanctioned"); addresses match
 * case-insensitively. A production deployment plugs a real list provider in behind the same interface.
 */
export const SANDBOX_SANCTIONED_NAMES = ['Ivan Sanctioned', 'Blocked Person Sandbox', 'Embargo Trading LLC'] as const
export const SANDBOX_SANCTIONED_ADDRESSES = [
  '0x000000000000000000000000000000000000bad1',
  '0x000000000000000000000000000000000000bad2',
] as const
const LIST = 'sandbox-sanctions-v1'

export function normalizeName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((t) => t.length > 0)
    .sort()
    .join(' ')
}

export function createSandboxScreening(): ScreeningProvider {
  const names = new Map(SANDBOX_SANCTIONED_NAMES.map((n) => [normalizeName(n), n]))
  const addresses = new Set<string>(SANDBOX_SANCTIONED_ADDRESSES.map((a) => a.toLowerCase()))
  const clear: ScreeningResult = { status: 'clear', reason: null, list: LIST }
  return {
    id: 'screening:sandbox',
    async screenName({ name }) {
      const entry = names.get(normalizeName(name))
      return entry ? { status: 'hit', reason: `name matches sanctions list entry "${entry}"`, list: LIST } : clear
    },
    async screenAddress({ address }) {
      return addresses.has(address.toLowerCase())
        ? { status: 'hit', reason: 'address is on the sanctions list', list: LIST }
        : clear
    },
  }
}
