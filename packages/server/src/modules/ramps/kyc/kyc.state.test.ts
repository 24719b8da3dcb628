import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { customerKyc, nextKycStatus, type KycInput, type KycStatus } from './kyc.state.ts'

const STATUSES: KycStatus[] = ['not_started', 'pending', 'approved', 'rejected', 'needs_review', 'expired']
const INPUTS: KycInput[] = ['submitted', 'approved', 'rejected', 'needs_review', 'expire']

// expected[status][input]: the next status, '=' for ignored, '!' for invalid
const EXPECTED: Record<KycStatus, Record<KycInput, KycStatus | '=' | '!'>> = {
  not_started: { submitted: 'pending', approved: 'approved', rejected: 'rejected', needs_review: 'needs_review', expire: 'expired' },
  pending: { submitted: '=', approved: 'approved', rejected: 'rejected', needs_review: 'needs_review', expire: '=' },
  needs_review: { submitted: '=', approved: 'approved', rejected: 'rejected', needs_review: '=', expire: '=' },
  approved: { submitted: '=', approved: '=', rejected: '!', needs_review: '=', expire: 'expired' },
  rejected: { submitted: '=', approved: '!', rejected: '=', needs_review: '=', expire: '=' },
  expired: { submitted: '=', approved: '!', rejected: '=', needs_review: '=', expire: '=' },
}

describe('nextKycStatus', () => {
  for (const status of STATUSES) {
    for (const input of INPUTS) {
      const expected = EXPECTED[status][input]
      const label = expected === '=' ? 'ignores' : expected === '!' ? 'refuses' : `moves to ${expected} on`
      it(`${label} ${input} when ${status}`, () => {
        const result = nextKycStatus(status, input)
        if (expected === '=') assert.deepEqual(result, { kind: 'ignore' })
        else if (expected === '!') assert.deepEqual(result, { kind: 'invalid' })
        else assert.deepEqual(result, { kind: 'move', next: expected })
      })
    }
  }
})

describe('customerKyc', () => {
  const now = new Date(Date.UTC(2026, 0, 10))
  const day = (d: number) => new Date(Date.UTC(2026, 0, d))
  it('is not_started without verifications', () => {
    assert.deepEqual(customerKyc([], now), { status: 'not_started', level: null, approvedUntil: null })
  })
  it('keeps the highest level still approved while a newer verification is pending', () => {
    const result = customerKyc(
      [
        { status: 'approved', level: 'basic', approvedUntil: day(20), createdAt: day(1) },
        { status: 'approved', level: 'standard', approvedUntil: day(30), createdAt: day(2) },
        { status: 'pending', level: 'enhanced', approvedUntil: null, createdAt: day(3) },
      ],
      now,
    )
    assert.deepEqual(result, { status: 'approved', level: 'standard', approvedUntil: day(30) })
  })
  it('falls back to the latest status once every approval has lapsed', () => {
    const result = customerKyc(
      [
        { status: 'approved', level: 'basic', approvedUntil: day(5), createdAt: day(1) },
        { status: 'rejected', level: 'standard', approvedUntil: null, createdAt: day(2) },
      ],
      now,
    )
    assert.deepEqual(result, { status: 'rejected', level: null, approvedUntil: null })
  })
})
