import { ACCOUNT, tokenAsset } from '../ledger/ledger.ts'
import { lockOffRamp } from '../off-ramp/off-ramp.repo.ts'
import { emitOffRampUpdated, loadOffRampView } from '../off-ramp/off-ramp.service.ts'
import { lockOnRamp } from '../on-ramp/on-ramp.repo.ts'
import { emitOnRampUpdated, loadOnRampView, transitionOnRamp } from '../on-ramp/on-ramp.service.ts'
import { postLedger } from '../ramp-flow.service.ts'
import { withTimeout, type RampRuntime } from '../ramp-runtime.ts'
import { claimDueSends, deferSend, lockSend, markSendSent, type ChainSend } from './chain-send.repo.ts'

const CLAIM_LEASE_MS = 120_000
const CHAIN_UNAVAILABLE_RETRY_MS = 30_000

function backoffMs(attempts: number): number {
  return Math.min(3600_000, 2000 * 2 ** Math.min(attempts, 11))
}

/** Marks an on-ramp's delivery as handed to the chain before the send is attempted (persist, then call). */
async function markDeliveryStarted(rt: RampRuntime, send: ChainSend): Promise<void> {
  await rt.deps.db.transaction().execute(async (trx) => {
    const now = rt.deps.clock.now()
    const onRamp = await lockOnRamp(trx, send.ownerId)
    if (!onRamp || onRamp.status !== 'funds_received') return
    const view = await loadOnRampView(trx, onRamp)
    const moved = await transitionOnRamp(trx, onRamp, 'delivery_started', {}, now)
    if (moved) await emitOnRampUpdated(trx, view, moved, now)
  })
}

/** Records a mined send once: the send row, its ledger posting and the owner's status and event together. */
async function recordSent(rt: RampRuntime, sendId: string, txHash: string): Promise<void> {
  await rt.deps.db.transaction().execute(async (trx) => {
    const now = rt.deps.clock.now()
    const send = await lockSend(trx, sendId)
    if (!send || send.status === 'sent') return
    const sent = await markSendSent(trx, sendId, txHash, now)
    if (send.purpose === 'on_ramp_delivery') {
      const onRamp = await lockOnRamp(trx, send.ownerId)
      if (!onRamp) throw new Error(`send ${sendId} lost its on-ramp`)
      const view = await loadOnRampView(trx, onRamp)
      const asset = tokenAsset(view.quote.tokenSymbol, send.network, view.quote.tokenDecimals)
      await postLedger(trx, send, 'on_ramp.delivery', `chain_send:${send.id}`, [{ source: ACCOUNT.onRampDelivery(onRamp.id), target: ACCOUNT.world, asset, amount: send.amountUnits }], now)
      const delivered = await transitionOnRamp(trx, onRamp, 'delivered', { tx_hash: txHash }, now)
      if (delivered) await emitOnRampUpdated(trx, view, delivered, now)
      return
    }
    const offRamp = await lockOffRamp(trx, send.ownerId)
    if (!offRamp) throw new Error(`send ${sendId} lost its off-ramp`)
    const view = await loadOffRampView(trx, offRamp)
    const asset = tokenAsset(view.quote.tokenSymbol, send.network, view.quote.tokenDecimals)
    await postLedger(trx, send, 'off_ramp.refund', `chain_send:${send.id}`, [{ source: ACCOUNT.offRampDeposit(offRamp.id), target: ACCOUNT.world, asset, amount: send.amountUnits }], now)
    // the refund shows on the off-ramp: emit with the refund as it was before this send
    const before = { ...view, refunds: view.refunds.map((r) => (r.id === sent.id ? { ...r, status: 'pending' as const, txHash: null } : r)) }
    await emitOffRampUpdated(trx, before, offRamp, now)
  })
}

/**
 * Sends owed on-chain transfers (on-ramp deliveries, refunds) from the treasury through the chain
 * layer, with the send id as its idempotency key: a retry after a crash never sends twice. Without
 * a chain layer the sends wait; after the last attempt they keep waiting and an operator is alerted.
 */
export async function runChainSends(rt: RampRuntime, limit = 20): Promise<number> {
  const due = await claimDueSends(rt.deps.db, rt.deps.clock.now(), limit, CLAIM_LEASE_MS)
  for (const send of due) {
    const chain = rt.deps.chain
    if (!chain) {
      await deferSend(rt.deps.db, send.id, new Date(rt.deps.clock.now().getTime() + CHAIN_UNAVAILABLE_RETRY_MS), 'chain layer unavailable')
      continue
    }
    try {
      if (send.purpose === 'on_ramp_delivery') await markDeliveryStarted(rt, send)
      const { txHash } = await withTimeout('chain send', rt.settings.providerTimeoutMs * 4, () =>
        chain.sendFromTreasury({ environment: send.environment, network: send.network, tokenId: send.tokenId, to: send.toAddress, amountUnits: send.amountUnits, idempotencyKey: `ramp:${send.id}` }),
      )
      await recordSent(rt, send.id, txHash)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const exhausted = send.attempts >= rt.settings.maxSendAttempts
      if (exhausted) rt.deps.log.error({ err: error, sendId: send.id }, 'on-chain send keeps failing; needs an operator')
      await deferSend(rt.deps.db, send.id, new Date(rt.deps.clock.now().getTime() + (exhausted ? 3600_000 : backoffMs(send.attempts))), message)
    }
  }
  return due.length
}
