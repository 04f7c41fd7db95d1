import { type Kysely, type Selectable, sql } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import type { ConsentEntry, ProfileState } from './identity-graph.js';
import { type CdpDB, cdpDb, type ProfilesTable } from './schema.js';

/** Splits a list into chunks so no statement exceeds the engine's bound-parameter limit. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Converts a profiles row (plus its identity rows, keyed form) to the ingest path's state. */
export function rowToState(r: Selectable<ProfilesTable>, identifiers: { type: string; value: string }[]): ProfileState {
  return {
    id: r.id,
    identifiers,
    traits: parseJson<Record<string, unknown>>(r.traits),
    traitTimes: parseJson<Record<string, number>>(r.trait_times),
    consent: parseJson<Record<string, ConsentEntry>>(r.consent),
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at,
    orderCount: r.order_count,
    totalSpentFen: r.total_spent_fen,
    grossSpentFen: r.gross_spent_fen,
    refundedFen: r.refunded_fen,
    firstPurchaseAt: r.first_purchase_at,
    lastPurchaseAt: r.last_purchase_at,
    createdAt: r.created_at,
  };
}

/** Converts a profile state to a row for insert/upsert. */
export function stateToRow(workspaceId: string, p: ProfileState, now: number, mergedInto: string | null = null) {
  return {
    workspace_id: workspaceId,
    id: p.id,
    merged_into: mergedInto,
    traits: JSON.stringify(p.traits),
    trait_times: JSON.stringify(p.traitTimes),
    consent: JSON.stringify(p.consent),
    first_seen_at: p.firstSeenAt,
    last_seen_at: p.lastSeenAt,
    order_count: p.orderCount,
    total_spent_fen: p.totalSpentFen,
    gross_spent_fen: p.grossSpentFen,
    refunded_fen: p.refundedFen,
    first_purchase_at: p.firstPurchaseAt,
    last_purchase_at: p.lastPurchaseAt,
    created_at: p.createdAt,
    updated_at: now,
  };
}

/**
 * Loads profiles with their identifiers, locking the rows on PostgreSQL (`FOR UPDATE`) so
 * concurrent writers in other processes serialise per profile. Returns rows keyed by id.
 */
export async function loadProfilesForUpdate(
  db: Kysely<CdpDB>,
  dialect: Dialect,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, { row: Selectable<ProfilesTable>; identifiers: { type: string; value: string }[] }>> {
  const out = new Map<string, { row: Selectable<ProfilesTable>; identifiers: { type: string; value: string }[] }>();
  if (ids.length === 0) return out;
  // Sorted so that concurrent lockers take row locks in one order (fewer deadlocks).
  const sorted = [...new Set(ids)].sort();
  for (const part of chunks(sorted, 5000)) {
    let q = db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', part).orderBy('id');
    q = dialect.forUpdate(q);
    for (const row of await q.execute()) out.set(row.id, { row, identifiers: [] });
    const idRows = await db
      .selectFrom('identities')
      .select(['profile_id', 'id_type', 'id_key'])
      .where('workspace_id', '=', workspaceId)
      .where('profile_id', 'in', part)
      .execute();
    for (const r of idRows) out.get(r.profile_id)?.identifiers.push({ type: r.id_type, value: r.id_key });
  }
  return out;
}

/** Follows a merged profile id to the live profile it redirects to (redirects are kept flat); undefined if there is no such profile. */
export async function resolveProfileId<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, id: string): Promise<string | undefined> {
  const db = cdpDb(handle);
  const row = await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return row.merged_into ?? row.id;
}

/** The live id of each stored profile id among `ids` (merged ids redirected to their survivor); ids with no profile are absent. */
export async function liveProfileIds<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, ids: readonly string[]): Promise<Map<string, string>> {
  const db = cdpDb(handle);
  const out = new Map<string, string>();
  for (const part of chunks([...ids], 500)) {
    const rows = await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, r.merged_into ?? r.id);
  }
  return out;
}

/**
 * Locks a live profile row for the rest of the caller's transaction by touching `updated_at`;
 * false if the profile does not exist or was merged away. An UPDATE takes the row lock on
 * PostgreSQL (it conflicts with the ingest writer's `FOR UPDATE`, and re-checks `merged_into`
 * after waiting) and the write lock up front on SQLite, so one pattern serves both engines.
 */
