/**
 * Plants a database error for tests of poisoned rows: a trigger that refuses an insert or update of
 * a table when a condition over `new` holds, on SQLite and PostgreSQL alike (on PostgreSQL the
 * error aborts the transaction it happens in, as a real one would).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';

/** Makes `op` on `table` fail with `message` when `when` (SQL over `new`) holds; returns the function that removes the trigger. */
export async function plantFailure(
  database: Database,
  table: string,
  op: 'insert' | 'update',
  when: string,
  message = 'planted failure',
): Promise<() => Promise<void>> {
  const name = `siyu_planted_${randomBytes(4).toString('hex')}`;
  const { db } = database;
  if (database.dialect.engine === 'postgres') {
    await sql.raw(`create function ${name}_fn() returns trigger language plpgsql as $$ begin raise exception '${message}'; end $$`).execute(db);
    await sql.raw(`create trigger ${name} before ${op} on ${table} for each row when (${when}) execute function ${name}_fn()`).execute(db);
    return async () => {
      await sql.raw(`drop trigger ${name} on ${table}`).execute(db);
      await sql.raw(`drop function ${name}_fn()`).execute(db);
    };
  }
  await sql.raw(`create trigger ${name} before ${op} on ${table} when ${when} begin select raise(abort, '${message}'); end`).execute(db);
  return async () => {
    await sql.raw(`drop trigger ${name}`).execute(db);
  };
}
