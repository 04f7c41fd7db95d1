/**
 * Referral rewards: granting a reward once per key (points through the ledger, a coupon through
 * the coupon issue, tier days through the tier port), taking them back when the qualifying order
 * is refunded (points clawed back, an unused coupon voided, a used one recorded as not
 * reclaimable), and the timeline events. Everything runs in the caller's transaction.
 */
import { recordSystemEvents, resolveProfileId } from '../cdp/index.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { issueInTrx } from './coupons.issue.js';
import { voidCouponInTrx } from './coupons.void.js';
import { LoyaltyError } from './errors.js';
import type { LoyaltyDeps } from './deps.js';
import { REFERRAL_EVENTS } from './event-names.js';
import type { Conn } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';
import type { Reward } from './referrals.programme.js';
import type { ReferralRewardsTable } from './referrals.tables.js';
import { defaultExpiry } from './settings.service.js';

/** A reward row with its numbers as numbers. */
export type RewardRow = ReferralRewardsTable;

/** What a grant is asked. */
export interface GrantRequest {
  workspaceId: string;
  /** Unique per workspace: the reward is given once per key. */
  key: string;
  refereeId: string;
  profileId: string;
  ruleId: string;
  trigger: RewardRow['trigger'];
  reward: Reward;
  orderId: string | null;
  reason: string;
}

/** The deps a grant needs (the transaction's dialect, the tier port, the default time zone). */
export type RewardDeps = Pick<LoyaltyDeps, 'database' | 'tierDays' | 'defaultTimeZone'>;

const num = (v: unknown) => Number(v ?? 0);

/** A reward row read back with its numbers as numbers. */
export function rewardFromRow(r: RewardRow): RewardRow {
  return { ...r, amount: num(r.amount), reversed: num(r.reversed), created_at: num(r.created_at), updated_at: num(r.updated_at) };
}

/** The reward of a key, if it was given (or tried). */
async function rewardByKey(trx: Conn, ws: string, key: string): Promise<RewardRow | undefined> {
  const r = await trx.selectFrom('referral_rewards').selectAll().where('workspace_id', '=', ws).where('reward_key', '=', key).executeTakeFirst();
  return r && rewardFromRow(r);
}

/** Gives the reward's value; answers the reference kept on the row, or throws an AppError (recorded as a failed reward). */
async function give(trx: Conn, deps: RewardDeps, req: GrantRequest, now: number): Promise<string> {
  const { dialect } = deps.database;
  const idempotencyKey = `referral:${req.key}`;
  const r = req.reward;
  if (r.kind === 'points') {
    const tz = await workspaceTimeZone(trx, req.workspaceId, deps.defaultTimeZone);
    const source = { type: 'system' as const, id: req.orderId ?? req.refereeId };
    const posting = {
      workspaceId: req.workspaceId,
      profileId: req.profileId,
      kind: 'earn' as const,
      points: r.points,
      reason: req.reason,
      source,
      idempotencyKey,
    };
    const res = await postEntry(trx, dialect, { ...posting, defaultExpiresAt: await defaultExpiry(trx, req.workspaceId, now, tz) }, now);
    return res.entry.id;
  }
  if (r.kind === 'coupon') {
    const timeZone = await workspaceTimeZone(trx, req.workspaceId, deps.defaultTimeZone);
    const issue = {
      workspaceId: req.workspaceId,
      profileId: req.profileId,
      template: r.template,
      channel: 'api' as const,
      idempotencyKey,
      reason: req.reason,
      timeZone,
    };
    return (await issueInTrx(trx, dialect, issue, now)).coupon.code;
  }
  if (!deps.tierDays) throw new LoyaltyError('TIER_DAYS_UNAVAILABLE', 'tier-day rewards need the tier module, which is not wired in', { days: r.days });
  const grant = { workspaceId: req.workspaceId, profileId: req.profileId, days: r.days, reason: req.reason, idempotencyKey, now };
  return (await deps.tierDays.grant(trx, grant)).reference;
}

/**
 * Gives a reward once per key: the first call gives it (or records why it could not: out of
 * stock, no tier module) and records `Referral Reward Granted`; later calls answer the first row.
 */