export async function lockLiveProfile(db: Kysely<CdpDB>, workspaceId: string, id: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('profiles')
    .set({ updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('merged_into', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * Resolves a profile id (possibly merged away) to its live id and locks that row for the
 * caller's transaction (see lockLiveProfile); undefined if there is no such profile. A merge
 * landing between resolving and locking is seen by the next resolve.
 */
export async function lockProfileFollowingMerges<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileId: string,
  now: number,
): Promise<string | undefined> {
  const db = cdpDb(handle);
  let id = profileId;
  for (let attempt = 0; attempt < 3; attempt++) {
    const live = await resolveProfileId(db, workspaceId, id);
    if (live === undefined) return undefined;
    if (await lockLiveProfile(db, workspaceId, live, now)) return live;
    id = live;
  }
  return undefined;
}

/** Writes a profile's traits and their times. */
export async function writeTraits<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  id: string,
  traits: Record<string, unknown>,
  traitTimes: Record<string, number>,
  now: number,
): Promise<void> {
  const db = cdpDb(handle);
  await db
    .updateTable('profiles')
    .set({ traits: JSON.stringify(traits), trait_times: JSON.stringify(traitTimes), updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
}

/** One profile's whole traits and trait times, for {@link writeTraitsMany}. */
export interface TraitsRow {
  id: string;
  traits: Record<string, unknown>;
  traitTimes: Record<string, number>;
}

/**
 * Writes many profiles' traits and their times (rows the caller has locked and read): one
 * statement on PostgreSQL (an UPDATE … FROM unnest of the three arrays), one prepared UPDATE per
 * profile on SQLite (in-process, where a statement costs microseconds).
 */
export async function writeTraitsMany<D extends CdpDB>(
  handle: Kysely<D>,
  dialect: Dialect,
  workspaceId: string,
  rows: readonly TraitsRow[],
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  if (dialect.engine !== 'postgres') {
    for (const r of rows) await writeTraits(handle, workspaceId, r.id, r.traits, r.traitTimes, now);
    return;
  }
  const ids = rows.map((r) => r.id);
  const traits = rows.map((r) => JSON.stringify(r.traits));
  const times = rows.map((r) => JSON.stringify(r.traitTimes));
  await sql`update profiles set traits = u.traits::jsonb, trait_times = u.trait_times::jsonb, updated_at = ${now}
    from unnest(${ids}::text[], ${traits}::text[], ${times}::text[]) as u(id, traits, trait_times)
    where profiles.workspace_id = ${workspaceId} and profiles.id = u.id`.execute(handle);
}

/**
 * Locks and reads the traits of the live profiles among `ids` (FOR UPDATE on PostgreSQL, in id
 * order; SQLite's transactions are serial), for a caller that changes a few traits of many
 * profiles and writes them back with {@link writeTraitsMany} in the same transaction (loyalty's
 * trait mirror). Profiles merged away or unknown are absent.
 */
export async function lockTraitsMany<D extends CdpDB>(handle: Kysely<D>, dialect: Dialect, workspaceId: string, ids: readonly string[]): Promise<TraitsRow[]> {
  const db = cdpDb(handle);
  const out: TraitsRow[] = [];
  for (const part of chunks([...new Set(ids)].sort(), 500)) {
    const q = db
      .selectFrom('profiles')
      .select(['id', 'traits', 'trait_times'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', part)
      .where('merged_into', 'is', null)
      .orderBy('id');
    for (const r of await dialect.forUpdate(q).execute())
      out.push({ id: r.id, traits: parseJson<Record<string, unknown>>(r.traits), traitTimes: parseJson<Record<string, number>>(r.trait_times) });
  }
  return out;
}

/** Ids of the profiles merged into each of several live profiles (those with none are absent), one query per 500. */
export async function mergedIdsOfMany<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, profileIds: readonly string[]): Promise<Map<string, string[]>> {
  const db = cdpDb(handle);
  const out = new Map<string, string[]>();
  for (const part of chunks([...new Set(profileIds)], 500)) {
    const rows = await db
      .selectFrom('profiles')
      .select(['id', 'merged_into'])
      .where('workspace_id', '=', workspaceId)
      .where('merged_into', 'in', part)
      .execute();
    for (const r of rows) out.set(r.merged_into!, [...(out.get(r.merged_into!) ?? []), r.id]);
  }
  return out;
}

/** Ids of the profiles merged into a live profile. */
export async function mergedIdsOf<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, profileId: string): Promise<string[]> {
  const db = cdpDb(handle);
  // Sorted here, not in SQL: with `order by id` SQLite walks the primary key over the whole
  // workspace instead of the (workspace_id, merged_into) index (17 ms a call at 8,000 profiles, a
  // few ids either way; the dispatcher asks once per message for consent).
  const rows = await db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('merged_into', '=', profileId).execute();
  return rows.map((r) => r.id).sort();
}
