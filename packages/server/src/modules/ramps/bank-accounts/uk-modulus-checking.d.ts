// Types for uk-modulus-checking, which ships none.
declare module 'uk-modulus-checking' {
  export default class UkModulusChecking {
    constructor(input: { accountNumber: string; sortCode: string })
    isValid(): boolean
  }
}
