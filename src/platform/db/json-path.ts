/**
 * JSON values below the top level of a JSON column, for either engine (the Dialect's `jsonText`
 * reads top-level keys only).
 */
import { type RawBuilder, sql } from 'kysely';
import type { Dialect } from './database.js';

/**
 * The value at `keys` (plain identifiers, e.g. `['properties', 'group_id']`) inside JSON column
 * `column`, as text, null where absent: `column -> 'a' ->> 'b'` on PostgreSQL,
 * `cast(json_extract(column, '$.a.b') as text)` on SQLite. The keys are written as SQL literals.
 */
export function jsonPathText(dialect: Dialect, column: string, keys: readonly string[]): RawBuilder<string | null> {
  const col = sql.ref(column);
  if (dialect.engine === 'postgres') {
    const steps = keys.map((k, i) => sql`${sql.raw(i === keys.length - 1 ? '->>' : '->')} ${sql.lit(k)}`);
    return sql<string | null>`(${col} ${sql.join(steps, sql` `)})`;
  }
  return sql<string | null>`cast(json_extract(${col}, ${sql.lit('$.' + keys.join('.'))}) as text)`;
}
