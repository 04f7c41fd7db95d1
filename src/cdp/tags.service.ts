import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { type Kysely, sql } from 'kysely';
import { CdpError } from './errors.js';
import { newId } from '../platform/ids.js';
import { type AttachedTag, loadProfileRecords } from './profiles.records.js';
import { lockProfileFollowingMerges } from './profiles.repo.js';
import { type CdpDB, cdpDb } from './schema.js';

/**
 * The tag catalogue (groups of tags, like WeCom's customer tag groups) and tags on profiles.
 * Tag SQL lives here rather than in a repo file: it is small and used by nothing else.
 */

/** A tag group with the number of tags in it. */
export interface TagGroup {
  id: string;
  name: string;
  tagCount: number;
  createdAt: string;
}

/** A catalogue tag with the number of profiles holding it. */
export interface Tag {
  id: string;
  groupId: string;
  group: string;
  name: string;
  profileCount: number;
  createdAt: string;
}

/** A tag named in a request: an existing tag by id, or a group/name pair created if missing. */
export type TagInput = { id: string; group?: undefined; name?: undefined } | { id?: undefined; group?: string; name: string };

/** Where a profile's tag came from. */
export type TagSource = AttachedTag['source'];

/** The group used when a tag is named without one. */
export const DEFAULT_TAG_GROUP = 'default';

const MAX_NAME = 64;

/** Trims a group or tag name and checks it is 1 to 64 characters; `where` names the field in errors. */
export function validName(where: string, raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME) {
    throw new CdpError('VALIDATION_FAILED', `${where} must be 1 to ${MAX_NAME} characters after trimming spaces; got ${JSON.stringify(raw)}`);
  }
  return name;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs `fn` in the caller's transaction if `db` is one, else in a new transaction. */
function inTransaction<T>(db: Kysely<CdpDB>, fn: (trx: Kysely<CdpDB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

async function groupById(db: Kysely<CdpDB>, ws: string, id: string) {
  const g = await db.selectFrom('tag_groups').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!g) throw new CdpError('TAG_GROUP_NOT_FOUND', `no tag group ${id} in this workspace`);
  return g;
}

async function tagById(db: Kysely<CdpDB>, ws: string, id: string) {
  const t = await db.selectFrom('tags').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!t) throw new CdpError('TAG_NOT_FOUND', `no tag ${id} in this workspace`);
  return t;
}

/** Lists the workspace's tag groups by name, with their tag counts. */
export async function listTagGroups(db: Kysely<CdpDB>, ws: string, page: { limit?: number; cursor?: string } = {}): Promise<Page<TagGroup>> {
  const limit = page.limit ?? 1000;
  let q = db
    .selectFrom('tag_groups as g')
    .leftJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'g.workspace_id').onRef('t.group_id', '=', 'g.id'))
    .select(['g.id', 'g.name', 'g.created_at', (eb) => eb.fn.count<number>('t.id').as('n')])
    .where('g.workspace_id', '=', ws);
  if (page.cursor) q = q.where(keysetAfter(['g.name', 'g.id'], 'asc', decodeCursor(page.cursor, ['s', 's'])));
  const rows = await q
    .groupBy(['g.id', 'g.name', 'g.created_at'])
    .orderBy('g.name')
    .orderBy('g.id')
    .limit(limit + 1)
    .execute();
  return pageOf(
    rows,
    limit,
    (r) => ({ id: r.id, name: r.name, tagCount: Number(r.n), createdAt: iso(r.created_at) }),
    (r) => [r.name, r.id],
  );
}

