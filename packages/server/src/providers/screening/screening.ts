/** Sanctions screening of people, businesses and wallet addresses, in our own terms. */
export interface ScreeningResult {
  status: 'clear' | 'hit'
  /** Which list entry matched; null when clear. Shown to the merchant as the reason of a block. */
  reason: string | null
  list: string
}

export interface ScreeningProvider {
  readonly id: string
  screenName(input: { name: string; country: string | null; birthDate?: string | null }): Promise<ScreeningResult>
  screenAddress(input: { network: string; address: string }): Promise<ScreeningResult>
}
