import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, createServices, type Services } from '../../server/app.js';
import { fixedClock } from '../../platform/clock.js';
import { createWorkspace } from '../../platform/workspaces.js';
import { DAY_MS } from '../../platform/time.js';
import { basic, describeEngines, openTestDatabase, testConfig } from '../../../test/support/engines.js';
import { daysAgo, NOW } from './test-fixtures.js';

// The flow is read from the events the lifecycle model itself records: the data is tracked through
// the API, the model runs through POST /v1/models/compute on chosen days, and the flow is asked for.
describeEngines('lifecycle flow API', (engine) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let services: Services;
  let app: FastifyInstance;
  const clock = fixedClock(NOW);
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    services = await createServices(testConfig(database.dataDir), { database, clock, log: pino({ level: 'silent' }), migrate: false });
    app = await buildApp(services);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.writer.drain();
    await database?.close();
  });

  type Ws = { id: string; writeKey: string; secretKey: string };
  const newWorkspace = async (): Promise<Ws> => {
    const c = await createWorkspace(database.db, { name: 'flow' });
    return { id: c.workspace.id, writeKey: c.writeKey, secretKey: c.secretKey };
  };
  const get = (ws: Ws, url: string) => app.inject({ method: 'GET', url, headers: { authorization: 'Bearer ' + ws.secretKey } });
  const flow = async (ws: Ws, q: string) => {
    const res = await get(ws, `/v1/models/lifecycle/flow${q}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const track = async (ws: Ws, batch: object[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
    await services.writer.drain();
  };
  const runLifecycle = async (ws: Ws, at: number) => {
    clock.set(at);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/models/compute',
      headers: { authorization: 'Bearer ' + ws.secretKey },
      payload: { models: ['lifecycle'] },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().lifecycle;
  };
  const order = (userId: string, at: number, id: string) => ({
    type: 'track',
    userId,
    event: 'Order Completed',
    properties: { order_id: id, total: 10 },
    timestamp: new Date(at).toISOString(),
  });
  const seen = (userId: string, at: number) => ({ type: 'identify', userId, traits: { name: userId }, timestamp: new Date(at).toISOString() });

  it('counts the profiles that moved between stages in a period, one move per profile from its first to its last stage', async () => {
    const ws = await newWorkspace();
    const other = await newWorkspace();
    clock.set(NOW);
    await track(ws, [order('u1', daysAgo(40), 'o1'), seen('u2', daysAgo(59)), order('u3', daysAgo(10), 'o3'), seen('u4', daysAgo(1))]);
    await track(other, [seen('x', daysAgo(1))]);
    // 2026-11-01: every profile staged for the first time.
    expect(await runLifecycle(ws, NOW)).toMatchObject({ changed: 4, stages: { active: 1, prospect: 2, new: 1 } });
    await runLifecycle(other, NOW);
    // 11-03: u2 was last seen 61 days ago.
    expect(await runLifecycle(ws, NOW + 2 * DAY_MS)).toMatchObject({ changed: 1, stages: { silent: 1 } });
    // 11-04: u2 comes back.
    clock.set(NOW + 3 * DAY_MS);
    await track(ws, [seen('u2', NOW + 3 * DAY_MS)]);
    expect(await runLifecycle(ws, NOW + 3 * DAY_MS)).toMatchObject({ changed: 1, stages: { silent: 0 } });
    // 11-22: u1's only purchase is 61 days old (silent), u3's first purchase 31 days (active).
    expect(await runLifecycle(ws, NOW + 21 * DAY_MS)).toMatchObject({ changed: 2, stages: { silent: 1, active: 1, new: 0 } });

    const month = await flow(ws, '?from=2026-11-01&to=2026-11-30');
    expect(month).toEqual({
      from: '2026-11-01',
      to: '2026-11-30',
      timeZone: 'Asia/Shanghai',
      profiles: 4,
      changes: 8,
      moves: [
        { from: null, to: 'prospect', profiles: 2 },
        { from: null, to: 'active', profiles: 1 },
        { from: null, to: 'silent', profiles: 1 },
      ],
    });
    // From 11-02 on, the first run is before the period: the stages it gave are where profiles start.
    expect(await flow(ws, '?from=2026-11-02&to=2026-11-30')).toMatchObject({
      profiles: 3,
      changes: 4,
      moves: [
        { from: 'active', to: 'silent', profiles: 1 },
        { from: 'new', to: 'active', profiles: 1 },
        { from: 'prospect', to: 'prospect', profiles: 1 },
      ],
    });
    // One day: the local date in the workspace zone (the 11-03 run is at 12:00 local).
    expect(await flow(ws, '?from=2026-11-03&to=2026-11-03')).toMatchObject({
      profiles: 1,
      changes: 1,
      moves: [{ from: 'prospect', to: 'silent', profiles: 1 }],
    });
    expect(await flow(ws, '?from=2026-11-05&to=2026-11-21')).toMatchObject({ profiles: 0, changes: 0, moves: [] });
    // Default period: the 30 days up to today (11-22).
    expect(await flow(ws, '')).toMatchObject({ from: '2026-10-24', to: '2026-11-22', profiles: 4, changes: 8 });
    // Another workspace's changes are its own.
    expect(await flow(other, '?from=2026-11-01&to=2026-11-30')).toMatchObject({ profiles: 1, moves: [{ from: null, to: 'prospect', profiles: 1 }] });
  });

  it('refuses a period it cannot read, naming the field', async () => {
    const ws = await newWorkspace();
    for (const [q, field] of [
      ['?from=2026-11-30&to=2026-11-01', 'from'],
      ['?from=2026-02-30', 'from'],
      ['?to=yesterday', 'to'],
      ['?from=2020-01-01&to=2026-01-01', 'from'],
    ] as const) {
      const res = await get(ws, `/v1/models/lifecycle/flow${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    }
  });
});
