import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../platform/db/database.js';
import { parseJson } from '../../platform/db/database.js';
import { describeEngines, openTestDatabase } from '../../../test/support/engines.js';
import { computeModels, LIFECYCLE_CHANGED_EVENT } from './index.js';
import { daysAgo, insertProfiles, NOW, type ProfileSpec, scoresOf, workspace } from './test-fixtures.js';
import { DAY_MS } from '../../platform/time.js';

// Asia/Shanghai: 2026-09-02 00:00:30 local is 60 calendar days before NOW (2026-11-01 12:00 local),
// 2026-09-01 23:59 local is 61, though both instants fall on 2026-09-01 in UTC.
const AT_60_DAYS = Date.parse('2026-09-01T16:00:30Z');
const AT_61_DAYS = Date.parse('2026-09-01T15:59:00Z');

/** Default settings: new 30 days, loyal 3 orders, silent after 60 days, churned after 180. */
const PROFILES: (ProfileSpec & { stage: string })[] = [
  { id: 'prf_a_prospect', lastSeenAt: daysAgo(1), stage: 'prospect' },
  { id: 'prf_b_prospect_60d', lastSeenAt: AT_60_DAYS, stage: 'prospect' },
  { id: 'prf_c_silent_61d', lastSeenAt: AT_61_DAYS, stage: 'silent' },
  { id: 'prf_d_churned_nb', lastSeenAt: daysAgo(181), stage: 'churned' },
  { id: 'prf_e_silent_180d', orders: 9, spentFen: 900, lastPurchaseAt: daysAgo(180), firstPurchaseAt: daysAgo(300), stage: 'silent' },
  { id: 'prf_f_new_30d', orders: 5, spentFen: 500, firstPurchaseAt: daysAgo(30), lastPurchaseAt: daysAgo(3), lastSeenAt: daysAgo(2), stage: 'new' },
  { id: 'prf_g_loyal', orders: 3, spentFen: 300, firstPurchaseAt: daysAgo(31), lastPurchaseAt: daysAgo(1), lastSeenAt: daysAgo(0), stage: 'loyal' },
  { id: 'prf_h_active', orders: 2, spentFen: 200, firstPurchaseAt: daysAgo(100), lastPurchaseAt: daysAgo(10), stage: 'active' },
  // A purchase is activity even when last_seen_at is older (it never is after ingestion; imports may differ).
  { id: 'prf_i_active_bought', orders: 1, spentFen: 100, firstPurchaseAt: daysAgo(90), lastPurchaseAt: daysAgo(59), lastSeenAt: daysAgo(70), stage: 'active' },
];

