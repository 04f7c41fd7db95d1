/** Per-code statistics and the list of adds, for the live-code API. */
import { iso } from '../shared.js';
import { decodeCursor, keysetAfter, pageOf } from '../../platform/paging.js';
import { liveDb, type LiveDeps } from './context.js';
import { statRows } from './live-codes.repo.js';
import { loadLiveCode } from './live-codes.service.js';
import { byDay, dayRange } from './stats.js';

/**
 * Statistics of a code over local days: adds (by the add's time), deletions (by the deletion's
 * time, whichever side deleted), net growth, per day and per staff member.
 */
export async function liveCodeStats(deps: LiveDeps, ws: string, id: string, q: { from?: string; to?: string }) {
  const code = await loadLiveCode(deps, ws, id);
  const range = dayRange(q, deps.now(), await deps.timeZoneOf(ws));
  const { adds, deletions } = await statRows(liveDb(deps), ws, code.id, range.startMs, range.endMs);
  const days = byDay(
    range,
    adds.map((a) => Number(a.added_at)),
    deletions.map((d) => Number(d.deleted_at)),
  );
  const staff = new Map<string, { userid: string; adds: number; deletions: number; net: number }>();
  const of = (u: string) => staff.get(u) ?? staff.set(u, { userid: u, adds: 0, deletions: 0, net: 0 }).get(u)!;
  for (const a of adds) of(a.userid).adds++;
  for (const d of deletions) of(d.userid).deletions++;
  for (const s of staff.values()) s.net = s.adds - s.deletions;
  return {
    liveCodeId: code.id,
    timeZone: range.timeZone,
    from: range.from,
    to: range.to,
    totals: {
      adds: adds.length,
      deletions: deletions.length,
      net: adds.length - deletions.length,
      deletedByCustomer: deletions.filter((d) => d.deleted_by === 'customer').length,
      deletedByStaff: deletions.filter((d) => d.deleted_by === 'staff').length,
      welcomeSent: adds.filter((a) => a.welcome_status === 'sent').length,
    },
    byDay: days.map((d) => ({ date: d.date, adds: d.in, deletions: d.out, net: d.in - d.out })),
    byStaff: [...staff.values()].sort((a, b) => b.adds - a.adds || a.userid.localeCompare(b.userid)),
  };
}

/** The adds through a code, newest first, with what happened to their welcome message and tags. */
export async function listLiveCodeAdds(deps: LiveDeps, ws: string, id: string, q: { limit: number; cursor?: string }) {
  const code = await loadLiveCode(deps, ws, id);
  // Keyset on the whole key after the code: WeCom times adds in seconds, so a burst shares added_at.
  const columns = ['added_at', 'userid', 'external_userid'];
  let query = liveDb(deps).selectFrom('scrm_live_code_adds').selectAll().where('workspace_id', '=', ws).where('code_id', '=', code.id);
  if (q.cursor !== undefined) query = query.where(keysetAfter(columns, 'desc', decodeCursor(q.cursor, ['n', 's', 's'])));
  const rows = await query
    .orderBy('added_at', 'desc')
    .orderBy('userid', 'desc')
    .orderBy('external_userid', 'desc')
    .limit(q.limit + 1)
    .execute();
  return pageOf(
    rows,
    q.limit,
    (r) => ({
      userid: r.userid,
      externalUserid: r.external_userid,
      profileId: r.profile_id,
      addedAt: iso(Number(r.added_at))!,
      welcome: { status: r.welcome_status, reason: r.welcome_reason, sentAt: iso(r.welcome_at === null ? null : Number(r.welcome_at)) },
      tags: { status: r.tags_status, error: r.tags_error },
      deletedAt: iso(r.deleted_at === null ? null : Number(r.deleted_at)),
      deletedBy: r.deleted_by,
    }),
    (r) => [Number(r.added_at), r.userid, r.external_userid],
  );
}
