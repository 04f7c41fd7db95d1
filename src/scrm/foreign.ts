/**
 * SCRM's reads of other modules' tables, each gathered in one small function so that the owning
 * module's published function can take its place (`owner:` says which module owns the table).
 * SCRM writes none of these tables: profiles, identities, events and tags change only through
 * cdp's functions (the ingest path, addTagsToProfile), segments only through segments'.
 */
import { type Kysely, sql } from 'kysely';
import { type ScrmKysely, scrmDb } from './schema.js';

/** Values per `in (...)` list: well under both engines' bound-parameter limits. */
const IN_CHUNK = 1000;

function chunks<T>(items: readonly T[], size = IN_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// owner: cdp (identities, profiles)
/** The live profile holding an identifier (non-PII type: the key is the value), following merge redirects; throws when none holds it. */
export async function liveProfileOfIdentifier<D>(trx: Kysely<D>, ws: string, type: string, value: string): Promise<string> {
  const db = scrmDb(trx);
  const hit = await db
    .selectFrom('identities')
    .select('profile_id')
    .where('workspace_id', '=', ws)
    .where('id_type', '=', type)
    .where('id_key', '=', value)
    .executeTakeFirst();
  if (!hit) throw new Error(`no profile holds ${type} ${value} after ingest`);
  let id = hit.profile_id;
  for (let i = 0; i < 32; i++) {
    const p = await db.selectFrom('profiles').select('merged_into').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!p?.merged_into) return id;
    id = p.merged_into;
  }
  throw new Error(`profile redirect chain from ${hit.profile_id} is longer than 32`);
}

// owner: cdp (identities)
/**
 * The profile owning each identifier value of one type (non-PII types: the stored key is the
 * value). Identity rows always point at live profiles (a merge moves them to the survivor in the
 * same transaction), so no redirect is followed. Values no profile holds are absent from the map.
 */
export async function profilesByIdentifier<D>(db: Kysely<D>, ws: string, type: string, values: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(values)) {
    const rows = await scrmDb(db)
      .selectFrom('identities')
      .select(['id_key', 'profile_id'])
      .where('workspace_id', '=', ws)
      .where('id_type', '=', type)
      .where('id_key', 'in', part)
      .execute();
    for (const r of rows) out.set(r.id_key, r.profile_id);
  }
  return out;
}

// owner: cdp (identities)
/** The values among `values` that an identifier of `type` holds (non-PII types), looked up 500 at a time. */
export async function identifierValuesHeld<D>(db: Kysely<D>, ws: string, type: string, values: readonly string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (const part of chunks(values, 500)) {
    const rows = await scrmDb(db)
      .selectFrom('identities')
      .select('id_key')
      .where('workspace_id', '=', ws)
      .where('id_type', '=', type)
      .where('id_key', 'in', part)
      .execute();
    for (const r of rows) held.add(r.id_key);
  }
  return held;
}

// owner: cdp (events)
/**
 * Events stored under a message-id prefix (a sync run's identify events, whichever process stored
 * them: a chunk identified just before a crash is stored once and found here).
 */
export async function countEventsWithPrefix<D>(db: Kysely<D>, ws: string, prefix: string): Promise<number> {
  const pattern = prefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
  const row = await scrmDb(db)
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where(sql<boolean>`message_id like ${pattern} escape '\\'`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// owner: cdp (profiles)
/** The live profile id of each stored profile id (one merge redirect followed: `merged_into`, else the id); ids without a row are absent. */
export async function liveProfileIds<D>(db: Kysely<D>, ws: string, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!ids.length) return out;
  const rows = await scrmDb(db).selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', ws).where('id', 'in', ids).execute();
  for (const r of rows) out.set(r.id, r.merged_into ?? r.id);
  return out;
}

// owner: cdp (profile_tags, tags)
/** The names of the Siyu tags on a profile. */
export async function profileTagNames<D>(db: Kysely<D>, ws: string, profileId: string): Promise<string[]> {
  const rows = await scrmDb(db)
    .selectFrom('profile_tags as pt')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'pt.workspace_id').onRef('t.id', '=', 'pt.tag_id'))
    .select('t.name')
    .where('pt.workspace_id', '=', ws)
    .where('pt.profile_id', '=', profileId)
    .execute();
  return rows.map((r) => r.name);
}

// owner: segments (segments)
/** True when the workspace has the segment and it is active. */
export async function isActiveSegment<D>(db: Kysely<D>, ws: string, segmentId: string): Promise<boolean> {
  const seg = await scrmDb(db).selectFrom('segments').select('status').where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  return !!seg && seg.status === 'active';
}

// owner: segments (segment_members)
/** The members `sm` of a segment (profile_id, entered_at), as a query to join SCRM's tables to. */
export function segmentMembers(db: ScrmKysely, ws: string, segmentId: string) {
  return db.selectFrom('segment_members as sm').where('sm.workspace_id', '=', ws).where('sm.segment_id', '=', segmentId);
}

// owner: segments (profile_scores)
/** The RFM cell and lifecycle stage of each profile that has scores. */
export async function profileScores<D>(
  db: Kysely<D>,
  ws: string,
  profileIds: readonly string[],
): Promise<Map<string, { rfm_cell: string | null; lifecycle_stage: string | null }>> {
  if (!profileIds.length) return new Map();
  const rows = await scrmDb(db)
    .selectFrom('profile_scores')
    .select(['profile_id', 'rfm_cell', 'lifecycle_stage'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', profileIds)
    .execute();
  return new Map(rows.map((s) => [s.profile_id, s]));
}