export async function grantReward(trx: Conn, deps: RewardDeps, req: GrantRequest, now: number): Promise<{ reward: RewardRow; first: boolean }> {
  const done = await rewardByKey(trx, req.workspaceId, req.key);
  if (done) return { reward: done, first: false };
  let reference: string | null = null;
  let note: string | null = null;
  try {
    reference = await give(trx, deps, req, now);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    note = `${err.code}: ${err.message}`;
  }
  const r = req.reward;
  const row: RewardRow = {
    workspace_id: req.workspaceId,
    id: newId('rfw', now),
    reward_key: req.key,
    referee_id: req.refereeId,
    profile_id: req.profileId,
    rule_id: req.ruleId,
    trigger: req.trigger,
    kind: r.kind,
    amount: r.kind === 'points' ? r.points : r.kind === 'tier_days' ? r.days : 1,
    reversed: 0,
    reference,
    order_id: req.orderId,
    status: note === null ? 'granted' : 'failed',
    note,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('referral_rewards').values(row).execute();
  if (note === null) {
    const properties = {
      reward_id: row.id,
      rule_id: row.rule_id,
      trigger: row.trigger,
      kind: row.kind,
      amount: row.amount,
      referee_id: req.refereeId,
      order_id: req.orderId,
    };
    await recordSystemEvents(trx, deps.database.dialect, [
      { workspaceId: req.workspaceId, profileId: req.profileId, event: REFERRAL_EVENTS.rewardGranted, properties, at: now, eventId: `${row.id}:granted` },
    ]);
  }
  return { reward: row, first: true };
}

/**
 * Takes back the points rewards of an order in proportion to what was refunded (all of them once
 * it is refunded in full or cancelled), through claw backs keyed by the share reversed, so a
 * replayed refund takes nothing twice. Once the order is refunded in full or cancelled, a coupon
 * reward is voided if unused, or recorded `not_reclaimable` with the order it was used on, and tier
 * days are revoked through the port when it can. Answers how many rewards changed.
 */
export async function reverseOrderRewards(trx: Conn, deps: RewardDeps, ws: string, orderId: string, share: number, why: string, now: number): Promise<number> {
  const rows = (
    await trx
      .selectFrom('referral_rewards')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('order_id', '=', orderId)
      .where('status', '!=', 'failed')
      .execute()
  ).map(rewardFromRow);
  return reverseRewards(trx, deps, ws, rows, { share, why, orderId }, now);
}

/** Takes back every reward a referee's referral gave (a referral rejected after a merge), milestones excepted. */
export async function reverseRefereeRewards(trx: Conn, deps: RewardDeps, ws: string, refereeId: string, why: string, now: number): Promise<number> {
  const rows = (
    await trx
      .selectFrom('referral_rewards')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('referee_id', '=', refereeId)
      .where('trigger', '!=', 'milestone')
      .where('status', '=', 'granted')
      .execute()
  ).map(rewardFromRow);
  return reverseRewards(trx, deps, ws, rows, { share: 1, why, orderId: null }, now);
}

/** Reverses rewards up to `share` of each (see reverseOrderRewards). */
async function reverseRewards(
  trx: Conn,
  deps: RewardDeps,
  ws: string,
  rows: RewardRow[],
  at: { share: number; why: string; orderId: string | null },
  now: number,
): Promise<number> {
  const { share, why } = at;
  let changed = 0;
  for (const r of rows) {
    const target = share >= 1 ? r.amount : Math.floor(r.amount * share);
    if (target <= r.reversed) continue;
    // The member may have been merged into another profile since (their points moved with them).
    const profileId = (await resolveProfileId(trx, ws, r.profile_id)) ?? r.profile_id;
    if (r.kind === 'points') {
      const claw = { workspaceId: ws, profileId, kind: 'clawback' as const, points: target - r.reversed, reason: `referral reward reversed: ${why}` };
      const source = at.orderId ? { type: 'order' as const, id: at.orderId } : { type: 'system' as const, id: r.id };
      await postEntry(trx, deps.database.dialect, { ...claw, source, idempotencyKey: `referral-reverse:${r.id}:${target}` }, now);
    } else if (r.kind === 'tier_days' && share >= 1 && deps.tierDays?.revoke && r.reference) {
      await deps.tierDays.revoke(trx, { workspaceId: ws, reference: r.reference, reason: why, now });
    } else if (r.kind === 'coupon' && share >= 1 && r.reference) {
      const v = await voidCouponInTrx(trx, deps.database.dialect, ws, r.reference, `referral reward reversed: ${why}`, now);
      if (!v) continue;
      if (v.outcome === 'used') {
        const note = `not reclaimable: coupon ${v.code} was used on order ${v.orderId} at ${new Date(v.redeemedAt).toISOString()} (${why})`;
        if (r.status !== 'not_reclaimable' || r.note !== note) {
          await trx
            .updateTable('referral_rewards')
            .set({ status: 'not_reclaimable', note, updated_at: now })
            .where('workspace_id', '=', ws)
            .where('id', '=', r.id)
            .execute();
          changed++;
        }
        continue;
      }
    } else continue;
    const status = target >= r.amount ? 'reversed' : 'granted';
    await trx
      .updateTable('referral_rewards')
      .set({ reversed: target, status, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', r.id)
      .execute();
    const properties = { reward_id: r.id, kind: r.kind, amount: target - r.reversed, order_id: at.orderId, reason: why };
    await recordSystemEvents(trx, deps.database.dialect, [
      { workspaceId: ws, profileId, event: REFERRAL_EVENTS.rewardReversed, properties, at: now, eventId: `${r.id}:reversed:${target}` },
    ]);
    changed++;
  }
  return changed;
}
