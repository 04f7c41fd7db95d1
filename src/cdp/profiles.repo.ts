import { type Kysely, type Selectable, sql } from 'kysely';
import { type Dialect, parseJson } from '../platform/db/database.js';
import type { DB, ProfilesTable } from '../platform/db/schema.js';
import type { ConsentEntry, ProfileState } from './identity-graph.js';

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
  db: Kysely<DB>,
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

/** Follows a merged profile id to the live profile it redirects to (redirects are kept flat). */
export async function resolveProfileId(db: Kysely<DB>, workspaceId: string, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return row.merged_into ?? row.id;
}

// ---------------------------------------------------------------------------------------------
// Management API reads and writes (profiles.service.ts). Every query is scoped by workspace_id.

/** A stored identifier of a profile, as kept (PII values still encrypted). */
export interface StoredIdentifier {
  type: string;
  key: string;
  valueEnc: string | null;
  firstSeenAt: number;
}

/** A tag attached to a profile, with its group's name. */
export interface AttachedTag {
  id: string;
  group: string;
  name: string;
  source: 'manual' | 'import' | 'rule' | 'event';
}

/** A live profile with everything the management API shows about it (times in epoch ms). */
export interface ProfileRecord {
  state: ProfileState;
  storedIdentifiers: StoredIdentifier[];
  tags: AttachedTag[];
  mergedIds: string[];
  updatedAt: number;
}

/** The profile owning an identifier (`key` is the stored form: value, or keyed hash for PII). */
export async function findProfileByIdentifier(db: Kysely<DB>, workspaceId: string, type: string, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('identities')
    .select('profile_id')
    .where('workspace_id', '=', workspaceId)
    .where('id_type', '=', type)
    .where('id_key', '=', key)
    .executeTakeFirst();
  return row?.profile_id;
}

/**
 * Locks a live profile row for the rest of the caller's transaction by touching `updated_at`;
 * false if the profile does not exist or was merged away. An UPDATE takes the row lock on
 * PostgreSQL (it conflicts with the ingest writer's `FOR UPDATE`, and re-checks `merged_into`
 * after waiting) and the write lock up front on SQLite, so one pattern serves both engines.
 */
