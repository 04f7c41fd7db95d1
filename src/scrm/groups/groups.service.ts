/**
 * Customer groups as Siyu shows them: the mirrored groups and members (written by the callback
 * processor and full sync), growth and churn by local day, and Siyu's own group tags.
 */
import { ScrmError } from '../errors.js';
import { iso } from '../shared.js';
import { decodeCursor, type Page, pageOf } from '../../platform/paging.js';
import { liveDb, type LiveDeps } from '../livecodes/context.js';
import { byDay, dayRange } from '../livecodes/stats.js';
import {
  deleteTags,
  insertTags,
  selectChatIdsWithTags,
  selectGroup,
  selectGroups,
  selectMembers,
  selectMovements,
  selectNames,
  selectTagCatalogue,
  selectTags,
} from './groups.repo.js';

/** WeCom's join scenes in member_list: 1 invited directly, 2 invited by link, 3 scanned the group QR code. */
const JOIN_SCENES: Record<number, string> = { 1: 'invited', 2: 'link', 3: 'qr_code' };
/** WeCom's QuitScene: 0 left by themselves, 1 removed by the owner. */
const QUIT_SCENES: Record<number, string> = { 0: 'left', 1: 'removed' };
const MAX_TAGS_PER_GROUP = 50;

type Deps = Pick<LiveDeps, 'db' | 'now' | 'timeZoneOf'>;

const invalid = (field: string, what: string): never => {
  throw new ScrmError('VALIDATION_FAILED', `${field}: ${what}`);
};

/** Trims and checks group tags (1 to 32 characters each, no duplicates after trimming). */
export function validateGroupTags(raw: unknown, field = 'tags'): string[] {
  if (!Array.isArray(raw) || raw.length > MAX_TAGS_PER_GROUP) return invalid(field, `must be a list of at most ${MAX_TAGS_PER_GROUP} tags`);
  const tags = raw.map((t, i) => {
    const s = typeof t === 'string' ? t.trim() : '';
    if (!s || s.length > 32) invalid(`${field}[${i}]`, `must be 1 to 32 characters after trimming; got ${JSON.stringify(t)}`);
    return s;
  });
  return [...new Set(tags)];
}

async function requireGroup(deps: Deps, ws: string, chatId: string) {
  const g = await selectGroup(liveDb(deps), ws, chatId);
  if (!g) throw new ScrmError('SCRM_GROUP_NOT_FOUND', `no customer group ${chatId} in this workspace (groups appear after WeCom sync or a callback)`);
  return g;
}

function groupView(g: NonNullable<Awaited<ReturnType<typeof selectGroup>>>, tags: string[]) {
  return {
    chatId: g.chat_id,
    name: g.name,
    owner: g.owner,
    notice: g.notice,
    status: g.status,
    memberCount: Number(g.member_count),
    tags,
    createdAt: iso(Number(g.created_at))!,
    dismissedAt: iso(g.dismissed_at === null ? null : Number(g.dismissed_at)),
    updatedAt: iso(Number(g.updated_at))!,
  };
}

/** A page of groups (by chat id), filtered by owner, status, tag or part of the name. */
export async function listGroups(deps: Deps, ws: string, q: { owner?: string; status?: string; tag?: string; q?: string; limit: number; cursor?: string }) {
  const after = q.cursor ? Buffer.from(q.cursor, 'base64url').toString('utf8') : undefined;
  if (q.cursor && !after) invalid('cursor', 'is not a nextCursor returned by this endpoint');
  const rows = await selectGroups(liveDb(deps), ws, { owner: q.owner, status: q.status, tag: q.tag?.trim(), q: q.q, after, limit: q.limit });
  const tags = await selectTags(
    liveDb(deps),
    ws,
    rows.map((r) => r.chat_id),
  );
  return {
    data: rows.map((r) => groupView(r, tags.get(r.chat_id) ?? [])),
    nextCursor: rows.length === q.limit ? Buffer.from(rows[rows.length - 1]!.chat_id).toString('base64url') : null,
  };
}