describeEngines('lifecycle', (engine) => {
  let d: Database;
  beforeAll(async () => {
    d = await openTestDatabase(engine);
  });
  afterAll(async () => d?.close());
  const run = async (ws: string, now: number) => (await computeModels(d.db, d.dialect, ws, now, { models: ['lifecycle'], chunkSize: 4 })).lifecycle!;
  const stagesOf = async (ws: string) => Object.fromEntries([...(await scoresOf(d.db, ws)).values()].map((s) => [s.profile_id, s.lifecycle_stage]));
  const changesOf = async (ws: string) =>
    (
      await d.db
        .selectFrom('events')
        .select(['profile_id', 'timestamp', 'payload', 'type'])
        .where('workspace_id', '=', ws)
        .where('event', '=', LIFECYCLE_CHANGED_EVENT)
        .orderBy('timestamp')
        .orderBy('profile_id')
        .execute()
    ).map((e) => {
      const p = parseJson<{ properties: { from: string | null; to: string }; context: { library: { name: string } } }>(e.payload);
      expect(e.type).toBe('track');
      expect(p.context.library.name).toBe('siyu');
      return [e.profile_id, p.properties.from, p.properties.to, Number(e.timestamp)];
    });

  it('puts every live profile in one stage, with exact day boundaries in the workspace zone', async () => {
    const ws = await workspace(d.db);
    await insertProfiles(d, ws, [...PROFILES, { id: 'prf_z_merged', lastSeenAt: daysAgo(1), mergedInto: 'prf_a_prospect' }]);
    const res = await run(ws, NOW);
    expect(res).toMatchObject({ profiles: 9, changed: 9, cleared: 0, stages: { prospect: 2, new: 1, active: 2, loyal: 1, silent: 2, churned: 1 } });
    expect(await stagesOf(ws)).toEqual(Object.fromEntries(PROFILES.map((p) => [p.id, p.stage])));
  });

  it('records a stage change once: an event {from, to} per change, none when nothing changed', async () => {
    const ws = await workspace(d.db);
    await insertProfiles(d, ws, PROFILES);
    await run(ws, NOW);
    expect(await changesOf(ws)).toEqual(PROFILES.map((p) => [p.id, null, p.stage, NOW]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    expect(new Set([...(await scoresOf(d.db, ws)).values()].map((s) => Number(s.lifecycle_at)))).toEqual(new Set([NOW]));

    // The same run again: no change, no event.
    expect(await run(ws, NOW)).toMatchObject({ changed: 0 });
    expect(await changesOf(ws)).toHaveLength(PROFILES.length);

    // A day later: 60 -> 61 days without activity, first purchase 30 -> 31 days ago, 180 -> 181 days.
    const later = NOW + DAY_MS;
    expect(await run(ws, later)).toMatchObject({ changed: 3 });
    const events = await changesOf(ws);
    expect(events.slice(PROFILES.length)).toEqual([
      ['prf_b_prospect_60d', 'prospect', 'silent', later],
      ['prf_e_silent_180d', 'silent', 'churned', later],
      ['prf_f_new_30d', 'new', 'loyal', later],
    ]);
    const scores = await scoresOf(d.db, ws);
    // lifecycle_at is when the profile entered its stage.
    expect(Number(scores.get('prf_f_new_30d')!.lifecycle_at)).toBe(later);
    expect(Number(scores.get('prf_g_loyal')!.lifecycle_at)).toBe(NOW);
    expect(await run(ws, later)).toMatchObject({ changed: 0 });
    expect(await changesOf(ws)).toHaveLength(PROFILES.length + 3);
  });

  it('clears the stage of a profile merged away, without an event', async () => {
    const ws = await workspace(d.db);
    await insertProfiles(d, ws, PROFILES);
    await run(ws, NOW);
    await d.db.updateTable('profiles').set({ merged_into: 'prf_g_loyal' }).where('workspace_id', '=', ws).where('id', '=', 'prf_h_active').execute();
    expect(await run(ws, NOW)).toMatchObject({ profiles: 8, changed: 0, cleared: 1 });
    const s = (await scoresOf(d.db, ws)).get('prf_h_active')!;
    expect([s.lifecycle_stage, s.lifecycle_at]).toEqual([null, null]);
    expect(await changesOf(ws)).toHaveLength(PROFILES.length);
  });

  it('follows the workspace thresholds', async () => {
    const ws = await workspace(d.db, {
      segmentation: { lifecycle: { newDays: 7, loyalMinOrders: 2, loyalMinSpentFen: 10000, silentDays: 14, churnedDays: 30 } },
    });
    await insertProfiles(d, ws, [
      { id: 'prf_1', orders: 2, spentFen: 50000, firstPurchaseAt: daysAgo(7), lastPurchaseAt: daysAgo(7) }, // first purchase exactly 7 days ago
      { id: 'prf_2', orders: 2, spentFen: 10000, firstPurchaseAt: daysAgo(8), lastPurchaseAt: daysAgo(14) }, // seen exactly 14 days ago
      { id: 'prf_3', orders: 2, spentFen: 9999, firstPurchaseAt: daysAgo(20), lastPurchaseAt: daysAgo(1) },
      { id: 'prf_4', orders: 9, spentFen: 99999, firstPurchaseAt: daysAgo(20), lastPurchaseAt: daysAgo(15) },
      { id: 'prf_5', lastSeenAt: daysAgo(30) },
      { id: 'prf_6', lastSeenAt: daysAgo(31) },
    ]);
    await run(ws, NOW);
    expect(await stagesOf(ws)).toEqual({ prf_1: 'new', prf_2: 'loyal', prf_3: 'active', prf_4: 'silent', prf_5: 'silent', prf_6: 'churned' });
  });
});
