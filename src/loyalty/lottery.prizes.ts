/**
 * Editing a lottery's prize table (PUT /v1/loyalty/lotteries/:id/prizes, the console's prize form):
 * the whole table is replaced, checked as at creation (probabilities summing to 1,000,000 ppm,
 * one fallback). Lines keep their id, so what a prize has given (`won`) stays with it: a line
 * already on the table is updated in place (a draw committing meanwhile counts on the same row),
 * its stock never below what it has given; a line that any draw rolled or gave cannot be removed
 * (set its ppm to 0 instead: the draws name it); new lines start at nothing given.
 */
import { sql } from 'kysely';
import { withRetries } from '../platform/db/database.js';
import type { LotteryPrizesTable } from './catalogue.tables.js';
import { findTemplate } from './coupons.repo.js';
import type { LoyaltyDeps } from './deps.js';
import { type Conn, num } from './ledger.repo.js';
import { checkPrizes, getLottery, loadLottery, type LotteryView, type PrizeBody } from './lottery.service.js';
import { MemberApiError } from './member-api.errors.js';

const invalid = (message: string, details?: unknown) => new MemberApiError('LOTTERY_INVALID', message, details);

/** How many draws rolled or gave each of these prizes (those with any). */
async function drawsNaming(trx: Conn, ws: string, lotteryId: string, prizeIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of prizeIds) {
    const r = await trx
      .selectFrom('loyalty_lottery_draws')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('lottery_id', '=', lotteryId)
      .where((eb) => eb.or([eb('prize_id', '=', id), eb('rolled_prize_id', '=', id)]))
      .executeTakeFirstOrThrow();
    if (num(r.n) > 0) out.set(id, num(r.n));
  }
  return out;
}

/** Replaces a lottery's prize table (see the file's comment); answers the lottery as it now is. */
export async function replacePrizes(deps: LoyaltyDeps, ws: string, id: string, prizes: PrizeBody[]): Promise<LotteryView> {
  checkPrizes(prizes);
  const { database } = deps;
  const templates = new Map<string, string>();
  for (const p of prizes.filter((x) => x.kind === 'coupon')) {
    const t = await findTemplate(database.db, database.dialect, ws, p.couponTemplateId!);
    if (!t) throw invalid(`prize "${p.id}": no coupon template "${p.couponTemplateId}" in this workspace`);
    templates.set(p.id, t.id);
  }
  await withRetries(database, () =>
    database.db.transaction().execute(async (trx) => {
      const now = deps.now();
      const before = await loadLottery(trx, ws, id);
      const kept = new Set(prizes.map((p) => p.id));
      const removed = before.prizes.filter((p) => !kept.has(p.id)).map((p) => p.id);
      const named = await drawsNaming(trx, ws, id, removed);
      const [named1] = named;
      if (named1)
        throw invalid(`prize "${named1[0]}" cannot be removed: ${named1[1]} draws name it; set its ppm to 0 instead`, { prizeId: named1[0], draws: named1[1] });
      if (removed.length > 0) {
        await trx.deleteFrom('loyalty_lottery_prizes').where('workspace_id', '=', ws).where('lottery_id', '=', id).where('id', 'in', removed).execute();
      }
      const existing = new Set(before.prizes.map((p) => p.id));
      for (const [i, p] of prizes.entries()) {
        const line = {
          position: i,
          name: p.name,
          kind: p.kind,
          ppm: p.ppm,
          stock: p.stock ?? null,
          points: p.points ?? null,
          coupon_template_id: templates.get(p.id) ?? null,
        };
        if (!existing.has(p.id)) {
          const row: LotteryPrizesTable = { workspace_id: ws, lottery_id: id, id: p.id, won_count: 0, ...line };
          await trx.insertInto('loyalty_lottery_prizes').values(row).execute();
          continue;
        }
        let q = trx.updateTable('loyalty_lottery_prizes').set(line).where('workspace_id', '=', ws).where('lottery_id', '=', id).where('id', '=', p.id);
        // In SQL: a draw committing meanwhile cannot leave stock below what was given.
        if (p.stock != null) q = q.where('won_count', '<=', sql<number>`${p.stock}`);
        const r = await q.executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) {
          const won = num(before.prizes.find((x) => x.id === p.id)!.won_count);
          throw invalid(`prize "${p.id}": stock ${p.stock} is below the ${won} already given`, { prizeId: p.id, won });
        }
      }
      await trx
        .updateTable('loyalty_lotteries')
        .set({ fallback_prize_id: prizes.find((p) => p.fallback)!.id, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
    }),
  );
  return getLottery(deps, ws, id);
}
