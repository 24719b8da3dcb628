import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createPublicClient, erc20Abi, http, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startDevnet, type Devnet, type DevnetNetwork, type EvmAddress } from './devnet.ts'

// CREATE addresses of anvil account #0 at nonces 0..3, written out so a change of deployment order shows up here.
const nonceAddresses = [
  '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
  '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
  '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
]
const accountZero = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

function clientFor(network: DevnetNetwork): PublicClient {
  return createPublicClient({ transport: http(network.rpcUrl, { retryCount: 0 }), cacheTime: 0 })
}

function networkNamed(devnet: Devnet, name: string): DevnetNetwork {
  const network = devnet.networks.find((entry) => entry.network === name)
  assert.ok(network, `devnet has ${name}`)
  return network
}

async function tokenBalance(
  network: DevnetNetwork,
  token: EvmAddress,
  owner: EvmAddress,
): Promise<bigint> {
  return clientFor(network).readContract({
    address: token,
    abi: erc20Abi,
    functionName: 'balanceOf',
    args: [owner],
  })
}

describe('startDevnet', () => {
  let dataDir = ''
  const running: Devnet[] = []
  const launch = async (options: Parameters<typeof startDevnet>[0]): Promise<Devnet> => {
    const devnet = await startDevnet(options)
    running.push(devnet)
    return devnet
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pepay-devnet-test-'))
  })

  after(async () => {
    await Promise.all(running.map((devnet) => devnet.stop()))
    await rm(dataDir, { recursive: true, force: true })
  })

  it('starts base and bsc with the test stablecoins and price feeds at deterministic addresses', async () => {
    const devnet = await launch({ dataDir })
    assert.deepEqual(
      devnet.networks.map((network) => [network.network, network.chainId, network.nativeSymbol]),
      [
        ['base', 84532, 'ETH'],
        ['bsc', 97, 'BNB'],
      ],
    )
    const base = networkNamed(devnet, 'base')
    const bsc = networkNamed(devnet, 'bsc')
    assert.deepEqual(
      base.tokens.map((token) => [token.symbol, token.decimals, token.address]),
      [
        ['USDC', 6, nonceAddresses[0]],
        ['USDT', 6, nonceAddresses[1]],
      ],
    )
    assert.equal(base.aggregatorAddress, nonceAddresses[2])
    assert.deepEqual(
      bsc.tokens.map((token) => [token.symbol, token.decimals, token.address]),
      [
        ['USDT', 18, nonceAddresses[0]],
        ['USD1', 18, nonceAddresses[1]],
        ['USDC', 18, nonceAddresses[2]],
      ],
    )
    assert.equal(bsc.aggregatorAddress, nonceAddresses[3])

    for (const network of devnet.networks) {
      const client = clientFor(network)
      assert.equal(await client.getChainId(), network.chainId)
      assert.equal((await client.getBlock({ blockNumber: 0n })).hash, network.genesisHash)
      for (const token of network.tokens) {
        const [symbol, decimals] = await Promise.all([
          client.readContract({ address: token.address, abi: erc20Abi, functionName: 'symbol' }),
          client.readContract({ address: token.address, abi: erc20Abi, functionName: 'decimals' }),
        ])
        assert.deepEqual([symbol, decimals], [token.symbol, token.decimals])
      }
    }
    assert.equal(devnet.platformAccount.address, accountZero)
    await devnet.stop()
  })

  it('funds addresses with tokens and native coin from the faucet', async () => {
    const devnet = await launch({ dataDir })
    const bsc = networkNamed(devnet, 'bsc')
    const usd1 = bsc.tokens.find((token) => token.symbol === 'USD1')
    assert.ok(usd1)
    const recipient: EvmAddress = '0x000000000000000000000000000000000000bEEF'
    const tokenBefore = await tokenBalance(bsc, usd1.address, recipient)
    const { txHash } = await devnet.faucet('bsc', recipient, {
      tokenAddress: usd1.address,
      amountUnits: 250n * 10n ** 18n,
    })
    assert.match(txHash, /^0x[0-9a-f]{64}$/)
    assert.equal(await tokenBalance(bsc, usd1.address, recipient), tokenBefore + 250n * 10n ** 18n)

    const nativeBefore = await clientFor(bsc).getBalance({ address: recipient })
    await devnet.faucet('bsc', recipient, { tokenAddress: 'native', amountUnits: 3n * 10n ** 17n })
    assert.equal(
      await clientFor(bsc).getBalance({ address: recipient }),
      nativeBefore + 3n * 10n ** 17n,
    )

    await assert.rejects(
      devnet.faucet('solana', recipient, { tokenAddress: 'native', amountUnits: 1n }),
      /unknown/,
    )
    await devnet.stop()
  })

  it('keeps balances, contracts and the chain tip across a restart on the same data directory', async () => {
    const first = await launch({ dataDir })
    const base = networkNamed(first, 'base')
    const usdt = base.tokens.find((token) => token.symbol === 'USDT')
    assert.ok(usdt)
    const holder = first.fundedAccounts('base')[3]
    assert.ok(holder)
    await first.faucet('base', holder.address, {
      tokenAddress: usdt.address,
      amountUnits: 12_345_678n,
    })
    const balance = await tokenBalance(base, usdt.address, holder.address)
    const head = await clientFor(base).getBlockNumber()
    const tip = (await clientFor(base).getBlock({ blockNumber: head })).hash
    await first.stop()

    const second = await launch({ dataDir })
    const reopened = networkNamed(second, 'base')
    // anvil may rebuild block 0 when it reloads state, so the platform keys a chain reset on the
    // recorded blocks (the watcher's cursor block), not on the genesis hash alone
    assert.equal((await clientFor(reopened).getBlock({ blockNumber: head })).hash, tip)
    assert.deepEqual(reopened.tokens, base.tokens)
    assert.equal(await tokenBalance(reopened, usdt.address, holder.address), balance)
    // Nothing was redeployed: the chain did not grow and the deployer nonce still equals the contract count.
    assert.equal(await clientFor(reopened).getBlockNumber(), head)
    assert.equal(await clientFor(reopened).getTransactionCount({ address: accountZero }), 3)
    await second.stop()
  })

  it('hands out the anvil dev keys #1 to #9, funded and distinct from the platform account', async () => {
    const devnet = await launch({ dataDir })
    const accounts = devnet.fundedAccounts('base')
    assert.equal(accounts.length, 9)
    assert.equal(accounts[0]?.address, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    const client = clientFor(networkNamed(devnet, 'base'))
    for (const account of accounts) {
      assert.equal(privateKeyToAccount(account.privateKey).address, account.address)
      assert.notEqual(account.address, accountZero)
      assert.ok((await client.getBalance({ address: account.address })) > 0n)
    }
    await devnet.stop()
  })

  it('refuses a persisted chain whose contracts do not match the requested tokens', async () => {
    const isolatedDir = join(dataDir, 'layout')
    const spec = {
      network: 'testchain',
      chainId: 31337,
      nativeSymbol: 'ETH',
      nativeUsdPriceAnswer: 1_00000000n,
      tokens: [{ symbol: 'USDC', name: 'USD Coin', decimals: 6 }],
    }
    const first = await launch({ dataDir: isolatedDir, networks: [spec] })
    await first.stop()
    await assert.rejects(
      launch({
        dataDir: isolatedDir,
        networks: [{ ...spec, tokens: [{ ...spec.tokens[0]!, decimals: 18 }] }],
      }),
      /delete it to start a fresh chain/,
    )
  })
})
