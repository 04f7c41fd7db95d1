/**
 * A lottery draw, in one transaction under the member's account lock: the replay of a known key,
 * the daily limit, the cost spent through the ledger, the roll (`crypto.randomInt` over 1,000,000
 * parts per million), the prize's stock counted by a conditional update (a prize out of stock gives
 * the lottery's fallback instead), the prize given (points through the ledger, a coupon through the
 * coupon issue), the draw recorded and its `Lottery Drawn` event.
 */
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { recordSystemEvents } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import type { Dialect } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { localDate } from '../platform/time.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import type { LotteryDrawsTable, LotteryPrizesTable } from './catalogue.tables.js';
import { issueInTrx } from './coupons.issue.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { GROWTH_EVENTS } from './event-names.js';
import { type Conn, lockAccount, num } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';
import { MemberApiError } from './member-api.errors.js';
import { type DrawView, drawView, loadLottery, PPM } from './lottery.service.js';
import { defaultExpiry } from './settings.service.js';

/** The prize a roll in [0, 1,000,000) falls on: the lines in table order, each covering `ppm` consecutive parts. */
export function pickPrize<P extends { ppm: number }>(prizes: readonly P[], roll: number): P {
  let edge = 0;
  for (const p of prizes) {
    edge += num(p.ppm);
    if (roll < edge) return p;
  }
  // Only a table not summing to PPM gets here (checkPrizes refuses those).
  throw new Error(`roll ${roll} is past the prize table's ${edge} ppm`);
}

/** A uniform roll in [0, 1,000,000) from the operating system's CSPRNG. */
export const rollPpm = (): number => randomInt(PPM);

