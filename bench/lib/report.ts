/** Renders rows of flat objects as an aligned text table (numbers right-aligned). */
export function formatTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(no rows)'
  const columns: string[] = []
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key)
  const cells = rows.map((row) => columns.map((c) => cellText(row[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)))
  const numeric = columns.map((c) => rows.every((row) => row[c] === undefined || typeof row[c] === 'number' || typeof row[c] === 'bigint'))
  const line = (values: string[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

function cellText(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'boolean') return value ? 'PASS' : 'FAIL'
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer)
  return String(value)
}

function isFlatRow(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => v === null || typeof v !== 'object')
  )
}

/**
 * A readable rendering of any bench result: arrays of flat objects become tables, nested
 * objects become titled sections, scalars become `key: value` lines.
 */
export function formatResult(value: unknown, title = ''): string {
  const out: string[] = []
  if (Array.isArray(value) && value.length > 0 && value.every(isFlatRow)) {
    if (title) out.push(`\n${title}`)
    out.push(formatTable(value))
    return out.join('\n')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${title}: ${cellText(value)}`
  }
  const scalars: string[] = []
  const nested: string[] = []
  for (const [key, inner] of Object.entries(value)) {
    const name = title ? `${title}.${key}` : key
    if (inner === null || typeof inner !== 'object') scalars.push(`  ${key}: ${cellText(inner)}`)
    else nested.push(formatResult(inner, name))
  }
  if (scalars.length > 0) out.push(`\n${title || 'result'}`, ...scalars)
  out.push(...nested)
  return out.join('\n')
}

/** JSON.stringify replacer: bigints as decimal strings (token units can exceed 2^53). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}
