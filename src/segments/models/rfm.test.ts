import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/database.js';
import { describeEngines, openTestDatabase } from '../../../test/support/engines.js';
import { fixedClock } from '../../platform/clock.js';
import { computeModels, quintileRanks, rfmCell, rfmReport, rfmScore } from './index.js';
import { daysAgo, insertProfiles, NOW, type ProfileSpec, scoresOf, workspace } from './test-fixtures.js';

describe('rfm scoring', () => {
  it('gives equal values equal scores and counts only thresholds strictly beaten', () => {
    expect([0, 1, 2, 3, 4].map((v) => rfmScore(v, [1, 1, 1, 3], 'higher'))).toEqual([1, 1, 4, 4, 5]);
    // R: fewer days is better; a value equal to a threshold does not beat it.
    expect([200, 150, 100, 60, 10, 9].map((d) => rfmScore(d, [150, 90, 60, 10], 'lower'))).toEqual([1, 1, 2, 3, 4, 5]);
  });

  it('takes nearest-rank quintile positions', () => {
    expect(quintileRanks(10)).toEqual([2, 4, 6, 8]);
    expect(quintileRanks(1)).toEqual([1, 1, 1, 1]);
    expect(quintileRanks(7)).toEqual([2, 3, 5, 6]); // ceil(1.4), ceil(2.8), ceil(4.2), ceil(5.6)
  });

  it('maps high/low R, F, M to the eight cells', () => {
    const split = { r: 3, f: 3, m: 3 };
    expect(rfmCell({ r: 3, f: 3, m: 3 }, split)).toBe('important_value');
    expect(rfmCell({ r: 5, f: 2, m: 4 }, split)).toBe('important_develop');
    expect(rfmCell({ r: 2, f: 5, m: 5 }, split)).toBe('important_retain');
    expect(rfmCell({ r: 1, f: 1, m: 3 }, split)).toBe('important_winback');
    expect(rfmCell({ r: 4, f: 4, m: 2 }, split)).toBe('general_value');
    expect(rfmCell({ r: 4, f: 1, m: 1 }, split)).toBe('general_develop');
    expect(rfmCell({ r: 1, f: 4, m: 2 }, split)).toBe('general_retain');
    expect(rfmCell({ r: 2, f: 2, m: 2 }, split)).toBe('general_winback');
    expect(rfmCell({ r: 3, f: 3, m: 3 }, { r: 4, f: 3, m: 3 })).toBe('important_retain');
  });
});

/**
 * Ten buyers chosen so the quintiles are known by hand (n = 10: ranks 2, 4, 6, 8, worst first).
 *   days since last purchase 200 150 100 90 60 60 30 10 5 0 -> R thresholds [150, 90, 60, 10]
 *   orders 1 1 1 1 1 1 2 3 5 8                             -> F thresholds [1, 1, 1, 3]
 *   fen sorted 500 1000 2000 3000 3000 10000 20000 50000 80000 100000 -> M thresholds [1000, 3000, 10000, 50000]
 */
const BUYERS: (ProfileSpec & { expect: [number, number, number, string] })[] = [
  { id: 'prf_b0', lastPurchaseAt: daysAgo(200), orders: 1, spentFen: 1000, expect: [1, 1, 1, 'general_winback'] },
  { id: 'prf_b1', lastPurchaseAt: daysAgo(150), orders: 1, spentFen: 50000, expect: [1, 1, 4, 'important_winback'] },
  { id: 'prf_b2', lastPurchaseAt: daysAgo(100), orders: 1, spentFen: 2000, expect: [2, 1, 2, 'general_winback'] },
  { id: 'prf_b3', lastPurchaseAt: daysAgo(90), orders: 1, spentFen: 80000, expect: [2, 1, 5, 'important_winback'] },
  { id: 'prf_b4', lastPurchaseAt: daysAgo(60), orders: 1, spentFen: 3000, expect: [3, 1, 2, 'general_develop'] },
  { id: 'prf_b5', lastPurchaseAt: daysAgo(60), orders: 1, spentFen: 3000, expect: [3, 1, 2, 'general_develop'] },
  { id: 'prf_b6', lastPurchaseAt: daysAgo(30), orders: 2, spentFen: 10000, expect: [4, 4, 3, 'important_value'] },
  { id: 'prf_b7', lastPurchaseAt: daysAgo(10), orders: 3, spentFen: 20000, expect: [4, 4, 4, 'important_value'] },
  { id: 'prf_b8', lastPurchaseAt: daysAgo(5), orders: 5, spentFen: 100000, expect: [5, 5, 5, 'important_value'] },
  { id: 'prf_b9', lastPurchaseAt: daysAgo(0), orders: 8, spentFen: 500, expect: [5, 5, 1, 'general_value'] },
];

