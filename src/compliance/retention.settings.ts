/**
 * A workspace's retention periods (issue #19): days per kind, or null to keep a kind forever.
 * Stored in `retention_settings` (migration 0044) as the kinds set apart from the default, so a
 * default changed in a later release reaches workspaces that never changed it.
 */
import type { Kysely } from 'kysely';
import { type Database, parseJson } from '../platform/db/database.js';
import { RETENTION_KINDS, type RetentionKind } from '../platform/retention.js';
import { RETENTION_DEFAULTS } from './retention.schemas.js';
import type { ComplianceDB } from './schema.js';

/** Days per kind; null keeps the kind forever. */
export type RetentionPeriods = Record<RetentionKind, number | null>;

const db = (database: Database) => database.db as unknown as Kysely<ComplianceDB>;

/** The workspace's periods: its own where set, the defaults elsewhere. */
export async function readPeriods(database: Database, ws: string): Promise<RetentionPeriods> {
  const row = await db(database).selectFrom('retention_settings').select('periods').where('workspace_id', '=', ws).executeTakeFirst();
  const own = row ? parseJson<Partial<RetentionPeriods>>(row.periods) : {};
  const out = { ...RETENTION_DEFAULTS } as RetentionPeriods;
  for (const k of RETENTION_KINDS) if (own[k] !== undefined) out[k] = own[k];
  return out;
}

/**
 * Saves the workspace's periods (the body is validated against the bounds by the route's schema):
 * a kind left out is its default. Returns the periods now in force.
 */
export async function savePeriods(database: Database, ws: string, periods: Partial<RetentionPeriods>, now: number): Promise<RetentionPeriods> {
  const own: Partial<RetentionPeriods> = {};
  for (const k of RETENTION_KINDS) if (periods[k] !== undefined && periods[k] !== RETENTION_DEFAULTS[k]) own[k] = periods[k];
  await db(database)
    .insertInto('retention_settings')
    .values({ workspace_id: ws, periods: JSON.stringify(own), updated_at: now })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ periods: JSON.stringify(own), updated_at: now }))
    .execute();
  return readPeriods(database, ws);
}
