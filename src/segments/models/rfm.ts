/**
 * RFM: Recency (calendar days since the last purchase, fewer is better), Frequency (order_count)
 * and Monetary (total_spent_fen) of the workspace's buyers — live profiles with order_count > 0.
 * All three are net: the CDP leaves cancelled and fully refunded orders out and takes refunds out of spend.
 *
 * Each dimension is scored 1-5 against four thresholds listed from the worst value to the best.
 * By default they are the quintiles of the buyers: with the buyers sorted from worst to best
 * (R: oldest last purchase first; F and M: smallest first), threshold k is the value at rank
 * ceil(k × n / 5) (nearest-rank k×20th percentile). Operators may set them per dimension instead.
 * score = 1 + the number of thresholds the value is strictly better than, so equal values always
 * get equal scores (and a dimension where most buyers share one value, like F = 1, skips scores).
 * A score at or above the split (default 3) is "high"; R/F/M high-or-low give the eight cells.
 *
 * Thresholds are found in SQL (one window query per dimension), profiles are scored in keyset
 * chunks, each written in its own transaction; nothing holds all buyers in memory.
 */
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.js';
import { readJobState, writeJobState } from '../../platform/db/job-state.js';
import type { SegmentsSqlDB } from '../schema.js';
import { getWorkspace } from '../../platform/workspaces.js';
import { RFM_CELLS, type RfmCell } from '../rule.types.js';
import { clearScoresOfMergedProfiles, forEachChunk, type RunContext } from './run.js';
import { type ModelSettings, readModelSettings, type RfmSettings, type Thresholds } from './settings.js';
import type { RfmReport, RfmThresholds, ThresholdSource } from './model.types.js';
import { DAY_MS, daysAgoStart, daysBetween } from '../../platform/time.js';

export type { RfmCellReport, RfmReport, RfmThresholds, ThresholdSource } from './model.types.js';

/** What one RFM run did. */
export interface RfmRunReport {
  computedAt: string;
  buyers: number;
  /** null when there were no buyers to take quintiles of. */
  thresholds: RfmThresholds | null;
  thresholdSource: { r: ThresholdSource; f: ThresholdSource; m: ThresholdSource };
  split: RfmSettings['split'];
  cells: Record<RfmCell, number>;
  /** Profiles whose RFM scores were cleared because they are no longer live buyers. */
  cleared: number;
}

/** Score 1-5: one more than the number of thresholds `value` is strictly better than. */
export function rfmScore(value: number, thresholds: readonly number[], better: 'higher' | 'lower'): number {
  let score = 1;
  for (const t of thresholds) if (better === 'higher' ? value > t : value < t) score++;
  return score;
}

/** The cell of three scores: each dimension is high when its score is at least the split. */
export function rfmCell(scores: { r: number; f: number; m: number }, split: RfmSettings['split']): RfmCell {
  const r = scores.r >= split.r;
  const f = scores.f >= split.f;
  const tier = scores.m >= split.m ? 'important' : 'general';
  const kind = r ? (f ? 'value' : 'develop') : f ? 'retain' : 'winback';
  return `${tier}_${kind}`;
}

/** Nearest-rank positions (1-based) of the 20th, 40th, 60th and 80th percentiles of n values. */
export function quintileRanks(n: number): number[] {
  return [1, 2, 3, 4].map((k) => Math.floor((k * n + 4) / 5));
}

const STATE = 'models.rfm';

function buyers(db: Kysely<SegmentsSqlDB>, ws: string) {
  return db
    .selectFrom('profiles')
    .where('workspace_id', '=', ws)
    .where('merged_into', 'is', null)
    .where('order_count', '>', 0)
    .where('last_purchase_at', 'is not', null);
}

/** Values at the quintile ranks of one column over the buyers, ascending (one window query). */
async function quintiles(
  db: Kysely<SegmentsSqlDB>,
  ws: string,
  column: 'last_purchase_at' | 'order_count' | 'total_spent_fen',
  n: number,
): Promise<Thresholds> {
  const ranks = quintileRanks(n);
  const rows = await sql<{ v: number; rn: number }>`
    select v, rn from (
      select ${sql.ref(column)} as v, row_number() over (order by ${sql.ref(column)}) as rn
      from profiles
      where workspace_id = ${ws} and merged_into is null and order_count > 0 and last_purchase_at is not null
    ) ranked where rn in (${sql.join(ranks)})`.execute(db);
  const at = new Map(rows.rows.map((r) => [Number(r.rn), Number(r.v)]));
  const values = ranks.map((r) => at.get(r));
  // Rows may have left the buyers between the count and this query: fall back to the last rank found.
  const filled = values.map(
    (v, i) =>
      v ??
      values
        .slice(0, i + 1)
        .reverse()
        .find((x) => x !== undefined) ??
      0,
  );
  return filled as Thresholds;
}

/**
 * Scores every buyer of the workspace as of `now` and writes r, f, m, rfm_cell and rfm_at;
 * clears them on profiles that are no longer live buyers. Returns what it did.
 */
