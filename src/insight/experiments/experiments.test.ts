import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../../../test/support/engines.js';
import { createExecutor } from '../../journeys/index.js';
import { activeGroupChatIds } from '../../scrm/index.js';
import { journeyDepsOf } from '../../server/app.js';
import { analyse, type ArmInput, DEFAULT_SETTINGS } from './analysis.js';
import { assignVariant } from './assign.js';
import { cupedTheta } from './stats.cuped.js';
import { experimentsTestApp } from './test-kit.js';

type App = Awaited<ReturnType<typeof experimentsTestApp>>;

const conversion = {
  key: 'welcome-coupon',
  name: 'Welcome coupon: 10 vs 20 yuan',
  subject: { kind: 'coupon', id: 'cpn_welcome' },
  variants: [
    { key: 'ten', weight: 1, description: '10 yuan off' },
    { key: 'twenty', weight: 1, description: '20 yuan off' },
  ],
  goal: { kind: 'conversion', event: 'Signed Up', windowDays: 7 },
};

/** Sums per arm of per-profile values, as the engine's input. */
function armsOf(keys: string[], assigned: Map<string, string>, value: (user: string) => number, pre?: (user: string) => number): ArmInput[] {
  return keys.map((key) => {
    const users = [...assigned].filter(([, v]) => v === key).map(([u]) => u);
    const ys = users.map(value);
    const xs = pre ? users.map(pre) : [];
    return {
      key,
      weight: 1,
      sums: {
        n: users.length,
        sum: ys.reduce((a, y) => a + y, 0),
        sumSquares: ys.reduce((a, y) => a + y * y, 0),
        pre: pre
          ? { sum: xs.reduce((a, x) => a + x, 0), sumSquares: xs.reduce((a, x) => a + x * x, 0), sumProduct: ys.reduce((a, y, i) => a + y * xs[i]!, 0) }
          : undefined,
      },
    };
  });
}

