/**
 * Message snippets (话术库) and 1:1 recommendations: a snippet carries tags (corp tag names or
 * ids, or CDP tag names); a customer's recommendations are the snippets sharing the most tags
 * with them (their corp tags as this staff member set them, and their profile's tags).
 */
import { ScrmError } from '../errors.js';
import { newId } from '../../platform/ids.js';
import { parseJson as json } from '../../platform/db/database.js';
import { liveProfileIds, profileTagNames } from '../../cdp/index.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../../platform/paging.js';
import { iso } from '../shared.js';
import { type OpsContext, opsDb } from './context.js';
import { parseContent, type SopContent } from './sops.service.js';

/** A snippet as the API shows it. */
export interface Snippet {
  id: string;
  title: string;
  content: SopContent;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

type Row = { id: string; title: string; content: unknown; tags: unknown; created_at: number; updated_at: number };
const toSnippet = (r: Row): Snippet => ({
  id: r.id,
  title: r.title,
  content: json(r.content),
  tags: json(r.tags),
  createdAt: iso(r.created_at)!,
  updatedAt: iso(r.updated_at)!,
});

function parseTags(v: unknown): string[] {
  if (!Array.isArray(v) || v.some((t) => typeof t !== 'string' || !t.trim() || t.length > 100))
    throw new ScrmError('VALIDATION_FAILED', 'tags must be a list of tag names or ids (1-100 characters each)');
  if (v.length > 50) throw new ScrmError('VALIDATION_FAILED', `tags holds ${v.length}; at most 50 are accepted`);
  return [...new Set((v as string[]).map((t) => t.trim()))];
}

function parseTitle(v: unknown): string {
  if (typeof v !== 'string' || !v.trim() || v.length > 200) throw new ScrmError('VALIDATION_FAILED', 'title must be 1-200 characters');
  return v.trim();
}

/** Creates a snippet. */
export async function createSnippet(ctx: OpsContext, ws: string, body: Record<string, unknown>): Promise<Snippet> {
  const now = ctx.now();
  const row = {
    workspace_id: ws,
    id: newId('snp', now),
    title: parseTitle(body.title),
    content: JSON.stringify(parseContent(body.content, 'content')),
    tags: JSON.stringify(parseTags(body.tags ?? [])),
    created_at: now,
    updated_at: now,
  };
  await opsDb(ctx).insertInto('scrm_snippets').values(row).execute();
  return toSnippet(row);
}

/** A page of the snippets, by title. */
export async function pageSnippets(ctx: OpsContext, ws: string, q: { limit: number; cursor?: string }): Promise<Page<Snippet>> {
  let query = opsDb(ctx).selectFrom('scrm_snippets').selectAll().where('workspace_id', '=', ws);
  if (q.cursor !== undefined) query = query.where(keysetAfter(['title', 'id'], 'asc', decodeCursor(q.cursor, ['s', 's'])));
  const rows = await query
    .orderBy('title')
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  return pageOf(rows, q.limit, toSnippet, (r) => [r.title, r.id]);
}

/** Every snippet, by title. */
export async function listSnippets(ctx: OpsContext, ws: string): Promise<Snippet[]> {
  return (await opsDb(ctx).selectFrom('scrm_snippets').selectAll().where('workspace_id', '=', ws).orderBy('title').orderBy('id').execute()).map(toSnippet);
}

/** Changes a snippet's title, content or tags. */
export async function updateSnippet(ctx: OpsContext, ws: string, id: string, body: Record<string, unknown>): Promise<Snippet> {
  const patch: Record<string, unknown> = {};
  if (body.title !== undefined) patch.title = parseTitle(body.title);
  if (body.content !== undefined) patch.content = JSON.stringify(parseContent(body.content, 'content'));
  if (body.tags !== undefined) patch.tags = JSON.stringify(parseTags(body.tags));
  const res = await opsDb(ctx)
    .updateTable('scrm_snippets')
    .set({ ...patch, updated_at: ctx.now() })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new ScrmError('SNIPPET_NOT_FOUND', `no snippet ${id} in this workspace`);
  return toSnippet(
    (await opsDb(ctx).selectFrom('scrm_snippets').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirstOrThrow()) as Row,
  );
}

/** Deletes a snippet. */
export async function deleteSnippet(ctx: OpsContext, ws: string, id: string): Promise<void> {
  const res = await opsDb(ctx).deleteFrom('scrm_snippets').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new ScrmError('SNIPPET_NOT_FOUND', `no snippet ${id} in this workspace`);
}

/** Snippets for a customer of a staff member, most matching tags first (only snippets with a match). */
export async function recommendSnippets(
  ctx: OpsContext,
  ws: string,
  userid: string,
  externalUserid: string,
  limit = 10,
): Promise<{ customerTags: string[] } & Page<Snippet & { matched: string[] }>> {
  const db = opsDb(ctx);
  const follow = await db
    .selectFrom('scrm_follows as f')
    .innerJoin('scrm_contacts as c', (j) => j.onRef('c.workspace_id', '=', 'f.workspace_id').onRef('c.external_userid', '=', 'f.external_userid'))
    .select(['f.tag_ids', 'c.profile_id'])
    .where('f.workspace_id', '=', ws)
    .where('f.userid', '=', userid)
    .where('f.external_userid', '=', externalUserid)
    .where('f.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!follow) throw new ScrmError('SCRM_CUSTOMER_NOT_FOUND', `${externalUserid} is not a customer of ${userid}`);
  const tagIds = json<string[]>(follow.tag_ids) ?? [];
  const names = tagIds.length
    ? await db
        .selectFrom('scrm_corp_tags')
        .select('name')
        .where('workspace_id', '=', ws)
        .where('tag_id', 'in', tagIds)
        .where('deleted_at', 'is', null)
        .execute()
    : [];
  const pid = (await liveProfileIds(ctx.db, ws, [follow.profile_id])).get(follow.profile_id) ?? follow.profile_id;
  const cdpTags = await profileTagNames(ctx.db, ws, pid);
  const customerTags = [...new Set([...tagIds, ...names.map((n) => n.name), ...cdpTags])];
  const have = new Set(customerTags.map((t) => t.toLowerCase()));
  const ranked = (await listSnippets(ctx, ws))
    .map((s) => ({ ...s, matched: s.tags.filter((t) => have.has(t.toLowerCase())) }))
    .filter((s) => s.matched.length > 0)
    .sort((a, b) => b.matched.length - a.matched.length || a.title.localeCompare(b.title));
  // The best `limit` of a ranking: there is no next page.
  return { customerTags, data: ranked.slice(0, limit), nextCursor: null };
}