export async function computeRfm(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  now: number,
  settings: ModelSettings,
  ctx: RunContext,
): Promise<RfmRunReport> {
  const s = settings.rfm;
  const tz = settings.timeZone;
  const n = Number(
    (
      await buyers(db, ws)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

  let thresholds: RfmThresholds | null = null;
  if (n > 0 || (s.thresholds.r && s.thresholds.f && s.thresholds.m)) {
    // R is ranked by last purchase time, oldest (worst) first, then turned into days.
    const r = s.thresholds.r ?? ((await quintiles(db, ws, 'last_purchase_at', n)).map((t) => daysBetween(t, now, tz)) as Thresholds);
    const f = s.thresholds.f ?? (await quintiles(db, ws, 'order_count', n));
    const m = s.thresholds.m ?? (await quintiles(db, ws, 'total_spent_fen', n));
    thresholds = { r, f, m };
  }
  const cells = Object.fromEntries(RFM_CELLS.map((c) => [c, 0])) as Record<RfmCell, number>;

  const th = thresholds;
  if (th) {
    // days < T  <=>  the last purchase is on or after the local date today - (T - 1).
    const rFrom = th.r.map((t) => daysAgoStart(now, t - 1, tz));
    await forEachChunk(db, dialect, ctx, n, async (trx, after, limit) => {
      let q = buyers(trx, ws).select(['id', 'order_count', 'total_spent_fen', 'last_purchase_at']).orderBy('id').limit(limit);
      if (after !== null) q = q.where('id', '>', after);
      const rows = await q.execute();
      const tally = new Map<RfmCell, number>();
      const out = rows.map((p) => {
        const last = Number(p.last_purchase_at);
        const scores = {
          r: 1 + rFrom.filter((from) => last >= from).length,
          f: rfmScore(Number(p.order_count), th.f, 'higher'),
          m: rfmScore(Number(p.total_spent_fen), th.m, 'higher'),
        };
        const cell = rfmCell(scores, s.split);
        tally.set(cell, (tally.get(cell) ?? 0) + 1);
        return { workspace_id: ws, profile_id: p.id, ...scores, rfm_cell: cell, rfm_at: now };
      });
      await dialect.insertMany(trx, 'profile_scores', out, { columns: ['workspace_id', 'profile_id'], update: ['r', 'f', 'm', 'rfm_cell', 'rfm_at'] });
      return { ids: rows.map((p) => p.id), committed: () => tally.forEach((k, cell) => void (cells[cell] += k)) };
    });
  }

  // Scores of profiles merged away, or no longer buyers.
  const cleared = await clearScoresOfMergedProfiles(db, ws, 'rfm_cell', { r: null, f: null, m: null, rfm_cell: null, rfm_at: null }, { buyersOnly: true });

  const report: RfmRunReport = {
    computedAt: new Date(now).toISOString(),
    buyers: Object.values(cells).reduce((a, b) => a + b, 0),
    thresholds,
    thresholdSource: {
      r: s.thresholds.r ? 'settings' : 'quintiles',
      f: s.thresholds.f ? 'settings' : 'quintiles',
      m: s.thresholds.m ? 'settings' : 'quintiles',
    },
    split: s.split,
    cells,
    cleared,
  };
  await writeJobState(db, ws, STATE, report, now);
  return report;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The RFM report of a workspace: per cell the profiles as stored by the last run, their share of
 * the scored buyers, their current revenue and its share, and averages; with the thresholds and
 * time of that run. All eight cells are listed, in RFM_CELLS order.
 */
export async function rfmReport(db: Kysely<SegmentsSqlDB>, ws: string): Promise<RfmReport> {
  const workspace = await getWorkspace(db, ws);
  const names = readModelSettings(workspace?.settings ?? {}).rfm.cellNames;
  const last = await readJobState<RfmRunReport>(db, ws, STATE);
  const rows = await db
    .selectFrom('profile_scores as s')
    .innerJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 's.workspace_id').onRef('p.id', '=', 's.profile_id'))
    .where('s.workspace_id', '=', ws)
    .where('s.rfm_cell', 'is not', null)
    .groupBy('s.rfm_cell')
    .select((eb) => [
      's.rfm_cell as cell',
      eb.fn.countAll().as('n'),
      eb.fn.sum('p.total_spent_fen').as('revenue'),
      eb.fn.avg('s.r').as('r'),
      eb.fn.avg('s.f').as('f'),
      eb.fn.avg('s.m').as('m'),
      eb.fn.avg('p.order_count').as('orders'),
      eb.fn.avg('p.total_spent_fen').as('spent'),
      eb.fn.avg(sql<number>`s.rfm_at - p.last_purchase_at`).as('recency_ms'),
    ])
    .execute();
  // PostgreSQL answers sums and averages as numeric (strings here).
  const byCell = new Map(rows.map((r) => [r.cell as RfmCell, r]));
  const total = rows.reduce((a, r) => a + Number(r.n), 0);
  const revenue = rows.reduce((a, r) => a + Number(r.revenue ?? 0), 0);
  return {
    computedAt: last?.computedAt ?? null,
    buyers: total,
    revenueFen: revenue,
    thresholds: last?.thresholds ?? null,
    thresholdSource: last?.thresholdSource ?? null,
    split: last?.split ?? null,
    cells: RFM_CELLS.map((cell) => {
      const r = byCell.get(cell);
      const count = r ? Number(r.n) : 0;
      const rev = r ? Number(r.revenue ?? 0) : 0;
      return {
        cell,
        name: names[cell],
        count,
        share: total ? round(count / total, 4) : 0,
        revenueFen: rev,
        revenueShare: revenue ? round(rev / revenue, 4) : 0,
        avgScores: { r: r ? round(Number(r.r), 2) : 0, f: r ? round(Number(r.f), 2) : 0, m: r ? round(Number(r.m), 2) : 0 },
        avgDaysSinceLastPurchase: r ? round(Number(r.recency_ms) / DAY_MS, 1) : 0,
        avgOrders: r ? round(Number(r.orders), 2) : 0,
        avgSpentFen: r ? Math.round(Number(r.spent)) : 0,
      };
    }),
  };
}
