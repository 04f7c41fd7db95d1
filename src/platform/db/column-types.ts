import { sql } from 'kysely';
import type { Engine } from './database.js';

/**
 * Column types that differ by engine, for every domain's migrations: JSON is jsonb on
 * PostgreSQL and text on SQLite; epoch milliseconds are bigint (SQLite integers are 64-bit).
 */
export function columnTypes(engine: Engine) {
  return {
    json: engine === 'postgres' ? sql`jsonb` : sql`text`,
    millis: 'bigint' as const,
  };
}
