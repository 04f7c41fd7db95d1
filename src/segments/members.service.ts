/** A segment's members: a page as JSON, or the whole list streamed as CSV. */
import type { ProfileCard } from '../cdp/index.js';
import { parseJson } from '../platform/db/database.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import { getRow, iso, type SegmentDeps } from './segment-rows.js';

/** A member as the API shows it: with the profile's name (null without a name trait) and identifiers. */
export interface MemberView {
  profileId: string;
  version: number;
  enteredAt: string;
  name: string | null;
  identifiers: { type: string; value: string }[];
}

/** A page of members, ordered by profile id. */
export async function listMembers(deps: SegmentDeps, ws: string, id: string, q: { limit: number; cursor?: string }): Promise<Page<MemberView>> {
  await getRow(deps.database.db, ws, id);
  let query = deps.database.db.selectFrom('segment_members').selectAll().where('workspace_id', '=', ws).where('segment_id', '=', id);
  if (q.cursor) query = query.where(keysetAfter(['profile_id'], 'asc', decodeCursor(q.cursor, ['s'])));
  const rows = await query
    .orderBy('profile_id')
    .limit(q.limit + 1)
    .execute();
  const cards = deps.profileCards
    ? await deps.profileCards(
        ws,
        rows.slice(0, q.limit).map((r) => r.profile_id),
      )
    : new Map<string, ProfileCard>();
  return pageOf(
    rows,
    q.limit,
    (r) => {
      const card = cards.get(r.profile_id);
      return { profileId: r.profile_id, version: r.version, enteredAt: iso(r.entered_at), name: card?.name ?? null, identifiers: card?.identifiers ?? [] };
    },
    (r) => [r.profile_id],
  );
}

const csvCell = (v: string) => (/[",\r\n]/.test(v) || /^[=+\-@\t]/.test(v) ? `"${(/^[=+\-@\t]/.test(v) ? "'" : '') + v.replace(/"/g, '""')}"` : v);

/**
 * Streams the members as CSV (profile_id, entered_at, version, user_id and the chosen traits),
 * 1,000 rows a query, so memory stays flat whatever the segment's size. Cells that a spreadsheet
 * would run as a formula are prefixed with a quote.
 */
export async function* exportMembersCsv(deps: SegmentDeps, ws: string, id: string, traits: string[]): AsyncGenerator<string> {
  await getRow(deps.database.db, ws, id);
  const db = deps.database.db;
  yield ['profile_id', 'entered_at', 'version', 'user_id', ...traits.map((t) => `trait.${t}`)].map(csvCell).join(',') + '\r\n';
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('segment_members as m')
      .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'm.workspace_id').onRef('p.id', '=', 'm.profile_id'))
      .select(['m.profile_id', 'm.entered_at', 'm.version', 'p.traits'])
      .where('m.workspace_id', '=', ws)
      .where('m.segment_id', '=', id)
      .where('m.profile_id', '>', after)
      .orderBy('m.profile_id')
      .limit(1000)
      .execute();
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.profile_id);
    const users = await db
      .selectFrom('identities')
      .select(['profile_id', 'id_key'])
      .where('workspace_id', '=', ws)
      .where('id_type', '=', 'user_id')
      .where('profile_id', 'in', ids)
      .execute();
    const userOf = new Map(users.map((u) => [u.profile_id, u.id_key]));
    let out = '';
    for (const r of rows) {
      const t = parseJson<Record<string, unknown>>(r.traits);
      const cells = [
        r.profile_id,
        iso(r.entered_at),
        String(r.version),
        userOf.get(r.profile_id) ?? '',
        ...traits.map((k) => (t[k] === undefined || t[k] === null ? '' : typeof t[k] === 'string' ? (t[k] as string) : JSON.stringify(t[k]))),
      ];
      out += cells.map(csvCell).join(',') + '\r\n';
    }
    yield out;
    after = ids[ids.length - 1]!;
    if (rows.length < 1000) return;
  }
}
