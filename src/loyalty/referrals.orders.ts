/**
 * The referral pass over orders: reads `Order Completed`, `Order Refunded` and `Order Cancelled`
 * after a durable cursor per workspace and event name (referrals.cursor.ts), and for the
 * orders of referees gives the purchase rewards (first purchase; every purchase for N days),
 * records staff commissions, and reverses both when an order is refunded or cancelled. Before it
 * rewards, it checks the referral again through One ID: a referee merged since into the referrer
 * or into a profile known before the referral turns the referral rejected (recorded with its
 * reason). Rewards and commissions are keyed, so re-reading events gives nothing twice.
 */
import { liveProfileIds, ORDER_EVENTS, type OrderStanding, orderStandings, recordSystemEvents, resolveProfileId, type StoredEvent } from '../cdp/index.js';
import { newId } from '../platform/ids.js';
import { DAY_MS } from '../platform/time.js';
import type { LoyaltyDeps } from './deps.js';
import { REFERRAL_EVENTS } from './event-names.js';
import type { Conn } from './ledger.repo.js';
import { alreadyKnown, samePerson } from './referrals.checks.js';
import { readAfterCursor } from './referrals.cursor.js';
import { afterReferralsChanged, grantFor } from './referrals.outcomes.js';
import { type ReferralProgramme, referralProgramme, workspacesWithProgramme } from './referrals.programme.js';
import { reverseOrderRewards, reverseRefereeRewards } from './referrals.rewards.js';
import { recordDecision, referralOfFamily } from './referrals.service.js';
import type { ReferralsTable } from './referrals.tables.js';

const NAMES = [ORDER_EVENTS.completed, ORDER_EVENTS.refunded, ORDER_EVENTS.cancelled] as const;

/** What a pass did. */
export interface ReferralOrdersReport {
  events: number;
  rewards: number;
  commissions: number;
  reversed: number;
  rejected: number;
}

const emptyReport = (): ReferralOrdersReport => ({ events: 0, rewards: 0, commissions: 0, reversed: 0, rejected: 0 });
function add(a: ReferralOrdersReport, b: ReferralOrdersReport) {
  for (const k of Object.keys(a) as (keyof ReferralOrdersReport)[]) a[k] += b[k];
}

/** Runs the pass for every workspace whose programme is on (or one). */
export async function runReferralOrders(deps: LoyaltyDeps, opts: { workspaceId?: string } = {}): Promise<ReferralOrdersReport> {
  const report = emptyReport();
  const wss = opts.workspaceId ? [opts.workspaceId] : (await workspacesWithProgramme(deps.database.db)).map((w) => w.workspaceId);
  for (const ws of wss) {
    const first = await deps.database.db
      .selectFrom('referrals')
      .select('attributed_at')
      .where('workspace_id', '=', ws)
      .orderBy('attributed_at')
      .executeTakeFirst();
    // No referral yet: no order can qualify.
    if (!first) continue;
    const p = await referralProgramme(deps.database.db, ws);
    for (const name of NAMES) {
      const at = { key: name, name, start: Number(first.attributed_at) };
      add(report, await readAfterCursor(deps, ws, at, emptyReport, (trx, rows, now) => applyPage(trx, deps, ws, p, rows, now)));
    }
  }
  return report;
}

/** The share of an order taken back: all of it when refunded in full or cancelled, else refunded over total. */
function shareOf(o: OrderStanding): number {
  if (o.status === 'refunded' || o.status === 'cancelled') return 1;
  return o.totalFen > 0 ? Math.min(1, o.refundedFen / o.totalFen) : 0;
}

/** Applies a page of order events. */
async function applyPage(trx: Conn, deps: LoyaltyDeps, ws: string, p: ReferralProgramme, rows: StoredEvent[], now: number): Promise<ReferralOrdersReport> {
  const report = emptyReport();
  report.events = rows.length;
  if (rows.length === 0) return report;
  const live = await liveProfileIds(trx, ws, [...new Set(rows.map((r) => r.profileId))]);
  const orderIds = rows.map((e) => (e.payload.properties as Record<string, unknown> | undefined)?.order_id).filter((x) => x !== undefined && x !== null);
  const standings = await orderStandings(trx, ws, orderIds.map(String));
  const touched = new Set<string>();
  for (const e of rows) {
    const orderId = String((e.payload.properties as Record<string, unknown> | undefined)?.order_id ?? '');
    const o = standings.get(orderId);
    if (!o) continue;
    touched.add(orderId);
    // An order refunded in full or cancelled before it was read here qualifies for nothing.
    if (e.event !== ORDER_EVENTS.completed || shareOf(o) >= 1) continue;
    const referee = live.get(e.profileId) ?? e.profileId;
    const referral = await referralOfFamily(trx, ws, referee);
    if (!referral || referral.status !== 'active' || e.timestamp < Number(referral.attributed_at)) continue;
    const r = await orderOfReferee(trx, deps, p, referral, referee, o, e.timestamp, now);
    add(report, r);
  }
  // Refunds and cancellations (and a refund that came before its order): take back the refunded share.
  for (const orderId of touched) {
    const o = standings.get(orderId)!;
    const share = shareOf(o);
    if (share <= 0) continue;
    const why = o.status === 'cancelled' ? `order ${orderId} cancelled` : `order ${orderId} refunded (${o.refundedFen} of ${o.totalFen} fen)`;
    report.reversed += await reverseOrderRewards(trx, deps, ws, orderId, share, why, now);
    report.reversed += await reverseCommission(trx, deps, ws, o, share, why, now);
  }
  return report;
}