/** A group with its members (current and, unless `includeQuit` is false, former), names where known. */
export async function getGroup(deps: Deps, ws: string, chatId: string, opts: { includeQuit?: boolean } = {}) {
  const g = await requireGroup(deps, ws, chatId);
  const members = await selectMembers(liveDb(deps), ws, chatId);
  const names = await selectNames(
    liveDb(deps),
    ws,
    members.filter((m) => Number(m.type) === 1).map((m) => m.member_id),
    members.filter((m) => Number(m.type) === 2).map((m) => m.member_id),
  );
  const tags = (await selectTags(liveDb(deps), ws, [chatId])).get(chatId) ?? [];
  const shown = opts.includeQuit === false ? members.filter((m) => m.quit_at === null) : members;
  return {
    ...groupView(g, tags),
    counts: { current: members.filter((m) => m.quit_at === null).length, quit: members.filter((m) => m.quit_at !== null).length },
    members: shown.map((m) => ({
      memberId: m.member_id,
      type: Number(m.type) === 1 ? 'staff' : 'customer',
      name: names.get(m.member_id) ?? null,
      unionid: m.unionid,
      joinTime: iso(Number(m.join_time))!,
      joinScene: m.join_scene === null ? null : (JOIN_SCENES[Number(m.join_scene)] ?? String(m.join_scene)),
      invitor: m.invitor,
      quitAt: iso(m.quit_at === null ? null : Number(m.quit_at)),
      quitScene: m.quit_scene === null ? null : (QUIT_SCENES[Number(m.quit_scene)] ?? String(m.quit_scene)),
    })),
  };
}

/**
 * Growth and churn over local days: joins (by join time), quits (by quit time), net growth, per
 * day and by join scene; of one group, or of every group of the workspace when `chatId` is absent.
 */
export async function groupStats(deps: Deps, ws: string, chatId: string | undefined, q: { from?: string; to?: string }) {
  if (chatId) await requireGroup(deps, ws, chatId);
  const range = dayRange(q, deps.now(), await deps.timeZoneOf(ws));
  const { joins, quits } = await selectMovements(liveDb(deps), ws, chatId, range.startMs, range.endMs);
  const days = byDay(
    range,
    joins.map((j) => Number(j.join_time)),
    quits.map((x) => Number(x.quit_at)),
  );
  const scenes: Record<string, number> = {};
  for (const j of joins) {
    const k = j.join_scene === null ? 'unknown' : (JOIN_SCENES[Number(j.join_scene)] ?? String(j.join_scene));
    scenes[k] = (scenes[k] ?? 0) + 1;
  }
  return {
    chatId: chatId ?? null,
    timeZone: range.timeZone,
    from: range.from,
    to: range.to,
    totals: {
      joins: joins.length,
      quits: quits.length,
      net: joins.length - quits.length,
      customerJoins: joins.filter((j) => Number(j.type) === 2).length,
      customerQuits: quits.filter((x) => Number(x.type) === 2).length,
      removedByOwner: quits.filter((x) => x.quit_scene !== null && Number(x.quit_scene) === 1).length,
    },
    joinScenes: scenes,
    byDay: days.map((d) => ({ date: d.date, joins: d.in, quits: d.out, net: d.in - d.out })),
  };
}

/** A group's tags. */
export async function groupTags(deps: Deps, ws: string, chatId: string): Promise<{ chatId: string; tags: string[] }> {
  await requireGroup(deps, ws, chatId);
  return { chatId, tags: (await selectTags(liveDb(deps), ws, [chatId])).get(chatId) ?? [] };
}

/** Changes a group's tags: `set` replaces the list, `add` adds to it, `remove` takes some off; in one transaction. */
export async function changeGroupTags(deps: Deps, ws: string, chatId: string, change: { set?: unknown; add?: unknown; remove?: unknown }) {
  await requireGroup(deps, ws, chatId);
  const set = change.set === undefined ? undefined : validateGroupTags(change.set, 'tags');
  const add = change.add === undefined ? [] : validateGroupTags(change.add, 'tags');
  const remove = change.remove === undefined ? [] : validateGroupTags(change.remove, 'tags');
  await liveDb(deps)
    .transaction()
    .execute(async (trx) => {
      if (set) await deleteTags(trx, ws, chatId);
      await insertTags(trx, ws, chatId, [...(set ?? []), ...add], deps.now());
      await deleteTags(trx, ws, chatId, remove);
      const count = (await selectTags(trx, ws, [chatId])).get(chatId)!.length;
      if (count > MAX_TAGS_PER_GROUP) invalid('tags', `the group would carry ${count} tags, at most ${MAX_TAGS_PER_GROUP}`);
    });
  return groupTags(deps, ws, chatId);
}

/** The group tags in use, by tag, with their number of groups (a page). */
export async function groupTagCatalogue(
  deps: Pick<Deps, 'db'>,
  ws: string,
  q: { limit: number; cursor?: string },
): Promise<Page<{ tag: string; groups: number }>> {
  const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, ['s'])[0]);
  const rows = await selectTagCatalogue(liveDb(deps), ws, { after, limit: q.limit + 1 });
  return pageOf(
    rows,
    q.limit,
    (r) => ({ tag: r.tag, groups: Number(r.groups) }),
    (r) => [r.tag],
  );
}

/** Chat ids of the workspace's live groups carrying any of the tags (for SOPs that target groups by tag). */
export async function groupsWithTags(deps: Pick<Deps, 'db'>, ws: string, tags: string[]): Promise<string[]> {
  return selectChatIdsWithTags(liveDb(deps), ws, tags);
}
