import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pgArray } from './pg-array.ts'

describe('pgArray', () => {
  it('passes plain tokens as they are and NULL for null', () => {
    assert.equal(pgArray(['0xAbC', '018bcfe5-6800-7000-b698-85c53cdee613', 'devnet', null, '-1.5e+3']), '{0xAbC,018bcfe5-6800-7000-b698-85c53cdee613,devnet,NULL,-1.5e+3}')
    assert.equal(pgArray([1, -2, 10n ** 30n, true, false]), '{1,-2,1000000000000000000000000000000,true,false}')
    assert.equal(pgArray([]), '{}')
  })

  it('quotes anything an array literal would read differently, escaping quotes and backslashes', () => {
    assert.equal(pgArray(['', 'NULL', 'null', 'a b', 'a,b', '{x}', 'q"u', 'b\\s', 'tab\t', 'é']), '{"","NULL","null","a b","a,b","{x}","q\\"u","b\\\\s","tab\t","é"}')
  })
})
