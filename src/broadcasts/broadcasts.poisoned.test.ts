import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { json, messagingTestApp, NOON_SHANGHAI, startHttpRecorder } from '../messaging/test-kit.js';
import { plantFailure } from '../messaging/testing/plant-failure.js';
import { bdb } from './broadcasts.repo.js';
import { MAX_CHUNK_FAILURES } from './chunk-failure.js';
import { createBroadcastWorker } from './worker.js';

type Keys = { workspaceId: string; writeKey: string; secretKey: string };

// Issue #14 §2: a fan-out chunk that throws must neither stall the worker for every other broadcast
// (and workspace) nor be retried every pass; it is backed off with its reason on the broadcast.
describeEngines('broadcasts: a fan-out that throws does not hold back the others', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  let a: Keys;
  let b: Keys;
  const segments = new Map<string, string>();
  const log = pino({ level: 'silent' });

  const call = async (w: Keys, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object, status = 200) => {
    const res = await k.t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${w.secretKey}` } });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  /** A workspace with a webhook channel (to `/<name>` of the recorder) and a static segment of two people. */
  const setUp = async (w: Keys, name: string) => {
    await call(w, 'PUT', '/v1/channels/webhook', { url: `${hook.url}/${name}`, signingSecret: 's' });
    await call(w, 'PATCH', '/v1/messaging/settings', { consent: { marketingRequiresOptIn: false } });
    const batch = [0, 1].map((i) => ({ type: 'identify', userId: `${name}-${i}`, messageId: `${name}-m-${i}` }));
    const res = await k.t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(w.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
    const seg = await call(w, 'POST', '/v1/segments', { name: `${name} audience`, kind: 'static' }, 201);
    const up = await k.t.app.inject({
      method: 'POST',
      url: `/v1/segments/${seg.id}/members`,
      headers: { authorization: `Bearer ${w.secretKey}`, 'content-type': 'text/csv' },
      payload: `identifier\nuser_id:${name}-0\nuser_id:${name}-1\n`,
    });
    expect(up.statusCode, up.body).toBe(200);
    segments.set(w.workspaceId, seg.id);
  };
  /** A webhook broadcast to the workspace's segment, sent now. */
  const sendNow = async (w: Keys, name: string) => {
    const created = await call(
      w,
      'POST',
      '/v1/broadcasts',
      { name, channel: 'webhook', segmentId: segments.get(w.workspaceId), content: { body: { name } } },
      201,
    );
    await call(w, 'POST', `/v1/broadcasts/${created.id}/send-now`);
    return created.id as string;
  };
  const worker = () => createBroadcastWorker({ database: k.t.database, now: () => k.t.clock.now(), log, hub: k.t.services.hub });
  const deliveredTo = (path: string) => hook.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body).body.name as string);
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    k = await messagingTestApp(engine);
    hook = await startHttpRecorder((_r, res) => json(res, 200, { ok: true }));
    a = { workspaceId: k.t.workspaceId, writeKey: k.t.writeKey, secretKey: k.t.secretKey };
    b = await k.t.newWorkspace('B');
    await setUp(a, 'a');
    await setUp(b, 'b');
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });

  it("a broadcast whose chunk throws is backed off with its reason; another workspace's broadcast goes out in the same pass", async () => {
    const poisoned = await sendNow(a, 'poisoned');
    k.t.clock.advance(1000); // due first: the old worker stopped its pass at it, every pass
    const healthy = await sendNow(b, 'healthy');
    const remove = await plantFailure(k.t.database, 'broadcast_recipients', 'insert', `new.broadcast_id = '${poisoned}'`);
    try {
      expect(await worker().runOnce()).toMatchObject({ retrying: 1, finished: 1, enqueued: 2 });
      expect(await call(b, 'GET', `/v1/broadcasts/${healthy}`)).toMatchObject({ status: 'sent', error: null, retryAt: null, progress: { enqueued: 2 } });
      expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 2 });
      expect(deliveredTo('/b')).toEqual(['healthy', 'healthy']);

      let view = await call(a, 'GET', `/v1/broadcasts/${poisoned}`);
      expect(view).toMatchObject({ status: 'scheduled', retryAt: iso(k.t.clock.now() + 30_000), progress: { enqueued: 0 } });
      expect(view.error).toMatch(/^error: .*planted failure/);
      // Not every pass: 30 s later, then 1 min after that.
      expect(await worker().runOnce()).toMatchObject({ chunks: 0, retrying: 0 });
      k.t.clock.advance(30_000);
      expect(await worker().runOnce()).toMatchObject({ retrying: 1 });
      view = await call(a, 'GET', `/v1/broadcasts/${poisoned}`);
      expect(view.retryAt).toBe(iso(k.t.clock.now() + 60_000));
    } finally {
      await remove();
    }
    // Repaired: it goes when its back-off ends, and the failures are forgotten.
    k.t.clock.advance(60_000);
    expect(await worker().runOnce()).toMatchObject({ finished: 1, enqueued: 2, retrying: 0 });
    expect(await call(a, 'GET', `/v1/broadcasts/${poisoned}`)).toMatchObject({ status: 'sent', error: null, retryAt: null, progress: { enqueued: 2 } });
    expect(await k.dispatcher.runOnce()).toMatchObject({ sent: 2 });
    expect(deliveredTo('/a')).toEqual(['poisoned', 'poisoned']);
    k.t.clock.set(NOON_SHANGHAI);
  });

  it(`fails the broadcast with the reason at its ${MAX_CHUNK_FAILURES}th consecutive failure`, async () => {
    const doomed = await sendNow(a, 'doomed');
    const remove = await plantFailure(k.t.database, 'broadcast_recipients', 'insert', `new.broadcast_id = '${doomed}'`);
    try {
      await bdb(k.t.database.db)
        .updateTable('broadcasts')
        .set({ failures: MAX_CHUNK_FAILURES - 1 })
        .where('id', '=', doomed)
        .execute();
      expect(await worker().runOnce()).toMatchObject({ failed: 1, retrying: 0 });
      const view = await call(a, 'GET', `/v1/broadcasts/${doomed}`);
      expect(view).toMatchObject({ status: 'failed', retryAt: null });
      expect(view.error).toMatch(/^error: .*planted failure/);
      expect(view.finishedAt).toBe(iso(k.t.clock.now()));
      expect(await worker().runOnce()).toMatchObject({ chunks: 0, failed: 0 });
    } finally {
      await remove();
    }
  });
});
