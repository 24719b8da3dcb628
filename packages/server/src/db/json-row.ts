import { sql, type ColumnType, type RawBuilder, type Selectable } from 'kysely'

/**
 * How a column travels inside a json object: timestamps as ISO text read back into Dates, int8
 * and numeric (the columns that accept a bigint) as text (a JSON number would lose digits past 2^53), everything else as itself.
 */
type KindOf<C> =
  NonNullable<C> extends ColumnType<infer S, infer I, unknown>
    ? S extends Date
      ? 'timestamp'
      : bigint extends I
        ? 'text'
        : 'value'
    : 'value'

/** Every column of a table with its kind; the compiler checks both the list and each kind. */
export type ColumnKinds<T> = { [K in keyof T]-?: KindOf<T[K]> }

export interface JsonRow<T> {
  /** One json value holding the row's columns, selected from `alias`. */
  select(alias: string): RawBuilder<unknown>
  /** The row as node-postgres returns it from a plain select of the same columns. */
  read(json: Record<string, unknown>): Selectable<T>
}

/**
 * A row read as one json column instead of one column per field. A wide row costs the driver
 * per field (a field description and a parser each, every query); as json it is one field, and
 * JSON.parse does the rest. Hot reads of wide rows use it.
 */
export function jsonRow<T>(kinds: ColumnKinds<T>): JsonRow<T> {
  const kindOf = kinds as Record<string, 'timestamp' | 'text' | 'value'>
  const columns = Object.keys(kindOf)
  const timestamps = columns.filter((c) => kindOf[c] === 'timestamp')
  if (columns.length > 50) throw new Error('json_build_object takes at most 50 columns')
  for (const c of columns) if (!IDENTIFIER.test(c)) throw new Error(`column "${c}" is not a plain identifier`)
  // the text is fixed per alias: built once, not per query
  const selects = new Map<string, RawBuilder<unknown>>()
  return {
    select(alias) {
      let select = selects.get(alias)
      if (!select) {
        if (!IDENTIFIER.test(alias)) throw new Error(`alias "${alias}" is not a plain identifier`)
        const fields = columns.map((c) => `'${c}', "${alias}"."${c}"${kindOf[c] === 'text' ? '::text' : ''}`)
        select = sql.raw(`json_build_object(${fields.join(', ')})`)
        selects.set(alias, select)
      }
      return select
    },
    read(json) {
      for (const c of timestamps) {
        const value = json[c]
        if (typeof value === 'string') json[c] = new Date(value)
      }
      return json as Selectable<T>
    },
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/
