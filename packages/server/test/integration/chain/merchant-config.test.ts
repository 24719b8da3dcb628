import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { erc20Abi, type Hex } from 'viem'
import { apiClient, keyHeaders, startTestServer, type TestServer } from '../../helpers/server.ts'
import { allocateAddress, chainLayer, devnetClient, eventually, newInvoice, payBatch, payToken, tokenOf, type Api } from '../../helpers/chain.ts'
import { findCursor } from '../../../src/modules/chain/cursor.repo.ts'

// Merchant-side chain configuration against a real devnet: token acceptance, settlement token,
// settlement wallets (and where sweeps go), and the devnet helper routes. A mainnet RPC is
// configured (unreachable on purpose) so that mainnet tokens exist beside the devnet ones.

interface TokenRow {
  id: number
  token_symbol: string
  network: string
  network_environment: string
  token_type?: string
  is_blocked: boolean
}

let t: TestServer

before(async () => {
  t = await startTestServer({ devnet: true, env: { PEPAY_RPC_ETHEREUM_MAINNET: 'http://127.0.0.1:9' } })
})
after(async () => t.close())

const devnetTokens = () => chainLayer(t).runtime.networks.filter((n) => n.def.environment === 'devnet').flatMap((n) => n.tokens)
const mainnetTokens = () => chainLayer(t).runtime.networks.filter((n) => n.def.environment === 'mainnet').flatMap((n) => n.tokens)

async function merchantWith(name: string, options: { grantMainnet?: boolean } = {}) {
  const m = await t.onboard(name, options)
  return {
    m,
    key: apiClient(t.url, keyHeaders(m.merchantKey)),
    bearer: apiClient(t.url, { authorization: `Bearer ${m.dashboardToken}` }),
    mainnet: m.mainnetMerchantKey ? apiClient(t.url, keyHeaders(m.mainnetMerchantKey)) : undefined,
  }
}

function blockedIds(rows: TokenRow[]): number[] {
  return rows.filter((r) => r.is_blocked).map((r) => r.id).sort((a, b) => a - b)
}

describe('GET /api/v1/merchant/tokens', () => {
  it('lists every devnet token unblocked under the default accept_all policy', async () => {
    const { key, bearer } = await merchantWith('Tokens Default')
    for (const client of [key, bearer]) {
      const res = await client('GET', '/api/v1/merchant/tokens')
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.acceptance_policy, 'accept_all')
      assert.equal(res.body.environment, 'devnet')
      const rows = res.body.tokens as TokenRow[]
      assert.deepEqual(rows.map((r) => r.id).sort((a, b) => a - b), devnetTokens().map((x) => x.id).sort((a, b) => a - b))
      assert.ok(rows.every((r) => r.network_environment === 'devnet' && !r.is_blocked))
      assert.ok(rows.some((r) => r.network === 'base' && r.token_symbol === 'ETH'))
      assert.ok(rows.some((r) => r.network === 'bsc' && r.token_symbol === 'USD1'))
    }
  })

  it('shows mainnet tokens to a mainnet key and refuses environment=mainnet on a devnet key', async () => {
    const { key, mainnet } = await merchantWith('Tokens Mainnet', { grantMainnet: true })
    assert.ok(mainnet)
    const res = await mainnet('GET', '/api/v1/merchant/tokens')
    assert.equal(res.status, 200)
    assert.equal(res.body.environment, 'mainnet')
    assert.deepEqual((res.body.tokens as TokenRow[]).map((r) => r.id).sort((a, b) => a - b), mainnetTokens().map((x) => x.id).sort((a, b) => a - b))
    const crossed = await key('GET', '/api/v1/merchant/tokens?environment=mainnet')
    assert.equal(crossed.status, 400)
    assert.equal(crossed.body.error.code, 'VALIDATION_ERROR')
    assert.equal(crossed.body.error.details[0].field, 'environment')
  })

  it('answers 400 for an unknown query parameter or environment', async () => {
    const { key } = await merchantWith('Tokens Bad Query')
    for (const q of ['?foo=1', '?environment=testnet']) {
      const res = await key('GET', `/api/v1/merchant/tokens${q}`)
      assert.equal(res.status, 400, q)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    }
  })

  it('refuses payment-session headers and missing credentials', async () => {
    const { m } = await merchantWith('Tokens Auth')
    const { session } = await newInvoice(t, m.merchantKey, { amount_usd: 1 })
    assert.equal((await session('GET', '/api/v1/merchant/tokens')).status, 401)
    assert.equal((await apiClient(t.url)('GET', '/api/v1/merchant/tokens')).status, 401)
  })
})

