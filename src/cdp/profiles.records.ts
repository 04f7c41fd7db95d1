import { type Expression, type Kysely, sql } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { ProfileState } from './identity-graph.js';
import { rowToState } from './profiles.repo.js';
import type { CdpDB } from './schema.js';

// Management API reads (profiles.service.ts). Every query is scoped by workspace_id.

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

/** Loads live profiles with identifiers, tags and merged ids, in the order of `ids` (missing ones are skipped). */
export async function loadProfileRecords(db: Kysely<CdpDB>, workspaceId: string, ids: string[]): Promise<ProfileRecord[]> {
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
  // Sorted here, not in SQL: `order by id` makes SQLite walk the whole workspace by primary key
  // instead of the (workspace_id, merged_into) index (see mergedIdsOf).
  const merged = await db
    .selectFrom('profiles')
    .select(['id', 'merged_into'])
    .where('workspace_id', '=', workspaceId)
    .where('merged_into', 'in', live)
    .execute();
  for (const r of merged.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) byId.get(r.merged_into!)?.mergedIds.push(r.id);
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
  /** Subqueries of profile ids (another module's: a segment's members, RFM cells, stages); the id is in each. */
  audience?: Expression<unknown>[];
  /** Return ids greater than this. */
  after?: string;
  limit: number;
}

const likePattern = (s: string) => '%' + s.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';

/** Ids of live profiles matching a filter, ascending. */
export async function listProfileIds(db: Kysely<CdpDB>, dialect: Dialect, workspaceId: string, f: ProfileFilter): Promise<string[]> {
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
  for (const sub of f.audience ?? []) q = q.where(sql<boolean>`${sql.ref('id')} in (${sub})`);
  if (f.after !== undefined) q = q.where('id', '>', f.after);
  const rows = await q.orderBy('id').limit(f.limit).execute();
  return rows.map((r) => r.id);
}
