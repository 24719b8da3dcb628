import { AppError } from '@pepay/core'
import { getPixKeyInfo } from '@brazilian-utils/brazilian-utils'
import { validate as validateAba } from 'abavalidator'
import { clabe } from 'clabe-validator'
import { electronicFormatIBAN, extractIBAN, isValidBIC, validateIBAN, ValidationErrorsIBAN } from 'ibantools'
import UkModulusChecking from 'uk-modulus-checking'
import { IBAN_COUNTRIES, RAILS, type BankField, type RailId } from '../countries/country.ts'

/** Normalized bank details: only the fields of the rail, in canonical form. */
export type BankDetails = Partial<Record<BankField, string>>

export interface ValidatedBankDetails {
  details: BankDetails
  /** What may be shown: the last characters only. */
  masked: Record<string, string>
}

export interface BankIssue {
  field: string
  code: string
  message: string
}

/** Invalid bank details never echo the value back: messages name the field and the rule only. */
export class InvalidBankDetails extends AppError {
  constructor(issues: BankIssue[]) {
    const first = issues[0]
    super('INVALID_BANK_DETAILS', first ? `${first.field}: ${first.message}` : 'invalid bank details', issues)
  }
}

function mask(value: string, visible = 4): string {
  const tail = value.slice(-visible)
  return `${'•'.repeat(Math.max(4, Math.min(value.length - visible, 12)))}${tail}`
}

function stripSeparators(value: string): string {
  return value.replace(/[\s-]/g, '')
}

const IBAN_ERROR: Partial<Record<ValidationErrorsIBAN, [string, string]>> = {
  [ValidationErrorsIBAN.NoIBANCountry]: ['IBAN_COUNTRY_UNKNOWN', 'does not start with a known IBAN country code'],
  [ValidationErrorsIBAN.WrongBBANLength]: ['IBAN_LENGTH', 'has the wrong length for its country'],
  [ValidationErrorsIBAN.WrongBBANFormat]: ['IBAN_FORMAT', 'does not match the account format of its country'],
  [ValidationErrorsIBAN.ChecksumNotNumber]: ['IBAN_CHECKSUM', 'check digits are not numeric'],
  [ValidationErrorsIBAN.WrongIBANChecksum]: ['IBAN_CHECKSUM', 'failed the ISO 13616 check digits (mod 97)'],
  [ValidationErrorsIBAN.WrongAccountBankBranchChecksum]: ['IBAN_NATIONAL_CHECKSUM', 'failed the national account checksum'],
  [ValidationErrorsIBAN.QRIBANNotAllowed]: ['IBAN_QR_NOT_ALLOWED', 'QR-IBANs are for incoming QR bills only'],
}

function checkIban(raw: string | undefined, rail: RailId, country: string, issues: BankIssue[]): string | undefined {
  if (raw === undefined) return undefined
  const iban = electronicFormatIBAN(raw) ?? ''
  const result = validateIBAN(iban, { allowQRIBAN: false })
  if (!result.valid) {
    const [code, message] = IBAN_ERROR[result.errorCodes[0] ?? ValidationErrorsIBAN.NoIBANProvided] ?? ['IBAN_INVALID', 'is not a valid IBAN']
    issues.push({ field: 'details.iban', code, message })
    return undefined
  }
  const ibanCountry = extractIBAN(iban).countryCode ?? ''
  const allowed = IBAN_COUNTRIES[rail]
  if (allowed && !allowed.includes(ibanCountry)) {
    issues.push({ field: 'details.iban', code: 'IBAN_COUNTRY_MISMATCH', message: `${RAILS[rail].name} accepts IBANs of ${allowed.join(', ')} only` })
    return undefined
  }
  if (!allowed && ibanCountry !== country) {
    issues.push({ field: 'details.iban', code: 'IBAN_COUNTRY_MISMATCH', message: `IBAN country ${ibanCountry} differs from the account country ${country}` })
    return undefined
  }
  return iban
}