describe('GET /api/v1/merchant/tokens/search', () => {
  let key: Api
  before(async () => {
    key = (await merchantWith('Search Shop')).key
  })
  const search = async (query: string) => {
    const res = await key('GET', `/api/v1/merchant/tokens/search${query}`)
    assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`)
    return res.body as { total: number; limit: number; offset: number; acceptance_policy: string; tokens: (TokenRow & { token_address: string | null; token_decimals: number })[] }
  }

  const filters: [string, (x: ReturnType<typeof devnetTokens>[number]) => boolean][] = [
    ['', () => true],
    ['?search=usd', (x) => x.symbol.toLowerCase().includes('usd') || x.name.toLowerCase().includes('usd')],
    ['?search=TETHER', (x) => x.name === 'Tether USD'],
    ['?network=bsc', (x) => x.network === 'bsc'],
    ['?token_type=native', (x) => x.tokenType === 'native'],
    ['?token_type=erc20&network=base', (x) => x.tokenType === 'erc20' && x.network === 'base'],
    ['?supports_stable_settlement=false', (x) => !x.supportsStableSettlement],
    ['?is_active=true', () => true],
    ['?network=ethereum', () => false],
    ['?token_type=spl', (x) => x.tokenType === 'spl'],
  ]
  for (const [query, expected] of filters) {
    it(`filters ${query || 'nothing'} to the matching devnet tokens with their total`, async () => {
      const body = await search(query)
      const want = devnetTokens().filter(expected).map((x) => x.id).sort((a, b) => a - b)
      assert.equal(body.total, want.length)
      assert.deepEqual(body.tokens.map((r) => r.id).sort((a, b) => a - b), want)
      assert.ok(body.tokens.every((r) => r.network_environment === 'devnet'))
    })
  }

  it('finds tokens by part of their contract address, case-insensitively', async () => {
    const usdc = tokenOf(t, 'base', 'USDC')
    // devnet contracts sit at deterministic addresses: the first token of each network shares one
    const sameAddress = devnetTokens().filter((x) => x.address === usdc.address).map((x) => x.id)
    assert.ok(sameAddress.includes(usdc.id))
    const body = await search(`?search=${(usdc.address as string).slice(2, 14).toUpperCase()}`)
    assert.deepEqual(body.tokens.map((r) => r.id), sameAddress)
    assert.ok(body.tokens.every((r) => r.token_address === usdc.address))
    const narrowed = await search(`?search=${(usdc.address as string).slice(2, 14)}&network=base`)
    assert.deepEqual(narrowed.tokens.map((r) => [r.id, r.token_decimals]), [[usdc.id, 6]])
  })

  it('pages with limit and offset while total stays the full count', async () => {
    const all = await search('')
    const count = devnetTokens().length
    const seen: number[] = []
    for (let offset = 0; offset < count + 2; offset += 3) {
      const page = await search(`?limit=3&offset=${offset}`)
      assert.equal(page.total, count)
      assert.equal(page.limit, 3)
      assert.equal(page.offset, offset)
      assert.equal(page.tokens.length, Math.max(0, Math.min(3, count - offset)))
      seen.push(...page.tokens.map((r) => r.id))
    }
    assert.deepEqual(seen, all.tokens.map((r) => r.id))
    const defaults = await search('')
    assert.equal(defaults.limit, 50)
    assert.equal(defaults.offset, 0)
  })

  for (const query of ['?limit=0', '?limit=201', '?offset=-1', '?limit=abc', '?network=dogechain', '?token_type=bep20', '?blocked=maybe', '?sort=symbol', `?search=${'x'.repeat(101)}`]) {
    it(`answers 400 VALIDATION_ERROR for ${query.slice(0, 40)}`, async () => {
      const res = await key('GET', `/api/v1/merchant/tokens/search${query}`)
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.ok(res.body.error.details.length > 0)
    })
  }

  it('applies the blocked filter under each acceptance policy', async () => {
    const { key: own } = await merchantWith('Search Policies')
    const usdt = tokenOf(t, 'base', 'USDT')
    const count = devnetTokens().length
    const totals = async (blocked: boolean) => {
      const res = await own('GET', `/api/v1/merchant/tokens/search?blocked=${blocked}`)
      assert.equal(res.status, 200)
      return res.body.total as number
    }
    assert.deepEqual([await totals(true), await totals(false)], [0, count])
    assert.equal((await own('PUT', '/api/v1/merchant/acceptance-policy', { body: { acceptance_policy: 'accept_none' } })).status, 200)
    assert.deepEqual([await totals(true), await totals(false)], [count, 0])
    assert.equal((await own('PUT', '/api/v1/merchant/acceptance-policy', { body: { acceptance_policy: 'accept_all' } })).status, 200)
    assert.equal((await own('POST', `/api/v1/merchant/tokens/${usdt.id}/block`, { body: { blocked: true } })).status, 200)
    const blocked = await own('GET', '/api/v1/merchant/tokens/search?blocked=true')
    assert.equal(blocked.body.acceptance_policy, 'selective')
    assert.deepEqual(blocked.body.tokens.map((r: TokenRow) => r.id), [usdt.id])
    assert.equal(await totals(false), count - 1)
  })
})

describe('POST /api/v1/merchant/tokens/{tokenId}/block', () => {
  it('switches accept_all to selective, blocking only the named token', async () => {
    const { key } = await merchantWith('Block From All')
    const usdt = tokenOf(t, 'bsc', 'USDT')
    const res = await key('POST', `/api/v1/merchant/tokens/${usdt.id}/block`, { body: { blocked: true } })
    assert.equal(res.status, 200)
    assert.deepEqual(res.body, { success: true, blocked: true, acceptance_policy: 'selective' })
    const list = await key('GET', '/api/v1/merchant/tokens')
    assert.equal(list.body.acceptance_policy, 'selective')
    assert.deepEqual(blockedIds(list.body.tokens), [usdt.id])
  })

  it('switches accept_none to selective with every other token starting blocked', async () => {
    const { key } = await merchantWith('Block From None')
    const usdc = tokenOf(t, 'base', 'USDC')
    await key('PUT', '/api/v1/merchant/acceptance-policy', { body: { acceptance_policy: 'accept_none' } })
    const res = await key('POST', `/api/v1/merchant/tokens/${usdc.id}/block`, { body: { blocked: false } })
    assert.equal(res.status, 200)
    assert.equal(res.body.acceptance_policy, 'selective')
    const list = await key('GET', '/api/v1/merchant/tokens')
    assert.deepEqual(blockedIds(list.body.tokens), devnetTokens().map((x) => x.id).filter((id) => id !== usdc.id).sort((a, b) => a - b))
  })

  it('keeps devnet tokens blocked when a mainnet key leaves accept_none', async () => {
    const { key, mainnet } = await merchantWith('Block Across Environments', { grantMainnet: true })
    assert.ok(mainnet)
    const mainnetUsdc = mainnetTokens().find((x) => x.symbol === 'USDC')
    assert.ok(mainnetUsdc)
    await key('PUT', '/api/v1/merchant/acceptance-policy', { body: { acceptance_policy: 'accept_none' } })
    const res = await mainnet('POST', `/api/v1/merchant/tokens/${mainnetUsdc.id}/block`, { body: { blocked: false } })
    assert.equal(res.status, 200)
    // the policy is the merchant's, across environments: accept_none must not turn into "devnet accepts all"
    const devnetList = await key('GET', '/api/v1/merchant/tokens')
    assert.equal(devnetList.body.acceptance_policy, 'selective')
    assert.ok((devnetList.body.tokens as TokenRow[]).every((r) => r.is_blocked))
    const mainnetList = await mainnet('GET', '/api/v1/merchant/tokens')
    assert.deepEqual(blockedIds(mainnetList.body.tokens), mainnetTokens().map((x) => x.id).filter((id) => id !== mainnetUsdc.id).sort((a, b) => a - b))
  })

  it('unblocks a token again and blocks are per merchant', async () => {
    const a = await merchantWith('Block Isolation A')
    const b = await merchantWith('Block Isolation B')
    const usd1 = tokenOf(t, 'bsc', 'USD1')
    await a.key('POST', `/api/v1/merchant/tokens/${usd1.id}/block`, { body: { blocked: true } })
    const other = await b.key('GET', '/api/v1/merchant/tokens')
    assert.equal(other.body.acceptance_policy, 'accept_all')
    assert.deepEqual(blockedIds(other.body.tokens), [])
    const again = await a.bearer('POST', `/api/v1/merchant/tokens/${usd1.id}/block`, { body: { blocked: false } })
    assert.equal(again.status, 200)
    assert.deepEqual(blockedIds((await a.key('GET', '/api/v1/merchant/tokens')).body.tokens), [])
  })

  it('refuses a mainnet token id with a devnet key and an unknown id with 400 UNKNOWN_TOKEN, writing nothing', async () => {
    const { key } = await merchantWith('Block Unknown')
    const mainnetUsdc = mainnetTokens().find((x) => x.symbol === 'USDC')
    assert.ok(mainnetUsdc)
    for (const id of [mainnetUsdc.id, 999_999]) {
      const res = await key('POST', `/api/v1/merchant/tokens/${id}/block`, { body: { blocked: true } })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'UNKNOWN_TOKEN')
      assert.equal(res.body.error.details[0].field, 'tokenId')
    }
    const list = await key('GET', '/api/v1/merchant/tokens')
    assert.equal(list.body.acceptance_policy, 'accept_all')
  })

  const badRequests: [string, string, unknown][] = [
    ['a non-numeric id', 'abc', { blocked: true }],
    ['a zero id', '0', { blocked: true }],
    ['a negative id', '-3', { blocked: true }],
    ['a fractional id', '1.5', { blocked: true }],
    ['an empty body', 'VALID', {}],
    ['a string flag', 'VALID', { blocked: 'yes' }],
    ['an unknown field', 'VALID', { blocked: true, reason: 'spam' }],
    ['a bad environment', 'VALID', { blocked: true, environment: 'testnet' }],
  ]
  for (const [label, id, body] of badRequests) {
    it(`answers 400 VALIDATION_ERROR for ${label}`, async () => {
      const { key } = await merchantWith(`Block Bad ${label}`)
      const tokenId = id === 'VALID' ? String(tokenOf(t, 'base', 'USDC').id) : id
      const res = await key('POST', `/api/v1/merchant/tokens/${tokenId}/block`, { body })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.equal((await key('GET', '/api/v1/merchant/tokens')).body.acceptance_policy, 'accept_all')
    })
  }
})

describe('PUT /api/v1/merchant/acceptance-policy', () => {
  it('moves between the three policies; per-token choices come back with selective', async () => {
    const { key } = await merchantWith('Policy Shop')
    const usdt = tokenOf(t, 'base', 'USDT')
    await key('POST', `/api/v1/merchant/tokens/${usdt.id}/block`, { body: { blocked: true } })
    const cases: [string, number[]][] = [
      ['accept_all', []],
      ['accept_none', devnetTokens().map((x) => x.id).sort((a, b) => a - b)],
      ['selective', [usdt.id]],
    ]
    for (const [policy, blocked] of cases) {
      const res = await key('PUT', '/api/v1/merchant/acceptance-policy', { body: { acceptance_policy: policy } })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body, { acceptance_policy: policy })
      const list = await key('GET', '/api/v1/merchant/tokens')
      assert.equal(list.body.acceptance_policy, policy)
      assert.deepEqual(blockedIds(list.body.tokens), blocked, policy)
    }
  })

  it('hides every token from the payer under accept_none and refuses an address for it', async () => {
    const { m, key } = await merchantWith('Policy Payer')
    await key('PUT', '/api/v1/merchant/acceptance-policy', { body: { acceptance_policy: 'accept_none' } })
    const { session } = await newInvoice(t, m.merchantKey, { amount_usd: 2 })
    const tokens = await session('GET', '/api/v1/payments/available-tokens')
    assert.deepEqual(tokens.body, [])
    const refused = await session('POST', '/api/v1/payments/payment-addresses', { body: { network: 'base', tokenId: tokenOf(t, 'base', 'USDC').id } })
    assert.equal(refused.status, 400)
    assert.equal(refused.body.error.code, 'TOKEN_BLOCKED')
  })

  for (const body of [{}, { acceptance_policy: 'some' }, { acceptance_policy: 'accept_all', extra: 1 }, { acceptance_policy: null }]) {
    it(`answers 400 for ${JSON.stringify(body)} and keeps the policy`, async () => {
      const { key } = await merchantWith('Policy Bad')
      const res = await key('PUT', '/api/v1/merchant/acceptance-policy', { body })
      assert.equal(res.status, 400)
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.equal((await key('GET', '/api/v1/merchant/tokens')).body.acceptance_policy, 'accept_all')
    })
  }
})

describe('settlement preference routes', () => {
  it('shows the default stable token until one is chosen, then the choice', async () => {
    const { bearer } = await merchantWith('Settle Shop')
    const initial = await bearer('GET', '/api/v1/merchant/settlement-preference')
    assert.equal(initial.status, 200, JSON.stringify(initial.body))
    assert.equal(initial.body.settlement_preference, 'stables_preferred')
    assert.equal(initial.body.description, 'Prefer stable coins when available, fallback to original token')
    assert.equal(initial.body.updated_at, null)
    const stables = devnetTokens().filter((x) => x.supportsStableSettlement)
    assert.deepEqual(initial.body.available_stable_tokens.map((x: { id: number }) => x.id), stables.map((x) => x.id))
    assert.ok(!initial.body.available_stable_tokens.some((x: { token_symbol: string }) => x.token_symbol === 'ETH' || x.token_symbol === 'BNB'))
    const defaults = initial.body.available_stable_tokens.filter((x: { is_default_settlement: boolean }) => x.is_default_settlement).map((x: { network: string; token_symbol: string }) => `${x.network}:${x.token_symbol}`)
    assert.ok(defaults.includes('base:USDC') && defaults.includes('bsc:USD1'), JSON.stringify(defaults))
    assert.equal(initial.body.selected_settlement_token.is_default, true)
    assert.equal(initial.body.selected_settlement_token.token_symbol, 'USDC')

    const usd1 = tokenOf(t, 'bsc', 'USD1')
    const put = await bearer('PUT', '/api/v1/merchant/settlement-token', { body: { settlement_token_id: usd1.id } })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.deepEqual(put.body.settlement_token, { id: usd1.id, token_symbol: 'USD1', token_name: 'World Liberty Financial USD', network: 'bsc' })
    assert.equal(put.body.message, 'Settlement token updated successfully')
    assert.equal(typeof put.body.updated_at, 'number')
    const chosen = await bearer('GET', '/api/v1/merchant/settlement-preference')
    assert.equal(chosen.body.selected_settlement_token.id, usd1.id)
    assert.equal(chosen.body.selected_settlement_token.is_default, false)
    assert.equal(chosen.body.selected_settlement_token.token_decimals, 18)
    assert.equal(chosen.body.updated_at, put.body.updated_at)

    const reset = await bearer('PUT', '/api/v1/merchant/settlement-token', { body: { settlement_token_id: null } })
    assert.equal(reset.status, 200)
    assert.equal(reset.body.settlement_token, null)
    const back = await bearer('GET', '/api/v1/merchant/settlement-preference')
    assert.equal(back.body.selected_settlement_token.is_default, true)
    assert.equal(back.body.selected_settlement_token.token_symbol, 'USDC')
  })

  it('refuses a non-stable, a mainnet or an unknown token with 400 naming settlement_token_id and keeps the choice', async () => {
    const { bearer } = await merchantWith('Settle Bad')
    const usdt = tokenOf(t, 'base', 'USDT')
    await bearer('PUT', '/api/v1/merchant/settlement-token', { body: { settlement_token_id: usdt.id } })
    const mainnetUsdc = mainnetTokens().find((x) => x.symbol === 'USDC')
    assert.ok(mainnetUsdc)
    for (const id of [tokenOf(t, 'base', 'ETH').id, tokenOf(t, 'bsc', 'BNB').id, mainnetUsdc.id, 999_999]) {
      const res = await bearer('PUT', '/api/v1/merchant/settlement-token', { body: { settlement_token_id: id } })
      assert.equal(res.status, 400, String(id))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.equal(res.body.error.details[0].field, 'settlement_token_id')
    }
    for (const body of [{}, { settlement_token_id: 0 }, { settlement_token_id: 'USDC' }, { settlement_token_id: 1.5 }, { settlement_token_id: usdt.id, network: 'base' }]) {
      const res = await bearer('PUT', '/api/v1/merchant/settlement-token', { body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    }
    const kept = await bearer('GET', '/api/v1/merchant/settlement-preference')
    assert.equal(kept.body.selected_settlement_token.id, usdt.id)
  })

  it('takes the dashboard Bearer token only: an API key gets 403', async () => {
    const { key } = await merchantWith('Settle Auth')
    const get = await key('GET', '/api/v1/merchant/settlement-preference')
    assert.equal(get.status, 403)
    assert.equal(get.body.error.code, 'WRONG_AUTH_MODE')
    const put = await key('PUT', '/api/v1/merchant/settlement-token', { body: { settlement_token_id: null } })
    assert.equal(put.status, 403)
    assert.equal(put.body.error.code, 'WRONG_AUTH_MODE')
  })

  it('keeps each merchant’s settlement token to itself', async () => {
    const a = await merchantWith('Settle Iso A')
    const b = await merchantWith('Settle Iso B')
    await a.bearer('PUT', '/api/v1/merchant/settlement-token', { body: { settlement_token_id: tokenOf(t, 'bsc', 'USDT').id } })
    const other = await b.bearer('GET', '/api/v1/merchant/settlement-preference')
    assert.equal(other.body.selected_settlement_token.is_default, true)
    assert.equal(other.body.updated_at, null)
  })
})

describe('settlement wallet routes', () => {
  // a checksummed address (EIP-55) and variants of it
  const good = '0x52908400098527886E0F7030069857D2E4169EE7'
  const other = '0x8617E340B3D01FA5F11F306F4090FD50E238070D'

  it('keeps one active wallet per network: a new active wallet deactivates the previous one', async () => {
    const { bearer, key } = await merchantWith('Wallet Shop')
    const first = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: good } })
    assert.equal(first.status, 201, JSON.stringify(first.body))
    assert.equal(first.body.address, good.toLowerCase())
    assert.equal(first.body.is_active, true)
    assert.equal(first.body.network, 'base')
    assert.equal(first.body.environment, 'devnet')
    const onBsc = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'bsc', wallet_address: good } })
    assert.equal(onBsc.status, 201)
    const second = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: other } })
    assert.equal(second.status, 201)
    const spare = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: '0x000000000000000000000000000000000000dead', is_active: false } })
    assert.equal(spare.status, 201)
    assert.equal(spare.body.is_active, false)

    for (const client of [bearer, key]) {
      const list = await client('GET', '/api/v1/merchant/wallets')
      assert.equal(list.status, 200, JSON.stringify(list.body))
      const groups = new Map((list.body as { network: string; wallets: { id: string; is_active: boolean }[] }[]).map((g) => [g.network, g.wallets]))
      assert.deepEqual([...groups.keys()].sort(), ['base', 'bsc'])
      const base = groups.get('base') ?? []
      assert.deepEqual(base.filter((w) => w.is_active).map((w) => w.id), [second.body.id])
      assert.equal(base.length, 3)
      assert.deepEqual(groups.get('bsc')?.map((w) => w.is_active), [true])
    }
    const filtered = await key('GET', '/api/v1/merchant/wallets?network=bsc')
    assert.deepEqual(filtered.body.map((g: { network: string }) => g.network), ['bsc'])

    const reactivated = await bearer('PATCH', `/api/v1/merchant/wallets/${first.body.id}`, { body: { is_active: true } })
    assert.equal(reactivated.status, 200)
    assert.equal(reactivated.body.is_active, true)
    const after = await key('GET', '/api/v1/merchant/wallets?network=base')
    assert.deepEqual(after.body[0].wallets.filter((w: { is_active: boolean }) => w.is_active).map((w: { id: string }) => w.id), [first.body.id])

    const off = await bearer('PATCH', `/api/v1/merchant/wallets/${first.body.id}`, { body: { is_active: false } })
    assert.equal(off.body.is_active, false)
    const none = await key('GET', '/api/v1/merchant/wallets?network=base')
    assert.ok(none.body[0].wallets.every((w: { is_active: boolean }) => !w.is_active))

    const removed = await bearer('DELETE', `/api/v1/merchant/wallets/${spare.body.id}`)
    assert.equal(removed.status, 200)
    assert.equal(removed.body.id, spare.body.id)
    const gone = await bearer('DELETE', `/api/v1/merchant/wallets/${spare.body.id}`)
    assert.equal(gone.status, 404)
  })

  const invalid: [string, string, string][] = [
    ['a wrong EIP-55 checksum', 'base', '0x52908400098527886E0F7030069857D2E4169Ee7'],
    ['a short address', 'base', '0x52908400098527886e0f7030069857d2e4169e'],
    ['no 0x prefix', 'base', '52908400098527886e0f7030069857d2e4169ee7aa'],
    ['the zero address', 'base', '0x0000000000000000000000000000000000000000'],
    ['an EVM address on solana', 'solana', good],
    ['a solana address on bsc', 'bsc', '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV'],
  ]
  for (const [label, network, address] of invalid) {
    it(`refuses ${label} with 400 INVALID_ADDRESS naming wallet_address and writes nothing`, async () => {
      const { bearer } = await merchantWith(`Wallet Bad ${label}`)
      const res = await bearer('POST', '/api/v1/merchant/wallets', { body: { network, wallet_address: address } })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error.code, 'INVALID_ADDRESS')
      assert.equal(res.body.error.details[0].field, 'wallet_address')
      assert.deepEqual((await bearer('GET', '/api/v1/merchant/wallets')).body, [])
    })
  }

  it('answers 409 for a wallet already registered on the network, keeping the active one active', async () => {
    const { bearer } = await merchantWith('Wallet Duplicate')
    const first = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: good } })
    assert.equal(first.status, 201)
    const inactive = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: other, is_active: false } })
    assert.equal(inactive.status, 201)
    for (const address of [good, good.toLowerCase(), other]) {
      const dup = await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: address } })
      assert.equal(dup.status, 409, address)
      assert.equal(dup.body.error.code, 'CONFLICT')
    }
    const list = await bearer('GET', '/api/v1/merchant/wallets')
    const wallets = list.body[0].wallets as { id: string; is_active: boolean }[]
    assert.equal(wallets.length, 2)
    assert.deepEqual(wallets.filter((w) => w.is_active).map((w) => w.id), [first.body.id])
  })

  it('answers 404 for another merchant’s wallet and 400 for a malformed id or body', async () => {
    const a = await merchantWith('Wallet Iso A')
    const b = await merchantWith('Wallet Iso B')
    const created = await a.bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: good } })
    assert.equal(created.status, 201)
    assert.equal((await b.bearer('PATCH', `/api/v1/merchant/wallets/${created.body.id}`, { body: { is_active: false } })).status, 404)
    assert.equal((await b.bearer('DELETE', `/api/v1/merchant/wallets/${created.body.id}`)).status, 404)
    assert.deepEqual((await b.key('GET', '/api/v1/merchant/wallets')).body, [])
    assert.equal((await a.bearer('PATCH', '/api/v1/merchant/wallets/not-a-uuid', { body: { is_active: true } })).status, 400)
    assert.equal((await a.bearer('DELETE', '/api/v1/merchant/wallets/123')).status, 400)
    for (const body of [{}, { is_active: 'yes' }, { is_active: true, address: good }]) {
      const res = await a.bearer('PATCH', `/api/v1/merchant/wallets/${created.body.id}`, { body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    }
    for (const body of [{ wallet_address: good }, { network: 'dogechain', wallet_address: good }, { network: 'base', wallet_address: good, label: 'x' }, { network: 'base', wallet_address: '' }]) {
      const res = await a.bearer('POST', '/api/v1/merchant/wallets', { body })
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
    }
    const still = await a.bearer('GET', '/api/v1/merchant/wallets')
    assert.equal(still.body[0].wallets[0].is_active, true)
  })

  it('takes writes from the dashboard Bearer token only', async () => {
    const { key } = await merchantWith('Wallet Auth')
    const res = await key('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: good } })
    assert.equal(res.status, 403)
    assert.equal(res.body.error.code, 'WRONG_AUTH_MODE')
  })
})

describe('settlement destination of a confirmed payment', () => {
  async function payInvoice(merchantKey: string, amountUsd: number, extra: Record<string, unknown> = {}) {
    const usdc = tokenOf(t, 'base', 'USDC')
    const { id, session } = await newInvoice(t, merchantKey, { amount_usd: amountUsd, ...extra })
    const quote = await allocateAddress(session, 'base', usdc.id)
    await payToken(t, { network: 'base', tokenAddress: usdc.address as string, to: quote.temp_address, amountUnits: BigInt(quote.estimated_token_amount_units), payer: 2 })
    return { id, address: quote.temp_address }
  }

  it('marks the settlement manual when the merchant has no active wallet on the network', async () => {
    const { m, key } = await merchantWith('No Wallet Shop')
    const { id } = await payInvoice(m.merchantKey, 3)
    const invoice = await eventually(async () => (await key('GET', `/api/v1/invoices/${id}?expand=payments`)).body, (i) => i.payments?.[0]?.settlement_status === 'manual', 15_000, 'settlement manual')
    assert.equal(invoice.status, 'paid')
    assert.equal(invoice.payments[0].settlement.settlement_tx_hash, null)
    const events = await key('GET', `/api/v1/events?invoice_id=${id}&type=invoice_payment.updated&limit=50`)
    assert.ok(events.body.data.data.some((e: { data: { object: { settlement_status: string } } }) => e.data.object.settlement_status === 'manual'))
  })

  it('sweeps to the invoice’s receiver_override_address instead of the active wallet', async () => {
    const { m, bearer, key } = await merchantWith('Override Shop')
    const wallet = '0x000000000000000000000000000000000000c0de'
    const override = '0x000000000000000000000000000000000000f00d'
    assert.equal((await bearer('POST', '/api/v1/merchant/wallets', { body: { network: 'base', wallet_address: wallet } })).status, 201)
    const { client } = devnetClient(t, 'base')
    const usdc = tokenOf(t, 'base', 'USDC')
    const balance = (owner: string) => client.readContract({ address: usdc.address as Hex, abi: erc20Abi, functionName: 'balanceOf', args: [owner as Hex] })
    const before = { wallet: await balance(wallet), override: await balance(override) }
    const { id, address } = await payInvoice(m.merchantKey, 4, { receiver_override_enable: true, receiver_override_address: override })
    const invoice = await eventually(async () => (await key('GET', `/api/v1/invoices/${id}?expand=payments`)).body, (i) => i.payments?.[0]?.settlement_status === 'settled', 20_000, 'settled')
    assert.equal(invoice.payments[0].settlement.destination_address, override)
    // the treasury's gas top-up to the deposit address before the sweep is not a payment
    const head = await client.getBlockNumber()
    await eventually(async () => (await findCursor(t.server.deps.db, 'devnet', 'base'))?.lastBlock ?? 0n, (c) => c >= head, 10_000, 'watcher past the sweep')
    assert.equal((await key('GET', `/api/v1/invoices/${id}?expand=payments`)).body.payments.length, 1)
    assert.equal(await balance(override), before.override + 4_000_000n)
    assert.equal(await balance(wallet), before.wallet)
    assert.equal(await balance(address), 0n)
  })
})

describe('events of a block that pays several invoices at once', () => {
  it('writes one invoice_payment.created per transfer in log order, each with its webhook delivery', async () => {
    const { m, key } = await merchantWith('Batch Events Shop')
    const hook = await key('POST', '/api/v1/webhooks/endpoints', { body: { url: 'https://hooks.example.com/pepay', enabled_events: ['invoice_payment.*'] } })
    assert.equal(hook.status, 201, JSON.stringify(hook.body))
    const usdc = tokenOf(t, 'base', 'USDC')
    const invoices = []
    for (const amount of [1, 2, 3]) {
      const { id, session } = await newInvoice(t, m.merchantKey, { amount_usd: amount })
      invoices.push({ id, amount, address: (await allocateAddress(session, 'base', usdc.id)).temp_address })
    }
    const paid = await payBatch(t, { network: 'base', tokenAddress: usdc.address as string, recipients: invoices.map((i) => i.address), amountsUnits: invoices.map((i) => BigInt(i.amount) * 1_000_000n), payer: 6 })
    for (const invoice of invoices) {
      await eventually(async () => (await key('GET', `/api/v1/invoices/${invoice.id}`)).body.status, (x) => x === 'paid', 15_000, `${invoice.id} paid`)
    }
    const db = t.server.deps.db
    const created = await db.selectFrom('event').select(['seq', 'id', 'invoice_id', 'data']).where('type', '=', 'invoice_payment.created').where('invoice_id', 'in', invoices.map((i) => i.id)).orderBy('seq').execute()
    assert.equal(created.length, 3)
    const logIndexes = created.map((e) => (e.data as { object: { log_index: number; tx_hash: string } }).object)
    assert.ok(logIndexes.every((o) => o.tx_hash === paid.txHash))
    assert.deepEqual(logIndexes.map((o) => o.log_index), [...logIndexes.map((o) => o.log_index)].sort((a, b) => a - b), 'seq follows log order')
    assert.deepEqual(created.map((e) => e.invoice_id), invoices.map((i) => i.id))
    const deliveries = await db.selectFrom('webhook_delivery').select(['event_id', 'event_type']).where('event_id', 'in', created.map((e) => e.id)).execute()
    assert.deepEqual(deliveries.map((d) => d.event_id).sort(), created.map((e) => e.id).sort())
  })
})

describe('devnet routes', () => {
  it('GET /api/v1/devnet lists each local network with its RPC URL, chain id and tokens', async () => {
    const { key, bearer, m } = await merchantWith('Devnet Info')
    const commerce = apiClient(t.url, keyHeaders(m.commerceKey))
    for (const client of [key, bearer, commerce]) {
      const res = await client('GET', '/api/v1/devnet')
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(res.body.success, true)
      const networks = res.body.data.networks as { network: string; chain_id: number; rpc_url: string; native_symbol: string; tokens: { id: number; symbol: string; address: string | null; decimals: number }[] }[]
      assert.deepEqual(networks.map((n) => n.network), chainLayer(t).runtime.networks.filter((n) => n.def.environment === 'devnet').map((n) => n.def.network))
      for (const n of networks.filter((x) => x.network === 'base' || x.network === 'bsc')) {
        const running = devnetClient(t, n.network)
        assert.equal(n.chain_id, running.net.chainId)
        assert.equal(n.rpc_url, running.net.rpcUrl)
        assert.match(n.rpc_url, /^http:\/\/127\.0\.0\.1:\d+$/)
        assert.equal(await running.client.getChainId(), n.chain_id)
        assert.deepEqual(n.tokens.map((x) => x.id), chainLayer(t).runtime.get('devnet', n.network)?.tokens.map((x) => x.id))
      }
      assert.deepEqual(networks.filter((x) => x.network === 'base' || x.network === 'bsc').map((n) => n.native_symbol), ['ETH', 'BNB'])
    }
  })

  it('POST /api/v1/devnet/faucet funds an address with the token and with gas', async () => {
    const { key } = await merchantWith('Faucet Shop')
    const usdt = tokenOf(t, 'bsc', 'USDT')
    const address = '0x00000000000000000000000000000000000fa0c3'
    const { client } = devnetClient(t, 'bsc')
    const res = await key('POST', '/api/v1/devnet/faucet', { body: { network: 'bsc', address, token_id: usdt.id, amount: '250.5' } })
    assert.equal(res.status, 200, JSON.stringify(res.body))
    assert.equal(res.body.data.amount_units, '250500000000000000000')
    assert.equal(res.body.data.address, address)
    assert.match(res.body.data.tx_hash, /^0x[0-9a-f]{64}$/)
    assert.equal(await client.readContract({ address: usdt.address as Hex, abi: erc20Abi, functionName: 'balanceOf', args: [address] }), 250_500_000_000_000_000_000n)
    assert.equal(await client.getBalance({ address }), 10n ** 17n)
    const bnb = tokenOf(t, 'bsc', 'BNB')
    const native = await key('POST', '/api/v1/devnet/faucet', { body: { network: 'bsc', address, token_id: bnb.id, amount: '2' } })
    assert.equal(native.status, 200, JSON.stringify(native.body))
    assert.equal(await client.getBalance({ address }), 2n * 10n ** 17n + 2n * 10n ** 18n)
  })

  const bad: [string, Record<string, unknown>, string][] = [
    ['a network without a devnet', { network: 'ethereum', token: 'base:USDC', amount: '1' }, 'network'],
    ['an unknown network name', { network: 'dogechain', token: 'base:USDC', amount: '1' }, 'network'],
    ['a token of another network', { network: 'base', token: 'bsc:USD1', amount: '1' }, 'token_id'],
    ['an unknown token id', { network: 'base', token_id: 999_999, amount: '1' }, 'token_id'],
    ['a malformed address', { network: 'base', token: 'base:USDC', amount: '1', address: '0x1234' }, 'address'],
    ['the zero address', { network: 'base', token: 'base:USDC', amount: '1', address: '0x0000000000000000000000000000000000000000' }, 'address'],
    ['more decimals than the token has', { network: 'base', token: 'base:USDC', amount: '1.0000001' }, 'amount'],
    ['an amount over the cap', { network: 'base', token: 'base:USDC', amount: '1000000.000001' }, 'amount'],
    ['a zero amount', { network: 'base', token: 'base:USDC', amount: '0' }, 'amount'],
    ['a numeric amount', { network: 'base', token: 'base:USDC', amount: 5 }, 'amount'],
    ['a negative amount', { network: 'base', token: 'base:USDC', amount: '-1' }, 'amount'],
    ['an exponent amount', { network: 'base', token: 'base:USDC', amount: '1e3' }, 'amount'],
  ]
  for (const [label, input, field] of bad) {
    it(`POST /api/v1/devnet/faucet answers 400 naming ${field} for ${label}`, async () => {
      const { key } = await merchantWith('Faucet Bad')
      const address = (input['address'] as string | undefined) ?? '0x00000000000000000000000000000000000fa0c4'
      const [net, symbol] = ((input['token'] as string | undefined) ?? 'base:USDC').split(':') as [string, string]
      const tokenId = (input['token_id'] as number | undefined) ?? tokenOf(t, net, symbol).id
      const body = { network: input['network'], address, token_id: tokenId, amount: input['amount'] }
      const res = await key('POST', '/api/v1/devnet/faucet', { body })
      assert.equal(res.status, 400, JSON.stringify(res.body))
      assert.equal(res.body.error.code, 'VALIDATION_ERROR')
      assert.equal(res.body.error.details[0].field, field)
    })
  }

  it('funds nothing when a request is refused', async () => {
    const { key } = await merchantWith('Faucet Nothing')
    const address = '0x00000000000000000000000000000000000fa0c5'
    await key('POST', '/api/v1/devnet/faucet', { body: { network: 'base', address, token_id: tokenOf(t, 'base', 'USDC').id, amount: '1.0000001' } })
    assert.equal(await devnetClient(t, 'base').client.getBalance({ address }), 0n)
  })

  it('answers 403 DEVNET_ONLY to a mainnet key on both routes', async () => {
    const { mainnet } = await merchantWith('Faucet Mainnet', { grantMainnet: true })
    assert.ok(mainnet)
    const info = await mainnet('GET', '/api/v1/devnet')
    assert.equal(info.status, 403)
    assert.equal(info.body.error.code, 'DEVNET_ONLY')
    const faucet = await mainnet('POST', '/api/v1/devnet/faucet', { body: { network: 'base', address: '0x00000000000000000000000000000000000fa0c6', token_id: tokenOf(t, 'base', 'USDC').id, amount: '1' } })
    assert.equal(faucet.status, 403)
    assert.equal(faucet.body.error.code, 'DEVNET_ONLY')
    assert.equal(await devnetClient(t, 'base').client.getBalance({ address: '0x00000000000000000000000000000000000fa0c6' }), 0n)
  })

  it('answers 401 without credentials', async () => {
    assert.equal((await apiClient(t.url)('GET', '/api/v1/devnet')).status, 401)
    assert.equal((await apiClient(t.url)('POST', '/api/v1/devnet/faucet', { body: {} })).status, 401)
  })
})