/** Not buyers: never bought, or merged into another profile. */
const OTHERS: ProfileSpec[] = [
  { id: 'prf_n0', lastSeenAt: daysAgo(1) },
  { id: 'prf_n1', lastPurchaseAt: daysAgo(1), orders: 4, spentFen: 99999, mergedInto: 'prf_b9' },
];

describeEngines('rfm', (engine) => {
  let d: Database;
  beforeAll(async () => {
    d = await openTestDatabase(engine);
  });
  afterAll(async () => d?.close());
  const run = (ws: string, chunkSize?: number) => computeModels(d.db, d.dialect, ws, NOW, { models: ['rfm'], chunkSize });

  it('scores buyers against quintiles computed over them: exact scores, ties, cells, report', async () => {
    const ws = await workspace(d.db);
    await insertProfiles(d, ws, [...BUYERS, ...OTHERS]);
    const progress: number[] = [];
    const res = await computeModels(d.db, d.dialect, ws, NOW, { models: ['rfm'], chunkSize: 3, onProgress: (m, done, total) => progress.push(done, total) });
    expect(res.rfm).toMatchObject({
      buyers: 10,
      thresholds: { r: [150, 90, 60, 10], f: [1, 1, 1, 3], m: [1000, 3000, 10000, 50000] },
      thresholdSource: { r: 'quintiles', f: 'quintiles', m: 'quintiles' },
      cells: {
        important_value: 3,
        important_winback: 2,
        general_winback: 2,
        general_develop: 2,
        general_value: 1,
        important_develop: 0,
        important_retain: 0,
        general_retain: 0,
      },
    });
    // Chunks of 3: 3, 6, 9, 10 done of 10.
    expect(progress).toEqual([3, 10, 6, 10, 9, 10, 10, 10]);
    const scores = await scoresOf(d.db, ws);
    for (const b of BUYERS) {
      const s = scores.get(b.id)!;
      expect([s.r, s.f, s.m, s.rfm_cell], b.id).toEqual(b.expect);
      expect(Number(s.rfm_at)).toBe(NOW);
    }
    expect(scores.has('prf_n0')).toBe(false);
    expect(scores.has('prf_n1')).toBe(false);

    const report = await rfmReport(d.db, ws);
    expect(report).toMatchObject({
      computedAt: new Date(NOW).toISOString(),
      buyers: 10,
      revenueFen: 269500,
      thresholds: res.rfm!.thresholds,
      split: { r: 3, f: 3, m: 3 },
    });
    const value = report.cells.find((c) => c.cell === 'important_value')!;
    expect(value).toEqual({
      cell: 'important_value',
      name: { 'zh-CN': '重要价值客户', en: 'Important value customers' },
      count: 3,
      share: 0.3,
      revenueFen: 130000,
      revenueShare: Math.round((130000 / 269500) * 10000) / 10000,
      avgScores: { r: 4.33, f: 4.33, m: 4 },
      avgDaysSinceLastPurchase: 15,
      avgOrders: 3.33,
      avgSpentFen: 43333,
    });
    expect(report.cells.map((c) => c.cell)).toEqual([
      'important_value',
      'important_develop',
      'important_retain',
      'important_winback',
      'general_value',
      'general_develop',
      'general_retain',
      'general_winback',
    ]);
    expect(report.cells.find((c) => c.cell === 'general_retain')).toMatchObject({ count: 0, share: 0, revenueFen: 0 });
  });

  it('gives the same scores whatever the chunk size', async () => {
    const ws = await workspace(d.db);
    await insertProfiles(d, ws, [...BUYERS, ...OTHERS]);
    await run(ws, 1);
    const one = await scoresOf(d.db, ws);
    await run(ws, 5000);
    const all = await scoresOf(d.db, ws);
    expect([...one.values()].map((s) => [s.profile_id, s.r, s.f, s.m, s.rfm_cell])).toEqual(
      [...all.values()].map((s) => [s.profile_id, s.r, s.f, s.m, s.rfm_cell]),
    );
  });

  it('uses operator thresholds and split from the settings: all eight cells, days counted in the workspace zone', async () => {
    // R: [90, 61, 30, 7] days; F: [1, 2, 3, 5] orders; M: [10000, 20000, 50000, 100000] fen; R high from 4, F and M from 3.
    const ws = await workspace(d.db, {
      segmentation: {
        rfm: {
          thresholds: { r: [90, 61, 30, 7], f: [1, 2, 3, 5], m: [10000, 20000, 50000, 100000] },
          split: { r: 4, f: 3, m: 3 },
          cellNames: { important_value: { en: 'VIP', ja: '重要' } },
        },
      },
    });
    // Asia/Shanghai: 2026-09-02 00:00:30 local is 60 days before 2026-11-01 and 2026-09-01 23:59 local is 61,
    // though both are 2026-09-01 in UTC.
    const d60 = Date.parse('2026-09-01T16:00:30Z');
    const d61 = Date.parse('2026-09-01T15:59:00Z');
    await insertProfiles(d, ws, [
      { id: 'prf_c1', lastPurchaseAt: daysAgo(7), orders: 3, spentFen: 20001 }, // R 4 (7 < 30, not < 7), F 3, M 3
      { id: 'prf_c2', lastPurchaseAt: daysAgo(6), orders: 2, spentFen: 100001 }, // R 5, F 2, M 5
      { id: 'prf_c3', lastPurchaseAt: d60, orders: 6, spentFen: 50001 }, // 60 days: R 3 (< 90, < 61), F 5, M 4
      { id: 'prf_c4', lastPurchaseAt: d61, orders: 1, spentFen: 20001 }, // 61 days: R 2, F 1, M 3
      { id: 'prf_c5', lastPurchaseAt: daysAgo(29), orders: 4, spentFen: 10000 }, // R 4, F 4, M 1
      { id: 'prf_c6', lastPurchaseAt: daysAgo(0), orders: 1, spentFen: 0 }, // R 5, F 1, M 1
      { id: 'prf_c7', lastPurchaseAt: daysAgo(400), orders: 3, spentFen: 19999 }, // R 1, F 3, M 2
      { id: 'prf_c8', lastPurchaseAt: daysAgo(90), orders: 2, spentFen: 5 }, // R 1 (90 is not < 90), F 2, M 1
    ]);
    const res = await run(ws);
    expect(res.rfm?.thresholdSource).toEqual({ r: 'settings', f: 'settings', m: 'settings' });
    const scores = await scoresOf(d.db, ws);
    const got = Object.fromEntries([...scores.values()].map((s) => [s.profile_id, [s.r, s.f, s.m, s.rfm_cell]]));
    expect(got).toEqual({
      prf_c1: [4, 3, 3, 'important_value'],
      prf_c2: [5, 2, 5, 'important_develop'],
      prf_c3: [3, 5, 4, 'important_retain'],
      prf_c4: [2, 1, 3, 'important_winback'],
      prf_c5: [4, 4, 1, 'general_value'],
      prf_c6: [5, 1, 1, 'general_develop'],
      prf_c7: [1, 3, 2, 'general_retain'],
      prf_c8: [1, 2, 1, 'general_winback'],
    });
    const report = await rfmReport(d.db, ws);
    expect(report.cells.every((c) => c.count === 1)).toBe(true);
    expect(report.cells[0]!.name).toEqual({ 'zh-CN': '重要价值客户', en: 'VIP', ja: '重要' });
  });

  it('clears the scores of profiles that stopped being live buyers, and reports an empty workspace', async () => {
    const ws = await workspace(d.db);
    expect((await run(ws)).rfm).toMatchObject({ buyers: 0, thresholds: null, cleared: 0 });
    const empty = await rfmReport(d.db, ws);
    expect(empty).toMatchObject({ computedAt: new Date(NOW).toISOString(), buyers: 0, revenueFen: 0, thresholds: null });
    expect(empty.cells.every((c) => c.count === 0 && c.share === 0)).toBe(true);

    await insertProfiles(d, ws, BUYERS);
    await run(ws);
    // b9 is merged into b8 (its orders now count on b8 in real life; here only liveness matters).
    await d.db.updateTable('profiles').set({ merged_into: 'prf_b8' }).where('workspace_id', '=', ws).where('id', '=', 'prf_b9').execute();
    const res = await computeModels(d.db, d.dialect, ws, NOW + 1, { models: ['rfm'], clock: fixedClock(NOW) });
    expect(res.rfm).toMatchObject({ buyers: 9, cleared: 1 });
    const s = (await scoresOf(d.db, ws)).get('prf_b9')!;
    expect([s.r, s.f, s.m, s.rfm_cell, s.rfm_at]).toEqual([null, null, null, null, null]);
    // Quintiles of the nine remaining buyers (ranks 2, 4, 6, 8 of 9).
    expect(res.rfm?.thresholds).toEqual({ r: [150, 90, 60, 10], f: [1, 1, 1, 3], m: [2000, 3000, 20000, 80000] });
  });
});
