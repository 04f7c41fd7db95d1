import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { retryDelayMs } from './recompute-failures.js';
import { startSegmentWorker, type SegmentWorker } from './worker.js';

/**
 * One tenant must not hurt the others (issue #14): a segment whose recompute or evaluation fails
 * is backed off with its reason shown by the API, while other segments and workspaces are computed
 * in the same pass; fixing it clears the failure.
 */
describeEngines('segment worker: failing segments', (engine) => {
  let t: TestApp;
  let worker: SegmentWorker;
  beforeAll(async () => {
    t = await createTestApp(engine);
    // No models (the pass is about segments), no idle polls: passes run when the test asks.
    worker = startSegmentWorker({ ...t.services.segments, database: t.database }, { lagMs: 0, pollMs: 3_600_000, runModels: async () => {} });
    await worker.runOnce(); // (the pass a start runs by itself, out of the tests' way)
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const api = (ws: Ws, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: { authorization: 'Bearer ' + ws.secretKey }, ...(payload ? { payload } : {}) });
  const ok = async (ws: Ws, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, status = 200) => {
    const res = await api(ws, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const identify = async (ws: Ws, users: [string, object][]) => {
    const batch = users.map(([userId, traits]) => ({ type: 'identify', userId, traits, messageId: `${ws.workspaceId}-${userId}-${JSON.stringify(traits)}` }));
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
    await t.services.writer.drain();
  };
  const segment = (ws: Ws, id: string) => ok(ws, 'GET', `/v1/segments/${id}`);
  const iso = (ms: number) => new Date(ms).toISOString();
  const vipRule = { type: 'trait', key: 'plan', op: 'eq', value: 'vip' };
  const HEALTHY = { state: 'ok', failures: 0, lastError: null, lastFailedAt: null, retryAt: null };

  /**
   * Ways to make a segment's evaluation throw, with the reason the API then shows. `plant(ws, id,
   * touch)`: `touch` stamps the profiles as changed, so the change feed meets the failure too.
   */
  const plants = [
    {
      name: 'a stored rule the compiler refuses (saved by another version)',
      engines: ['sqlite', 'postgres'],
      reason: /op contains is not supported/,
      plant: async (ws: Ws, segmentId: string, _touch: boolean) => {
        const rule = JSON.stringify({ type: 'profile', field: 'order_count', op: 'contains', value: 1 });
        await t.database.db.updateTable('segments').set({ rule }).where('workspace_id', '=', ws.workspaceId).where('id', '=', segmentId).execute();
      },
      fix: async (ws: Ws, segmentId: string) => {
        await ok(ws, 'PATCH', `/v1/segments/${segmentId}`, { rule: vipRule });
      },
    },
    {
      name: "a profile's traits stored as malformed JSON (SQLite's JSON functions fail on it)",
      engines: ['sqlite'],
      reason: /malformed JSON/,
      plant: async (ws: Ws, _segmentId: string, touch: boolean) => {
        const stamp = touch ? sql`, updated_at = ${t.clock.now()}` : sql``;
        await sql`update profiles set traits = traits || '[[['${stamp} where workspace_id = ${ws.workspaceId}`.execute(t.database.db);
      },
      fix: async (ws: Ws, segmentId: string) => {
        await sql`update profiles set traits = substr(traits, 1, length(traits) - 3) where workspace_id = ${ws.workspaceId}`.execute(t.database.db);
        await ok(ws, 'POST', `/v1/segments/${segmentId}/recompute`);
      },
    },
  ].filter((p) => p.engines.includes(engine));

  it.each(plants)('a failing recompute ($name) is backed off with its reason; another workspace is computed in the same pass', async (p) => {
    const a = await t.newWorkspace('A');
    const b = await t.newWorkspace('B');
    await identify(a, [
      ['a1', { plan: 'vip' }],
      ['a2', { plan: 'free' }],
    ]);
    await identify(b, [
      ['b1', { plan: 'vip' }],
      ['b2', { plan: 'vip' }],
    ]);
    // The failing segment was asked for first: it heads the recompute queue. (Its profiles are
    // older than the workspace's feed: the full recompute meets the failure first.)
    t.clock.advance(1000);
    const bad = await ok(a, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
    await p.plant(a, bad.id, false);
    t.clock.advance(1000);
    const good = await ok(b, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);

    await worker.runOnce();
    const failedAt = t.clock.now();
    expect(await segment(b, good.id)).toMatchObject({ computing: false, memberCount: 2, recompute: HEALTHY });
    const failing = {
      computing: true,
      memberCount: 0,
      recompute: { state: 'retrying', failures: 1, lastError: expect.stringMatching(p.reason), lastFailedAt: iso(failedAt), retryAt: iso(failedAt + 30_000) },
    };
    expect(await segment(a, bad.id)).toMatchObject(failing);
    expect((await ok(a, 'GET', '/v1/segments')).data).toEqual([expect.objectContaining({ id: bad.id, ...failing })]);

    // Skipped until its retry time, then tried again: 30 s, doubling; after 8 failures in a row it shows as failed.
    await worker.runOnce();
    expect((await segment(a, bad.id)).recompute.failures).toBe(1);
    for (let n = 2; n <= 8; n++) {
      t.clock.advance(retryDelayMs(n - 1));
      await worker.runOnce();
      expect((await segment(a, bad.id)).recompute, `failure ${n}`).toMatchObject({ failures: n, retryAt: iso(t.clock.now() + retryDelayMs(n)) });
    }
    expect(retryDelayMs(8)).toBe(3_600_000);
    expect((await segment(a, bad.id)).recompute).toMatchObject({ state: 'failed', failures: 8, lastError: expect.stringMatching(p.reason) });

    // Fixed (a rule change, or the data repaired and a recompute asked for): cleared at once, computed in the next pass.
    await p.fix(a, bad.id);
    expect((await segment(a, bad.id)).recompute).toEqual(HEALTHY);
    await worker.runOnce();
    expect(await segment(a, bad.id)).toMatchObject({ computing: false, memberCount: 1, recompute: HEALTHY });
  });

  it.each(plants)('the change feed blames the segment that fails ($name) and goes on with the others, in every workspace', async (p) => {
    const a = await t.newWorkspace('A');
    const b = await t.newWorkspace('B');
    await identify(a, [['a1', { plan: 'vip', n: 1 }]]);
    await identify(b, [['b1', { plan: 'vip' }]]);
    const a1 = await ok(a, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
    const a2 = await ok(a, 'POST', '/v1/segments', { name: 'Numbered', rule: { type: 'trait', key: 'n', op: 'exists' } }, 201);
    const b1 = await ok(b, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
    await worker.runOnce();
    for (const [ws, id] of [
      [a, a1.id],
      [a, a2.id],
      [b, b1.id],
    ] as const)
      expect(await segment(ws, id)).toMatchObject({ computing: false, memberCount: 1, recompute: HEALTHY });

    // A's segment breaks; new profiles arrive in both workspaces, and B asks for a new segment.
    t.clock.advance(1000);
    await identify(a, [['a2', { plan: 'vip', n: 2 }]]);
    await identify(b, [['b2', { plan: 'vip' }]]);
    await p.plant(a, a1.id, true);
    const b2 = await ok(b, 'POST', '/v1/segments', { name: 'Everyone VIP', rule: vipRule }, 201);

    await worker.runOnce();
    // B: its feed and its new segment, in the same pass.
    expect(await segment(b, b1.id)).toMatchObject({ memberCount: 2, recompute: HEALTHY });
    expect(await segment(b, b2.id)).toMatchObject({ computing: false, memberCount: 2, recompute: HEALTHY });
    // A: the failing segment is backed off with a full recompute pending (it misses the feed meanwhile)...
    expect(await segment(a, a1.id)).toMatchObject({
      computing: true,
      recompute: { state: 'retrying', failures: 1, lastError: expect.stringMatching(p.reason), retryAt: iso(t.clock.now() + 30_000) },
    });
    // ...and the workspace's other segment follows the feed, unless it fails on the same data.
    const other = await segment(a, a2.id);
    if (other.recompute.failures === 0) expect(other).toMatchObject({ memberCount: 2, computing: false });
    else expect(other.recompute.lastError).toMatch(p.reason);

    await p.fix(a, a1.id);
    if (other.recompute.failures) await ok(a, 'POST', `/v1/segments/${a2.id}/recompute`);
    await worker.runOnce();
    expect(await segment(a, a1.id)).toMatchObject({ computing: false, memberCount: 2, recompute: HEALTHY });
    expect(await segment(a, a2.id)).toMatchObject({ computing: false, recompute: HEALTHY });
  });

  if (engine === 'postgres')
    it('PostgreSQL: a recompute statement past SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS is stopped and backed off with that reason', async () => {
      const ws = await t.newWorkspace();
      await identify(ws, [['r1', { plan: 'vip' }]]);
      t.clock.advance(1000);
      const seg = await ok(ws, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
      // A worker whose recompute statements may take 300 ms, while another transaction holds the members table longer.
      const limits = { preview: {}, recompute: { timeoutMs: 300, workMem: '4MB' } };
      const slow = startSegmentWorker(
        { ...t.services.segments, database: t.database, queryLimits: limits },
        { lagMs: 0, pollMs: 3_600_000, runModels: async () => {} },
      );
      let release = () => {};
      const held = new Promise<void>((r) => (release = r));
      let locked = () => {};
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = t.database.db.transaction().execute(async (trx) => {
        await sql`lock table segment_members in access exclusive mode`.execute(trx);
        locked();
        await held;
      });
      await isLocked;
      try {
        await slow.runOnce();
      } finally {
        release();
        await holder;
        await slow.stop();
      }
      expect((await segment(ws, seg.id)).recompute).toMatchObject({
        state: 'retrying',
        failures: 1,
        lastError: 'a query ran longer than 0.3 s and was stopped (SIYU_SEGMENT_RECOMPUTE_TIMEOUT_MS): simplify the rule or raise the limit',
      });
      // Asked for again, with the members table free, it is computed.
      await ok(ws, 'POST', `/v1/segments/${seg.id}/recompute`);
      await worker.runOnce();
      expect(await segment(ws, seg.id)).toMatchObject({ computing: false, memberCount: 1, recompute: HEALTHY });
    });
});
