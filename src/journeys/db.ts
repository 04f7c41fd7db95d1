import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import type { JourneysDB } from './schema.js';

/**
 * A connection or transaction as the platform's `Database` hands it out. Journeys passes these
 * along (other modules' functions take them) and sees its own tables through `journeysDb`.
 */
export type Conn = Kysely<DB>;

/**
 * The journeys' own tables on a connection or transaction. The platform's `Database` is typed
 * with the transitional core schema (platform/db/schema.ts `DB`) and Kysely's table type is
 * invariant, so a module's view of its own tables is a cast; it is made here and nowhere else.
 */
export function journeysDb(db: Conn): Kysely<JourneysDB> {
  return db as unknown as Kysely<JourneysDB>;
}

/**
 * Bulk insert into a journeys table with the dialect's `insertMany` (one prepared statement per
 * row on SQLite, `unnest` arrays on PostgreSQL). The dialect names tables by the platform's `DB`
 * type, which does not list the journeys' tables: hence the cast of the name, here only.
 */
export function insertJourneyRows(
  dialect: Dialect,
  db: Conn,
  table: keyof JourneysDB,
  rows: Record<string, unknown>[],
  conflict?: { columns: string[]; update: string[] },
): Promise<number> {
  return dialect.insertMany(db, table as unknown as keyof DB & string, rows, conflict);
}
