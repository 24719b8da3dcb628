import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isSEPACountry } from 'ibantools'
import { COUNTRIES, RAILS, currencyExponent, requiredKycLevel } from './country.ts'

describe('countries and rails', () => {
  it('covers at least 30 countries', () => {
    assert.ok(COUNTRIES.size >= 30, `only ${COUNTRIES.size}`)
  })

  it('offers SEPA only in SEPA scheme countries', () => {
    for (const country of COUNTRIES.values()) {
      if (country.rails.includes('sepa')) assert.ok(isSEPACountry(country.code), country.code)
    }
  })

  it('uses ISO 4217 exponents for every currency', () => {
    assert.equal(currencyExponent('JPY'), 0)
    assert.equal(currencyExponent('ISK'), 0)
    assert.equal(currencyExponent('EUR'), 2)
    assert.equal(currencyExponent('KWD'), 3)
    for (const rail of Object.values(RAILS)) assert.ok(currencyExponent(rail.currency) >= 0)
    for (const country of COUNTRIES.values()) assert.ok(currencyExponent(country.currency) >= 0)
  })

  it('keeps every rail limit positive and ordered', () => {
    for (const rail of Object.values(RAILS)) {
      assert.ok(rail.minMinor > 0n && rail.minMinor < rail.maxMinor, rail.id)
      assert.ok(rail.requiredFields.length > 0, rail.id)
      assert.ok(rail.feeBps >= 0n && rail.feeBps < 10_000n, rail.id)
    }
  })

  it('takes the stricter of the country and rail KYC levels', () => {
    const us = COUNTRIES.get('US')!
    assert.equal(requiredKycLevel(us, RAILS.ach), 'basic')
    assert.equal(requiredKycLevel(us, RAILS.fedwire), 'standard')
    assert.equal(requiredKycLevel(COUNTRIES.get('BR')!, RAILS.pix), 'standard')
  })
})
