import { parsePhoneNumber } from 'awesome-phonenumber'

/**
 * US shipping addresses: USPS state codes, ZIP formats, the state a ZIP belongs to (by its first
 * three digits, USPS ranges) and state sales tax rates. Pure data and functions.
 */

export const US_STATES: Readonly<Record<string, string>> = {
  AL: 'Alabama',
  AK: 'Alaska',
  AZ: 'Arizona',
  AR: 'Arkansas',
  CA: 'California',
  CO: 'Colorado',
  CT: 'Connecticut',
  DE: 'Delaware',
  DC: 'District of Columbia',
  FL: 'Florida',
  GA: 'Georgia',
  HI: 'Hawaii',
  ID: 'Idaho',
  IL: 'Illinois',
  IN: 'Indiana',
  IA: 'Iowa',
  KS: 'Kansas',
  KY: 'Kentucky',
  LA: 'Louisiana',
  ME: 'Maine',
  MD: 'Maryland',
  MA: 'Massachusetts',
  MI: 'Michigan',
  MN: 'Minnesota',
  MS: 'Mississippi',
  MO: 'Missouri',
  MT: 'Montana',
  NE: 'Nebraska',
  NV: 'Nevada',
  NH: 'New Hampshire',
  NJ: 'New Jersey',
  NM: 'New Mexico',
  NY: 'New York',
  NC: 'North Carolina',
  ND: 'North Dakota',
  OH: 'Ohio',
  OK: 'Oklahoma',
  OR: 'Oregon',
  PA: 'Pennsylvania',
  RI: 'Rhode Island',
  SC: 'South Carolina',
  SD: 'South Dakota',
  TN: 'Tennessee',
  TX: 'Texas',
  UT: 'Utah',
  VT: 'Vermont',
  VA: 'Virginia',
  WA: 'Washington',
  WV: 'West Virginia',
  WI: 'Wisconsin',
  WY: 'Wyoming',
  PR: 'Puerto Rico',
}

/**
 * State sales tax rates in parts per million, state-level base rates as published by each
 * state's revenue department (2025; summarized in the Tax Foundation's 2025 table). Local and
 * county rates are not added. VA and UT include their statewide mandatory local share.
 */
export const STATE_TAX_PPM: Readonly<Record<string, number>> = {
  AL: 40_000,
  AK: 0,
  AZ: 56_000,
  AR: 65_000,
  CA: 72_500,
  CO: 29_000,
  CT: 63_500,
  DE: 0,
  DC: 60_000,
  FL: 60_000,
  GA: 40_000,
  HI: 40_000,
  ID: 60_000,
  IL: 62_500,
  IN: 70_000,
  IA: 60_000,
  KS: 65_000,
  KY: 60_000,
  LA: 50_000,
  ME: 55_000,
  MD: 60_000,
  MA: 62_500,
  MI: 60_000,
  MN: 68_750,
  MS: 70_000,
  MO: 42_250,
  MT: 0,
  NE: 55_000,
  NV: 68_500,
  NH: 0,
  NJ: 66_250,
  NM: 48_750,
  NY: 40_000,
  NC: 47_500,
  ND: 50_000,
  OH: 57_500,
  OK: 45_000,
  OR: 0,
  PA: 60_000,
  RI: 70_000,
  SC: 60_000,
  SD: 42_000,
  TN: 70_000,
  TX: 62_500,
  UT: 61_000,
  VT: 60_000,
  VA: 53_000,
  WA: 65_000,
  WV: 60_000,
  WI: 50_000,
  WY: 40_000,
  PR: 105_000,
}