describeEngines('the experiments API', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('creates once per key, assigns each profile a stable arm, records one Experiment Viewed per profile, and pages the list', async () => {
    app = await experimentsTestApp(engine);
    const created = await app.api('POST', '/v1/insight/experiments', conversion);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      key: 'welcome-coupon',
      status: 'running',
      baseline: 'ten',
      holdoutPercent: 0,
      covariateDays: null,
      settings: { alpha: 0.05, sequential: false },
    });
    const again = await app.api('POST', '/v1/insight/experiments', conversion);
    expect([again.status, again.body.id]).toEqual([200, created.body.id]);
    const other = await app.api('POST', '/v1/insight/experiments', { ...conversion, holdoutPercent: 10 });
    expect([other.status, other.body.error.code]).toEqual([409, 'EXPERIMENT_KEY_TAKEN']);
    const badBaseline = await app.api('POST', '/v1/insight/experiments', { ...conversion, key: 'x', baseline: 'nope' });
    expect([badBaseline.status, badBaseline.body.error.code, badBaseline.body.error.details]).toEqual([400, 'EXPERIMENT_INVALID', { field: 'baseline' }]);
    const noEvent = await app.api('POST', '/v1/insight/experiments', { ...conversion, key: 'y', goal: { kind: 'conversion', windowDays: 7 } });
    expect(noEvent.body.error.message).toContain('goal.event');
    expect((await app.api('GET', '/v1/insight/experiments/exp_nothing')).body.error.code).toBe('EXPERIMENT_NOT_FOUND');

    const users = await app.profiles(40);
    const first = await app.api('POST', `/v1/insight/experiments/${created.body.id}/exposures`, { exposures: users.map((u) => ({ profile: `user_id:${u}` })) });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const arms = first.body.assignments as { profileId: string; variant: string; first: boolean }[];
    // The arm is the hash of the experiment's salt and the profile: known before exposure, the same every time.
    expect(arms.map((a) => a.variant)).toEqual(arms.map((a) => assignVariant('experiment:welcome-coupon', 0, conversion.variants, a.profileId)));
    expect(new Set(arms.map((a) => a.variant))).toEqual(new Set(['ten', 'twenty']));
    expect(arms.every((a) => a.first)).toBe(true);
    app.t.clock.advance(60_000);
    const second = await app.api('POST', `/v1/insight/experiments/${created.body.id}/exposures`, {
      exposures: [{ profile: arms[0]!.profileId }, { profile: arms[0]!.profileId }],
    });
    expect(second.body.assignments.map((a: { variant: string; first: boolean; exposedAt: string }) => [a.variant, a.first, a.exposedAt])).toEqual([
      [arms[0]!.variant, false, '2026-11-01T00:00:00.000Z'],
      [arms[0]!.variant, false, '2026-11-01T00:00:00.000Z'],
    ]);
    const unknown = await app.api('POST', `/v1/insight/experiments/${created.body.id}/exposures`, { exposures: [{ profile: 'user_id:ghost' }] });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, 'EXPERIMENT_INVALID']);
    const viewed = await app.t.database.db
      .selectFrom('events')
      .select(['profile_id', 'payload'])
      .where('workspace_id', '=', app.t.workspaceId)
      .where('event', '=', 'Experiment Viewed')
      .execute();
    expect(viewed).toHaveLength(40);
    const props = (p: unknown) => (typeof p === 'string' ? JSON.parse(p) : p).properties;
    expect(props(viewed.find((v) => v.profile_id === arms[0]!.profileId)!.payload)).toEqual({
      experiment_id: created.body.id,
      experiment_key: 'welcome-coupon',
      variant: arms[0]!.variant,
    });

    // Stopped: results stay, exposures are refused.
    const stopped = await app.api('POST', `/v1/insight/experiments/${created.body.id}/stop`);
    expect([stopped.status, stopped.body.status]).toEqual([200, 'stopped']);
    const late = await app.api('POST', `/v1/insight/experiments/${created.body.id}/exposures`, { exposures: [{ profile: arms[0]!.profileId }] });
    expect([late.status, late.body.error.code]).toEqual([400, 'EXPERIMENT_INVALID']);
    expect(
      (await app.api('GET', `/v1/insight/experiments/${created.body.id}/results`)).body.table.rows
        .map((r: { n: number }) => r.n)
        .reduce((a: number, b: number) => a + b),
    ).toBe(40);

    await app.api('POST', '/v1/insight/experiments', { ...conversion, key: 'second' });
    const page1 = await app.api('GET', '/v1/insight/experiments?limit=1');
    expect(page1.body.data.map((e: { key: string }) => e.key)).toEqual(['second']);
    const page2 = await app.api('GET', `/v1/insight/experiments?limit=1&cursor=${page1.body.nextCursor}`);
    expect([page2.body.data.map((e: { key: string }) => e.key), page2.body.nextCursor]).toEqual([['welcome-coupon'], null]);
  });

  it('results count conversions and events only inside each profile’s window, and hold the statistics of exactly those numbers', async () => {
    app = await experimentsTestApp(engine);
    const exp = (await app.api('POST', '/v1/insight/experiments', conversion)).body;
    const counting = (
      await app.api('POST', '/v1/insight/experiments', { ...conversion, key: 'signups', goal: { kind: 'event_count', event: 'Signed Up', windowDays: 7 } })
    ).body;
    const users = await app.profiles(60);
    const E = app.t.clock.now() - 20 * app.day;
    const exposures = { exposures: users.map((u) => ({ profile: `user_id:${u}`, at: new Date(E).toISOString() })) };
    const assigned = new Map<string, string>(
      (await app.api('POST', `/v1/insight/experiments/${exp.id}/exposures`, exposures)).body.assignments.map((a: { profile: string; variant: string }) => [
        a.profile.slice(8),
        a.variant,
      ]),
    );
    const assignedCount = new Map<string, string>(
      (await app.api('POST', `/v1/insight/experiments/${counting.id}/exposures`, exposures)).body.assignments.map((a: { profile: string; variant: string }) => [
        a.profile.slice(8),
        a.variant,
      ]),
    );
    // Inside the window (1 and 2 days after), before exposure, and after the 7 days: only the first two count.
    await app.track(
      users.flatMap((u, i) => [
        ...(i % 3 === 0 ? [{ userId: u, event: 'Signed Up', at: E + app.day }] : []),
        ...(i % 2 === 0 && assigned.get(u) === 'twenty' ? [{ userId: u, event: 'Signed Up', at: E + 2 * app.day }] : []),
        ...(i % 5 === 0 ? [{ userId: u, event: 'Signed Up', at: E - app.day }] : []),
        ...(i % 7 === 0 ? [{ userId: u, event: 'Signed Up', at: E + 8 * app.day }] : []),
        ...(i % 4 === 0 ? [{ userId: u, event: 'Page Viewed', at: E + app.day }] : []),
      ]),
    );
    const inWindow = (u: string) => app.eventsIn(u, 'Signed Up', E, E + 7 * app.day).length;
    const results = await app.api('GET', `/v1/insight/experiments/${exp.id}/results`);
    expect(results.status, JSON.stringify(results.body)).toBe(200);
    const want = analyse(
      armsOf(['ten', 'twenty'], assigned, (u) => Math.min(1, inWindow(u))),
      'proportion',
      'ten',
    );
    expect(results.body.table.rows).toEqual(JSON.parse(JSON.stringify(want.arms)));
    expect(results.body.table.rows.map((r: { n: number }) => r.n).reduce((a: number, b: number) => a + b)).toBe(60);
    expect(results.body.metric).toBe('proportion');
    // Cached until something it reads changes: a goal event, or an exposure.
    expect(results.body.cached).toBe(false);
    const again = (await app.api('GET', `/v1/insight/experiments/${exp.id}/results`)).body;
    expect([again.cached, again.computedAt, again.table]).toEqual([true, results.body.computedAt, results.body.table]);
    const late = users.find((u) => assigned.get(u) === 'ten' && inWindow(u) === 0)!;
    await app.track([{ userId: late, event: 'Signed Up', at: E + 3 * app.day }]);
    const afterEvent = (await app.api('GET', `/v1/insight/experiments/${exp.id}/results`)).body;
    expect(afterEvent.cached).toBe(false);
    expect(afterEvent.table.rows[0].mean).toBeCloseTo(results.body.table.rows[0].mean + 1 / results.body.table.rows[0].n, 12);
    const [newcomer] = await app.profiles(1, 'late');
    await app.api('POST', `/v1/insight/experiments/${exp.id}/exposures`, { exposures: [{ profile: `user_id:${newcomer}`, at: new Date(E).toISOString() }] });
    const afterExposure = (await app.api('GET', `/v1/insight/experiments/${exp.id}/results`)).body;
    expect(afterExposure.cached).toBe(false);
    expect(afterExposure.table.rows.map((r: { n: number }) => r.n).reduce((a: number, b: number) => a + b)).toBe(61);
    // 60 profiles: the verdict says to wait, in both languages.
    expect([results.body.tooSmall, results.body.verdict.code]).toEqual([true, 'too_small']);
    expect(results.body.verdict.zh).toContain('样本量不足');
    // The same data read sequentially (valid under peeking): the same lift, a wider interval.
    const seqExp = (
      await app.api('POST', '/v1/insight/experiments', { ...conversion, key: 'welcome-seq', settings: { sequential: true, sequentialTuning: 1000 } })
    ).body;
    const seqAssigned = new Map<string, string>(
      (await app.api('POST', `/v1/insight/experiments/${seqExp.id}/exposures`, exposures)).body.assignments.map((a: { profile: string; variant: string }) => [
        a.profile.slice(8),
        a.variant,
      ]),
    );
    const seq = (await app.api('GET', `/v1/insight/experiments/${seqExp.id}/results`)).body;
    expect(seq.settings).toMatchObject({ sequential: true, sequentialTuning: 1000 });
    const wantSeq = analyse(
      armsOf(['ten', 'twenty'], seqAssigned, (u) => Math.min(1, inWindow(u))),
      'proportion',
      'ten',
      { ...DEFAULT_SETTINGS, sequential: true, sequentialTuning: 1000 },
    );
    expect(seq.table.rows).toEqual(JSON.parse(JSON.stringify(wantSeq.arms)));
    const counted = await app.api('GET', `/v1/insight/experiments/${counting.id}/results`);
    const wantCount = analyse(armsOf(['ten', 'twenty'], assignedCount, inWindow), 'mean', 'ten');
    expect(counted.body.table.rows.map((r: { key: string; n: number; mean: number }) => [r.key, r.n, r.mean])).toEqual(
      wantCount.arms.map((r) => [r.key, r.n, r.mean]),
    );
    expect(counted.body.table.rows[1].lift.estimate).toBeCloseTo(wantCount.arms[1]!.lift!.estimate, 12);
  });

  it('revenue per profile is net of refunds and cancellations, and a pre-period covariate turns on CUPED', async () => {
    app = await experimentsTestApp(engine);
    const exp = (
      await app.api('POST', '/v1/insight/experiments', {
        ...conversion,
        key: 'send-time',
        subject: { kind: 'send_time', id: 'morning vs evening' },
        variants: [
          { key: 'morning', weight: 1 },
          { key: 'evening', weight: 1 },
        ],
        goal: { kind: 'revenue', windowDays: 14 },
        covariateDays: 30,
      })
    ).body;
    const users = await app.profiles(40);
    const E = app.t.clock.now() - 20 * app.day;
    const res = await app.api('POST', `/v1/insight/experiments/${exp.id}/exposures`, {
      exposures: users.map((u) => ({ profile: `user_id:${u}`, at: new Date(E).toISOString() })),
    });
    const assigned = new Map<string, string>(res.body.assignments.map((a: { profile: string; variant: string }) => [a.profile.slice(8), a.variant]));
    // Yuan per user: a pre-period order, an order in the window (a refund of 5 on some), a cancelled one on others, one after the window.
    const pre = (i: number) => 10 + i;
    const post = (i: number, u: string) => Math.round((20 + i) * (assigned.get(u) === 'evening' ? 1.5 : 1));
    await app.track(
      users.flatMap((u, i) => [
        { userId: u, event: 'Order Completed', at: E - 3 * app.day, properties: { order_id: `pre-${i}`, total: pre(i) } },
        { userId: u, event: 'Order Completed', at: E + 2 * app.day, properties: { order_id: `post-${i}`, total: post(i, u) } },
        ...(i % 4 === 0
          ? [{ userId: u, event: 'Order Refunded', at: E + 3 * app.day, properties: { order_id: `post-${i}`, total: 5, refund_id: `rf-${i}` } }]
          : []),
        ...(i % 9 === 0 ? [{ userId: u, event: 'Order Completed', at: E + 4 * app.day, properties: { order_id: `cx-${i}`, total: 99 } }] : []),
        ...(i % 9 === 0 ? [{ userId: u, event: 'Order Cancelled', at: E + 5 * app.day, properties: { order_id: `cx-${i}` } }] : []),
        { userId: u, event: 'Order Completed', at: E + 15 * app.day, properties: { order_id: `late-${i}`, total: 1000 } },
      ]),
    );
    const results = await app.api('GET', `/v1/insight/experiments/${exp.id}/results`);
    expect(results.status, JSON.stringify(results.body)).toBe(200);
    const idx = (u: string) => Number(u.slice(1));
    const net = (u: string) => (post(idx(u), u) - (idx(u) % 4 === 0 ? 5 : 0)) * 100;
    const want = analyse(
      armsOf(['morning', 'evening'], assigned, net, (u) => pre(idx(u)) * 100),
      'mean',
      'morning',
    );
    expect(results.body.table.rows.map((r: { key: string; n: number; mean: number }) => [r.key, r.n, r.mean])).toEqual(
      want.arms.map((r) => [r.key, r.n, r.mean]),
    );
    const [morning, evening] = armsOf(['morning', 'evening'], assigned, net, (u) => pre(idx(u)) * 100);
    const theta = cupedTheta(morning!.sums, evening!.sums);
    expect(results.body.cupedTheta).toBeCloseTo(theta, 9);
    expect(results.body.table.rows[1].lift.estimate).toBeCloseTo(want.arms[1]!.lift!.estimate, 9);
    // The covariate explains most of the spread: the CUPED interval is narrower than the unadjusted one.
    const plain = analyse(armsOf(['morning', 'evening'], assigned, net), 'mean', 'morning', { ...DEFAULT_SETTINGS, cuped: false });
    const width = (ci: number[]) => ci[1]! - ci[0]!;
    expect(width(results.body.table.rows[1].lift.ci)).toBeLessThan(width(plain.arms[1]!.lift!.ci));
  });
});

