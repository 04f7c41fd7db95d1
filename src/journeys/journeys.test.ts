import { afterEach, expect, it } from 'vitest';
import { openDatabase } from '../platform/db/database.js';
import { describeEngines } from '../../test/support/engines.js';
import { journeyDepsOf } from '../server/app.js';
import type { JourneysHub } from './deps.js';
import type { StepOf } from './definition.js';
import { createExecutor } from './executor.js';
import { publishJourney } from './publish.service.js';
import { journeyTestApp } from './test-kit.js';
import { splitVariant } from './steps/split.js';
import { startJourneyWorker, wakeListeners } from './worker.js';

const HOUR = 3_600_000;
/** A JSON column (text on SQLite, parsed on PostgreSQL). */
const json = (v: unknown): any => (typeof v === 'string' ? JSON.parse(v) : v);
const DAY = 24 * HOUR;

describeEngines('journeys', (engine) => {
  let app: Awaited<ReturnType<typeof journeyTestApp>>;
  afterEach(async () => app?.close());

  it('runs wait, branch, send and wait-for-event (both exits) from an event trigger with a property filter', async () => {
    app = await journeyTestApp(engine);
    const vip = await app.profile('u-vip', { name: '小王', vip: true });
    const plain = await app.profile('u-plain', { name: '小李' });
    const id = await app.journey('cart', {
      trigger: { type: 'event', event: 'Product Added', where: [{ property: 'price', op: 'gte', value: 100 }] },
      entry: { reentry: 'after_exit' },
      steps: [
        { id: 'wait', type: 'wait', duration: { hours: 1 }, next: 'vip' },
        {
          id: 'vip',
          type: 'branch',
          branches: [{ name: 'vip', rule: { type: 'trait', key: 'vip', op: 'eq', value: true }, next: 'send_vip' }],
          defaultNext: 'send',
        },
        { id: 'send_vip', type: 'send', channel: 'sms', content: { templateCode: 'VIP' }, next: 'order' },
        { id: 'send', type: 'send', channel: 'sms', content: { templateCode: 'STD', params: { p: '{{ event.sku }}' } }, next: 'order' },
        { id: 'order', type: 'wait_for_event', event: 'Order Completed', timeout: { days: 1 }, next: 'thanks', timeoutNext: 'nudge' },
        { id: 'thanks', type: 'update_trait', set: { bought_after_reminder: true } },
        { id: 'nudge', type: 'tag', add: [{ group: 'journey', name: 'nudged' }] },
      ],
    });
    app.t.clock.advance(1000);
    await app.track('u-vip', 'Product Added', { price: 199, sku: 'A1' });
    await app.track('u-plain', 'Product Added', { price: 150, sku: 'B2' });
    await app.track('u-plain', 'Product Added', { price: 5, sku: 'cheap' }); // filtered out
    expect((await app.tick()).entered).toBe(2);
    expect(await app.messages(id)).toHaveLength(0);
    app.t.clock.advance(HOUR);
    await app.tick();
    const msgs = await app.messages(id);
    expect(msgs.map((m) => [m.profile_id, m.source_step, json(m.content).templateCode]).sort()).toEqual(
      [
        [plain, 'send', 'STD'],
        [vip, 'send_vip', 'VIP'],
      ].sort(),
    );
    expect(json(msgs.find((m) => m.profile_id === plain).data).event.sku).toBe('B2');
    // The VIP orders within the day; the other times out.
    app.t.clock.advance(HOUR);
    await app.track('u-vip', 'Order Completed', { total: 199 });
    await app.tick();
    app.t.clock.advance(DAY);
    await app.tick();
    const st = await app.states(id);
    expect(st.every((s) => s.status === 'completed')).toBe(true);
    const vipProfile = (await app.api('GET', `/v1/profiles/${vip}`)).body;
    expect(vipProfile.traits.bought_after_reminder).toBe(true);
    const plainProfile = (await app.api('GET', `/v1/profiles/${plain}`)).body;
    expect(plainProfile.tags.map((t: { name: string }) => t.name)).toEqual(['nudged']);
    expect(plainProfile.traits.bought_after_reminder).toBeUndefined();
    const stats = (await app.api('GET', `/v1/journeys/${id}/stats`)).body;
    expect(stats).toMatchObject({ entered: 2, completed: 2, active: 0, passed: { wait: 2, vip: 2, send_vip: 1, send: 1, order: 2, thanks: 1, nudge: 1 } });
    expect(stats.messages.pending).toBe(2);
  });

  it('a goal event ends the journey as converted, and sends go out exactly once however often the worker runs', async () => {
    app = await journeyTestApp(engine);
    const p = await app.profile('u1');
    const id = await app.journey('goal', {
      trigger: { type: 'manual' },
      entry: { reentry: 'never' },
      goal: { event: 'Order Completed', where: [{ property: 'total', op: 'gt', value: 0 }], withinDays: 7 },
      steps: [
        { id: 'hello', type: 'send', channel: 'sms', content: { templateCode: 'HI' }, next: 'w' },
        { id: 'w', type: 'wait', duration: { days: 3 }, next: 'again' },
        { id: 'again', type: 'send', channel: 'sms', content: { templateCode: 'AGAIN' } },
      ],
    });
    const enter = await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p, 'prof_missing'], key: 'k1' });
    expect(enter.body).toEqual({ entered: 1, skipped: [{ profileId: 'prof_missing', reason: 'no_profile' }] });
    // A retried call with the same key enters nobody; a new call is refused by reentry "never".
    expect((await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p], key: 'k1' })).body.skipped).toEqual([{ profileId: p, reason: 'duplicate' }]);
    expect((await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p], key: 'k2' })).body.skipped).toEqual([
      { profileId: p, reason: 'reentry_never' },
    ]);
    await app.tick();
    await app.tick();
    expect((await app.messages(id)).map((m) => m.source_step)).toEqual(['hello']);
    app.t.clock.advance(DAY);
    await app.track('u1', 'Order Completed', { total: 0 }); // does not match the goal's filter
    await app.tick();
    expect((await app.states(id))[0].status).toBe('active');
    await app.track('u1', 'Order Completed', { total: 88 });
    await app.tick(); // woken by the sweep, converted before the wait ends
    const [s] = await app.states(id);
    expect([s.status, s.end_reason]).toEqual(['converted', 'goal']);
    app.t.clock.advance(5 * DAY);
    await app.tick();
    expect((await app.messages(id)).map((m) => m.source_step)).toEqual(['hello']);
    const stats = (await app.api('GET', `/v1/journeys/${id}/stats`)).body;
    expect([stats.converted, stats.conversionRate]).toEqual([1, 1]);
  });

  it('entry policy: after_exit and maxEntries', async () => {
    app = await journeyTestApp(engine);
    const p = await app.profile('u1');
    const id = await app.journey('policy', {
      trigger: { type: 'manual' },
      entry: { reentry: 'after_exit', maxEntries: 2 },
      steps: [{ id: 'w', type: 'wait', duration: { hours: 1 } }],
    });
    const enter = async (key: string) => (await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p], key })).body;
    expect((await enter('a')).entered).toBe(1);
    expect((await enter('b')).skipped[0].reason).toBe('already_in_journey');
    await app.tick();
    app.t.clock.advance(HOUR);
    await app.tick();
    expect((await enter('c')).entered).toBe(1);
    await app.tick();
    app.t.clock.advance(HOUR);
    await app.tick();
    expect((await enter('d')).skipped[0].reason).toBe('max_entries');
    expect((await app.states(id)).map((s) => s.entry_no).sort()).toEqual([1, 2]);
  });

  it('publishing a new version keeps running states on theirs; migrate moves them by a step mapping', async () => {
    app = await journeyTestApp(engine);
    const a = await app.profile('a');
    const b = await app.profile('b');
    const v1 = {
      trigger: { type: 'manual' },
      steps: [
        { id: 'w1', type: 'wait', duration: { days: 2 }, next: 's1' },
        { id: 's1', type: 'send', channel: 'sms', content: { templateCode: 'V1' } },
      ],
    };
    const id = await app.journey('versions', v1);
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [a, b] });
    await app.tick();
    const v2 = {
      trigger: { type: 'manual' },
      steps: [
        { id: 'pause', type: 'wait', duration: { days: 2 }, next: 's2' },
        { id: 's2', type: 'send', channel: 'sms', content: { templateCode: 'V2' } },
      ],
    };
    expect((await app.api('PATCH', `/v1/journeys/${id}`, { definition: v2 })).status).toBe(200);
    expect((await app.api('POST', `/v1/journeys/${id}/publish`)).body.version).toBe(2);
    const c = await app.profile('c');
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [c] });
    await app.tick();
    expect((await app.states(id)).map((s) => [s.subject_id, s.version, s.step_id]).sort()).toEqual(
      [
        [a, 1, 'w1'],
        [b, 1, 'w1'],
        [c, 2, 'pause'],
      ].sort(),
    );
    // A mapping must cover every step where states wait, and name steps that exist.
    const bad = await app.api('POST', `/v1/journeys/${id}/migrate`, { fromVersion: 1, mapping: { s1: 'nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.errors.map((e: { path: string }) => e.path).sort()).toEqual(['mapping.s1', 'mapping.w1']);
    const ok = await app.api('POST', `/v1/journeys/${id}/migrate`, { fromVersion: 1, mapping: { w1: 'pause' } });
    expect(ok.body).toEqual({ moved: 2, exited: 0, toVersion: 2 });
    await app.tick();
    // The wait keeps its original end; then the new version's send step runs.
    app.t.clock.advance(2 * DAY);
    await app.tick();
    expect((await app.messages(id)).map((m) => json(m.content).templateCode)).toEqual(['V2', 'V2', 'V2']);
  });

  it('publishing marks the trigger segment it publishes, even when the draft moves to another segment meanwhile', async () => {
    app = await journeyTestApp(engine);
    const segment = async (name: string) =>
      (await app.api('POST', '/v1/segments', { name, rule: { type: 'trait', key: 'k', op: 'eq', value: name } })).body.id as string;
    const [first, second] = [await segment('first'), await segment('second')];
    await app.t.database.db.updateTable('segments').set({ entries_listened: 0 }).execute();
    const draft = (segmentId: string) => ({
      trigger: { type: 'segment_entered', segmentId },
      steps: [{ id: 's', type: 'send', channel: 'sms', content: { templateCode: 'T' } }],
    });
    const created = await app.api('POST', '/v1/journeys', { name: 'moving trigger', definition: draft(first) });
    // Publishing marks the first segment; when it opens its transaction, the draft is changed to the
    // second (as a concurrent edit could), so the transaction finds the second unmarked and starts over.
    const { db } = app.t.database;
    let edited = false;
    const racing = new Proxy(db, {
      get(target, prop) {
        if (prop !== 'transaction' || edited) {
          const v: unknown = Reflect.get(target, prop);
          return typeof v === 'function' ? v.bind(target) : v; // (Kysely's private fields need the real object)
        }
        return () => ({
          execute: async (fn: Parameters<ReturnType<typeof db.transaction>['execute']>[0]) => {
            edited = true;
            await db
              .updateTable('journeys' as never)
              .set({ draft: JSON.stringify(draft(second)) } as never)
              .where('id' as never, '=', created.body.id as never)
              .execute();
            return target.transaction().execute(fn);
          },
        });
      },
    });
    const published = await publishJourney({ ...app.deps, database: { ...app.t.database, db: racing } }, app.t.workspaceId, created.body.id);
    expect(edited).toBe(true);
    const version = await app.t.database.db
      .selectFrom('journey_versions' as never)
      .select('definition' as never)
      .where('journey_id' as never, '=', created.body.id as never)
      .executeTakeFirstOrThrow();
    expect([published.version, json((version as { definition: unknown }).definition).trigger.segmentId]).toEqual([1, second]);
    const listened = await app.t.database.db.selectFrom('segments').select(['id', 'entries_listened']).execute();
    expect(Object.fromEntries(listened.map((r) => [r.id, Number(r.entries_listened)]))).toEqual({ [first]: 1, [second]: 1 });
  });

  it('A/B split: stable assignment, holdout, conversion per branch', async () => {
    app = await journeyTestApp(engine);
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await app.profile(`u${i}`));
    const def = {
      trigger: { type: 'manual' },
      goal: { event: 'Order Completed', withinDays: 7 },
      steps: [
        {
          id: 'ab',
          type: 'split',
          holdoutPercent: 20,
          variants: [
            { key: 'a', weight: 1, next: 'sa' },
            { key: 'b', weight: 1, next: 'sb' },
          ],
        },
        { id: 'sa', type: 'send', channel: 'sms', content: { templateCode: 'A' }, next: 'w' },
        { id: 'sb', type: 'send', channel: 'sms', content: { templateCode: 'B' }, next: 'w' },
        { id: 'w', type: 'wait', duration: { days: 7 } },
      ],
    };
    const id = await app.journey('ab', def);
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: ids });
    await app.tick();
    const rows = await app.t.database.db
      .selectFrom('journey_assignments' as any)
      .select(['state_id', 'branch'])
      .where('journey_id', '=', id)
      .execute();
    const counts = Object.fromEntries(['a', 'b', 'holdout'].map((k) => [k, rows.filter((r: any) => r.branch === k).length]));
    expect(counts.a + counts.b + counts.holdout).toBe(60);
    // Stable: the branch is the hash of (journey, step, profile), so it is known before entry and
    // entering again later gives the same branch (the spread of the hash: steps.test.ts).
    const st = await app.states(id);
    const branchOf = new Map(rows.map((r: any) => [st.find((s) => s.id === r.state_id).subject_id, r.branch]));
    const split = def.steps[0] as StepOf<'split'>;
    expect(Object.fromEntries(ids.map((p) => [p, branchOf.get(p)]))).toEqual(Object.fromEntries(ids.map((p) => [p, splitVariant(split, id, p).key])));
    for (const k of ['a', 'b', 'holdout']) expect(counts[k], k).toBeGreaterThan(0);
    const msgs = await app.messages(id);
    for (const m of msgs) expect(json(m.content).templateCode.toLowerCase()).toBe(branchOf.get(m.profile_id));
    expect(msgs).toHaveLength(counts.a + counts.b);
    // Everyone in branch a converts.
    for (const [i, p] of ids.entries()) if (branchOf.get(p) === 'a') await app.track(`u${i}`, 'Order Completed', { total: 10 });
    await app.tick();
    const stats = (await app.api('GET', `/v1/journeys/${id}/stats`)).body;
    expect(stats.splits.ab.a).toEqual({ assigned: counts.a, converted: counts.a, conversionRate: 1 });
    expect(stats.splits.ab.b).toEqual({ assigned: counts.b, converted: 0, conversionRate: 0 });
    expect(stats.splits.ab.holdout.assigned).toBe(counts.holdout);
    expect(stats.exited).toBe(counts.holdout);
  });

  it('award without a loyalty module is skipped and says so; with one it is called once; webhook goes through the outbox', async () => {
    const calls: unknown[] = [];
    // The root installs the loyalty module; this engine runs without one.
    app = await journeyTestApp(engine, { deps: { loyalty: undefined } });
    const p = await app.profile('u1');
    const def = {
      trigger: { type: 'manual' },
      steps: [
        { id: 'award', type: 'award', points: 50, couponTemplateId: 'c1', next: 'hook' },
        { id: 'hook', type: 'webhook', body: { kind: 'journey-step', who: '{{ profile.id }}' } },
      ],
    };
    const id = await app.journey('award', def);
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p] });
    await app.tick();
    const log = await app.t.database.db
      .selectFrom('journey_step_log' as any)
      .select(['step_id', 'outcome'])
      .where('journey_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(log[0]).toEqual({ step_id: 'award', outcome: 'skipped: no loyalty module' });
    const [hook] = await app.messages(id);
    expect([hook.channel, hook.purpose, hook.source_step]).toEqual(['webhook', 'service', 'hook']);
    // With a loyalty module: called with idempotency keys, inside the step's transaction.
    const withLoyalty = createExecutor({
      ...journeyDepsOf(app.t.services),
      loyalty: {
        awardPoints: async (_trx, input) => (calls.push(['points', input.points, input.idempotencyKey]), { ok: true }),
        issueCoupon: async (_trx, input) => (calls.push(['coupon', input.couponTemplateId]), { ok: true, couponCode: 'C-1' }),
      },
    });
    const p2 = await app.profile('u2');
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p2] });
    while ((await withLoyalty.runOnce()).claimed > 0);
    expect(calls).toEqual([
      ['points', 50, expect.stringMatching(/^journey:jst_.*:award:1:points$/)],
      ['coupon', 'c1'],
    ]);
  });

  it('a date trigger enters profiles on their birthday and month-age day once per day; wait until a time of day in the profile zone', async () => {
    app = await journeyTestApp(engine, { clockStart: Date.parse('2026-11-02T16:30:00Z') }); // 00:30 on 11-03 in Shanghai
    const bday = await app.profile('b', { birthday: '1990-11-03' });
    await app.profile('other', { birthday: '1990-11-04' });
    const ny = await app.profile('ny', { birthday: '1985-11-03T00:00:00', timezone: 'America/New_York' });
    const baby = await app.profile('baby', { baby_birthday: '2026-08-03' });
    await app.profile('newborn', { baby_birthday: '2026-11-03' });
    const birthday = await app.journey('bd', {
      trigger: { type: 'date', trait: 'birthday', kind: 'anniversary' },
      steps: [
        { id: 'nine', type: 'wait', untilTime: '09:00', next: 's' },
        { id: 's', type: 'send', channel: 'sms', content: { templateCode: 'HB' } },
      ],
    });
    const months = await app.journey('months', {
      trigger: { type: 'date', trait: 'baby_birthday', kind: 'month_age', fromMonths: 1, toMonths: 12 },
      steps: [{ id: 's', type: 'send', channel: 'sms', content: { templateCode: 'M', params: { m: '{{ data.date.months }}' } } }],
    });
    await app.tick();
    await app.tick(); // same local day: nobody twice
    expect((await app.states(birthday)).map((s) => s.subject_id).sort()).toEqual([bday, ny].sort());
    const [m] = await app.messages(months);
    expect([m.profile_id, json(m.data).data.date.months]).toEqual([baby, 3]);
    // 09:00 Shanghai = 01:00Z; 09:00 New York = 14:00Z.
    app.t.clock.set(Date.parse('2026-11-03T01:00:00Z'));
    await app.tick();
    expect((await app.messages(birthday)).map((x) => x.profile_id)).toEqual([bday]);
    app.t.clock.set(Date.parse('2026-11-03T14:00:00Z'));
    await app.tick();
    expect((await app.messages(birthday)).map((x) => x.profile_id)).toEqual([bday, ny]);
  });

  it('listeners are woken by their event only; the running worker finishes a wait as soon as the event is committed, and stops cleanly', async () => {
    app = await journeyTestApp(engine);
    const p = await app.profile('u1');
    const id = await app.journey('fast', {
      trigger: { type: 'manual' },
      steps: [
        { id: 'w', type: 'wait_for_event', event: 'Coupon Used', timeout: { days: 3 }, next: 'thanks', timeoutNext: 'late' },
        { id: 'thanks', type: 'update_trait', set: { used: true } },
        { id: 'late', type: 'exit' },
      ],
    });
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: [p] });
    await app.tick();
    const now = app.t.clock.now();
    expect(await wakeListeners(app.deps, app.t.workspaceId, [p], ['Other Event'], now)).toBe(0);
    expect(await wakeListeners(app.deps, app.t.workspaceId, [p], ['Coupon Used'], now)).toBe(1);
    await app.tick(); // woken, but no event yet: waits again
    expect((await app.states(id))[0].status).toBe('active');
    // The services' hub, counting the worker's subscriptions (it must leave none behind when stopped).
    let subscribed = 0;
    const hub: JourneysHub = {
      emit: (name, payload) => app.deps.hub.emit(name, payload),
      on(name, listener) {
        const off = app.deps.hub.on(name, listener);
        subscribed++;
        return () => {
          subscribed--;
          off();
        };
      },
    };
    const worker = startJourneyWorker({ ...app.deps, hub }, { pollMs: 20, sweepMs: 3_600_000 });
    expect(subscribed).toBeGreaterThan(0);
    try {
      await app.track('u1', 'Coupon Used', { code: 'X' });
      let status = '';
      for (let i = 0; i < 200 && status !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        status = (await app.states(id))[0].status;
      }
      expect(status).toBe('completed');
    } finally {
      await worker.stop();
    }
    expect(subscribed).toBe(0);
  });

  it('several executors on one database never take the same state (SKIP LOCKED on PostgreSQL)', async () => {
    app = await journeyTestApp(engine);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await app.profile(`u${i}`));
    const id = await app.journey('parallel', {
      trigger: { type: 'manual' },
      steps: [
        { id: 's', type: 'send', channel: 'sms', content: { templateCode: 'P' }, next: 'w' },
        { id: 'w', type: 'wait', duration: { minutes: 1 } },
      ],
    });
    await app.api('POST', `/v1/journeys/${id}/enter`, { profileIds: ids });
    // Two more connections pools (as two processes would have) on the same database.
    const extra =
      engine === 'postgres'
        ? [0, 1].map(() =>
            openDatabase({
              databaseUrl: process.env.SIYU_TEST_POSTGRES_URL!,
              dataDir: (app.t.database as { dataDir?: string }).dataDir ?? '',
              searchPath: (app.t.database.description.match(/schema (\w+)/) ?? [])[1]!,
              poolSize: 2,
            }),
          )
        : [];
    const executors = [app.executor, ...extra.map((d) => createExecutor({ ...journeyDepsOf(app.t.services), database: d }))];
    const results = await Promise.all(executors.flatMap((e) => [e.runOnce({ batchSize: 5 }), e.runOnce({ batchSize: 5 }), e.runOnce({ batchSize: 5 })]));
    await app.tick();
    const stepsTaken = results.reduce((a, r) => a + r.steps, 0);
    expect(stepsTaken).toBeGreaterThan(0);
    const log = await app.t.database.db
      .selectFrom('journey_step_log' as any)
      .select(['state_id', 'step_id'])
      .where('journey_id', '=', id)
      .execute();
    expect(log.filter((l: any) => l.step_id === 's')).toHaveLength(40);
    expect(await app.messages(id)).toHaveLength(40);
    for (const d of extra) await d.close();
  });
});