/** [first ZIP3, last ZIP3, state] — USPS prefix ranges; later entries override earlier ones. */
const ZIP3_RANGES: readonly (readonly [number, number, string])[] = [
  [5, 5, 'NY'],
  [6, 7, 'PR'],
  [9, 9, 'PR'],
  [10, 27, 'MA'],
  [28, 29, 'RI'],
  [30, 38, 'NH'],
  [39, 49, 'ME'],
  [50, 59, 'VT'],
  [55, 55, 'MA'],
  [60, 69, 'CT'],
  [70, 89, 'NJ'],
  [100, 149, 'NY'],
  [150, 196, 'PA'],
  [197, 199, 'DE'],
  [200, 200, 'DC'],
  [201, 201, 'VA'],
  [202, 205, 'DC'],
  [206, 219, 'MD'],
  [220, 246, 'VA'],
  [247, 268, 'WV'],
  [270, 289, 'NC'],
  [290, 299, 'SC'],
  [300, 319, 'GA'],
  [398, 399, 'GA'],
  [320, 339, 'FL'],
  [341, 349, 'FL'],
  [350, 369, 'AL'],
  [370, 385, 'TN'],
  [386, 397, 'MS'],
  [400, 427, 'KY'],
  [430, 459, 'OH'],
  [460, 479, 'IN'],
  [480, 499, 'MI'],
  [500, 528, 'IA'],
  [530, 549, 'WI'],
  [544, 544, 'NY'],
  [550, 567, 'MN'],
  [570, 577, 'SD'],
  [580, 588, 'ND'],
  [590, 599, 'MT'],
  [600, 629, 'IL'],
  [630, 658, 'MO'],
  [660, 679, 'KS'],
  [680, 693, 'NE'],
  [700, 714, 'LA'],
  [716, 729, 'AR'],
  [730, 749, 'OK'],
  [733, 733, 'TX'],
  [750, 799, 'TX'],
  [885, 885, 'TX'],
  [800, 816, 'CO'],
  [820, 831, 'WY'],
  [832, 838, 'ID'],
  [840, 847, 'UT'],
  [850, 865, 'AZ'],
  [870, 884, 'NM'],
  [889, 898, 'NV'],
  [900, 961, 'CA'],
  [967, 968, 'HI'],
  [970, 979, 'OR'],
  [980, 994, 'WA'],
  [995, 999, 'AK'],
]

const ZIP_FORMAT = /^(\d{5})(?:-?(\d{4}))?$/

/** `12345`, `12345-6789` or `123456789` → standard form; undefined when not a US ZIP. */
export function normalizeZip(zip: string): string | undefined {
  const match = ZIP_FORMAT.exec(zip.trim())
  if (!match?.[1]) return undefined
  return match[2] ? `${match[1]}-${match[2]}` : match[1]
}

export function stateForZip(zip: string): string | undefined {
  const normalized = normalizeZip(zip)
  if (!normalized) return undefined
  const prefix = Number(normalized.slice(0, 3))
  let state: string | undefined
  for (const [from, to, code] of ZIP3_RANGES) if (prefix >= from && prefix <= to) state = code
  return state
}

/** `fl`, `FL`, `Florida`, `florida` → `FL`. */
export function normalizeState(input: string): string | undefined {
  const text = input.trim()
  const upper = text.toUpperCase()
  if (US_STATES[upper]) return upper
  const lower = text.toLowerCase().replace(/\s+/g, ' ')
  return Object.keys(US_STATES).find((code) => US_STATES[code]?.toLowerCase() === lower)
}

const COUNTRY_ALIASES = new Set([
  'us',
  'usa',
  'u.s.',
  'u.s.a.',
  'united states',
  'united states of america',
])

export function normalizeCountry(input: string): string | undefined {
  return COUNTRY_ALIASES.has(input.trim().toLowerCase()) ? 'US' : undefined
}

/** A US phone number in E.164 (`+13055550123`), or undefined. */
export function normalizeUsPhone(input: string): string | undefined {
  const parsed = parsePhoneNumber(input, { regionCode: 'US' })
  if (!parsed.valid || (parsed.regionCode !== 'US' && parsed.regionCode !== 'PR')) return undefined
  return parsed.number.e164
}

/** Title-cases words typed in all lower or all upper case; mixed case is left as typed. */
export function tidyCase(text: string): string {
  const collapsed = text.trim().replace(/\s+/g, ' ')
  if (collapsed !== collapsed.toLowerCase() && collapsed !== collapsed.toUpperCase())
    return collapsed
  return collapsed
    .toLowerCase()
    .replace(/(^|[\s-])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase())
}

export function taxRatePpm(state: string): number {
  return STATE_TAX_PPM[state] ?? 0
}
