/**
 * Tiers on profile merges (One ID): when the CDP merges a member into another, the merged-away
 * member's tier row stops counting (it is removed; its history rows stay), its paid or given
 * membership moves to the survivor when it ends later than the survivor's own (the later `until`
 * is kept, with its tier), its purchases are listed on the survivor, and the survivor is qualified
 * again counting both profiles' earnings (members.repo.ts's qualificationValues; orders move with
 * the merge for a spend basis). Changes are history rows with reason `merge`.
 * Found like the points (merges.service.ts): the survivors of committed batches at once, and a
 * sweep over tier rows whose profile is no longer live.
 */
import { liveProfileIds, mergedIdsOfMany } from '../cdp/index.js';
import type { Database, Dialect } from '../platform/db/database.js';
import { withRetries } from '../platform/db/database.js';
import type { Conn } from './ledger.repo.js';
import { changeOf, lockMembers, saveMember } from './members.repo.js';
import { requalify } from './tiers.qualify.js';
import { tierProgram } from './tiers.service.js';

/** Moves one merged-away member's tier state to its survivor inside the caller's transaction; answers whether the survivor's tier changed. */
export async function moveMember(trx: Conn, dialect: Dialect, ws: string, fromId: string, intoId: string, now: number): Promise<boolean> {
  const { program } = await tierProgram(trx, ws);
  const members = await lockMembers(trx, dialect, ws, [fromId, intoId], now);
  const from = members.get(fromId)!;
  const into = members.get(intoId)!;
  const runs = (m: typeof from) => m.paidKey !== null && m.paidUntil !== null && m.paidUntil > now;
  const before = into.tierKey;
  let after = before;
  if (runs(from) && (!runs(into) || from.paidUntil! > into.paidUntil!)) {
    const change = { ...changeOf(into), paidKey: from.paidKey, paidUntil: from.paidUntil };
    after = await saveMember(trx, { ws, program, dialect, now }, into, change, 'merge', `membership of merged profile ${fromId}`);
  }
  await trx.updateTable('loyalty_paid_memberships').set({ profile_id: intoId }).where('workspace_id', '=', ws).where('profile_id', '=', fromId).execute();
  await trx.deleteFrom('loyalty_members').where('workspace_id', '=', ws).where('profile_id', '=', fromId).execute();
  if (program.tiers.length === 0) return after !== before;
  const o = await requalify(trx, { dialect }, ws, program, [intoId], now, { kind: 'upgrade' }, 'merge', `merged from ${fromId}`);
  return after !== before || o.upgraded > 0;
}

/** Moves the tier rows of the profiles merged into each of `survivors` (live profile ids of a committed batch); answers how many moved. */
export async function moveTierMergesInto(database: Database, ws: string, survivors: readonly string[], now: () => number): Promise<number> {
  const merged = await mergedIdsOfMany(database.db, ws, survivors);
  const pairs = [...merged].flatMap(([into, froms]) => froms.map((from) => [from, into] as const));
  return movePairs(database, ws, pairs, now);
}

/** Finds every tier row whose profile was merged away, and moves it to the survivor; answers how many moved. */
export async function sweepTierMerges(database: Database, now: () => number, opts: { workspaceId?: string } = {}): Promise<number> {
  let moved = 0;
  let after: [string, string] = ['', ''];
  for (;;) {
    let q = database.db
      .selectFrom('loyalty_members')
      .select(['workspace_id', 'profile_id'])
      .where((eb) => eb.or([eb('workspace_id', '>', after[0]), eb.and([eb('workspace_id', '=', after[0]), eb('profile_id', '>', after[1])])]));
    if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
    const rows = await q.orderBy('workspace_id').orderBy('profile_id').limit(500).execute();
    if (rows.length === 0) return moved;
    const byWs = new Map<string, string[]>();
    for (const r of rows) byWs.set(r.workspace_id, [...(byWs.get(r.workspace_id) ?? []), r.profile_id]);
    for (const [ws, ids] of byWs) {
      const pairs = [...(await liveProfileIds(database.db, ws, ids))].filter(([from, into]) => from !== into);
      moved += await movePairs(database, ws, pairs, now);
    }
    const last = rows[rows.length - 1]!;
    after = [last.workspace_id, last.profile_id];
  }
}

/** Moves each merged-away member that still has a tier row, one transaction each. */
async function movePairs(database: Database, ws: string, pairs: readonly (readonly [string, string])[], now: () => number): Promise<number> {
  if (pairs.length === 0) return 0;
  const held = new Set<string>();
  const froms = pairs.map(([from]) => from);
  for (let i = 0; i < froms.length; i += 500) {
    const rows = await database.db
      .selectFrom('loyalty_members')
      .select('profile_id')
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', froms.slice(i, i + 500))
      .execute();
    for (const r of rows) held.add(r.profile_id);
  }
  let moved = 0;
  for (const [from, into] of pairs) {
    if (!held.has(from)) continue;
    await withRetries(database, () => database.db.transaction().execute((trx) => moveMember(trx, database.dialect, ws, from, into, now())));
    moved++;
  }
  return moved;
}
