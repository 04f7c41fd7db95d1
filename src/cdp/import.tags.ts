/**
 * Tags from an import's `tags` column, attached a chunk at a time in a few statements. Tagging row
 * by row (`addTagsToProfile`: ~10 statements a profile) held the writer for seconds per 250-row
 * chunk on PostgreSQL (measured: tracking calls waited up to 13 s during a 10,000-profile import
 * with tags); in bulk a chunk is ~8 statements.
 */
import type { Kysely } from 'kysely';
import type { PiiCipher } from '../platform/crypto.js';
import { newId } from '../platform/ids.js';
import { storedKey, type RuleBook } from './identifiers.js';
import { profilesByIdentifier } from './identities.repo.js';
import type { ImportTag } from './import.rows.js';
import type { StagedRow } from './import.spool.js';
import { chunks, lockProfileFollowingMerges } from './profiles.repo.js';
import type { CdpDB } from './schema.js';
import { DEFAULT_TAG_GROUP } from './tags.service.js';

/** What tagging needs besides the transaction. */
export interface TaggingContext {
  rules: RuleBook;
  cipher: PiiCipher;
  now: number;
}

/**
 * Attaches each row's tags (source "import") to the profile its identifiers resolve to now: the
 * owner of its highest-priority identifier. Tags a profile already holds keep their source.
 * Returns how many profiles were tagged.
 */
export async function tagProfiles(trx: Kysely<CdpDB>, ctx: TaggingContext, ws: string, chunk: StagedRow[]): Promise<number> {
  const rows = chunk.filter((c) => c.tags.length > 0);
  if (rows.length === 0) return 0;
  const tagsOf = await owners(trx, ctx, ws, rows);
  const live = await lockProfiles(trx, ws, [...tagsOf.keys()], ctx.now);
  const tagIds = await ensureTags(trx, ws, [...tagsOf.values()].flat(), ctx.now);
  const links = new Map<string, { profile_id: string; tag_id: string }>();
  for (const [pid, tags] of tagsOf) {
    const to = live.get(pid);
    if (to === undefined) continue; // erased meanwhile
    for (const t of tags) {
      const tagId = tagIds.get(tagKey(t))!;
      links.set(`${to}\u0000${tagId}`, { profile_id: to, tag_id: tagId });
    }
  }
  // 5 parameters a row: 100 rows stay far below SQLite's bound-parameter limit.
  for (const part of chunks([...links.values()], 100)) {
    await trx
      .insertInto('profile_tags')
      .values(part.map((l) => ({ workspace_id: ws, ...l, source: 'import' as const, created_at: ctx.now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'profile_id', 'tag_id']).doNothing())
      .execute();
  }
  return new Set([...tagsOf.keys()].map((p) => live.get(p)).filter((p) => p !== undefined)).size;
}

/** Each row's tags by the profile that owns its highest-priority identifier. */
async function owners(trx: Kysely<CdpDB>, ctx: TaggingContext, ws: string, rows: StagedRow[]): Promise<Map<string, ImportTag[]>> {
  const keyOf = (type: string, value: string) => storedKey(ctx.rules, ctx.cipher, type, value);
  const byType = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const id of r.event.identifiers) {
      const set = byType.get(id.type) ?? new Set<string>();
      set.add(keyOf(id.type, id.value));
      byType.set(id.type, set);
    }
  }
  const owner = new Map<string, string>();
  for (const [type, keys] of byType) {
    for (const [key, profileId] of await profilesByIdentifier(trx, ws, type, [...keys])) owner.set(type + '\u0000' + key, profileId);
  }
  const tagsOf = new Map<string, ImportTag[]>();
  for (const r of rows) {
    const pid = r.event.identifiers.map((id) => owner.get(id.type + '\u0000' + keyOf(id.type, id.value))).find((p) => p !== undefined);
    if (pid === undefined) continue; // unreachable once the row is stored; a concurrent erasure is the only way
    tagsOf.set(pid, [...(tagsOf.get(pid) ?? []), ...r.tags]);
  }
  return tagsOf;
}

/**
 * Locks the profiles (as `lockLiveProfile` does, by touching `updated_at`, so a concurrent merge
 * cannot strand the new tags) and maps each to its live id: one statement for those still live,
 * one by one for any merged since their identifiers were read.
 */
async function lockProfiles(trx: Kysely<CdpDB>, ws: string, ids: string[], now: number): Promise<Map<string, string>> {
  const live = new Map<string, string>();
  for (const part of chunks(ids, 500)) {
    const locked = await trx
      .updateTable('profiles')
      .set({ updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      .where('merged_into', 'is', null)
      .returning('id')
      .execute();
    for (const r of locked) live.set(r.id, r.id);
  }
  for (const id of ids) {
    if (live.has(id)) continue;
    const to = await lockProfileFollowingMerges(trx, ws, id, now);
    if (to !== undefined) live.set(id, to);
  }
  return live;
}

const tagKey = (t: ImportTag) => `${t.group ?? DEFAULT_TAG_GROUP}\u0000${t.name}`;

/** The id of every tag named, creating groups and tags that are missing; keyed by `tagKey`. */
async function ensureTags(trx: Kysely<CdpDB>, ws: string, tags: ImportTag[], now: number): Promise<Map<string, string>> {
  const groups = [...new Set(tags.map((t) => t.group ?? DEFAULT_TAG_GROUP))];
  const groupId = new Map<string, string>();
  for (const part of chunks(groups, 100)) {
    await trx
      .insertInto('tag_groups')
      .values(part.map((name) => ({ workspace_id: ws, id: newId('tgr', now), name, created_at: now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
      .execute();
    const rows = await trx.selectFrom('tag_groups').select(['id', 'name']).where('workspace_id', '=', ws).where('name', 'in', part).execute();
    for (const r of rows) groupId.set(r.name, r.id);
  }
  const wanted = new Map<string, { group_id: string; name: string }>();
  for (const t of tags) wanted.set(tagKey(t), { group_id: groupId.get(t.group ?? DEFAULT_TAG_GROUP)!, name: t.name });
  const out = new Map<string, string>();
  const groupName = new Map([...groupId].map(([name, id]) => [id, name]));
  for (const part of chunks([...wanted.values()], 100)) {
    await trx
      .insertInto('tags')
      .values(part.map((t) => ({ workspace_id: ws, id: newId('tag', now), ...t, created_at: now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'group_id', 'name']).doNothing())
      .execute();
    const rows = await trx
      .selectFrom('tags')
      .select(['id', 'group_id', 'name'])
      .where('workspace_id', '=', ws)
      .where('group_id', 'in', [...new Set(part.map((t) => t.group_id))])
      .where('name', 'in', [...new Set(part.map((t) => t.name))])
      .execute();
    for (const r of rows) out.set(`${groupName.get(r.group_id)}\u0000${r.name}`, r.id);
  }
  return out;
}
