/**
 * KOC (key opinion consumers): an influence score per member from their successful referrals, the
 * group-buys they led (through the group-buy port; 0 until it is wired) and the community score
 * segments' community-role model computes, weighted by the referral programme's `kocWeights`, and
 * the workspace's ranked list. The ranking is computed per request over the members with at least
 * one successful referral (the programme's members of note); a cursor is a position in it.
 */
import { liveProfileIds } from '../cdp/index.js';
import { decodeCursor, encodeCursor, type Page } from '../platform/paging.js';
import { profileModels } from '../segments/index.js';
import type { LoyaltyDeps } from './deps.js';
import { groupBuysLedMany } from './group-buys.service.js';
import { referralProgramme } from './referrals.programme.js';

/** One member on the KOC leaderboard. */
export interface KocEntry {
  rank: number;
  profileId: string;
  score: number;
  referrals: number;
  groupBuysLed: number;
  /** Segments' community score (0 when the model has not scored the member). */
  communityScore: number;
  communityRole: string | null;
}

/** Successful referrals per live member referrer. */
async function referralsByReferrer(deps: LoyaltyDeps, ws: string): Promise<Map<string, number>> {
  const rows = await deps.database.db
    .selectFrom('referrals')
    .select(['referrer_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('referrer_kind', '=', 'member')
    .where('status', '=', 'active')
    .groupBy('referrer_id')
    .execute();
  const live = await liveProfileIds(
    deps.database.db,
    ws,
    rows.map((r) => r.referrer_id),
  );
  const out = new Map<string, number>();
  for (const r of rows) {
    const id = live.get(r.referrer_id) ?? r.referrer_id;
    out.set(id, (out.get(id) ?? 0) + Number(r.n));
  }
  return out;
}

/** The whole ranking of a workspace, best first (ties: more referrals, then profile id). */
export async function kocRanking(deps: LoyaltyDeps, ws: string): Promise<KocEntry[]> {
  const w = (await referralProgramme(deps.database.db, ws)).kocWeights;
  const referrals = await referralsByReferrer(deps, ws);
  const ids = [...referrals.keys()];
  const groupBuys = deps.groupBuysLed ? await deps.groupBuysLed(ws, ids) : await groupBuysLedMany(deps.database.db, ws, ids);
  const entries: KocEntry[] = [];
  for (const id of ids) {
    const role = (await profileModels(deps.database.db, ws, id)).communityRole;
    const e = {
      rank: 0,
      profileId: id,
      referrals: referrals.get(id) ?? 0,
      groupBuysLed: groupBuys.get(id) ?? 0,
      communityScore: role?.score ?? 0,
      communityRole: role?.role ?? null,
    };
    const score = e.referrals * w.referral + e.groupBuysLed * w.groupBuy + e.communityScore * w.community;
    entries.push({ ...e, score: Math.round(score * 100) / 100 });
  }
  entries.sort((a, b) => b.score - a.score || b.referrals - a.referrals || (a.profileId < b.profileId ? -1 : 1));
  entries.forEach((e, i) => (e.rank = i + 1));
  return entries;
}

/** A page of the ranking (`GET /v1/loyalty/koc?cursor=`). */
export async function kocLeaderboard(deps: LoyaltyDeps, ws: string, q: { limit: number; cursor?: string }): Promise<Page<KocEntry>> {
  const from = q.cursor ? (decodeCursor(q.cursor, ['n'])[0] as number) : 0;
  const all = await kocRanking(deps, ws);
  const data = all.slice(from, from + q.limit);
  return { data, nextCursor: from + q.limit < all.length ? encodeCursor([from + q.limit]) : null };
}
