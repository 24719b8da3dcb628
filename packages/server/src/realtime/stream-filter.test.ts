import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { EventFilter, StoredEvent } from '../modules/events/event.repo.ts'
import { matchesFilter } from './stream-filter.ts'

function event(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    seq: 1n,
    id: 'evt_1-1',
    merchantId: 7n,
    environment: 'devnet',
    type: 'invoice.updated',
    isCommerce: false,
    invoiceId: '0190a1b2-0000-7000-8000-000000000001',
    invoiceType: 'standard',
    customerId: 'cust_1',
    orderId: null,
    walletAddress: '0xAbC',
    walletNetwork: 'base',
    createdAt: new Date(1_700_000_000_000),
    data: { object: {} },
    request: null,
    pendingWebhooks: 0,
    ...overrides,
  }
}

describe('matchesFilter', () => {
  const cases: [string, EventFilter, Partial<StoredEvent>, boolean][] = [
    ['an empty filter', {}, {}, true],
    ['the same merchant', { merchantId: 7n }, {}, true],
    ['another merchant', { merchantId: 8n }, {}, false],
    ['the same environment', { environment: 'devnet' }, {}, true],
    ['another environment', { environment: 'mainnet' }, {}, false],
    ['commerce-only on a standard event', { commerceOnly: true }, {}, false],
    ['commerce-only on a commerce event', { commerceOnly: true }, { isCommerce: true }, true],
    ['an exact type', { typePatterns: ['invoice.updated'] }, {}, true],
    ['another exact type', { typePatterns: ['invoice.created'] }, {}, false],
    ['a prefix wildcard', { typePatterns: ['invoice.*'] }, {}, true],
    ['a wildcard that does not cover the type', { typePatterns: ['invoice_payment.*'] }, {}, false],
    [
      'a wildcard that is a string prefix only',
      { typePatterns: ['invoice.*'] },
      { type: 'invoice_payment.created' },
      false,
    ],
    [
      'one of several patterns',
      { typePatterns: ['commerce.order.*', 'invoice.updated'] },
      {},
      true,
    ],
    ['the star pattern', { typePatterns: ['*'] }, {}, true],
    ['the invoice id', { invoiceId: '0190a1b2-0000-7000-8000-000000000001' }, {}, true],
    ['another invoice id', { invoiceId: '0190a1b2-0000-7000-8000-000000000002' }, {}, false],
    [
      'an invoice id on an event without one',
      { invoiceId: '0190a1b2-0000-7000-8000-000000000001' },
      { invoiceId: null },
      false,
    ],
    ['the customer', { customerId: 'cust_1' }, {}, true],
    ['another customer', { customerId: 'cust_2' }, {}, false],
    ['an invoice type list', { invoiceType: ['commerce', 'standard'] }, {}, true],
    ['an invoice type not listed', { invoiceType: ['commerce'] }, {}, false],
    [
      'an invoice type on an event without one',
      { invoiceType: ['standard'] },
      { invoiceType: null },
      false,
    ],
    ['a wallet address in another case', { walletAddress: '0xabc' }, {}, true],
    ['another wallet address', { walletAddress: '0xdef' }, {}, false],
    ['the wallet network', { walletNetwork: 'base' }, {}, true],
    ['another wallet network', { walletNetwork: 'bsc' }, {}, false],
    [
      'an order id on an event without one',
      { orderId: '0190a1b2-0000-7000-8000-000000000009' },
      {},
      false,
    ],
    ['created at the lower bound', { createdGteSeconds: 1_700_000_000 }, {}, true],
    ['created before the lower bound', { createdGteSeconds: 1_700_000_001 }, {}, false],
    ['created after the upper bound', { createdLteSeconds: 1_699_999_999 }, {}, false],
  ]
  for (const [label, filter, overrides, expected] of cases) {
    it(`${expected ? 'passes' : 'drops'} an event for ${label}`, () => {
      assert.equal(matchesFilter(filter, event(overrides)), expected)
    })
  }
})