describeEngines('a journey split step analysed as an experiment', (engine) => {
  let app: App;
  afterEach(async () => app?.close());

  it('takes the step’s arms and holdout, counts its assignments as exposures, once per step', async () => {
    app = await experimentsTestApp(engine);
    const users = await app.profiles(50);
    const definition = {
      trigger: { type: 'manual' },
      steps: [
        {
          id: 'ab',
          type: 'split',
          holdoutPercent: 20,
          variants: [
            { key: 'a', weight: 1, next: 'w' },
            { key: 'b', weight: 1, next: 'w' },
          ],
        },
        { id: 'w', type: 'wait', duration: { days: 7 } },
      ],
    };
    const journey = (await app.api('POST', '/v1/journeys', { name: 'welcome split', definition })).body;
    expect((await app.api('POST', `/v1/journeys/${journey.id}/publish`)).status).toBe(200);
    const ids = (await Promise.all(users.map((u) => app.api('GET', `/v1/profiles/user_id:${u}`)))).map((r) => r.body.id as string);
    expect((await app.api('POST', `/v1/journeys/${journey.id}/enter`, { profileIds: ids })).status).toBe(200);
    const executor = createExecutor({ ...journeyDepsOf(app.t.services), activeGroupChatIds });
    while ((await executor.runOnce({ batchSize: 100 })).claimed > 0);

    const goal = { kind: 'conversion', event: 'Signed Up', windowDays: 7 };
    const made = await app.api('POST', `/v1/insight/journeys/${journey.id}/splits/ab/experiment`, { goal });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({
      subject: { kind: 'journey_split', id: journey.id, stepId: 'ab' },
      holdoutPercent: 20,
      baseline: 'a',
      variants: [{ key: 'a' }, { key: 'b' }],
    });
    expect((await app.api('POST', `/v1/insight/journeys/${journey.id}/splits/ab/experiment`, { goal })).body.id).toBe(made.body.id);
    const missing = await app.api('POST', `/v1/insight/journeys/${journey.id}/splits/w/experiment`, { goal });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'EXPERIMENT_INVALID']);
    const refused = await app.api('POST', `/v1/insight/experiments/${made.body.id}/exposures`, { exposures: [{ profile: ids[0] }] });
    expect(refused.body.error.message).toContain("journey's own assignments");

    // The journey's assignment is the experiments' hash with the journey's salt; everyone in b converts.
    const branch = new Map(ids.map((p) => [p, assignVariant(`${journey.id}:ab`, 20, definition.steps[0]!.variants!, p)]));
    await app.track(users.filter((_, i) => branch.get(ids[i]!) === 'b').map((u) => ({ userId: u, event: 'Signed Up', at: app.t.clock.now() })));
    const results = (await app.api('GET', `/v1/insight/experiments/${made.body.id}/results`)).body;
    const count = (k: string) => [...branch.values()].filter((v) => v === k).length;
    // The split step wrote each profile's exposure on its timeline: one Experiment Viewed event, its arm.
    for (const id of ids.slice(0, 5)) {
      const viewed = (await app.api('GET', `/v1/profiles/${id}/events?event=${encodeURIComponent('Experiment Viewed')}`)).body.data;
      expect(viewed.map((e: { payload: { properties: Record<string, unknown> } }) => e.payload.properties)).toEqual([
        expect.objectContaining({ experiment_key: `journey:${journey.id}:ab`, journey_id: journey.id, step_id: 'ab', variant: branch.get(id) }),
      ]);
    }
    expect(results.table.rows.map((r: { key: string; n: number; mean: number }) => [r.key, r.n, r.mean])).toEqual([
      ['a', count('a'), 0],
      ['b', count('b'), 1],
      ['holdout', count('holdout'), 0],
    ]);
  });
});
