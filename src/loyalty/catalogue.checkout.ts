/**
 * Deduction at checkout: the workspace sets how many points pay ¥1 and a cap per order (a percent of
 * the order's total and/or an amount in fen); the brand's backend quotes what a member may use on an
 * order and applies it for the order's id (idempotent: the order id is the key); the points come
 * back when the order is refunded in full or cancelled (the coupon worker's order watch calls
 * {@link reverseDeductionsForOrders}) or through the reverse route.
 *
 * Rounding: points pay whole fen only. `fen = floor(points × 100 ÷ pointsPerYuan)` and the points
 * spent are `ceil(fen × pointsPerYuan ÷ 100)` (never more than asked), so at 100 points = ¥1 a point
 * is a fen, and at 250 points = ¥1, 101 points pay 40 fen and 100 are spent.
 */
import { recordSystemEvents } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import type { Dialect } from '../platform/db/database.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import type { CheckoutDeductionsTable } from './catalogue.tables.js';
import type { LoyaltyDeps } from './deps.js';
import { GROWTH_EVENTS } from './event-names.js';
import { type Conn, findAccount, lockAccount, num } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';
import { MemberApiError } from './member-api.errors.js';
import { defaultExpiry } from './settings.service.js';

/** The workspace's deduction settings. */
export interface CheckoutSettings {
  pointsPerYuan: number;
  maxPercent: number | null;
  maxFen: number | null;
}

/** The settings, or undefined before they are set. */
export async function checkoutSettings(db: Conn, ws: string): Promise<CheckoutSettings | undefined> {
  const r = await db.selectFrom('loyalty_checkout_settings').selectAll().where('workspace_id', '=', ws).executeTakeFirst();
  return (
    r && {
      pointsPerYuan: num(r.points_per_yuan),
      maxPercent: r.max_percent === null ? null : num(r.max_percent),
      maxFen: r.max_fen === null ? null : num(r.max_fen),
    }
  );
}

/** Sets the settings (PUT /v1/loyalty/checkout/settings). */
export async function saveCheckoutSettings(deps: LoyaltyDeps, ws: string, s: CheckoutSettings): Promise<CheckoutSettings> {
  const row = { workspace_id: ws, points_per_yuan: s.pointsPerYuan, max_percent: s.maxPercent, max_fen: s.maxFen, updated_at: deps.now() };
  await deps.database.dialect.insertMany(deps.database.db, 'loyalty_checkout_settings', [row], {
    columns: ['workspace_id'],
    update: ['points_per_yuan', 'max_percent', 'max_fen', 'updated_at'],
  });
  return s;
}

async function settingsOrThrow(db: Conn, ws: string): Promise<CheckoutSettings> {
  const s = await checkoutSettings(db, ws);
  if (!s) throw new MemberApiError('CHECKOUT_NOT_CONFIGURED', 'deduction at checkout is not set up: PUT /v1/loyalty/checkout/settings first');
  return s;
}

/** Fen that `points` pay (whole fen, rounded down). */
export const fenFor = (points: number, s: CheckoutSettings) => Math.floor((points * 100) / s.pointsPerYuan);
/** Points that pay `fen` exactly (rounded up; never more than the points that gave those fen). */
export const pointsFor = (fen: number, s: CheckoutSettings) => Math.ceil((fen * s.pointsPerYuan) / 100);

/** The most fen points may pay on an order of `totalFen`: the order's total, capped by percent and amount. */
export function capFen(totalFen: number, s: CheckoutSettings): number {
  let cap = totalFen;
  if (s.maxPercent !== null) cap = Math.min(cap, Math.floor((totalFen * s.maxPercent) / 100));
  if (s.maxFen !== null) cap = Math.min(cap, s.maxFen);
  return cap;
}

/** A quote: what the member may use on an order. */
export interface CheckoutQuote {
  profileId: string;
  balance: number;
  pointsPerYuan: number;
  /** The cap of the order in fen, and the points that pay it. */
  capFen: number;
  maxPoints: number;
  /** What would be used: the points asked for (or the most possible), within balance and cap. */
  points: number;
  amountFen: number;
}