export async function lockLiveProfile(db: Kysely<DB>, workspaceId: string, id: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('profiles')
    .set({ updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('merged_into', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Writes a profile's traits and their times. */
export async function writeTraits(
  db: Kysely<DB>,
  workspaceId: string,
  id: string,
  traits: Record<string, unknown>,
  traitTimes: Record<string, number>,
  now: number,
): Promise<void> {
  await db
    .updateTable('profiles')
    .set({ traits: JSON.stringify(traits), trait_times: JSON.stringify(traitTimes), updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
}

/** Loads live profiles with identifiers, tags and merged ids, in the order of `ids` (missing ones are skipped). */
export async function loadProfileRecords(db: Kysely<DB>, workspaceId: string, ids: string[]): Promise<ProfileRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('profiles')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .where('merged_into', 'is', null)
    .execute();
  const byId = new Map<string, ProfileRecord>();
  for (const r of rows) byId.set(r.id, { state: rowToState(r, []), storedIdentifiers: [], tags: [], mergedIds: [], updatedAt: r.updated_at });
  const live = [...byId.keys()];
  if (live.length === 0) return [];
  const idRows = await db
    .selectFrom('identities')
    .select(['profile_id', 'id_type', 'id_key', 'value_enc', 'first_seen_at'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', 'in', live)
    .orderBy('first_seen_at')
    .orderBy('id_type')
    .orderBy('id_key')
    .execute();
  for (const r of idRows)
    byId.get(r.profile_id)?.storedIdentifiers.push({ type: r.id_type, key: r.id_key, valueEnc: r.value_enc, firstSeenAt: r.first_seen_at });
  const tagRows = await db
    .selectFrom('profile_tags as pt')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'pt.workspace_id').onRef('t.id', '=', 'pt.tag_id'))
    .innerJoin('tag_groups as g', (j) => j.onRef('g.workspace_id', '=', 't.workspace_id').onRef('g.id', '=', 't.group_id'))
    .select(['pt.profile_id', 't.id', 't.name', 'g.name as group_name', 'pt.source'])
    .where('pt.workspace_id', '=', workspaceId)
    .where('pt.profile_id', 'in', live)
    .orderBy('g.name')
    .orderBy('t.name')
    .execute();
  for (const r of tagRows) byId.get(r.profile_id)?.tags.push({ id: r.id, group: r.group_name, name: r.name, source: r.source });
  const merged = await db
    .selectFrom('profiles')
    .select(['id', 'merged_into'])
    .where('workspace_id', '=', workspaceId)
    .where('merged_into', 'in', live)
    .orderBy('id')
    .execute();
  for (const r of merged) byId.get(r.merged_into!)?.mergedIds.push(r.id);
  return ids.map((id) => byId.get(id)).filter((r): r is ProfileRecord => r !== undefined);
}

/** Filters for listing profiles; the service resolves references to stored forms first. */
export interface ProfileFilter {
  /** Holds this identifier (stored form). */
  identifier?: { type: string; key: string };
  /** Each trait, read as text, equals the value. */
  traits: [key: string, value: string][];
  /** For each set, the profile holds at least one of its tags. */
  tagSets: string[][];
  /** Free-text search: id, identifier keys, or name-like traits containing the text. */
  q?: { text: string; identifiers: { type: string; key: string }[]; traitKeys: string[] };
  /** Return ids greater than this. */
  after?: string;
  limit: number;
}

const likePattern = (s: string) => '%' + s.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';

/** Ids of live profiles matching a filter, ascending. */
export async function listProfileIds(db: Kysely<DB>, dialect: Dialect, workspaceId: string, f: ProfileFilter): Promise<string[]> {
  let q = db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('merged_into', 'is', null);
  if (f.identifier) {
    const { type, key } = f.identifier;
    q = q.where(
      'id',
      'in',
      db.selectFrom('identities').select('profile_id').where('workspace_id', '=', workspaceId).where('id_type', '=', type).where('id_key', '=', key),
    );
  }
  for (const [key, value] of f.traits) {
    // Cast: SQLite's json_extract returns numbers as numbers, which never equal a text value.
    q = q.where(sql<string>`cast(${dialect.jsonText('traits', key)} as text)`, '=', value);
  }
  for (const set of f.tagSets) {
    q = q.where('id', 'in', db.selectFrom('profile_tags').select('profile_id').where('workspace_id', '=', workspaceId).where('tag_id', 'in', set));
  }
  if (f.q) {
    const { text, identifiers, traitKeys } = f.q;
    const pattern = likePattern(text);
    q = q.where((eb) =>
      eb.or([
        eb('id', '=', text),
        ...(identifiers.length
          ? [
              eb(
                'id',
                'in',
                db
                  .selectFrom('identities')
                  .select('profile_id')
                  .where('workspace_id', '=', workspaceId)
                  .where((ib) => ib.or(identifiers.map((i) => ib.and([ib('id_type', '=', i.type), ib('id_key', '=', i.key)])))),
              ),
            ]
          : []),
        ...traitKeys.map((k) => eb(sql<string>`lower(cast(${dialect.jsonText('traits', k)} as text))`, 'like', sql<string>`${pattern} escape '\\'`)),
      ]),
    );
  }
  if (f.after !== undefined) q = q.where('id', '>', f.after);
  const rows = await q.orderBy('id').limit(f.limit).execute();
  return rows.map((r) => r.id);
}

/** A stored event as the timeline shows it. */
export interface TimelineRow {
  messageId: string;
  type: string;
  event: string | null;
  timestamp: number;
  receivedAt: number;
  payload: Record<string, unknown>;
}

/**
 * Another domain's items on the profile timeline (segment membership, ...): rows newest first
 * (timestamp, then message id, descending) strictly before `before`, at most `limit`, for the
 * given profile ids (the profile and those merged into it).
 */
export type TimelineSource = (
  db: Kysely<DB>,
  workspaceId: string,
  profileIds: string[],
  opts: { limit: number; before?: { timestamp: number; messageId: string }; type?: string; event?: string },
) => Promise<TimelineRow[]>;

/** A profile's events newest first (timestamp, then message id, descending), after a position. */
export async function listTimeline(
  db: Kysely<DB>,
  workspaceId: string,
  profileId: string,
  opts: { limit: number; before?: { timestamp: number; messageId: string }; type?: string; event?: string },
): Promise<TimelineRow[]> {
  let q = db
    .selectFrom('events')
    .select(['message_id', 'type', 'event', 'timestamp', 'received_at', 'payload'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId);
  if (opts.type !== undefined) q = q.where('type', '=', opts.type);
  if (opts.event !== undefined) q = q.where('event', '=', opts.event);
  const before = opts.before;
  if (before) {
    q = q.where((eb) =>
      eb.or([eb('timestamp', '<', before.timestamp), eb.and([eb('timestamp', '=', before.timestamp), eb('message_id', '<', before.messageId)])]),
    );
  }
  const rows = await q.orderBy('timestamp', 'desc').orderBy('message_id', 'desc').limit(opts.limit).execute();
  return rows.map((r) => ({
    messageId: r.message_id,
    type: r.type,
    event: r.event,
    timestamp: r.timestamp,
    receivedAt: r.received_at,
    payload: parseJson<Record<string, unknown>>(r.payload),
  }));
}

/** A merge-history record. */
export interface MergeRow {
  id: string;
  kind: 'merge' | 'refused';
  fromProfileId: string;
  intoProfileId: string;
  identifierType: string;
  reason: string;
  messageId: string | null;
  at: number;
}

/** Merge records that involve any of `profileIds`, newest first (time, then id, descending), after a position. */
export async function listMerges(
  db: Kysely<DB>,
  workspaceId: string,
  profileIds: string[],
  opts: { limit: number; before?: { at: number; id: string } },
): Promise<MergeRow[]> {
  let q = db
    .selectFrom('profile_merges')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('into_profile_id', 'in', profileIds), eb('from_profile_id', 'in', profileIds)]));
  const before = opts.before;
  if (before) q = q.where((eb) => eb.or([eb('created_at', '<', before.at), eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)])]));
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    fromProfileId: r.from_profile_id,
    intoProfileId: r.into_profile_id,
    identifierType: r.id_type,
    reason: r.reason,
    messageId: r.message_id,
    at: r.created_at,
  }));
}

/**
 * Resolves a profile id (possibly merged away) to its live id and locks that row for the
 * caller's transaction (see lockLiveProfile); undefined if there is no such profile. A merge
 * landing between resolving and locking is seen by the next resolve.
 */
export async function lockProfileFollowingMerges(db: Kysely<DB>, workspaceId: string, profileId: string, now: number): Promise<string | undefined> {
  let id = profileId;
  for (let attempt = 0; attempt < 3; attempt++) {
    const live = await resolveProfileId(db, workspaceId, id);
    if (live === undefined) return undefined;
    if (await lockLiveProfile(db, workspaceId, live, now)) return live;
    id = live;
  }
  return undefined;
}

/** Ids of the profiles merged into a live profile. */
export async function mergedIdsOf(db: Kysely<DB>, workspaceId: string, profileId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('profiles')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('merged_into', '=', profileId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}