/**
 * Validates and normalizes bank details for a rail: IBAN (ISO 13616 mod-97 and national formats, via
 * ibantools) and BIC (ISO 9362), ABA routing checksum (abavalidator), UK sort code + account modulus
 * check (VocaLink rules, uk-modulus-checking), CLABE check digit (clabe-validator), Pix keys
 * (CPF/CNPJ check digits, e-mail, +55 phone, EVP; brazilian-utils), Zengin bank/branch/account formats.
 * Throws InvalidBankDetails listing every problem; never returns partially valid details.
 */
export function validateBankDetails(rail: RailId, country: string, input: Record<string, unknown>): ValidatedBankDetails {
  const spec = RAILS[rail]
  const issues: BankIssue[] = []
  const allowed = new Set<string>([...spec.requiredFields, ...spec.optionalFields])
  const text: BankDetails = {}
  for (const [key, value] of Object.entries(input)) {
    if (!allowed.has(key)) {
      issues.push({ field: `details.${key}`, code: 'FIELD_NOT_ALLOWED', message: `not a field of ${spec.name} accounts` })
      continue
    }
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 128) {
      issues.push({ field: `details.${key}`, code: 'FIELD_INVALID', message: 'must be a non-empty string of at most 128 characters' })
      continue
    }
    text[key as BankField] = value.trim()
  }
  for (const field of spec.requiredFields) {
    if (text[field] === undefined && !issues.some((i) => i.field === `details.${field}`)) {
      issues.push({ field: `details.${field}`, code: 'FIELD_REQUIRED', message: `required for ${spec.name}` })
    }
  }
  if (issues.length > 0) throw new InvalidBankDetails(issues)

  const details: BankDetails = {}
  const masked: Record<string, string> = {}
  switch (rail) {
    case 'sepa':
    case 'sepa_instant':
    case 'sic':
    case 'elixir': {
      const iban = checkIban(text.iban, rail, country, issues)
      if (iban) {
        details.iban = iban
        masked['iban'] = `${iban.slice(0, 4)}${mask(iban.slice(4))}`
      }
      if (text.bic !== undefined) {
        const bic = text.bic.toUpperCase().replace(/\s/g, '')
        if (!isValidBIC(bic)) issues.push({ field: 'details.bic', code: 'BIC_INVALID', message: 'is not a valid ISO 9362 BIC' })
        else if (iban && bic.slice(4, 6) !== iban.slice(0, 2) && !(iban.startsWith('LI') && bic.slice(4, 6) === 'CH')) {
          issues.push({ field: 'details.bic', code: 'BIC_COUNTRY_MISMATCH', message: 'BIC country differs from the IBAN country' })
        } else {
          details.bic = bic
          masked['bic'] = bic
        }
      }
      break
    }
    case 'ach':
    case 'fedwire': {
      const routing = stripSeparators(text.routing_number ?? '')
      if (!/^[0-9]{9}$/.test(routing)) issues.push({ field: 'details.routing_number', code: 'ROUTING_NUMBER_FORMAT', message: 'must be 9 digits' })
      else if (!validateAba(routing)) issues.push({ field: 'details.routing_number', code: 'ROUTING_NUMBER_CHECKSUM', message: 'failed the ABA check digit (3-7-1 weights)' })
      else {
        details.routing_number = routing
        masked['routing_number'] = routing
      }
      const account = stripSeparators(text.account_number ?? '')
      if (!/^[0-9]{4,17}$/.test(account)) issues.push({ field: 'details.account_number', code: 'ACCOUNT_NUMBER_FORMAT', message: 'must be 4 to 17 digits' })
      else {
        details.account_number = account
        masked['account_number'] = mask(account)
      }
      if (rail === 'ach') {
        const type = text.account_type?.toLowerCase()
        if (type !== 'checking' && type !== 'savings') issues.push({ field: 'details.account_type', code: 'ACCOUNT_TYPE', message: 'must be checking or savings' })
        else {
          details.account_type = type
          masked['account_type'] = type
        }
      }
      break
    }
    case 'faster_payments': {
      const sortCode = stripSeparators(text.sort_code ?? '')
      const account = stripSeparators(text.account_number ?? '')
      if (!/^[0-9]{6}$/.test(sortCode)) issues.push({ field: 'details.sort_code', code: 'SORT_CODE_FORMAT', message: 'must be 6 digits' })
      if (!/^[0-9]{8}$/.test(account)) issues.push({ field: 'details.account_number', code: 'ACCOUNT_NUMBER_FORMAT', message: 'must be 8 digits' })
      if (issues.length === 0) {
        if (!new UkModulusChecking({ accountNumber: account, sortCode }).isValid()) {
          issues.push({ field: 'details.account_number', code: 'SORT_CODE_MODULUS', message: 'sort code and account number fail the VocaLink modulus check' })
        } else {
          details.sort_code = sortCode
          details.account_number = account
          masked['sort_code'] = `${sortCode.slice(0, 2)}-••-••`
          masked['account_number'] = mask(account)
        }
      }
      break
    }
    case 'pix': {
      const info = getPixKeyInfo(text.pix_key ?? '')
      if (!info) issues.push({ field: 'details.pix_key', code: 'PIX_KEY_INVALID', message: 'is not a valid Pix key (CPF, CNPJ, e-mail, +55 phone or random key)' })
      else {
        details.pix_key = info.value
        masked['pix_key_type'] = info.type
        masked['pix_key'] = info.type === 'email' ? `${info.value.slice(0, 1)}•••@${info.value.split('@')[1] ?? ''}` : mask(info.value)
      }
      break
    }
    case 'spei': {
      const value = stripSeparators(text.clabe ?? '')
      const check = /^[0-9]{18}$/.test(value) ? clabe.validate(value) : undefined
      if (!check) issues.push({ field: 'details.clabe', code: 'CLABE_FORMAT', message: 'must be 18 digits' })
      else if (!check.ok) {
        const [code, message] =
          check.error === 'invalid-checksum'
            ? ['CLABE_CHECKSUM', 'failed the CLABE check digit (weights 3, 7, 1)']
            : check.error === 'invalid-bank'
              ? ['CLABE_BANK_UNKNOWN', 'bank code is not a known SPEI participant']
              : ['CLABE_INVALID', 'is not a valid CLABE']
        issues.push({ field: 'details.clabe', code, message })
      } else {
        details.clabe = value
        masked['clabe'] = mask(value)
        if (check.bank) masked['bank_name'] = check.bank
      }
      break
    }
    case 'zengin': {
      const bank = text.bank_code ?? ''
      const branch = text.branch_code ?? ''
      const account = text.account_number ?? ''
      const type = text.account_type?.toLowerCase()
      if (!/^[0-9]{4}$/.test(bank)) issues.push({ field: 'details.bank_code', code: 'BANK_CODE_FORMAT', message: 'must be 4 digits' })
      if (!/^[0-9]{3}$/.test(branch)) issues.push({ field: 'details.branch_code', code: 'BRANCH_CODE_FORMAT', message: 'must be 3 digits' })
      if (!/^[0-9]{7}$/.test(account)) issues.push({ field: 'details.account_number', code: 'ACCOUNT_NUMBER_FORMAT', message: 'must be 7 digits' })
      if (type !== 'ordinary' && type !== 'current' && type !== 'savings') {
        issues.push({ field: 'details.account_type', code: 'ACCOUNT_TYPE', message: 'must be ordinary, current or savings' })
      }
      if (issues.length === 0 && type) {
        Object.assign(details, { bank_code: bank, branch_code: branch, account_number: account, account_type: type })
        Object.assign(masked, { bank_code: bank, branch_code: branch, account_number: mask(account, 3), account_type: type })
      }
      break
    }
  }
  if (issues.length > 0) throw new InvalidBankDetails(issues)
  return { details, masked }
}

/** The canonical text two equal accounts share (for duplicate detection by keyed hash). */
export function canonicalDetails(rail: RailId, details: BankDetails): string {
  const keys = Object.keys(details).sort() as BankField[]
  return `${rail}|${keys.filter((k) => k !== 'bic').map((k) => `${k}=${details[k] ?? ''}`).join('|')}`
}