/** Quotes the deduction of a member on an order of `orderTotalFen` (changes nothing). */
export async function quoteCheckout(deps: LoyaltyDeps, ws: string, b: { profile: string; orderTotalFen: number; points?: number }): Promise<CheckoutQuote> {
  const profileId = await deps.resolveProfile(ws, b.profile);
  const db = deps.database.db;
  const s = await settingsOrThrow(db, ws);
  const balance = (await findAccount(db, ws, profileId))?.balance ?? 0;
  const cap = capFen(b.orderTotalFen, s);
  const maxPoints = pointsFor(cap, s);
  const usable = Math.min(b.points ?? maxPoints, maxPoints, balance);
  const amountFen = fenFor(usable, s);
  return { profileId, balance, pointsPerYuan: s.pointsPerYuan, capFen: cap, maxPoints, points: pointsFor(amountFen, s), amountFen };
}

/** A deduction as the API answers it. */
export interface DeductionView {
  orderId: string;
  profileId: string;
  points: number;
  amountFen: number;
  orderTotalFen: number;
  status: 'applied' | 'reversed';
  entryId: string;
  reverseEntryId: string | null;
  createdAt: string;
  updatedAt: string;
}

function deductionView(r: CheckoutDeductionsTable): DeductionView {
  return {
    orderId: r.order_id,
    profileId: r.profile_id,
    points: num(r.points),
    amountFen: num(r.amount_fen),
    orderTotalFen: num(r.order_total_fen),
    status: r.status,
    entryId: r.entry_id,
    reverseEntryId: r.reverse_entry_id,
    createdAt: new Date(num(r.created_at)).toISOString(),
    updatedAt: new Date(num(r.updated_at)).toISOString(),
  };
}

const findDeduction = (db: Conn, ws: string, orderId: string) =>
  db.selectFrom('loyalty_checkout_deductions').selectAll().where('workspace_id', '=', ws).where('order_id', '=', orderId).executeTakeFirst();

/** The body of apply. */
export interface ApplyBody {
  profile: string;
  orderId: string;
  orderTotalFen: number;
  points: number;
}

/**
 * Spends points on an order, once per order id: the same request again answers the first
 * deduction (`replayed`); another member, total or number of points for the order is
 * CHECKOUT_ORDER_CONFLICT. Points beyond the cap are CHECKOUT_CAP_EXCEEDED; beyond the balance,
 * INSUFFICIENT_POINTS. The ledger entry is keyed `siyu:checkout:<order id>`.
 */
