import type { Deps } from '../../deps.ts'
import { appendEvent } from '../events/event.repo.ts'
import { findPayment, updatePayment, type InvoicePaymentRecord } from '../payments/payment.repo.ts'
import { serializePayment } from '../payments/payment.serialize.ts'
import { depositAccount, storageAddress, type ChainNetwork, type ChainRuntime } from './chain.runtime.ts'
import { findDepositById } from './deposit.repo.ts'
import { sendOnce } from './sender.ts'

const MAX_ATTEMPTS = 10
const BATCH = 20

/** Retry schedule for a failing sweep: 10 s doubling, capped at 1 h. */
export function settlementBackoffMs(attempt: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, attempt - 1), 3_600_000)
}

async function settlementDestination(deps: Deps, network: ChainNetwork, payment: InvoicePaymentRecord): Promise<string | undefined> {
  if (!payment.invoiceId || payment.merchantId === null) return undefined
  const invoice = await deps.db
    .selectFrom('invoice')
    .select(['receiver_override_enable', 'receiver_override_address'])
    .where('id', '=', payment.invoiceId)
    .executeTakeFirst()
  if (invoice?.receiver_override_enable && invoice.receiver_override_address) return storageAddress(network.def.kind, invoice.receiver_override_address)
  const wallet = await deps.db
    .selectFrom('wallet')
    .select('address')
    .where('merchant_id', '=', payment.merchantId.toString())
    .where('environment', '=', payment.environment)
    .where('network', '=', payment.network)
    .where('is_active', '=', true)
    .executeTakeFirst()
  return wallet?.address
}

/** Applies a settlement change and, when `previous` is given, its event, in one transaction. */
async function transition(deps: Deps, paymentId: string, patch: Parameters<typeof updatePayment>[2], at: Date, previous?: Record<string, unknown>): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await updatePayment(trx, paymentId, patch, at)
    if (!previous) return
    const payment = await findPayment(trx, paymentId)
    if (!payment) return
    await appendEvent(
      trx,
      {
        merchantId: payment.merchantId ?? 0n,
        environment: payment.environment,
        type: 'invoice_payment.updated',
        object: serializePayment(payment) as unknown as Record<string, unknown>,
        previousAttributes: previous,
        invoiceId: payment.invoiceId,
      },
      deps.clock.now(),
    )
  })
}

/**
 * Sweeps confirmed, credited funds from deposit addresses to the merchant's active wallet for
 * the network (or the invoice's receiver override). Gas is topped up from the treasury first.
 * Every transfer goes through `sendOnce`, so a crash at any point resumes without paying twice.
 */
export async function settleDuePayments(deps: Deps, runtime: ChainRuntime, network: ChainNetwork): Promise<number> {
  const now = deps.clock.now()
  const due = await deps.db
    .selectFrom('invoice_payment')
    .select('id')
    .where('environment', '=', network.def.environment)
    .where('network', '=', network.def.network)
    .where('status', '=', 'confirmed')
    .where('settlement_status', 'in', ['pending', 'processing'])
    .where('invoice_id', 'is not', null)
    .where((eb) => eb.or([eb('settlement_next_attempt_at', 'is', null), eb('settlement_next_attempt_at', '<=', now)]))
    .orderBy('settlement_next_attempt_at')
    .limit(BATCH)
    .execute()
  let settled = 0
  for (const { id } of due) {
    const payment = await findPayment(deps.db, id)
    if (!payment?.depositAddressId || payment.tokenId === null) continue
    const token = runtime.tokenById(payment.tokenId)
    const deposit = await findDepositById(deps.db, payment.depositAddressId)
    if (!token || !deposit) continue
    const destination = await settlementDestination(deps, network, payment)
    if (!destination) {
      await transition(deps, id, { settlementStatus: 'manual', settlementError: 'no active settlement wallet for this network', settlementNextAttemptAt: null }, now, { settlement_status: payment.settlementStatus })
      continue
    }
    const attempt = payment.settlementAttempts + 1
    await transition(
      deps,
      id,
      { settlementStatus: 'processing', settlementDestination: destination, settlementAttempts: attempt, settlementNextAttemptAt: new Date(now.getTime() + settlementBackoffMs(attempt)) },
      now,
      payment.settlementStatus !== 'processing' ? { settlement_status: payment.settlementStatus } : undefined,
    )
    try {
      const key = depositAccount(runtime.seed, deposit.chainKind, deposit.derivationIndex)
      const from = { address: deposit.address, privateKey: key.privateKey }
      let amount = payment.amountUnits
      // Solana: the treasury pays the fee (and a new token account's rent) and the deposit key only
      // signs, so there is no gas to top up or to deduct
      const feePayer = network.def.kind === 'solana' ? network.treasury : undefined
      if (!feePayer && token.tokenType !== 'native') {
        const gas = await network.adapter.estimateTransferGas({ from: deposit.address, to: destination, tokenAddress: token.address, amountUnits: amount })
        const balance = await network.adapter.getNativeBalance(deposit.address)
        // twice the estimate: fees move between estimate and inclusion
        const needed = gas.maxCostWei * 2n
        if (balance < needed) {
          await sendOnce(deps, network, { idempotencyKey: `gas:${id}:${attempt}`, from: network.treasury, to: deposit.address, tokenAddress: null, tokenId: null, amountUnits: needed - balance })
        }
      } else if (!feePayer) {
        const gas = await network.adapter.estimateTransferGas({ from: deposit.address, to: destination, tokenAddress: null, amountUnits: amount })
        amount = amount - gas.maxCostWei * 2n
        if (amount <= 0n) throw new Error('native payment smaller than the gas to sweep it')
      }
      const sent = await sendOnce(deps, network, { idempotencyKey: `sweep:${id}`, from, to: destination, tokenAddress: token.address, tokenId: token.id, amountUnits: amount, ...(feePayer && { feePayer }) })
      await transition(deps, id, { settlementStatus: 'settled', settlementTxHash: sent.txHash, settledAt: deps.clock.now(), settlementNextAttemptAt: null, settlementError: null }, deps.clock.now(), { settlement_status: 'processing' })
      settled += 1
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? 'sweep failed'
      deps.log.warn({ payment: id, attempt, err: message }, 'settlement sweep failed')
      if (attempt >= MAX_ATTEMPTS) {
        await transition(deps, id, { settlementStatus: 'failed', settlementError: message, settlementNextAttemptAt: null }, deps.clock.now(), { settlement_status: 'processing' })
      } else {
        await updatePayment(deps.db, id, { settlementError: message }, deps.clock.now())
      }
    }
  }
  return settled
}
