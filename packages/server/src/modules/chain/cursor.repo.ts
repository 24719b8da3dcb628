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

/** The cursor changed between the read a scan started from and its save: the scan's work is void. */
export class CursorMovedError extends Error {
  constructor(network: string) {
    super(`the ${network} cursor moved during the scan`)
    this.name = 'CursorMovedError'
  }
}

/**
 * Saves the cursor only if it is still at `expected` (null: no cursor yet), a compare-and-set: a
 * cursor rewound by an operator, a restored backup or another process while this scan ran is kept,
 * and the caller's transaction rolls back with the CursorMovedError thrown here.
 */
export async function saveCursor(
  db: Executor,
  environment: string,
  network: string,
  expected: bigint | null,
  cursor: { lastBlock: bigint; genesisHash: string | null; blockHash: string | null; parentHash: string | null },
  now: Date,
): Promise<void> {
  const saved = await db
    .insertInto('chain_cursor')
    .values({ environment: environment as 'devnet', network, last_block: cursor.lastBlock.toString(), genesis_hash: cursor.genesisHash, updated_at: now })
    .onConflict((oc) =>
      expected === null
        ? oc.columns(['network', 'environment']).doNothing()
        : oc
            .columns(['network', 'environment'])
            .doUpdateSet({ last_block: cursor.lastBlock.toString(), genesis_hash: cursor.genesisHash, updated_at: now })
            .where('chain_cursor.last_block', '=', expected.toString()),
    )
    .returning('network')
    .executeTakeFirst()
  if (!saved) throw new CursorMovedError(network)
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
