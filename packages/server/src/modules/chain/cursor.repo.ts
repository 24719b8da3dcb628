import type { Executor } from '../../db/database.ts'

export interface ChainCursor {
  lastBlock: bigint
  genesisHash: string | null
}

export async function findCursor(db: Executor, environment: string, network: string): Promise<ChainCursor | undefined> {
  const row = await db
    .selectFrom('chain_cursor')
    .select(['last_block', 'genesis_hash'])
    .where('environment', '=', environment as 'devnet')
    .where('network', '=', network)
    .executeTakeFirst()
  return row ? { lastBlock: BigInt(row.last_block), genesisHash: row.genesis_hash } : undefined
}

export async function saveCursor(
  db: Executor,
  environment: string,
  network: string,
  cursor: { lastBlock: bigint; genesisHash: string | null; blockHash: string | null; parentHash: string | null },
  now: Date,
): Promise<void> {
  await db
    .insertInto('chain_cursor')
    .values({ environment: environment as 'devnet', network, last_block: cursor.lastBlock.toString(), genesis_hash: cursor.genesisHash, updated_at: now })
    .onConflict((oc) => oc.columns(['network', 'environment']).doUpdateSet({ last_block: cursor.lastBlock.toString(), genesis_hash: cursor.genesisHash, updated_at: now }))
    .execute()
  if (cursor.blockHash) {
    await db
      .insertInto('chain_block')
      .values({ environment: environment as 'devnet', network, number: cursor.lastBlock.toString(), hash: cursor.blockHash, parent_hash: cursor.parentHash ?? '' })
      .onConflict((oc) => oc.columns(['network', 'environment', 'number']).doUpdateSet({ hash: cursor.blockHash ?? '', parent_hash: cursor.parentHash ?? '' }))
      .execute()
    // keep a bounded window of recent block hashes: enough to find a common ancestor
    await db
      .deleteFrom('chain_block')
      .where('environment', '=', environment as 'devnet')
      .where('network', '=', network)
      .where('number', '<', (cursor.lastBlock - 256n).toString())
      .execute()
  }
}

export async function recentBlocks(db: Executor, environment: string, network: string, limit: number): Promise<{ number: bigint; hash: string }[]> {
  const rows = await db
    .selectFrom('chain_block')
    .select(['number', 'hash'])
    .where('environment', '=', environment as 'devnet')
    .where('network', '=', network)
    .orderBy('number', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ number: BigInt(r.number), hash: r.hash }))
}

export async function deleteBlocksAbove(db: Executor, environment: string, network: string, number: bigint): Promise<void> {
  await db
    .deleteFrom('chain_block')
    .where('environment', '=', environment as 'devnet')
    .where('network', '=', network)
    .where('number', '>', number.toString())
    .execute()
}
