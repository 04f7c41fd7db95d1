/**
 * What the earning rules give, through the ledger: one award per (rule, subject) — the row is the
 * once-only record, written in the transaction of the ledger posting it causes — capped by the
 * rule's limits per member and period, credited at once or held as `pending` until an order's
 * return window closes, and taken back in proportion when the order is refunded.
 */
import type { OrderStanding } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { startOfLocalDate, startOfLocalDay, startOfLocalWeek, startOfNextLocalDay, startOfNextLocalWeek, localDate } from '../platform/time.js';
import type { AwardStatus, LoyaltyAwardsTable } from './earning.tables.js';
import { type Conn, lockAccount, num } from './ledger.repo.js';
import { type PointsSource, postEntry } from './ledger.service.js';
import { defaultExpiry } from './settings.service.js';

/** Points per member and period a rule may give at most. */
export interface Limits {
  day?: number;
  week?: number;
  month?: number;
  lifetime?: number;
}

/** One award a rule makes. */
export interface AwardRequest {
  workspaceId: string;
  ruleId: string;
  ruleVersion: number;
  /** What the award is for, unique per rule in the workspace: `event:<message id>`, `order:<order id>`, `checkin:<profile id>:<date>`. */
  subjectKey: string;
  /** The live profile. */
  profileId: string;
  /** The rule's figure, before limits. */
  points: number;
  /** The subject's time: limits count by it. */
  at: number;
  timeZone: string;
  limits?: Limits;
  reason: string;
  source: PointsSource;
  orderId?: string | null;
  /** Hold the points as pending until then (an order's return window); absent or null: credit at once. */
  holdUntil?: number | null;
}

/** The outcome of an award. */
export interface AwardOutcome {
  status: AwardStatus;
  points: number;
  entryId: string | null;
  balance: number;
  /** True when the award was made before (the same rule and subject): nothing changed now. */
  existed: boolean;
}

/** The ledger key of a rule's credit for a subject. */
export const awardKey = (ruleId: string, subjectKey: string) => `siyu:rule:${ruleId}:${subjectKey}`;

/** The [start, end) of each limited period holding `at`, in `tz`. */
function periods(limits: Limits, at: number, tz: string): { name: keyof Limits; max: number; from: number; to: number }[] {
  const month = localDate(at, tz).slice(0, 7);
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  const bounds: Record<keyof Limits, [number, number]> = {
    day: [startOfLocalDay(at, tz), startOfNextLocalDay(at, tz)],
    week: [startOfLocalWeek(at, tz), startOfNextLocalWeek(at, tz)],
    month: [startOfLocalDate(`${month}-01`, tz), startOfLocalDate(`${next}-01`, tz)],
    lifetime: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  };
  return (Object.keys(bounds) as (keyof Limits)[])
    .filter((k) => limits[k] !== undefined)
    .map((k) => ({ name: k, max: limits[k]!, from: bounds[k][0], to: bounds[k][1] }));
}

/** What the rule may still give the member for a subject at `at` (the locked account serialises awards to one member). */
async function allowance(trx: Conn, req: AwardRequest): Promise<{ points: number; note: string | null }> {
  let points = req.points;
  let note: string | null = null;
  for (const p of periods(req.limits ?? {}, req.at, req.timeZone)) {
    const used = await trx
      .selectFrom('loyalty_awards')
      .select((eb) => eb.fn.sum<number>('points').as('n'))
      .where('workspace_id', '=', req.workspaceId)
      .where('rule_id', '=', req.ruleId)
      .where('profile_id', '=', req.profileId)
      .where('at', '>=', p.from)
      .where('at', '<', p.to)
      .executeTakeFirst();
    const left = Math.max(0, p.max - num(used?.n));
    if (left < points) {
      points = left;
      note = `limit of ${p.max} points per ${p.name === 'lifetime' ? 'lifetime' : p.name} reached (${p.max - left} given before)`;
    }
  }
  return { points, note };
}

/** Adds `delta` to the locked account's pending points. */
export async function movePending(trx: Conn, ws: string, profileId: string, delta: number, now: number): Promise<void> {
  if (delta === 0) return;
  await trx
    .updateTable('loyalty_accounts')
    .set((eb) => ({ pending: eb('pending', '+', delta), updated_at: now }))
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', profileId)
    .execute();
}

/** The award of a rule for a subject, if made. */
export async function findAward(trx: Conn, ws: string, ruleId: string, subjectKey: string, lock?: Dialect): Promise<LoyaltyAwardsTable | undefined> {
  const q = trx.selectFrom('loyalty_awards').selectAll().where('workspace_id', '=', ws).where('rule_id', '=', ruleId).where('subject_key', '=', subjectKey);
  const r = await (lock ? lock.forUpdate(q) : q).executeTakeFirst();
  return r && { ...r, points: num(r.points), clawed: num(r.clawed), release_at: r.release_at === null ? null : num(r.release_at), at: num(r.at) };
}

/**
 * Makes an award inside the caller's transaction: locks the member's account, and unless the rule
 * already awarded this subject, gives what the limits allow — credited now (an `earn` entry, with
 * the workspace's expiry policy) or held as pending — and records the award.
 */
