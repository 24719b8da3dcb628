import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { originOf, resolveParentOrigin } from './embed-bridge.ts'

describe('embed bridge: target origin', () => {
  const cases: {
    name: string
    requested: string | null
    ancestor: string | undefined
    referrer: string
    expected: string | undefined
  }[] = [
    {
      name: 'the origin embed.js asked for',
      requested: 'https://shop.example',
      ancestor: 'https://shop.example',
      referrer: '',
      expected: 'https://shop.example',
    },
    {
      name: 'the requested origin, normalised',
      requested: 'https://shop.example/cart?x=1',
      ancestor: undefined,
      referrer: '',
      expected: 'https://shop.example',
    },
    {
      name: 'the parent origin the browser reports',
      requested: null,
      ancestor: 'https://shop.example',
      referrer: 'https://other.example/',
      expected: 'https://shop.example',
    },
    {
      name: 'the referrer origin as a last resort',
      requested: null,
      ancestor: undefined,
      referrer: 'https://shop.example/checkout',
      expected: 'https://shop.example',
    },
    {
      name: 'nothing when no origin is known',
      requested: null,
      ancestor: undefined,
      referrer: '',
      expected: undefined,
    },
    {
      name: 'nothing for an opaque parent',
      requested: 'null',
      ancestor: 'null',
      referrer: '',
      expected: undefined,
    },
    {
      name: 'nothing for a non-http origin',
      requested: 'javascript:alert(1)',
      ancestor: 'file:///x',
      referrer: 'data:text/html,x',
      expected: undefined,
    },
  ]
  for (const c of cases) {
    it(`posts to ${c.name}`, () => {
      assert.equal(
        resolveParentOrigin({
          requested: c.requested,
          ancestorOrigin: c.ancestor,
          referrer: c.referrer,
        }),
        c.expected,
      )
    })
  }

  it('never resolves to the wildcard origin', () => {
    assert.equal(originOf('*'), undefined)
  })
})
