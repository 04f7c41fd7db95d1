import type { ColumnType } from 'kysely';

/** JSON columns: text on SQLite, jsonb on PostgreSQL; written as strings, read via `parseJson`. */
export type JsonColumn = ColumnType<unknown, string, string>;
/** Epoch milliseconds (bigint on PostgreSQL, integer on SQLite). */
export type Millis = number;