export async function makeAward(trx: Conn, dialect: Dialect, req: AwardRequest, now: number): Promise<AwardOutcome> {
  const account = await lockAccount(trx, dialect, req.workspaceId, req.profileId, now);
  const before = await findAward(trx, req.workspaceId, req.ruleId, req.subjectKey);
  if (before) return { status: before.status, points: before.points, entryId: before.entry_id, balance: account.balance, existed: true };
  const { points, note } = await allowance(trx, req);
  let status: AwardStatus = 'none';
  let entryId: string | null = null;
  let balance = account.balance;
  if (points > 0 && req.holdUntil != null) {
    status = 'pending';
    await movePending(trx, req.workspaceId, req.profileId, points, now);
  } else if (points > 0) {
    status = 'awarded';
    const r = await postEntry(
      trx,
      dialect,
      {
        workspaceId: req.workspaceId,
        profileId: req.profileId,
        kind: 'earn',
        points,
        reason: req.reason,
        source: req.source,
        idempotencyKey: awardKey(req.ruleId, req.subjectKey),
        defaultExpiresAt: await defaultExpiry(trx, req.workspaceId, now, req.timeZone),
      },
      now,
    );
    entryId = r.entry.id;
    balance = r.entry.balanceAfter;
  }
  await trx
    .insertInto('loyalty_awards')
    .values({
      workspace_id: req.workspaceId,
      rule_id: req.ruleId,
      subject_key: req.subjectKey,
      rule_version: req.ruleVersion,
      profile_id: req.profileId,
      status,
      points,
      clawed: 0,
      order_id: req.orderId ?? null,
      release_at: status === 'pending' ? req.holdUntil! : null,
      entry_id: entryId,
      note,
      at: req.at,
      created_at: now,
    })
    .execute();
  return { status, points, entryId, balance, existed: false };
}

/**
 * Releases one held award whose return window has closed: credits what refunds left of it (an
 * `earn` entry keyed `siyu:release:<rule>:<subject>`) and takes it out of pending. Locks the account
 * first, then the award (the order every writer of awards follows); false when it was no longer pending.
 */
export async function releaseAward(
  trx: Conn,
  dialect: Dialect,
  a: { workspace_id: string; profile_id: string; rule_id: string; subject_key: string },
  now: number,
  tz: string,
): Promise<boolean> {
  await lockAccount(trx, dialect, a.workspace_id, a.profile_id, now);
  const award = await findAward(trx, a.workspace_id, a.rule_id, a.subject_key, dialect);
  if (!award || award.status !== 'pending' || award.profile_id !== a.profile_id) return false;
  const give = award.points - award.clawed;
  let entryId: string | null = null;
  if (give > 0) {
    const r = await postEntry(
      trx,
      dialect,
      {
        workspaceId: a.workspace_id,
        profileId: a.profile_id,
        kind: 'earn',
        points: give,
        reason: `order ${award.order_id ?? award.subject_key}: return window closed`,
        source: { type: 'order', id: award.order_id },
        idempotencyKey: `siyu:release:${a.rule_id}:${a.subject_key}`,
        defaultExpiresAt: await defaultExpiry(trx, a.workspace_id, now, tz),
      },
      now,
    );
    entryId = r.entry.id;
  }
  await movePending(trx, a.workspace_id, a.profile_id, -give, now);
  await trx
    .updateTable('loyalty_awards')
    .set({ status: 'released', entry_id: entryId })
    .where('workspace_id', '=', a.workspace_id)
    .where('rule_id', '=', a.rule_id)
    .where('subject_key', '=', a.subject_key)
    .execute();
  return true;
}

/**
 * What refunds should have taken back of an order's award: everything once the order is cancelled
 * or fully refunded, otherwise the refunded share of the amount, rounded down (a partial refund of
 * ¥30 of a ¥100 order that earned 100 points takes back 30).
 */
export function clawTarget(points: number, o: OrderStanding): number {
  if (o.status === 'cancelled' || o.status === 'refunded' || (o.totalFen > 0 && o.refundedFen >= o.totalFen)) return points;
  if (o.totalFen <= 0 || o.refundedFen <= 0) return 0;
  return Math.floor((points * o.refundedFen) / o.totalFen + 1e-9);
}

/**
 * Brings an order's awards in line with its refunds: a pending award loses the refunded share from
 * its hold; a credited one is clawed back (a `clawback` entry keyed by the share reached, so the
 * same refund seen twice takes back once; the ledger takes at most the balance and records the
 * rest as shortfall). Returns the points taken back.
 */
export async function reconcileOrder(trx: Conn, dialect: Dialect, ws: string, order: OrderStanding, now: number): Promise<number> {
  const awards = await trx
    .selectFrom('loyalty_awards')
    .select(['rule_id', 'subject_key', 'profile_id'])
    .where('workspace_id', '=', ws)
    .where('order_id', '=', order.orderId)
    .execute();
  let taken = 0;
  for (const a of awards) {
    await lockAccount(trx, dialect, ws, a.profile_id, now);
    const award = await findAward(trx, ws, a.rule_id, a.subject_key, dialect);
    // Moved to a survivor since it was read: the next pass sees it there.
    if (!award || award.profile_id !== a.profile_id || award.status === 'none') continue;
    const target = clawTarget(award.points, order);
    const delta = target - award.clawed;
    if (delta <= 0) continue;
    if (award.status === 'pending') await movePending(trx, ws, award.profile_id, -delta, now);
    else {
      await postEntry(
        trx,
        dialect,
        {
          workspaceId: ws,
          profileId: award.profile_id,
          kind: 'clawback',
          points: delta,
          reason: `order ${order.orderId} ${order.status === 'cancelled' ? 'cancelled' : 'refunded'}`,
          source: { type: 'order', id: order.orderId },
          idempotencyKey: `siyu:refund:${a.rule_id}:${a.subject_key}:${target}`,
        },
        now,
      );
    }
    await trx
      .updateTable('loyalty_awards')
      .set({ clawed: target })
      .where('workspace_id', '=', ws)
      .where('rule_id', '=', a.rule_id)
      .where('subject_key', '=', a.subject_key)
      .execute();
    taken += delta;
  }
  return taken;
}
