import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createWebhookVerifier, signWebhookPayload } from '../src/index.ts'

const event = {
  id: 'evt_1734780000000-123',
  object: 'event',
  api_version: '2025-12-16',
  created: 1734780000,
  type: 'invoice.updated',
  livemode: false,
  pending_webhooks: 1,
  request: { id: null, idempotency_key: null },
  data: {
    object: { object: 'invoice', id: 'b3f1c2de-0000-4000-8000-000000000001', status: 'paid' },
  },
}
const NOW = 1_734_780_000_000
const CURRENT = 'whsec_current_0123456789'
const PREVIOUS = 'whsec_previous_0123456789'

/** The signature exactly as the documentation computes it with node:crypto. */
function documentedSignature(secret: string, timestampMs: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}.${rawBody}`).digest('hex')
}

describe('createWebhookVerifier', () => {
  const verifier = createWebhookVerifier({ secrets: [CURRENT, PREVIOUS], now: () => NOW })

  it('accepts a body signed with the current secret and returns the event', async () => {
    const body = JSON.stringify(event)
    const headers = {
      'X-Pepay-Timestamp': String(NOW),
      'X-Pepay-Signature': documentedSignature(CURRENT, NOW, body),
    }
    const result = await verifier.verify({ rawBody: Buffer.from(body), headers })
    assert.equal(result.valid, true)
    assert.equal(result.event?.id, event.id)
  })

  const cases: [
    string,
    (body: string) => { rawBody: string | Uint8Array; headers: Record<string, string> | Headers },
    string | null,
  ][] = [
    [
      'a body signed with the previous secret',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature(PREVIOUS, NOW, b),
        },
      }),
      null,
    ],
    [
      'the previous-secret signature header during a rotation',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature('whsec_new_unknown', NOW, b),
          'x-pepay-signature-previous': documentedSignature(CURRENT, NOW, b),
        },
      }),
      null,
    ],
    [
      'a Headers object and Uint8Array body',
      (b) => ({
        rawBody: new TextEncoder().encode(b),
        headers: new Headers({
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature(CURRENT, NOW, b),
        }),
      }),
      null,
    ],
    [
      'a timestamp 4 minutes old',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW - 240_000),
          'x-pepay-signature': documentedSignature(CURRENT, NOW - 240_000, b),
        },
      }),
      null,
    ],
    [
      'a wrong secret',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature('whsec_wrong', NOW, b),
        },
      }),
      'invalid_signature',
    ],
    [
      'a tampered body',
      (b) => ({
        rawBody: b.replace('paid', 'unpaid'),
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature(CURRENT, NOW, b),
        },
      }),
      'invalid_signature',
    ],
    [
      'a re-serialized body with different spacing',
      (b) => ({
        rawBody: JSON.stringify(JSON.parse(b), null, 2),
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature(CURRENT, NOW, b),
        },
      }),
      'invalid_signature',
    ],
    [
      'a timestamp changed after signing',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW + 1),
          'x-pepay-signature': documentedSignature(CURRENT, NOW, b),
        },
      }),
      'invalid_signature',
    ],
    [
      'a stale timestamp (6 minutes old)',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW - 360_000),
          'x-pepay-signature': documentedSignature(CURRENT, NOW - 360_000, b),
        },
      }),
      'timestamp_out_of_range',
    ],
    [
      'a timestamp 6 minutes in the future',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW + 360_000),
          'x-pepay-signature': documentedSignature(CURRENT, NOW + 360_000, b),
        },
      }),
      'timestamp_out_of_range',
    ],
    [
      'a timestamp in seconds instead of milliseconds',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW / 1000),
          'x-pepay-signature': documentedSignature(CURRENT, NOW / 1000, b),
        },
      }),
      'timestamp_out_of_range',
    ],
    [
      'a missing timestamp',
      (b) => ({
        rawBody: b,
        headers: { 'x-pepay-signature': documentedSignature(CURRENT, NOW, b) },
      }),
      'timestamp_out_of_range',
    ],
    [
      'a missing signature',
      (b) => ({ rawBody: b, headers: { 'x-pepay-timestamp': String(NOW) } }),
      'invalid_signature',
    ],
    [
      'a truncated signature',
      (b) => ({
        rawBody: b,
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature(CURRENT, NOW, b).slice(0, 63),
        },
      }),
      'invalid_signature',
    ],
    [
      'a validly signed body that is not JSON',
      () => ({
        rawBody: 'not json',
        headers: {
          'x-pepay-timestamp': String(NOW),
          'x-pepay-signature': documentedSignature(CURRENT, NOW, 'not json'),
        },
      }),
      'invalid_payload',
    ],
  ]
  for (const [label, build, reason] of cases) {
    it(`${reason === null ? 'accepts' : `rejects with ${reason}`} ${label}`, async () => {
      const result = await verifier.verify(build(JSON.stringify(event)))
      if (reason === null) {
        assert.equal(result.valid, true, `expected valid, got ${result.reason}`)
      } else {
        assert.equal(result.valid, false)
        assert.equal(result.reason, reason)
        assert.equal(result.event, undefined)
      }
    })
  }

  it('honours a custom tolerance', async () => {
    const strict = createWebhookVerifier({ secrets: [CURRENT], toleranceMs: 1000, now: () => NOW })
    const body = JSON.stringify(event)
    const ts = NOW - 2000
    const result = await strict.verify({
      rawBody: body,
      headers: {
        'x-pepay-timestamp': String(ts),
        'x-pepay-signature': documentedSignature(CURRENT, ts, body),
      },
    })
    assert.equal(result.reason, 'timestamp_out_of_range')
  })

  it('ignores empty secrets and refuses to be built with none', () => {
    assert.throws(() => createWebhookVerifier({ secrets: [undefined, ''] }), TypeError)
    assert.doesNotThrow(() => createWebhookVerifier({ secrets: [CURRENT, undefined] }))
  })
})

describe('signWebhookPayload', () => {
  it('produces the documented headers and a signature the verifier accepts', async () => {
    const signed = await signWebhookPayload({
      payload: event,
      secret: CURRENT,
      previousSecret: PREVIOUS,
      timestampMs: NOW,
    })
    assert.equal(signed.body, JSON.stringify(event))
    assert.equal(signed.headers['x-pepay-timestamp'], String(NOW))
    assert.equal(signed.signature, documentedSignature(CURRENT, NOW, signed.body))
    assert.equal(
      signed.headers['x-pepay-signature-previous'],
      documentedSignature(PREVIOUS, NOW, signed.body),
    )
    const onlyPrevious = createWebhookVerifier({ secrets: [PREVIOUS], now: () => NOW })
    assert.equal(
      (await onlyPrevious.verify({ rawBody: signed.body, headers: signed.headers })).valid,
      true,
    )
  })

  it('signs a string body byte for byte, including non-ASCII text', async () => {
    const body = '{"id":"evt_1-1","note":"café ☕"}'
    const signed = await signWebhookPayload({ payload: body, secret: CURRENT, timestampMs: NOW })
    assert.equal(signed.signature, documentedSignature(CURRENT, NOW, body))
  })
})
