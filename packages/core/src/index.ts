export * from './clock.ts'
export * from './errors.ts'
export * from './money.ts'
export * from './ids.ts'