/** Counts one more of a prize: only while stock is left; false when it ran out. */
async function takePrize(trx: Conn, p: LotteryPrizesTable, delta: 1 | -1): Promise<boolean> {
  let q = trx
    .updateTable('loyalty_lottery_prizes')
    .set({ won_count: sql`won_count + ${delta}` })
    .where('workspace_id', '=', p.workspace_id)
    .where('lottery_id', '=', p.lottery_id)
    .where('id', '=', p.id);
  if (delta === 1) q = q.where((eb) => eb.or([eb('stock', 'is', null), eb('won_count', '<', eb.ref('stock'))]));
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** What giving a prize produced. */
interface Given {
  prize: LotteryPrizesTable;
  awardEntryId: string | null;
  couponId: string | null;
}

/** Gives a prize line (points or a coupon; `none` and `physical` give nothing through Siyu); a coupon the template refuses falls back. */
async function give(
  trx: Conn,
  dialect: Dialect,
  ctx: { ws: string; profileId: string; drawId: string; tz: string; now: number },
  p: LotteryPrizesTable,
  fallback: LotteryPrizesTable,
): Promise<Given> {
  if (p.kind === 'points') {
    const e = await postEntry(
      trx,
      dialect,
      {
        workspaceId: ctx.ws,
        profileId: ctx.profileId,
        kind: 'earn',
        points: num(p.points),
        reason: `lottery prize: ${p.name}`,
        source: { type: 'api', id: `lottery:${ctx.drawId}` },
        idempotencyKey: `siyu:lottery-prize:${ctx.drawId}`,
        defaultExpiresAt: await defaultExpiry(trx, ctx.ws, ctx.now, ctx.tz),
      },
      ctx.now,
    );
    return { prize: p, awardEntryId: e.entry.id, couponId: null };
  }
  if (p.kind === 'coupon') {
    try {
      const r = await issueInTrx(
        trx,
        dialect,
        {
          workspaceId: ctx.ws,
          profileId: ctx.profileId,
          template: p.coupon_template_id!,
          channel: 'api',
          idempotencyKey: `siyu:lottery:${ctx.drawId}`,
          reason: `lottery prize: ${p.name}`,
          timeZone: ctx.tz,
        },
        ctx.now,
      );
      return { prize: p, awardEntryId: null, couponId: r.coupon.id };
    } catch (err) {
      // The template refused before writing (out of stock, paused, the member's limit): the prize is not given, the fallback is.
      if (!(err instanceof AppError) || !err.code.startsWith('COUPON_')) throw err;
      await takePrize(trx, p, -1);
      await takePrize(trx, fallback, 1);
      return give(trx, dialect, ctx, fallback, fallback);
    }
  }
  return { prize: p, awardEntryId: null, couponId: null };
}

/** Refuses a draw past the member's daily limit. */
async function checkDailyLimit(trx: Conn, ws: string, lotteryId: string, profileId: string, day: string, limit: number | null): Promise<void> {
  if (limit === null) return;
  const r = await trx
    .selectFrom('loyalty_lottery_draws')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('workspace_id', '=', ws)
    .where('lottery_id', '=', lotteryId)
    .where('profile_id', '=', profileId)
    .where('day', '=', day)
    .executeTakeFirstOrThrow();
  if (num(r.n) >= limit)
    throw new MemberApiError('LOTTERY_DAILY_LIMIT', `the member has drawn ${num(r.n)} times today (${day}); the limit is ${limit} a day`, { limit, day });
}

/** A draw asked for. */
export interface DrawRequest {
  profileId: string;
  lotteryId: string;
  /** As stored (member routes prefix theirs with the member). */
  idempotencyKey: string;
  /** The roll (tests); default {@link rollPpm}. */
  roll?: () => number;
}

/** Draws once for a member: see the file's comment. A retried key answers the first draw. */
export async function drawLottery(deps: LoyaltyDeps, ws: string, req: DrawRequest): Promise<DrawResult> {
  const { database } = deps;
  const tz = await workspaceTimeZone(database.db, ws, deps.defaultTimeZone);
  return withRetries(database, () => database.db.transaction().execute((trx) => drawInTrx(trx, deps, ws, req, tz)), 20);
}

/** The answer of a draw. */
type DrawResult = { draw: DrawView; balance: number; replayed: boolean };

/** The draw a key already made, if any; the key used by another lottery or member is IDEMPOTENCY_CONFLICT. */
async function firstDraw(trx: Conn, ws: string, req: DrawRequest): Promise<LotteryDrawsTable | undefined> {
  const first = await trx
    .selectFrom('loyalty_lottery_draws')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', req.idempotencyKey)
    .executeTakeFirst();
  if (first && (first.lottery_id !== req.lotteryId || first.profile_id !== req.profileId)) {
    throw new LoyaltyError('IDEMPOTENCY_CONFLICT', `idempotency key "${req.idempotencyKey}" was used by draw ${first.id} of another lottery or member`, {
      drawId: first.id,
    });
  }
  return first;
}

// size: one transaction's steps in order (lock, replay, checks, cost, roll, stock, prize, row, event)
async function drawInTrx(trx: Conn, deps: LoyaltyDeps, ws: string, req: DrawRequest, tz: string): Promise<DrawResult> {
  const { database } = deps;
  const now = deps.now();
  const account = await lockAccount(trx, database.dialect, ws, req.profileId, now);
  const { lottery, prizes } = await loadLottery(trx, ws, req.lotteryId);
  const byId = new Map(prizes.map((p) => [p.id, p]));
  const first = await firstDraw(trx, ws, req);
  if (first) return { draw: drawView(first, byId.get(first.prize_id)!), balance: account.balance, replayed: true };
  if (lottery.status !== 'active') throw new MemberApiError('LOTTERY_INACTIVE', `lottery ${lottery.id} is ${lottery.status}`, { status: lottery.status });
  const day = localDate(now, tz);
  await checkDailyLimit(trx, ws, lottery.id, req.profileId, day, lottery.daily_limit === null ? null : num(lottery.daily_limit));
  const id = newId('drw', now);
  const cost = num(lottery.cost_points);
  let spendEntryId: string | null = null;
  let balance = account.balance;
  if (cost > 0) {
    const e = await postEntry(
      trx,
      database.dialect,
      {
        workspaceId: ws,
        profileId: req.profileId,
        kind: 'spend',
        points: cost,
        reason: `lottery draw: ${lottery.name}`,
        source: { type: 'api', id: `lottery:${id}` },
        idempotencyKey: `siyu:lottery:${id}`,
      },
      now,
    );
    spendEntryId = e.entry.id;
    balance = e.entry.balanceAfter;
  }
  const fallback = byId.get(lottery.fallback_prize_id)!;
  const rolled = pickPrize(prizes, (req.roll ?? rollPpm)());
  const won = (await takePrize(trx, rolled, 1)) ? rolled : fallback;
  if (won !== rolled) await takePrize(trx, fallback, 1);
  const given = await give(trx, database.dialect, { ws, profileId: req.profileId, drawId: id, tz, now }, won, fallback);
  const row: LotteryDrawsTable = {
    workspace_id: ws,
    id,
    lottery_id: lottery.id,
    profile_id: req.profileId,
    day,
    rolled_prize_id: rolled.id,
    prize_id: given.prize.id,
    cost_points: cost,
    spend_entry_id: spendEntryId,
    award_entry_id: given.awardEntryId,
    coupon_id: given.couponId,
    idempotency_key: req.idempotencyKey,
    created_at: now,
  };
  await trx.insertInto('loyalty_lottery_draws').values(row).execute();
  if (given.prize.kind === 'points') balance += num(given.prize.points);
  const view = drawView(row, given.prize);
  await recordSystemEvents(trx, database.dialect, [
    {
      workspaceId: ws,
      profileId: req.profileId,
      event: GROWTH_EVENTS.lotteryDrawn,
      eventId: `${id}:drawn`,
      at: now,
      properties: {
        draw_id: id,
        lottery_id: lottery.id,
        lottery_name: lottery.name,
        prize_id: view.prizeId,
        prize_name: view.prizeName,
        prize_kind: view.prizeKind,
        fell_back: view.fellBack,
        cost_points: cost,
        coupon_id: view.couponId,
      },
    },
  ]);
  return { draw: view, balance, replayed: false };
}
