import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import type { ProfileState } from './identity-graph.js';
import { chunks, rowToState } from './profiles.repo.js';
import { type CdpDB, cdpDb } from './schema.js';

// Reads of profiles for other modules (journeys, messaging, broadcasts, scrm). Merged-away
// profiles keep a row with `merged_into` set; "live" means not merged away.

/** A profile's state by exact id (identifiers not loaded), merged or not; undefined if there is no such row. */
export async function loadProfileState<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, id: string): Promise<ProfileState | undefined> {
  const db = cdpDb(handle);
  const row = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return row && rowToState(row, []);
}

/**
 * The live profile an id stands for (following one merge redirect), with its state (identifiers
 * not loaded); undefined if there is none.
 */
export async function loadLiveProfileState<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, id: string): Promise<ProfileState | undefined> {
  const db = cdpDb(handle);
  const read = (pid: string) => db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', pid).executeTakeFirst();
  let row = await read(id);
  if (row?.merged_into) row = await read(row.merged_into);
  if (!row || row.merged_into) return undefined;
  return rowToState(row, []);
}

/** The traits of each profile among `ids` (merged or not); ids with no row are absent. */
export async function profileTraits<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const db = cdpDb(handle);
  const out = new Map<string, Record<string, unknown>>();
  for (const part of chunks([...ids], 5000)) {
    const rows = await db.selectFrom('profiles').select(['id', 'traits']).where('workspace_id', '=', workspaceId).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, parseJson(r.traits));
  }
  return out;
}

/**
 * A page of live profiles by id (after `after`, at most `limit`) with one trait read as text,
 * keeping those for which `where(value)` holds (a SQL prefilter on the trait text).
 */
export async function pageLiveProfilesByTrait<D extends CdpDB>(
  handle: Kysely<D>,
  dialect: Dialect,
  workspaceId: string,
  q: { trait: string; after: string; limit: number; where: (value: RawBuilder<string | null>) => RawBuilder<unknown> },
): Promise<{ id: string; value: string | null }[]> {
  const db = cdpDb(handle);
  const text = dialect.jsonText('p.traits', q.trait);
  const rows = await sql<{ id: string; v: string | null }>`select p.id, ${text} as v from profiles as p
      where p.workspace_id = ${workspaceId} and p.merged_into is null and p.id > ${q.after} and ${q.where(text)} order by p.id limit ${q.limit}`.execute(db);
  return rows.rows.map((r) => ({ id: r.id, value: r.v }));
}

/**
 * The ids among `ids` (non-empty) of the profiles for which `condition` holds, a SQL condition over
 * `profiles as p` (a segment rule compiled by segments, say).
 */
export async function filterProfileIds<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  ids: readonly string[],
  condition: RawBuilder<unknown>,
): Promise<string[]> {
  const db = cdpDb(handle);
  const rows = await sql<{
    id: string;
  }>`select p.id from profiles as p where p.workspace_id = ${workspaceId} and p.id in (${sql.join([...ids])}) and ${condition}`.execute(db);
  return rows.rows.map((r) => r.id);
}

/**
 * The live profiles of a workspace as a query of their ids, for the caller to join (as a derived
 * table, which both engines flatten into the join): `.innerJoin(liveProfilesQuery(db, ws).as('p'), 'p.id', 'm.profile_id')`.
 */
export function liveProfilesQuery<D extends CdpDB>(handle: Kysely<D>, workspaceId: string) {
  const db = cdpDb(handle);
  return db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('merged_into', 'is', null);
}
