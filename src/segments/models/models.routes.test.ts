import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, createServices, type Services } from '../../server/app.js';
import { fixedClock } from '../../platform/clock.js';
import { AppError } from '../../platform/errors.js';
import { createWorkspace } from '../../platform/workspaces.js';
import { basic, describeEngines, openTestDatabase, testConfig } from '../../../test/support/engines.js';
import { computeModels, defaultSegmentationSettings, modelRoutes } from './index.js';
import { LEASE_MS, takeLease } from './run.js';
import { recomputeSegment } from '../recompute.js';
import { daysAgo, NOW, scoresOf } from './test-fixtures.js';
import { WECOM_EVENTS } from '../../platform/event-names.js';

describeEngines('models API', (engine) => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let services: Services;
  let app: FastifyInstance;
  const clock = fixedClock(NOW);
  beforeAll(async () => {
    database = await openTestDatabase(engine);
    services = await createServices(testConfig(database.dataDir), { database, clock, log: pino({ level: 'silent' }), migrate: false });
    app = await buildApp(services);
    // The composition root may not register the models routes yet; register them here if not.
    await app.register(async (scope) => {
      if (!scope.hasRoute({ method: 'POST', url: '/v1/models/compute' })) await modelRoutes(scope, services.segments);
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await services?.writer.drain();
    await database?.close();
  });

  type Ws = { id: string; writeKey: string; secretKey: string };
  const newWorkspace = async (): Promise<Ws> => {
    const c = await createWorkspace(database.db, { name: 'models' });
    return { id: c.workspace.id, writeKey: c.writeKey, secretKey: c.secretKey };
  };
  const api = (ws: Ws, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: 'Bearer ' + ws.secretKey }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const ok = async (ws: Ws, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, status = 200) => {
    const res = await api(ws, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const fails = async (ws: Ws, method: 'GET' | 'POST' | 'PUT', url: string, payload: unknown, status: number, code: string) => {
    const res = await api(ws, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    expect(res.json().error.code).toBe(code);
    return res.json().error.message as string;
  };
  const track = async (ws: Ws, batch: object[]) => {
    const res = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
    await services.writer.drain();
  };
  const order = (userId: string, days: number, total: number, id: string) => ({
    type: 'track',
    userId,
    event: 'Order Completed',
    properties: { order_id: id, total },
    timestamp: new Date(daysAgo(days)).toISOString(),
  });
  // The community model's events as scrm records them (its end-to-end test: src/scrm/community-roles.test.ts).
  const groupEvent = (userId: string, event: string, days: number) => ({
    type: 'track',
    userId,
    event,
    properties: event === WECOM_EVENTS.groupJoined ? { chat_id: 'wrOgAAA' } : { roomid: 'wrOgAAA' },
    timestamp: new Date(daysAgo(days)).toISOString(),
  });

  it('runs the models over tracked data, answers the RFM report and puts stage changes on the timeline', async () => {
    const ws = await newWorkspace();
    const other = await newWorkspace();
    await track(ws, [
      order('u1', 100, 30, 'o1'),
      order('u1', 40, 50, 'o2'),
      order('u1', 2, 100, 'o3'),
      order('u2', 5, 20, 'o4'),
      order('u4', 200, 500, 'o5'),
      { type: 'identify', userId: 'u3', traits: { name: 'Prospect' }, timestamp: new Date(daysAgo(1)).toISOString() },
      groupEvent('u1', WECOM_EVENTS.groupJoined, 60),
      ...Array.from({ length: 6 }, () => groupEvent('u1', WECOM_EVENTS.messageReceived, 3)),
      groupEvent('u3', WECOM_EVENTS.groupJoined, 1),
    ]);
    await track(other, [order('x', 1, 1, 'o1')]);

    // A segment on RFM cells and one on a trait: only the first follows a model run.
    const byCell = await ok(ws, 'POST', '/v1/segments', { name: 'Win-back', rule: { type: 'rfm', cells: ['important_winback'] } }, 201);
    await ok(ws, 'POST', '/v1/segments', { name: 'Named', rule: { type: 'trait', key: 'name', op: 'exists' } }, 201);
    await recomputeSegment(services.membership, ws.id, byCell.id, { lagMs: 0 });
    expect((await ok(ws, 'GET', `/v1/segments/${byCell.id}`)).memberCount).toBe(0);

    const none = { rfm: null, lifecycle: null, communityRole: null };
    expect((await ok(ws, 'GET', '/v1/profiles/user_id:u1')).models).toEqual(none);

    const res = await ok(ws, 'POST', '/v1/models/compute', {});
    expect(res.workspaceId).toBe(ws.id);
    expect(res.segmentsRecomputing).toEqual([byCell.id]);
    await recomputeSegment(services.membership, ws.id, byCell.id, { lagMs: 0 });
    expect((await ok(ws, 'GET', `/v1/segments/${byCell.id}`)).memberCount).toBe(1);
    // Three buyers: quintile ranks 1, 2, 2, 3. R days 200, 5, 2; F 1, 1, 3; M 2000, 18000, 50000 fen.
    expect(res.rfm).toMatchObject({
      buyers: 3,
      thresholds: { r: [200, 5, 5, 2], f: [1, 1, 1, 3], m: [2000, 18000, 18000, 50000] },
      cells: { general_value: 1, general_winback: 1, important_winback: 1 },
    });
    expect(res.lifecycle).toMatchObject({ profiles: 4, changed: 4, stages: { loyal: 1, new: 1, prospect: 1, churned: 1, active: 0, silent: 0 } });
    // u1 (6 messages) is the only member with a score, so it is the top 5% of them: a KOC.
    expect(res.community).toMatchObject({ members: 2, scoredMembers: 1, kocCutoff: 6, roles: { koc: 1, active: 0, lurker: 1 } });

    const report = await ok(ws, 'GET', '/v1/models/rfm/report');
    expect(report).toMatchObject({ buyers: 3, revenueFen: 70000, computedAt: new Date(NOW).toISOString() });
    expect(
      report.cells
        .filter((c: { count: number }) => c.count > 0)
        .map((c: { cell: string; count: number; revenueFen: number }) => [c.cell, c.count, c.revenueFen]),
    ).toEqual([
      ['important_winback', 1, 50000],
      ['general_value', 1, 18000],
      ['general_winback', 1, 2000],
    ]);
    expect(report.cells[0].name).toEqual({ 'zh-CN': '重要价值客户', en: 'Important value customers' });

    // A profile's answer carries what the models computed for it.
    const at = new Date(NOW).toISOString();
    expect((await ok(ws, 'GET', '/v1/profiles/user_id:u1')).models).toEqual({
      rfm: { r: 4, f: 4, m: 2, cell: 'general_value', computedAt: at },
      lifecycle: { stage: 'loyal', since: at },
      communityRole: { role: 'koc', score: 6, computedAt: at },
    });
    expect((await ok(ws, 'GET', '/v1/profiles/user_id:u4')).models).toEqual({
      rfm: { r: 1, f: 1, m: 4, cell: 'important_winback', computedAt: at },
      lifecycle: { stage: 'churned', since: at },
      communityRole: null,
    });
    expect((await ok(ws, 'GET', '/v1/profiles/user_id:u3')).models).toEqual({
      rfm: null,
      lifecycle: { stage: 'prospect', since: at },
      communityRole: { role: 'lurker', score: 0, computedAt: at },
    });

    const timeline = await ok(ws, 'GET', `/v1/profiles/user_id:u2/events?event=${encodeURIComponent('Lifecycle Stage Changed')}`);
    expect(timeline.data.map((e: { payload: { properties: unknown } }) => e.payload.properties)).toEqual([{ from: null, to: 'new' }]);

    // The other workspace was not touched.
    expect((await scoresOf(database.db, other.id)).size).toBe(0);
    expect((await ok(other, 'GET', '/v1/models/rfm/report')).computedAt).toBeNull();
  });

  it('runs only the models asked for, and checks the body', async () => {
    const ws = await newWorkspace();
    const res = await ok(ws, 'POST', '/v1/models/compute', { models: ['lifecycle'] });
    expect(Object.keys(res).sort()).toEqual(['computedAt', 'lifecycle', 'segmentsRecomputing', 'workspaceId']);
    const noBody = await app.inject({ method: 'POST', url: '/v1/models/compute', headers: { authorization: 'Bearer ' + ws.secretKey } });
    expect(noBody.statusCode, noBody.body).toBe(200);
    expect(await fails(ws, 'POST', '/v1/models/compute', { models: ['clv'] }, 400, 'VALIDATION_FAILED')).toMatch(
      /models\/0 must be equal to one of the allowed values/,
    );
    expect(await fails(ws, 'POST', '/v1/models/compute', { models: [] }, 400, 'VALIDATION_FAILED')).toMatch(/fewer than 1 items/);
    const anonymous = await app.inject({ method: 'GET', url: '/v1/models/settings' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('reads and replaces the settings, validated, keeping the other workspace settings', async () => {
    const ws = await newWorkspace();
    await database.db
      .updateTable('workspaces')
      .set({ settings: JSON.stringify({ currency: 'USD', timezone: 'Europe/Berlin' }) })
      .where('id', '=', ws.id)
      .execute();
    const defaults = defaultSegmentationSettings();
    expect(await ok(ws, 'GET', '/v1/models/settings')).toEqual({ timeZone: 'Europe/Berlin', segmentation: defaults });

    const put = await ok(ws, 'PUT', '/v1/models/settings', { lifecycle: { silentDays: 90, churnedDays: 365 }, rfm: { split: 4 } });
    expect(put.segmentation.lifecycle).toEqual({ ...defaults.lifecycle, silentDays: 90, churnedDays: 365 });
    expect(put.segmentation.rfm.split).toEqual({ r: 4, f: 4, m: 4 });
    expect(await ok(ws, 'GET', '/v1/models/settings')).toEqual(put);
    const stored = await database.db.selectFrom('workspaces').select('settings').where('id', '=', ws.id).executeTakeFirstOrThrow();
    const settings = typeof stored.settings === 'string' ? JSON.parse(stored.settings) : stored.settings;
    expect(settings).toEqual({
      currency: 'USD',
      timezone: 'Europe/Berlin',
      segmentation: { lifecycle: { silentDays: 90, churnedDays: 365 }, rfm: { split: 4 } },
    });

    // What GET answers can be sent back as it is.
    expect(await ok(ws, 'PUT', '/v1/models/settings', put.segmentation)).toEqual(put);

    expect(await fails(ws, 'PUT', '/v1/models/settings', { lifecycle: { silentDays: 400 } }, 400, 'VALIDATION_FAILED')).toBe(
      'segmentation.lifecycle.churnedDays (180) must be greater than silentDays (400): a profile goes silent first and churns later',
    );
    expect(await fails(ws, 'PUT', '/v1/models/settings', { rfm: { thresholds: { r: [1, 2, 3, 4] } } }, 400, 'VALIDATION_FAILED')).toMatch(
      /thresholds\.r must be/,
    );
    await fails(ws, 'PUT', '/v1/models/settings', { clv: {} }, 400, 'VALIDATION_FAILED');
    // A refused change leaves the settings as they were.
    expect(await ok(ws, 'GET', '/v1/models/settings')).toEqual(put);
    // Replacing with {} returns to the defaults.
    expect((await ok(ws, 'PUT', '/v1/models/settings', {})).segmentation).toEqual(defaults);
  });

  it('lets one run at a time hold a workspace; a lease left by a dead run expires', async () => {
    const ws = await newWorkspace();
    // A run holding the lease (taken as a run takes it; racing two real runs on an empty
    // workspace was timing-dependent: the first could finish before the second started).
    const held = await takeLease(database.db, ws.id, clock);
    const refused = await computeModels(database.db, database.dialect, ws.id, NOW, { clock }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('CONFLICT');
    await held.release();
    await expect(computeModels(database.db, database.dialect, ws.id, NOW, { clock })).resolves.toMatchObject({ workspaceId: ws.id });

    // A run that died holding the lease.
    await database.db
      .insertInto('job_state')
      .values({
        workspace_id: ws.id,
        name: 'models.lease',
        value: JSON.stringify({ token: 'dead', startedAt: new Date(NOW).toISOString() }),
        updated_at: clock.now(),
      })
      .execute();
    expect(await fails(ws, 'POST', '/v1/models/compute', {}, 409, 'CONFLICT')).toBe(
      `the models of this workspace are already being computed (a run started at ${new Date(NOW).toISOString()}); try again when it has finished`,
    );
    clock.advance(LEASE_MS + 1);
    try {
      await ok(ws, 'POST', '/v1/models/compute', {});
      // Released after the run.
      expect(await database.db.selectFrom('job_state').select('name').where('workspace_id', '=', ws.id).where('name', '=', 'models.lease').execute()).toEqual(
        [],
      );
    } finally {
      clock.set(NOW);
    }
  });
});
