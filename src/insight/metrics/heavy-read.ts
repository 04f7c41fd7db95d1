/**
 * Insight's heavy reads (a funnel, a cohort table) on PostgreSQL run in a read transaction of
 * their own with work_mem raised (their hashes of a year of events spilled to disk at the default
 * 4 MB: bench insight, 100,000 profiles) and JIT compilation off (a plan of this cost is compiled
 * with LLVM first, which costs more than it saves here; segments turn it off for the same reason).
 * SQLite runs them as they are.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { limitStatements } from '../../platform/db/statement-limits.js';

/** work_mem of a heavy read (PostgreSQL). */
export const HEAVY_READ_WORK_MEM = '64MB';

/** Runs `read` on PostgreSQL inside a transaction with the heavy-read settings; on SQLite directly. */
export async function heavyRead<T>(database: Database, read: (db: Kysely<DB>) => Promise<T>): Promise<T> {
  if (database.dialect.engine !== 'postgres') return read(database.db);
  return database.db.transaction().execute(async (trx) => {
    await limitStatements(trx, database.dialect, { workMem: HEAVY_READ_WORK_MEM });
    return read(trx);
  });
}
