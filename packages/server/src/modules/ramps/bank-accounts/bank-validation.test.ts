import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalDetails, validateBankDetails } from './bank-validation.ts'

type Case = [label: string, rail: Parameters<typeof validateBankDetails>[0], country: string, details: Record<string, unknown>, code: string | null]

// Published vectors: ISO 13616 / ECBS examples (DE89…, GB82…), ABA numbers of the Federal Reserve
// Banks and JPMorgan Chase, VocaLink modulus-checking specification test cases, CLABE examples from
// the clabe-validator suite, CPF 123.456.789-09 (check digits computed per Receita Federal rules).
const cases: Case[] = [
  ['a German IBAN with spaces', 'sepa', 'DE', { iban: 'DE89 3704 0044 0532 0130 00' }, null],
  ['a German IBAN with a BIC', 'sepa_instant', 'DE', { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' }, null],
  ['an IBAN with a wrong check digit', 'sepa', 'DE', { iban: 'DE89370400440532013001' }, 'IBAN_CHECKSUM'],
  ['an IBAN of another country than the account', 'sepa', 'FR', { iban: 'DE89370400440532013000' }, 'IBAN_COUNTRY_MISMATCH'],
  ['an IBAN too short for its country', 'sepa', 'DE', { iban: 'DE8937040044053201300' }, 'IBAN_LENGTH'],
  ['a malformed BIC', 'sepa', 'DE', { iban: 'DE89370400440532013000', bic: 'DEUT' }, 'BIC_INVALID'],
  ['a BIC of another country', 'sepa', 'DE', { iban: 'DE89370400440532013000', bic: 'BNPAFRPP' }, 'BIC_COUNTRY_MISMATCH'],
  ['a Swiss IBAN on SIC', 'sic', 'CH', { iban: 'CH9300762011623852957' }, null],
  ['a German IBAN on SIC', 'sic', 'CH', { iban: 'DE89370400440532013000' }, 'IBAN_COUNTRY_MISMATCH'],
  ['a valid ABA routing number', 'ach', 'US', { routing_number: '021000021', account_number: '000123456789', account_type: 'checking' }, null],
  ['a Federal Reserve routing number on Fedwire', 'fedwire', 'US', { routing_number: '011000015', account_number: '12345678' }, null],
  ['a routing number with a wrong check digit', 'ach', 'US', { routing_number: '021000022', account_number: '000123456789', account_type: 'checking' }, 'ROUTING_NUMBER_CHECKSUM'],
  ['an eight-digit routing number', 'ach', 'US', { routing_number: '02100002', account_number: '000123456789', account_type: 'checking' }, 'ROUTING_NUMBER_FORMAT'],
  ['an ACH account without a type', 'ach', 'US', { routing_number: '021000021', account_number: '000123456789' }, 'FIELD_REQUIRED'],
  ['a UK account passing the modulus check', 'faster_payments', 'GB', { sort_code: '08-99-99', account_number: '66374958' }, null],
  ['a UK account failing the modulus check', 'faster_payments', 'GB', { sort_code: '089999', account_number: '66374959' }, 'SORT_CODE_MODULUS'],
  ['a five-digit sort code', 'faster_payments', 'GB', { sort_code: '08999', account_number: '66374958' }, 'SORT_CODE_FORMAT'],
  ['a valid CLABE', 'spei', 'MX', { clabe: '002010077777777771' }, null],
  ['a CLABE with a wrong check digit', 'spei', 'MX', { clabe: '002010077777777772' }, 'CLABE_CHECKSUM'],
  ['a 17-digit CLABE', 'spei', 'MX', { clabe: '00201007777777777' }, 'CLABE_FORMAT'],
  ['a CPF Pix key', 'pix', 'BR', { pix_key: '123.456.789-09' }, null],
  ['an e-mail Pix key', 'pix', 'BR', { pix_key: 'Fulano@Example.com' }, null],
  ['a random (EVP) Pix key', 'pix', 'BR', { pix_key: '71c7d9be-4b85-4e43-9f1c-1f3b8b4e9a2d' }, null],
  ['a CPF with wrong check digits', 'pix', 'BR', { pix_key: '123.456.789-00' }, 'PIX_KEY_INVALID'],
  ['a Zengin account', 'zengin', 'JP', { bank_code: '0001', branch_code: '001', account_number: '1234567', account_type: 'ordinary' }, null],
  ['a Zengin bank code of three digits', 'zengin', 'JP', { bank_code: '001', branch_code: '001', account_number: '1234567', account_type: 'ordinary' }, 'BANK_CODE_FORMAT'],
  ['a field of another rail', 'sepa', 'DE', { iban: 'DE89370400440532013000', routing_number: '021000021' }, 'FIELD_NOT_ALLOWED'],
  ['a missing IBAN', 'sepa', 'DE', {}, 'FIELD_REQUIRED'],
  ['a numeric IBAN value', 'sepa', 'DE', { iban: 12345 }, 'FIELD_INVALID'],
]

describe('validateBankDetails', () => {
  for (const [label, rail, country, details, code] of cases) {
    if (code === null) {
      it(`accepts ${label}`, () => {
        const result = validateBankDetails(rail, country, details)
        assert.ok(Object.keys(result.details).length > 0)
      })
    } else {
      it(`refuses ${label} with ${code}`, () => {
        assert.throws(
          () => validateBankDetails(rail, country, details),
          (error: { code: string; details: { code: string }[] }) => {
            assert.equal(error.code, 'INVALID_BANK_DETAILS')
            assert.ok(error.details.some((d) => d.code === code), JSON.stringify(error.details))
            return true
          },
        )
      })
    }
  }

  it('normalizes an IBAN to its electronic form and masks all but the last four characters', () => {
    const result = validateBankDetails('sepa', 'DE', { iban: 'de89 3704 0044 0532 0130 00' })
    assert.equal(result.details.iban, 'DE89370400440532013000')
    assert.ok(result.masked['iban']?.endsWith('3000'))
    assert.ok(!result.masked['iban']?.includes('0532013'))
  })

  it('never repeats the submitted value in an error message', () => {
    const iban = 'DE89370400440532013001'
    try {
      validateBankDetails('sepa', 'DE', { iban })
      assert.fail('accepted')
    } catch (error) {
      assert.ok(!JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details }).includes('0532013'))
    }
  })

  it('gives equal accounts the same canonical text whatever their spelling', () => {
    const a = validateBankDetails('sepa', 'DE', { iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX' })
    const b = validateBankDetails('sepa', 'DE', { iban: 'de89370400440532013000' })
    assert.equal(canonicalDetails('sepa', a.details), canonicalDetails('sepa', b.details))
  })
})
