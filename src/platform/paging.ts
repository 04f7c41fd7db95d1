/**
 * The one list shape of the API (issue #15): every list route answers `{ data, nextCursor }`,
 * `nextCursor` being null on the last page and otherwise given back as `cursor` for the next one.
 * Cursors are opaque to clients: the sort key of the last row, as base64url JSON.
 * (`test/api-lists.test.ts` walks the OpenAPI document and checks every list route.)
 */
import { type RawBuilder, sql } from 'kysely';
import { AppError } from './errors.js';
import type { Page } from './http-schemas.js';

// The list shape's type and schemas live with the other shared schemas (http-schemas.ts), which
// import nothing, so that the console can derive its types from route schemas built with them.
export { type Page, pageQueryProperties, pageSchema } from './http-schemas.js';

/** A cursor over the sort key of a row. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * The sort key a cursor holds, checked against the kinds expected (`'s'` text, `'n'` a safe
 * integer); VALIDATION_FAILED when it is not a cursor this route returned.
 */
export function decodeCursor(cursor: string, kinds: readonly ('s' | 'n')[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const ok = Array.isArray(key) && key.length === kinds.length && key.every((v, i) => (kinds[i] === 'n' ? Number.isSafeInteger(v) : typeof v === 'string'));
  if (!ok) throw new AppError('VALIDATION_FAILED', 'cursor is not a nextCursor returned by this endpoint; omit it to start from the first page');
  return key as (string | number)[];
}

/**
 * A page from rows fetched with `limit + 1` (the extra row only says there is a next page):
 * `view` turns a row into its API form, `key` gives its sort key for the cursor.
 */
export function pageOf<R, T>(rows: readonly R[], limit: number, view: (r: R) => T, key: (r: R) => (string | number)[]): Page<T> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(view), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null };
}

/**
 * The keyset condition "after this cursor key" over `columns` in one direction, as one row-value
 * comparison (`(a, b) < (x, y)`), which SQLite and PostgreSQL both evaluate and index.
 */
export function keysetAfter(columns: readonly string[], dir: 'asc' | 'desc', key: readonly (string | number)[]): RawBuilder<boolean> {
  return sql<boolean>`(${sql.join(columns.map((c) => sql.ref(c)))}) ${sql.raw(dir === 'desc' ? '<' : '>')} (${sql.join([...key])})`;
}
