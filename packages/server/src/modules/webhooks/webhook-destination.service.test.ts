import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  checkWebhookUrl,
  isPublicAddress,
  resolveDestination,
} from './webhook-destination.service.ts'

describe('isPublicAddress', () => {
  const cases: [string, boolean][] = [
    ['93.184.216.34', true],
    ['8.8.8.8', true],
    ['2606:4700::1111', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['64:ff9b::a00:1', false],
    ['ff02::1', false],
    ['not-an-ip', false],
  ]
  for (const [address, expected] of cases) {
    it(`${expected ? 'accepts' : 'refuses'} ${address}`, () =>
      assert.equal(isPublicAddress(address), expected))
  }
})

describe('checkWebhookUrl', () => {
  const cases: [string, boolean, boolean][] = [
    ['https://hooks.example.com/pepay', true, true],
    ['http://hooks.example.com/pepay', true, false],
    ['http://localhost:4000/hook', false, true],
    ['http://127.0.0.1:4000/hook', false, true],
    ['https://localhost/hook', true, false],
    ['https://api.localhost/hook', true, false],
    ['https://127.0.0.1/hook', true, false],
    ['https://[::1]/hook', true, false],
    ['https://10.0.0.5/hook', true, false],
    ['https://169.254.169.254/latest/meta-data', true, false],
    ['https://user:pass@hooks.example.com/', true, false],
    ['ftp://hooks.example.com/', false, false],
    ['javascript:alert(1)', false, false],
    ['not a url', false, false],
    ['https://93.184.216.34/hook', true, true],
  ]
  for (const [url, strict, ok] of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${url} ${strict ? 'for mainnet' : 'for devnet'}`, () => {
      assert.equal(checkWebhookUrl(url, strict).ok, ok)
    })
  }
})

describe('resolveDestination', () => {
  const resolver = (map: Record<string, string[]>) => async (host: string) => {
    const found = map[host]
    if (!found) throw new Error('ENOTFOUND')
    return found
  }
  it('returns the first address of a public host', async () => {
    const d = await resolveDestination(
      new URL('https://hooks.example.com/'),
      true,
      resolver({ 'hooks.example.com': ['93.184.216.34'] }),
    )
    assert.deepEqual(d, { ok: true, address: '93.184.216.34', family: 4 })
  })
  it('refuses a host with any private address when strict', async () => {
    const d = await resolveDestination(
      new URL('https://mixed.example.com/'),
      true,
      resolver({ 'mixed.example.com': ['93.184.216.34', '10.0.0.1'] }),
    )
    assert.equal(d.ok, false)
    assert.equal(!d.ok && d.reason, 'blocked')
  })
  it('allows a private address on devnet', async () => {
    const d = await resolveDestination(
      new URL('http://lan.example.com/'),
      false,
      resolver({ 'lan.example.com': ['192.168.1.10'] }),
    )
    assert.equal(d.ok, true)
  })
  it('reports an unresolvable host', async () => {
    const d = await resolveDestination(new URL('https://nowhere.example.com/'), true, resolver({}))
    assert.equal(!d.ok && d.reason, 'unresolvable')
  })
  it('checks a literal address without resolving it', async () => {
    const d = await resolveDestination(new URL('https://[::1]/'), true, resolver({}))
    assert.equal(!d.ok && d.reason, 'blocked')
  })
})
