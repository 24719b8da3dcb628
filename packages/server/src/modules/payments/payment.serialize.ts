import type { InvoicePayment } from '@pepay/contracts'
import { formatUsdMillis, millisToJson, millisToUsdNumber } from '@pepay/core'
import { formatUnits } from '../quotes/quote.ts'
import type { InvoicePaymentRecord } from './payment.repo.ts'

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000)

export function serializePayment(p: InvoicePaymentRecord): InvoicePayment {
  const stage = p.settlementStatus === 'settled' || p.settlementStatus === 'failed' ? 'final' : p.settlementStatus === 'processing' ? 'sweeping' : 'pending'
  return {
    object: 'invoice_payment',
    id: p.id,
    invoice_id: p.invoiceId ?? '',
    merchant_id: p.merchantId === null ? 0 : Number(p.merchantId),
    status: p.status,
    environment: p.environment,
    network: p.network,
    token_id: p.tokenId,
    token_symbol: p.tokenSymbol,
    token_address: p.tokenAddress,
    token_decimals: p.tokenDecimals,
    token_amount: p.amountUnits.toString(),
    token_amount_decimal: formatUnits(p.amountUnits, p.tokenDecimals),
    amount_usd: millisToUsdNumber(p.usdMillis),
    amount: millisToJson(p.usdMillis),
    amount_decimal: formatUsdMillis(p.usdMillis),
    amount_unit: 'usd_millis',
    tx_hash: p.txHash,
    log_index: p.logIndex,
    block_number: p.blockNumber.toString(),
    from_address: p.fromAddress,
    to_address: p.toAddress,
    confirmations: p.confirmations,
    confirmations_required: p.confirmationsRequired,
    is_late: p.isLate,
    is_unmatched: p.isUnmatched,
    settlement_status: p.settlementStatus,
    settlement: {
      summary_status: p.settlementStatus,
      stage,
      merchant_settlement_id: null,
      settlement_tx_hash: p.settlementTxHash,
      network: p.network,
      status: p.settlementStatus,
      destination_address: p.settlementDestination,
    },
    detected_at: seconds(p.detectedAt),
    confirmed_at: p.confirmedAt ? seconds(p.confirmedAt) : null,
    created_at: seconds(p.detectedAt),
  }
}
