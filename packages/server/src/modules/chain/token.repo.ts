import type { Executor } from '../../db/database.ts'
import { tokenAddressKey, type NetworkDefinition } from '../../providers/chain/networks.ts'

export interface TokenRecord {
  id: number
  network: string
  environment: 'devnet' | 'mainnet'
  symbol: string
  name: string
  tokenType: 'native' | 'erc20' | 'spl'
  address: string | null
  decimals: number
  isStable: boolean
  isMonitored: boolean
  isActive: boolean
  supportsStableSettlement: boolean
  isDefaultSettlement: boolean
  photoUri: string | null
}

/** Registers the networks' tokens; integer ids stay stable across restarts (unique per address). */
export async function upsertTokens(db: Executor, networks: NetworkDefinition[]): Promise<void> {
  for (const network of networks) {
    for (const token of network.tokens) {
      await db
        .insertInto('token')
        .values({
          network: network.network,
          environment: network.environment,
          symbol: token.symbol,
          name: token.name,
          token_type: token.tokenType,
          address: token.address,
          address_key: tokenAddressKey(token),
          decimals: token.decimals,
          is_stable: token.isStable,
          supports_stable_settlement: token.supportsStableSettlement,
          is_default_settlement: token.isDefaultSettlement,
          photo_uri: null,
        })
        .onConflict((oc) =>
          oc.columns(['network', 'environment', 'address_key']).doUpdateSet({
            symbol: token.symbol,
            name: token.name,
            decimals: token.decimals,
            is_stable: token.isStable,
            supports_stable_settlement: token.supportsStableSettlement,
            is_default_settlement: token.isDefaultSettlement,
            is_active: true,
          }),
        )
        .execute()
    }
  }
}

type Row = {
  id: number
  network: string
  environment: 'devnet' | 'mainnet'
  symbol: string
  name: string
  token_type: 'native' | 'erc20' | 'spl'
  address: string | null
  decimals: number
  is_stable: boolean
  is_monitored: boolean
  is_active: boolean
  supports_stable_settlement: boolean
  is_default_settlement: boolean
  photo_uri: string | null
}

function toToken(row: Row): TokenRecord {
  return {
    id: row.id,
    network: row.network,
    environment: row.environment,
    symbol: row.symbol,
    name: row.name,
    tokenType: row.token_type,
    address: row.address,
    decimals: row.decimals,
    isStable: row.is_stable,
    isMonitored: row.is_monitored,
    isActive: row.is_active,
    supportsStableSettlement: row.supports_stable_settlement,
    isDefaultSettlement: row.is_default_settlement,
    photoUri: row.photo_uri,
  }
}

export async function listAllTokens(db: Executor): Promise<TokenRecord[]> {
  const rows = await db.selectFrom('token').selectAll().orderBy('id').execute()
  return rows.map(toToken)
}

export async function merchantBlocks(db: Executor, merchantId: bigint): Promise<Map<number, boolean>> {
  const rows = await db.selectFrom('merchant_token_block').select(['token_id', 'blocked']).where('merchant_id', '=', merchantId.toString()).execute()
  return new Map(rows.map((r) => [r.token_id, r.blocked]))
}

export async function setTokenBlocked(db: Executor, merchantId: bigint, tokenId: number, blocked: boolean, now: Date): Promise<void> {
  await db
    .insertInto('merchant_token_block')
    .values({ merchant_id: merchantId.toString(), token_id: tokenId, blocked, updated_at: now })
    .onConflict((oc) => oc.columns(['merchant_id', 'token_id']).doUpdateSet({ blocked, updated_at: now }))
    .execute()
}

export async function merchantChainSettings(db: Executor, merchantId: bigint) {
  const row = await db
    .selectFrom('merchant')
    .select(['acceptance_policy', 'settlement_preference', 'settlement_token_id', 'settlement_updated_at'])
    .where('id', '=', merchantId.toString())
    .executeTakeFirstOrThrow()
  return {
    acceptancePolicy: row.acceptance_policy,
    settlementPreference: row.settlement_preference,
    settlementTokenId: row.settlement_token_id,
    settlementUpdatedAt: row.settlement_updated_at,
  }
}

export async function updateMerchantChainSettings(
  db: Executor,
  merchantId: bigint,
  patch: { acceptancePolicy?: 'accept_all' | 'accept_none' | 'selective'; settlementTokenId?: number | null },
  now: Date,
): Promise<void> {
  await db
    .updateTable('merchant')
    .set({
      ...(patch.acceptancePolicy !== undefined && { acceptance_policy: patch.acceptancePolicy }),
      ...(patch.settlementTokenId !== undefined && { settlement_token_id: patch.settlementTokenId, settlement_updated_at: now }),
      updated_at: now,
    })
    .where('id', '=', merchantId.toString())
    .execute()
}

/** Whether a merchant accepts a token: policy plus per-token overrides. */
export function isAccepted(policy: 'accept_all' | 'accept_none' | 'selective', blocked: boolean | undefined): boolean {
  if (policy === 'accept_all') return true
  if (policy === 'accept_none') return false
  return blocked !== true
}

/** Moving to `selective` keeps what was accepted: from accept_none every token starts blocked. */
export async function materializeSelective(
  db: Executor,
  merchantId: bigint,
  from: 'accept_all' | 'accept_none' | 'selective',
  tokenIds: number[],
  now: Date,
): Promise<void> {
  if (from === 'selective') return
  const blocked = from === 'accept_none'
  for (const tokenId of tokenIds) await setTokenBlocked(db, merchantId, tokenId, blocked, now)
  await updateMerchantChainSettings(db, merchantId, { acceptancePolicy: 'selective' }, now)
}
