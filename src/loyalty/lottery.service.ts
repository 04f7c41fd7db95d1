/**
 * Lotteries (抽奖): a declared prize table whose probabilities are integers in parts per million
 * summing to exactly 1,000,000 (no float drift), a cost in points per draw, stock per prize, a
 * daily limit per member, and exactly one fallback line (the "no prize" or consolation entry, with
 * no stock limit and nothing that can run out) that a draw gives instead of a prize out of stock.
 * This file holds the definitions; lottery.draw.ts draws.
 */
import { newId } from '../platform/ids.js';
import { decodeCursor, keysetAfter, type Page, pageOf } from '../platform/paging.js';
import type { LotteriesTable, LotteryDrawsTable, LotteryPrizesTable, OfferStatus, PrizeKind } from './catalogue.tables.js';
import { findTemplate } from './coupons.repo.js';
import type { LoyaltyDeps } from './deps.js';
import { type Conn, num } from './ledger.repo.js';
import { MemberApiError } from './member-api.errors.js';

/** Parts per million: the prize table's probabilities sum to this. */
export const PPM = 1_000_000;

/** A prize line as the API takes it. */
export interface PrizeBody {
  id: string;
  name: string;
  kind: PrizeKind;
  ppm: number;
  stock?: number | null;
  points?: number | null;
  couponTemplateId?: string | null;
  fallback?: boolean;
}

/** The body that creates a lottery. */
export interface LotteryBody {
  name: string;
  costPoints: number;
  dailyLimit?: number | null;
  status?: 'active' | 'paused';
  prizes: PrizeBody[];
}

/** What PATCH may change (the prize table is replaced with PUT …/prizes, lottery.prizes.ts). */
export interface LotteryPatch {
  name?: string;
  costPoints?: number;
  dailyLimit?: number | null;
  status?: OfferStatus;
}

/** A prize as the API answers it. */
export interface PrizeView {
  id: string;
  name: string;
  kind: PrizeKind;
  ppm: number;
  stock: number | null;
  won: number;
  left: number | null;
  points: number | null;
  couponTemplateId: string | null;
  fallback: boolean;
}

/** A lottery as the API answers it. */
export interface LotteryView {
  id: string;
  name: string;
  status: OfferStatus;
  costPoints: number;
  dailyLimit: number | null;
  fallbackPrizeId: string;
  prizes: PrizeView[];
  createdAt: string;
  updatedAt: string;
}

const invalid = (message: string, details?: unknown) => new MemberApiError('LOTTERY_INVALID', message, details);

/** Checks a prize table: ids unique, ppm summing to 1,000,000, one fallback that cannot run out, each kind with what it gives. */
export function checkPrizes(prizes: readonly PrizeBody[]): void {
  const ids = new Set(prizes.map((p) => p.id));
  if (ids.size !== prizes.length) throw invalid('prize ids must be unique within a lottery');
  const sum = prizes.reduce((s, p) => s + p.ppm, 0);
  if (sum !== PPM) throw invalid(`prize probabilities must sum to ${PPM} ppm (1), they sum to ${sum}`, { sum });
  const fallbacks = prizes.filter((p) => p.fallback);
  if (fallbacks.length !== 1) throw invalid(`exactly one prize must be the fallback ("fallback": true), ${fallbacks.length} are`);
  const f = fallbacks[0]!;
  if (f.stock != null || (f.kind !== 'none' && f.kind !== 'points')) {
    throw invalid(`the fallback prize "${f.id}" must be "none" or "points" without stock: it is given whenever another prize is out of stock`);
  }
  for (const p of prizes) {
    if (p.kind === 'points' && !(p.points != null && p.points > 0)) throw invalid(`prize "${p.id}" of kind points needs points > 0`);
    if (p.kind === 'coupon' && !p.couponTemplateId) throw invalid(`prize "${p.id}" of kind coupon needs couponTemplateId`);
    if (p.kind !== 'points' && p.points != null) throw invalid(`prize "${p.id}": points are for kind points only`);
  }
}

function prizeView(p: LotteryPrizesTable, fallbackId: string): PrizeView {
  const stock = p.stock === null ? null : num(p.stock);
  const won = num(p.won_count);
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    ppm: num(p.ppm),
    stock,
    won,
    left: stock === null ? null : stock - won,
    points: p.points === null ? null : num(p.points),
    couponTemplateId: p.coupon_template_id,
    fallback: p.id === fallbackId,
  };
}

function lotteryView(l: LotteriesTable, prizes: LotteryPrizesTable[]): LotteryView {
  return {
    id: l.id,
    name: l.name,
    status: l.status,
    costPoints: num(l.cost_points),
    dailyLimit: l.daily_limit === null ? null : num(l.daily_limit),
    fallbackPrizeId: l.fallback_prize_id,
    prizes: prizes.sort((a, b) => num(a.position) - num(b.position)).map((p) => prizeView(p, l.fallback_prize_id)),
    createdAt: new Date(num(l.created_at)).toISOString(),
    updatedAt: new Date(num(l.updated_at)).toISOString(),
  };
}

/** A lottery's row and prize lines (404 LOTTERY_NOT_FOUND). */
export async function loadLottery(db: Conn, ws: string, id: string): Promise<{ lottery: LotteriesTable; prizes: LotteryPrizesTable[] }> {
  const lottery = await db.selectFrom('loyalty_lotteries').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  if (!lottery) throw new MemberApiError('LOTTERY_NOT_FOUND', `no lottery "${id}" in this workspace`, { id });
  const prizes = await db
    .selectFrom('loyalty_lottery_prizes')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('lottery_id', '=', id)
    .orderBy('position')
    .execute();
  return { lottery, prizes };
}

