import { loadConfig } from '../platform/config.js';
import type { Database } from '../platform/db/database.js';

/** Opens the configured database with migrations applied, for one-shot commands. */
export async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { openDatabase } = await import('../platform/db/database.js');
  const { migrateSiyu } = await import('../server/migrations.js');
  const database = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateSiyu(database.db, database.dialect.engine);
    return await fn(database);
  } finally {
    await database.close();
  }
}