/** A referee's completed order: the referral checked again, then rewards and commission. */
async function orderOfReferee(
  trx: Conn,
  deps: LoyaltyDeps,
  p: ReferralProgramme,
  referral: ReferralsTable,
  referee: string,
  o: OrderStanding,
  at: number,
  now: number,
): Promise<ReferralOrdersReport> {
  const report = emptyReport();
  const ws = referral.workspace_id;
  const attributedAt = Number(referral.attributed_at);
  const referrerLive =
    referral.referrer_kind === 'member' ? ((await resolveProfileId(trx, ws, referral.referrer_id)) ?? referral.referrer_id) : referral.referrer_id;
  const refusal =
    (referral.referrer_kind === 'member' ? await samePerson(trx, ws, { recorded: referral.referrer_id, live: referrerLive }, referee) : undefined) ??
    (await alreadyKnown(trx, ws, referee, attributedAt, p.newWithinMinutes));
  if (refusal) {
    await trx.updateTable('referrals').set({ status: 'rejected' }).where('workspace_id', '=', ws).where('referee_id', '=', referral.referee_id).execute();
    const base = { workspace_id: ws, code: referral.code, referrer_kind: referral.referrer_kind, referrer_id: referral.referrer_id, referee_id: referee };
    await recordDecision(
      trx,
      deps,
      { ...base, outcome: 'rejected', reason: refusal.reason, detail: `on order ${o.orderId}, after a merge: ${refusal.detail}` },
      now,
    );
    // What the referral gave already (registration, earlier purchases) goes back too.
    report.reversed += await reverseRefereeRewards(trx, deps, ws, referral.referee_id, `referral rejected (${refusal.reason})`, now);
    if (referral.referrer_kind === 'member') await afterReferralsChanged(trx, deps, p, ws, referrerLive, now);
    report.rejected++;
    return report;
  }
  const parties = { ...referral, referrerLive, refereeLive: referee };
  for (const rule of p.rules) {
    if (o.totalFen < (rule.minOrderFen ?? 0)) continue;
    let key: string | undefined;
    if (rule.on === 'first_purchase') key = `first:${rule.id}:${referral.referee_id}`;
    else if (rule.on === 'purchase' && at <= attributedAt + (rule.days ?? 0) * DAY_MS) key = `order:${rule.id}:${o.orderId}`;
    if (key === undefined) continue;
    report.rewards += (await grantFor(trx, deps, rule, parties, { key, orderId: o.orderId }, now)).length;
  }
  if (referral.referrer_kind === 'staff' && (p.commissionDays === null || at <= attributedAt + p.commissionDays * DAY_MS)) {
    report.commissions += await recordCommission(trx, deps, referral, referee, o, now);
  }
  return report;
}

/** A staff member's commission on a referee's order, once per order (the rate of their code now). */
async function recordCommission(trx: Conn, deps: LoyaltyDeps, referral: ReferralsTable, referee: string, o: OrderStanding, now: number): Promise<number> {
  const ws = referral.workspace_id;
  const code = await trx
    .selectFrom('referral_codes')
    .select('commission_bp')
    .where('workspace_id', '=', ws)
    .where('code', '=', referral.code)
    .executeTakeFirst();
  const bp = Number(code?.commission_bp ?? 0);
  if (bp <= 0) return 0;
  const row = {
    workspace_id: ws,
    id: newId('rfc', now),
    staff_id: referral.referrer_id,
    code: referral.code,
    referee_id: referee,
    order_id: o.orderId,
    order_fen: o.totalFen,
    commission_bp: bp,
    commission_fen: Math.floor((o.totalFen * bp) / 10_000),
    reversed_fen: 0,
    status: 'earned' as const,
    created_at: now,
    updated_at: now,
  };
  const res = await trx
    .insertInto('referral_commissions')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return 0;
  const properties = { commission_id: row.id, staff_id: row.staff_id, order_id: o.orderId, commission_fen: row.commission_fen, commission_bp: bp };
  await recordSystemEvents(trx, deps.database.dialect, [
    { workspaceId: ws, profileId: referee, event: REFERRAL_EVENTS.commissionRecorded, properties, at: now, eventId: `${row.id}:recorded` },
  ]);
  return 1;
}

/** Takes back the refunded share of an order's commissions (all of it when refunded in full or cancelled). */
async function reverseCommission(trx: Conn, deps: LoyaltyDeps, ws: string, o: OrderStanding, share: number, why: string, now: number): Promise<number> {
  const rows = await trx.selectFrom('referral_commissions').selectAll().where('workspace_id', '=', ws).where('order_id', '=', o.orderId).execute();
  let n = 0;
  for (const c of rows) {
    const commission = Number(c.commission_fen);
    const target = share >= 1 ? commission : commission - Math.floor(((o.totalFen - o.refundedFen) * Number(c.commission_bp)) / 10_000);
    if (target <= Number(c.reversed_fen)) continue;
    const status = target >= commission ? 'reversed' : 'earned';
    await trx
      .updateTable('referral_commissions')
      .set({ reversed_fen: target, status, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', c.id)
      .execute();
    const properties = { commission_id: c.id, staff_id: c.staff_id, order_id: o.orderId, reversed_fen: target - Number(c.reversed_fen), reason: why };
    const profileId = (await resolveProfileId(trx, ws, c.referee_id)) ?? c.referee_id;
    await recordSystemEvents(trx, deps.database.dialect, [
      { workspaceId: ws, profileId, event: REFERRAL_EVENTS.commissionReversed, properties, at: now, eventId: `${c.id}:reversed:${target}` },
    ]);
    n++;
  }
  return n;
}