export async function applyCheckout(deps: LoyaltyDeps, ws: string, b: ApplyBody): Promise<{ deduction: DeductionView; replayed: boolean }> {
  const profileId = await deps.resolveProfile(ws, b.profile);
  const { database } = deps;
  return withRetries(
    database,
    () =>
      database.db.transaction().execute(async (trx) => {
        const now = deps.now();
        await lockAccount(trx, database.dialect, ws, profileId, now);
        const first = await findDeduction(trx, ws, b.orderId);
        if (first) {
          if (first.profile_id !== profileId || num(first.order_total_fen) !== b.orderTotalFen || first.status !== 'applied') {
            throw new MemberApiError('CHECKOUT_ORDER_CONFLICT', `order ${b.orderId} already has a deduction (${first.status}) for other numbers`, {
              deduction: deductionView(first),
            });
          }
          const s0 = await settingsOrThrow(trx, ws);
          if (num(first.points) !== b.points && num(first.points) !== pointsFor(fenFor(b.points, s0), s0)) {
            throw new MemberApiError('CHECKOUT_ORDER_CONFLICT', `order ${b.orderId} already has ${num(first.points)} points deducted`, {
              deduction: deductionView(first),
            });
          }
          return { deduction: deductionView(first), replayed: true };
        }
        const s = await settingsOrThrow(trx, ws);
        const cap = capFen(b.orderTotalFen, s);
        const fen = fenFor(b.points, s);
        if (fen > cap) {
          throw new MemberApiError(
            'CHECKOUT_CAP_EXCEEDED',
            `${b.points} points pay ${fen} fen; this order allows at most ${cap} fen (${pointsFor(cap, s)} points)`,
            {
              capFen: cap,
              maxPoints: pointsFor(cap, s),
            },
          );
        }
        if (fen === 0)
          throw new MemberApiError('VALIDATION_FAILED', `${b.points} points pay less than one fen at ${s.pointsPerYuan} points per yuan`, { field: 'points' });
        const points = pointsFor(fen, s);
        const spent = await postEntry(
          trx,
          database.dialect,
          {
            workspaceId: ws,
            profileId,
            kind: 'spend',
            points,
            reason: `checkout: order ${b.orderId}`,
            source: { type: 'order', id: b.orderId },
            idempotencyKey: `siyu:checkout:${b.orderId}`,
          },
          now,
        );
        const row: CheckoutDeductionsTable = {
          workspace_id: ws,
          order_id: b.orderId,
          profile_id: profileId,
          points,
          amount_fen: fen,
          order_total_fen: b.orderTotalFen,
          entry_id: spent.entry.id,
          status: 'applied',
          reverse_entry_id: null,
          reverse_reason: null,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('loyalty_checkout_deductions').values(row).execute();
        await recordDeductionEvent(trx, database.dialect, row, GROWTH_EVENTS.pointsDeducted, now);
        return { deduction: deductionView(row), replayed: false };
      }),
    8,
  );
}

async function recordDeductionEvent(trx: Conn, dialect: Dialect, r: CheckoutDeductionsTable, event: string, now: number): Promise<void> {
  await recordSystemEvents(trx, dialect, [
    {
      workspaceId: r.workspace_id,
      profileId: r.profile_id,
      event,
      eventId: `chk:${r.order_id}:${event === GROWTH_EVENTS.pointsDeducted ? 'applied' : 'reversed'}`,
      at: now,
      properties: { order_id: r.order_id, points: num(r.points), amount_fen: num(r.amount_fen), reason: r.reverse_reason },
    },
  ]);
}

/**
 * Gives back the points of an order's deduction inside the caller's transaction (an `adjust` credit
 * keyed `siyu:checkout-reverse:<order id>`, expiring under the workspace's policy). A deduction
 * already reversed, or none, changes nothing. Answers the deduction as it now is, if any.
 */
export async function reverseDeductionInTrx(trx: Conn, dialect: Dialect, ws: string, orderId: string, reason: string, now: number, tz: string) {
  const d = await findDeduction(trx, ws, orderId);
  if (!d || d.status === 'reversed') return d && deductionView(d);
  await lockAccount(trx, dialect, ws, d.profile_id, now);
  const again = (await findDeduction(trx, ws, orderId))!;
  if (again.status === 'reversed') return deductionView(again);
  const credit = await postEntry(
    trx,
    dialect,
    {
      workspaceId: ws,
      profileId: d.profile_id,
      kind: 'adjust',
      points: num(d.points),
      reason: `checkout reversed: order ${orderId} (${reason})`,
      source: { type: 'order', id: orderId },
      idempotencyKey: `siyu:checkout-reverse:${orderId}`,
      defaultExpiresAt: await defaultExpiry(trx, ws, now, tz),
    },
    now,
  );
  const set = { status: 'reversed' as const, reverse_entry_id: credit.entry.id, reverse_reason: reason, updated_at: now };
  await trx.updateTable('loyalty_checkout_deductions').set(set).where('workspace_id', '=', ws).where('order_id', '=', orderId).execute();
  await recordDeductionEvent(trx, dialect, { ...again, ...set }, GROWTH_EVENTS.deductionReversed, now);
  return deductionView({ ...again, ...set });
}

/** Reverses the deductions of orders the CDP now holds as cancelled or fully refunded (called by the coupon worker's order watch). */
export async function reverseDeductionsForOrders(
  trx: Conn,
  dialect: Dialect,
  ws: string,
  orders: readonly { orderId: string; reason: string }[],
  now: number,
  defaultTimeZone = 'Asia/Shanghai',
): Promise<number> {
  if (orders.length === 0) return 0;
  const open = await trx
    .selectFrom('loyalty_checkout_deductions')
    .select('order_id')
    .where('workspace_id', '=', ws)
    .where('status', '=', 'applied')
    .where(
      'order_id',
      'in',
      orders.map((o) => o.orderId),
    )
    .execute();
  if (open.length === 0) return 0;
  const tz = await workspaceTimeZone(trx, ws, defaultTimeZone);
  const reasons = new Map(orders.map((o) => [o.orderId, o.reason]));
  for (const o of open) await reverseDeductionInTrx(trx, dialect, ws, o.order_id, reasons.get(o.order_id)!, now, tz);
  return open.length;
}

/** Reverses an order's deduction (POST /v1/loyalty/checkout/reverse); 404-free: an order without one answers null. */
export async function reverseCheckout(deps: LoyaltyDeps, ws: string, b: { orderId: string; reason: string }): Promise<{ deduction: DeductionView | null }> {
  const { database } = deps;
  const tz = await workspaceTimeZone(database.db, ws, deps.defaultTimeZone);
  const d = await withRetries(database, () =>
    database.db.transaction().execute((trx) => reverseDeductionInTrx(trx, database.dialect, ws, b.orderId, b.reason, deps.now(), tz)),
  );
  return { deduction: d ?? null };
}