/** Creates a lottery with its prize table (validated; coupon prizes name templates of the workspace). */
export async function createLottery(deps: LoyaltyDeps, ws: string, b: LotteryBody): Promise<LotteryView> {
  checkPrizes(b.prizes);
  const db = deps.database.db;
  const templates = new Map<string, string>();
  for (const p of b.prizes.filter((x) => x.kind === 'coupon')) {
    const t = await findTemplate(db, deps.database.dialect, ws, p.couponTemplateId!);
    if (!t) throw invalid(`prize "${p.id}": no coupon template "${p.couponTemplateId}" in this workspace`);
    templates.set(p.id, t.id);
  }
  const now = deps.now();
  const id = newId('lot', now);
  const lottery: LotteriesTable = {
    workspace_id: ws,
    id,
    name: b.name,
    status: b.status ?? 'active',
    cost_points: b.costPoints,
    daily_limit: b.dailyLimit ?? null,
    fallback_prize_id: b.prizes.find((p) => p.fallback)!.id,
    created_at: now,
    updated_at: now,
  };
  const prizes: LotteryPrizesTable[] = b.prizes.map((p, i) => ({
    workspace_id: ws,
    lottery_id: id,
    id: p.id,
    position: i,
    name: p.name,
    kind: p.kind,
    ppm: p.ppm,
    stock: p.stock ?? null,
    won_count: 0,
    points: p.points ?? null,
    coupon_template_id: templates.get(p.id) ?? null,
  }));
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('loyalty_lotteries').values(lottery).execute();
    await trx.insertInto('loyalty_lottery_prizes').values(prizes).execute();
  });
  return lotteryView(lottery, prizes);
}

/** One lottery with its prize table and what each prize has given. */
export async function getLottery(deps: LoyaltyDeps, ws: string, id: string): Promise<LotteryView> {
  const { lottery, prizes } = await loadLottery(deps.database.db, ws, id);
  return lotteryView(lottery, prizes);
}

/** Changes a lottery's name, cost, daily limit or status. */
export async function updateLottery(deps: LoyaltyDeps, ws: string, id: string, p: LotteryPatch): Promise<LotteryView> {
  await loadLottery(deps.database.db, ws, id);
  await deps.database.db
    .updateTable('loyalty_lotteries')
    .set({
      ...(p.name !== undefined ? { name: p.name } : {}),
      ...(p.costPoints !== undefined ? { cost_points: p.costPoints } : {}),
      ...(p.dailyLimit !== undefined ? { daily_limit: p.dailyLimit } : {}),
      ...(p.status !== undefined ? { status: p.status } : {}),
      updated_at: deps.now(),
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return getLottery(deps, ws, id);
}

/** Lotteries newest first (archived ones only with `status=archived`). */
export async function listLotteries(deps: LoyaltyDeps, ws: string, q: { limit: number; cursor?: string; status?: OfferStatus }): Promise<Page<LotteryView>> {
  const db = deps.database.db;
  let sel = db.selectFrom('loyalty_lotteries').selectAll().where('workspace_id', '=', ws);
  sel = q.status ? sel.where('status', '=', q.status) : sel.where('status', '!=', 'archived');
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const ids = rows.map((r) => r.id);
  const prizes = ids.length
    ? await db.selectFrom('loyalty_lottery_prizes').selectAll().where('workspace_id', '=', ws).where('lottery_id', 'in', ids).execute()
    : [];
  return pageOf(
    rows,
    q.limit,
    (l) =>
      lotteryView(
        l,
        prizes.filter((p) => p.lottery_id === l.id),
      ),
    (r) => [r.id],
  );
}

/** A draw as the API answers it. */
export interface DrawView {
  id: string;
  lotteryId: string;
  profileId: string;
  day: string;
  /** The prize the random number fell on, and the one given (the fallback when it was out of stock). */
  rolledPrizeId: string;
  prizeId: string;
  prizeName: string;
  prizeKind: PrizeKind;
  fellBack: boolean;
  costPoints: number;
  points: number | null;
  couponId: string | null;
  createdAt: string;
}

/** A draw row as the API shows it, with its prize line. */
export function drawView(d: LotteryDrawsTable, prize: Pick<LotteryPrizesTable, 'name' | 'kind' | 'points'>): DrawView {
  return {
    id: d.id,
    lotteryId: d.lottery_id,
    profileId: d.profile_id,
    day: d.day,
    rolledPrizeId: d.rolled_prize_id,
    prizeId: d.prize_id,
    prizeName: prize.name,
    prizeKind: prize.kind,
    fellBack: d.prize_id !== d.rolled_prize_id,
    costPoints: num(d.cost_points),
    points: prize.kind === 'points' ? num(prize.points) : null,
    couponId: d.coupon_id,
    createdAt: new Date(num(d.created_at)).toISOString(),
  };
}

/** A lottery's draws newest first (optionally one member's). */
export async function listDraws(
  deps: LoyaltyDeps,
  ws: string,
  lotteryId: string,
  q: { limit: number; cursor?: string; profileId?: string },
): Promise<Page<DrawView>> {
  const { prizes } = await loadLottery(deps.database.db, ws, lotteryId);
  let sel = deps.database.db.selectFrom('loyalty_lottery_draws').selectAll().where('workspace_id', '=', ws).where('lottery_id', '=', lotteryId);
  if (q.profileId) sel = sel.where('profile_id', '=', q.profileId);
  if (q.cursor) sel = sel.where(keysetAfter(['id'], 'desc', decodeCursor(q.cursor, ['s'])));
  const rows = await sel
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const byId = new Map(prizes.map((p) => [p.id, p]));
  return pageOf(
    rows,
    q.limit,
    (d) => drawView(d, byId.get(d.prize_id)!),
    (r) => [r.id],
  );
}
