import { fieldError } from './errors.ts'

/** No route takes input nested deeper than this; the walk below is bounded by it. */
export const MAX_INPUT_DEPTH = 32

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Postgres text and jsonb cannot hold a NUL character, and an unpaired UTF-16 surrogate has no
 * UTF-8 form: either would fail in the database as a 500. Checked at the edge, it is a 400.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text)
}

/**
 * Rejects request input (body, query or params) holding unstorable text in any key or value, or
 * nested beyond MAX_INPUT_DEPTH, with a VALIDATION_ERROR naming the field.
 */
export function assertStorableInput(value: unknown, location: string): void {
  const walk = (node: unknown, path: string, depth: number): void => {
    if (typeof node === 'string') {
      if (!isStorableText(node)) throw fieldError(path || location, 'must not contain NUL characters or unpaired surrogates')
      return
    }
    // raw bodies (webhook signatures are checked over bytes) hold no text to check
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) return
    if (depth >= MAX_INPUT_DEPTH) throw fieldError(path || location, `is nested more than ${MAX_INPUT_DEPTH} levels deep`)
    const entries: [string, unknown][] = Array.isArray(node)
      ? node.map((child, index): [string, unknown] => [String(index), child])
      : Object.entries(node)
    for (const [key, child] of entries) {
      const at = path ? `${path}.${key}` : key
      if (!isStorableText(key)) throw fieldError(at, 'must not contain NUL characters or unpaired surrogates')
      walk(child, at, depth + 1)
    }
  }
  walk(value, '', 0)
}
