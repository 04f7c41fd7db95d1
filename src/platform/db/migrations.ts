import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Engine } from './database.js';

/**
 * One module's migrations: it owns the tables they create and alter. Migration names are global
 * and ordered (Kysely applies them by name, and refuses a new name that sorts before an applied
 * one): 0001-0002 platform, cdp and segments, 0003-0009 SCRM, 0010-0019 messaging, journeys and
 * broadcasts; a new migration takes the next free number whichever module it belongs to.
 * Migrations are typed `Kysely<any>` (Kysely's advice): a migration runs against the schema of its
 * day, not today's table types.
 */
export interface MigrationSet {
  owner: string;
  migrations: Record<string, Migration>;
}

/**
 * Joins modules' sets into one migration list. A name may appear in several sets: the tables of
 * 0001_core and 0002_segments are split between their owners, and the parts of one name run in
 * the order of `sets` (the composition root lists platform first), inside that migration's
 * transaction, so a database that applied the name once has every part.
 */
export function composeMigrations(sets: readonly MigrationSet[]): Record<string, Migration> {
  const parts = new Map<string, { owner: string; m: Migration }[]>();
  for (const set of sets) {
    for (const [name, m] of Object.entries(set.migrations)) {
      const list = parts.get(name) ?? [];
      if (list.some((p) => p.owner === set.owner)) throw new Error(`migration ${name} is declared twice by ${set.owner}`);
      list.push({ owner: set.owner, m });
      parts.set(name, list);
    }
  }
  const out: Record<string, Migration> = {};
  for (const name of [...parts.keys()].sort()) {
    const list = parts.get(name)!;
    out[name] =
      list.length === 1
        ? list[0]!.m
        : {
            async up(db: Kysely<any>) {
              for (const p of list) await p.m.up(db);
            },
          };
  }
  return out;
}

/**
 * Applies every pending migration of `sets`; throws with the failing migration's name. On
 * PostgreSQL, `schema` names the schema holding Kysely's migration tables (needed when several
 * Siyu schemas share one database: Kysely otherwise finds another schema's lock table).
 */
export async function migrateToLatest(
  db: Kysely<any>,
  engine: Engine,
  sets: (engine: Engine) => readonly MigrationSet[],
  opts: { schema?: string } = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => composeMigrations(sets(engine)) } satisfies MigrationProvider,
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const name = failed ? ` (${failed.migrationName})` : '';
    throw new Error(`migration failed${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