/** Creates a tag group; 409 CONFLICT if the name is taken. */
export async function createTagGroup(db: Kysely<CdpDB>, ws: string, rawName: unknown, now: number): Promise<TagGroup> {
  const name = validName('name', rawName);
  const id = newId('tgr', now);
  const inserted = await db
    .insertInto('tag_groups')
    .values({ workspace_id: ws, id, name, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .returning('id')
    .execute();
  if (inserted.length === 0) throw new CdpError('CONFLICT', `a tag group named "${name}" already exists`);
  return { id, name, tagCount: 0, createdAt: iso(now) };
}

/** Renames a tag group; 409 CONFLICT if another group has the name. */
export async function renameTagGroup(db: Kysely<CdpDB>, ws: string, id: string, rawName: unknown): Promise<TagGroup> {
  const name = validName('name', rawName);
  await groupById(db, ws, id);
  const conflict = () => new CdpError('CONFLICT', `another tag group is already named "${name}"`);
  const taken = async () =>
    !!(await db.selectFrom('tag_groups').select('id').where('workspace_id', '=', ws).where('name', '=', name).where('id', '!=', id).executeTakeFirst());
  if (await taken()) throw conflict();
  try {
    await db.updateTable('tag_groups').set({ name }).where('workspace_id', '=', ws).where('id', '=', id).execute();
  } catch (err) {
    // A concurrent rename took the name between the check and the update.
    if (await taken()) throw conflict();
    throw err;
  }
  return (await listTagGroups(db, ws, { limit: 100_000 })).data.find((g) => g.id === id)!;
}

/** Deletes a tag group; with tags in it, 409 CONFLICT unless `force`, which deletes them (and removes them from profiles) too. */
export async function deleteTagGroup(db: Kysely<CdpDB>, ws: string, id: string, force: boolean): Promise<void> {
  await inTransaction(db, async (trx) => {
    await groupById(trx, ws, id);
    const tags = trx.selectFrom('tags').select('id').where('workspace_id', '=', ws).where('group_id', '=', id);
    const n = Number(
      (
        await trx
          .selectFrom('tags')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', ws)
          .where('group_id', '=', id)
          .executeTakeFirstOrThrow()
      ).n,
    );
    if (n > 0 && !force) {
      throw new CdpError(
        'CONFLICT',
        `tag group ${id} still has ${n} tag(s); delete them first or repeat with ?force=true to delete them and remove them from profiles`,
      );
    }
    await trx.deleteFrom('profile_tags').where('workspace_id', '=', ws).where('tag_id', 'in', tags).execute();
    await trx.deleteFrom('tags').where('workspace_id', '=', ws).where('group_id', '=', id).execute();
    await trx.deleteFrom('tag_groups').where('workspace_id', '=', ws).where('id', '=', id).execute();
  });
}

/** Lists tags with the number of profiles holding each, optionally in one group (by id or name). */
export async function listTags(db: Kysely<CdpDB>, ws: string, group?: string, page: { limit?: number; cursor?: string } = {}): Promise<Page<Tag>> {
  const limit = page.limit ?? 1000;
  let q = db
    .selectFrom('tags as t')
    .innerJoin('tag_groups as g', (j) => j.onRef('g.workspace_id', '=', 't.workspace_id').onRef('g.id', '=', 't.group_id'))
    .leftJoin('profile_tags as pt', (j) => j.onRef('pt.workspace_id', '=', 't.workspace_id').onRef('pt.tag_id', '=', 't.id'))
    .select(['t.id', 't.group_id', 'g.name as group_name', 't.name', 't.created_at', (eb) => eb.fn.count<number>('pt.profile_id').as('n')])
    .where('t.workspace_id', '=', ws);
  if (group !== undefined) {
    const g = await db
      .selectFrom('tag_groups')
      .select('id')
      .where('workspace_id', '=', ws)
      .where((eb) => eb.or([eb('id', '=', group), eb('name', '=', group.trim())]))
      .executeTakeFirst();
    if (!g) throw new CdpError('TAG_GROUP_NOT_FOUND', `no tag group with id or name "${group}" in this workspace`);
    q = q.where('t.group_id', '=', g.id);
  }
  if (page.cursor) q = q.where(keysetAfter(['g.name', 't.name', 't.id'], 'asc', decodeCursor(page.cursor, ['s', 's', 's'])));
  const rows = await q
    .groupBy(['t.id', 't.group_id', 'g.name', 't.name', 't.created_at'])
    .orderBy('g.name')
    .orderBy('t.name')
    .orderBy('t.id')
    .limit(limit + 1)
    .execute();
  return pageOf(
    rows,
    limit,
    (r) => ({ id: r.id, groupId: r.group_id, group: r.group_name, name: r.name, profileCount: Number(r.n), createdAt: iso(r.created_at) }),
    (r) => [r.group_name, r.name, r.id],
  );
}

async function getTag(db: Kysely<CdpDB>, ws: string, id: string): Promise<Tag> {
  const t = await tagById(db, ws, id);
  const g = await groupById(db, ws, t.group_id);
  const n = await db
    .selectFrom('profile_tags')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', ws)
    .where('tag_id', '=', id)
    .executeTakeFirstOrThrow();
  return { id: t.id, groupId: t.group_id, group: g.name, name: t.name, profileCount: Number(n.n), createdAt: iso(t.created_at) };
}

/** The id of the group with this (valid) name, creating it if missing. */
async function ensureGroup(db: Kysely<CdpDB>, ws: string, name: string, now: number): Promise<string> {
  await db
    .insertInto('tag_groups')
    .values({ workspace_id: ws, id: newId('tgr', now), name, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .execute();
  return (await db.selectFrom('tag_groups').select('id').where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirstOrThrow()).id;
}

/** Creates a tag in a group given by id or by name (created if missing; "default" if neither); 409 CONFLICT if the group has the name. */
export async function createTag(db: Kysely<CdpDB>, ws: string, input: { name: unknown; group?: unknown; groupId?: string }, now: number): Promise<Tag> {
  const name = validName('name', input.name);
  if (input.group !== undefined && input.groupId !== undefined) throw new CdpError('VALIDATION_FAILED', 'give either group (a name) or groupId, not both');
  const groupId =
    input.groupId !== undefined
      ? (await groupById(db, ws, input.groupId)).id
      : await ensureGroup(db, ws, validName('group', input.group ?? DEFAULT_TAG_GROUP), now);
  const id = newId('tag', now);
  const inserted = await db
    .insertInto('tags')
    .values({ workspace_id: ws, id, group_id: groupId, name, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'group_id', 'name']).doNothing())
    .returning('id')
    .execute();
  if (inserted.length === 0) throw new CdpError('CONFLICT', `the group already has a tag named "${name}"`);
  return getTag(db, ws, id);
}

/** Renames a tag; 409 CONFLICT if its group already has a tag with the new name. */
export async function renameTag(db: Kysely<CdpDB>, ws: string, id: string, rawName: unknown): Promise<Tag> {
  const name = validName('name', rawName);
  const tag = await tagById(db, ws, id);
  const conflict = () => new CdpError('CONFLICT', `the group already has another tag named "${name}"`);
  const taken = async () =>
    !!(await db
      .selectFrom('tags')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('group_id', '=', tag.group_id)
      .where('name', '=', name)
      .where('id', '!=', id)
      .executeTakeFirst());
  if (await taken()) throw conflict();
  try {
    await db.updateTable('tags').set({ name }).where('workspace_id', '=', ws).where('id', '=', id).execute();
  } catch (err) {
    if (await taken()) throw conflict();
    throw err;
  }
  return getTag(db, ws, id);
}

/** Deletes a tag from the catalogue and from every profile holding it. */
export async function deleteTag(db: Kysely<CdpDB>, ws: string, id: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    await tagById(trx, ws, id);
    await trx.deleteFrom('profile_tags').where('workspace_id', '=', ws).where('tag_id', '=', id).execute();
    await trx.deleteFrom('tags').where('workspace_id', '=', ws).where('id', '=', id).execute();
  });
}

/**
 * The tag ids a filter reference names: a tag id (`tag_...`) or `group/name` (a bare name means
 * the "default" group). A name containing "/" may match more than one split; all matches count.
 */
export async function resolveTagRef<D extends CdpDB>(handle: Kysely<D>, ws: string, ref: string): Promise<string[]> {
  const db = cdpDb(handle);
  const byId = await db.selectFrom('tags').select('id').where('workspace_id', '=', ws).where('id', '=', ref).executeTakeFirst();
  if (byId) return [byId.id];
  const full = ref.includes('/') ? ref : `${DEFAULT_TAG_GROUP}/${ref}`;
  const rows = await db
    .selectFrom('tags as t')
    .innerJoin('tag_groups as g', (j) => j.onRef('g.workspace_id', '=', 't.workspace_id').onRef('g.id', '=', 't.group_id'))
    .select('t.id')
    .where('t.workspace_id', '=', ws)
    .where(sql<string>`g.name || '/' || t.name`, '=', full)
    .execute();
  if (rows.length === 0) throw new CdpError('TAG_NOT_FOUND', `no tag "${ref}" in this workspace; give a tag id (tag_...) or group/name`);
  return rows.map((r) => r.id);
}

async function lockProfile(trx: Kysely<CdpDB>, ws: string, profileId: string, now: number): Promise<string> {
  const live = await lockProfileFollowingMerges(trx, ws, profileId, now);
  if (live === undefined) throw new CdpError('PROFILE_NOT_FOUND', `no profile ${profileId} in this workspace`);
  return live;
}

/**
 * Adds tags to a profile (merged ids follow their redirect): tags by id must exist; group/name
 * pairs are created in the catalogue if missing (group defaults to "default"). Tags the profile
 * already holds keep their original source. Runs in `db`'s transaction if it is one, else its
 * own; the profile row is locked so a concurrent merge cannot strand the new tags.
 */
export async function addTagsToProfile<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileId: string,
  tags: TagInput[],
  source: TagSource,
  now: number,
): Promise<{ profileId: string; tags: AttachedTag[] }> {
  const db = cdpDb(handle);
  // Validate everything before touching the database.
  const wanted = tags.map((t, i) => {
    if (t.id !== undefined) {
      if (t.name !== undefined || t.group !== undefined)
        throw new CdpError('VALIDATION_FAILED', `tags[${i}]: give either id, or name (and optionally group), not both`);
      return { id: t.id };
    }
    if (t.name === undefined) throw new CdpError('VALIDATION_FAILED', `tags[${i}]: needs id, or name (and optionally group)`);
    return { group: validName(`tags[${i}].group`, t.group ?? DEFAULT_TAG_GROUP), name: validName(`tags[${i}].name`, t.name) };
  });
  return inTransaction(db, async (trx) => {
    const live = await lockProfile(trx, workspaceId, profileId, now);
    const ids = new Set<string>();
    for (const w of wanted) {
      if ('id' in w) ids.add((await tagById(trx, workspaceId, w.id!)).id);
      else {
        const groupId = await ensureGroup(trx, workspaceId, w.group, now);
        await trx
          .insertInto('tags')
          .values({ workspace_id: workspaceId, id: newId('tag', now), group_id: groupId, name: w.name, created_at: now })
          .onConflict((oc) => oc.columns(['workspace_id', 'group_id', 'name']).doNothing())
          .execute();
        const t = await trx
          .selectFrom('tags')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where('group_id', '=', groupId)
          .where('name', '=', w.name)
          .executeTakeFirstOrThrow();
        ids.add(t.id);
      }
    }
    await trx
      .insertInto('profile_tags')
      .values([...ids].map((tagId) => ({ workspace_id: workspaceId, profile_id: live, tag_id: tagId, source, created_at: now })))
      .onConflict((oc) => oc.columns(['workspace_id', 'profile_id', 'tag_id']).doNothing())
      .execute();
    const [record] = await loadProfileRecords(trx, workspaceId, [live]);
    return { profileId: live, tags: record!.tags };
  });
}

/** Removes a tag from a profile; the tag must exist in the catalogue, and removing one the profile lacks is a no-op. */
export async function removeTagFromProfile<D extends CdpDB>(
  handle: Kysely<D>,
  workspaceId: string,
  profileId: string,
  tagId: string,
  now: number,
): Promise<void> {
  const db = cdpDb(handle);
  await inTransaction(db, async (trx) => {
    const live = await lockProfile(trx, workspaceId, profileId, now);
    await tagById(trx, workspaceId, tagId);
    await trx.deleteFrom('profile_tags').where('workspace_id', '=', workspaceId).where('profile_id', '=', live).where('tag_id', '=', tagId).execute();
  });
}

/** The names of the tags a profile holds (as stored on that id; no merge redirect is followed). */
export async function profileTagNames<D extends CdpDB>(handle: Kysely<D>, workspaceId: string, profileId: string): Promise<string[]> {
  const db = cdpDb(handle);
  const rows = await db
    .selectFrom('profile_tags as pt')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'pt.workspace_id').onRef('t.id', '=', 'pt.tag_id'))
    .select('t.name')
    .where('pt.workspace_id', '=', workspaceId)
    .where('pt.profile_id', '=', profileId)
    .execute();
  return rows.map((r) => r.name);
}
