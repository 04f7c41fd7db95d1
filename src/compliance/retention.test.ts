import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { classify } from '../access/index.js';
import type { DB } from '../platform/db/schema.js';
import type { ComplianceDB } from './schema.js';
import { retentionDeps } from '../server/retention-deps.js';
import { takeLease } from '../platform/db/job-state.js';
import { RETENTION_KINDS } from '../platform/retention.js';
import { RETENTION_KIND_LIST } from './retention.schemas.js';
import { runRetention } from './retention.job.js';
import { runRetentionSchedule } from './retention.worker.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const at = (iso: string) => Date.parse(iso);
/** The whole database's tables with compliance's (which the shared DB type leaves out). */
type AllDB = DB & ComplianceDB;

describeEngines('retention policies (periods per kind, the job in batches, its report, the audit log path)', (engine) => {
  let t: TestApp;
  const all = () => t.database.db as unknown as Kysely<AllDB>;
  let other: { workspaceId: string; writeKey: string; secretKey: string };
  const call = (method: 'GET' | 'PUT', url: string, payload?: object, key = t.secretKey) =>
    t.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) });

  /** One person's history: old and recent raw events, an old order, delivery events and archive lines. */
  const history = (user: string) => [
    { type: 'identify', userId: user, traits: { name: '林' }, timestamp: '2022-01-01T00:00:00Z', messageId: `${user}-id-old` },
    { type: 'track', userId: user, event: 'Product Viewed', timestamp: '2022-01-02T00:00:00Z', messageId: `${user}-pv-old` },
    { type: 'track', userId: user, event: 'Product Viewed', timestamp: '2026-10-01T00:00:00Z', messageId: `${user}-pv-new` },
    {
      type: 'track',
      userId: user,
      event: 'Order Completed',
      properties: { order_id: `${user}-o1`, total: 88 },
      timestamp: '2022-02-01T00:00:00Z',
      messageId: `${user}-order-old`,
    },
    { type: 'track', userId: user, event: 'Message Delivered', timestamp: '2025-06-01T00:00:00Z', messageId: `${user}-dl-old` },
    { type: 'track', userId: user, event: 'Message Delivered', timestamp: '2026-10-01T00:00:00Z', messageId: `${user}-dl-new` },
    { type: 'track', userId: user, event: 'WeCom Message Received', timestamp: '2025-06-01T00:00:00Z', messageId: `${user}-wc-old` },
    { type: 'track', userId: user, event: 'WeCom Message Received', timestamp: '2026-10-20T00:00:00Z', messageId: `${user}-wc-new` },
  ];
  const messageIds = async (ws: string) =>
    (await all().selectFrom('events').select('message_id').where('workspace_id', '=', ws).execute()).map((r) => r.message_id).sort();
  const message = (ws: string, id: string, createdAt: number, status: string) => ({
    workspace_id: ws,
    id,
    idempotency_key: id,
    profile_id: null,
    channel: 'sms',
    purpose: 'marketing' as const,
    status,
    reason: null,
    template_id: null,
    template_version: null,
    content: JSON.stringify({ text: '您的订单已发货' }),
    data: JSON.stringify({ data: { code: '1234' } }),
    recipient: null,
    rendered: JSON.stringify({ text: '您的订单已发货' }),
    locale: 'zh-CN',
    source_kind: 'api' as const,
    source_id: null,
    source_step: null,
    attempts: 1,
    next_attempt_at: createdAt,
    lease_until: null,
    provider_message_id: null,
    error_code: null,
    sent_at: createdAt,
    delivered_at: status === 'delivered' ? createdAt : null,
    opened_at: null,
    clicked_at: null,
    address_key: 'k',
    replied_at: null,
    created_at: createdAt,
    updated_at: createdAt,
  });
  const audit = (ws: string, id: string, ms: number) => ({
    workspace_id: ws,
    id,
    at: ms,
    actor_kind: 'key' as const,
    actor_id: null,
    actor_role: 'owner',
    ip: null,
    user_agent: null,
    method: 'PUT',
    route: '/v1/workspace',
    path: '/v1/workspace',
    target: null,
    status: 200,
    body: null,
    before: null,
    after: null,
    request_id: id,
  });
  const aggregates = async (ws: string) =>
    (await all().selectFrom('profiles').select(['order_count', 'total_spent_fen', 'first_purchase_at']).where('workspace_id', '=', ws).execute()).map((r) => [
      Number(r.order_count),
      Number(r.total_spent_fen),
      Number(r.first_purchase_at),
    ]);

  beforeAll(async () => {
    // The privacy requests closed in 2021 come first (requests take their times from the clock).
    t = await createTestApp(engine, { clockStart: at('2021-03-01T02:00:00Z') });
    other = await t.newWorkspace('Other');
    for (const key of [t.secretKey, other.secretKey]) {
      const auth = { authorization: `Bearer ${key}` };
      const closed = (
        await t.app.inject({ method: 'POST', url: '/v1/privacy/requests', headers: auth, payload: { kind: 'export', subject: 'user_id:x' } })
      ).json();
      const rej = await t.app.inject({ method: 'POST', url: `/v1/privacy/requests/${closed.id}/reject`, headers: auth, payload: { reason: '身份无法核验' } });
      expect(rej.statusCode, rej.body).toBe(200);
      // Received in 2021 and still open: never purged, however old.
      await t.app.inject({ method: 'POST', url: '/v1/privacy/requests', headers: auth, payload: { kind: 'export', subject: 'user_id:y' } });
    }
    t.clock.set(T0);
    for (const [ws, key] of [
      [t.workspaceId, t.writeKey],
      [other.workspaceId, other.writeKey],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(key) }, payload: { batch: history(`u-${ws}`) } });
      expect(res.statusCode, res.body).toBeLessThan(300);
      await all()
        .insertInto('messages')
        .values([
          message(ws, `m-old-${ws}`, at('2025-01-01T00:00:00Z'), 'delivered'),
          message(ws, `m-held-${ws}`, at('2025-01-01T00:00:00Z'), 'held'),
          message(ws, `m-new-${ws}`, at('2026-10-01T00:00:00Z'), 'delivered'),
        ])
        .execute();
      await all()
        .insertInto('audit_log')
        .values([audit(ws, `aud-old-${ws}`, at('2021-01-01T00:00:00Z')), audit(ws, `aud-new-${ws}`, at('2026-10-30T00:00:00Z'))])
        .execute();
    }
    await t.services.writer.drain();
    // Past the grace of freshly received events (7 days).
    t.clock.advance(8 * DAY);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the defaults and bounds, refuses a period outside them, and is the owner’s', async () => {
    const res = await call('GET', '/v1/retention');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().periods).toEqual({
      events: 1095,
      messageBodies: 180,
      conversationArchive: 365,
      deliveryLogs: 365,
      privacyRequests: 1095,
      auditLog: 1095,
    });
    expect(res.json().bounds.auditLog).toEqual({ min: 180, max: 3650 });
    expect([...RETENTION_KIND_LIST]).toEqual([...RETENTION_KINDS]);
    const bad = await call('PUT', '/v1/retention', { periods: { auditLog: 30 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    expect((await call('PUT', '/v1/retention', { periods: { messageBodies: 3.5 } })).statusCode).toBe(400);
    for (const [method, route] of [
      ['GET', '/v1/retention'],
      ['PUT', '/v1/retention'],
      ['GET', '/v1/retention/runs'],
    ])
      expect(classify(method!, route!)).toBe('admin');
  });

  it('keeps a kind set to forever: a run purges nothing of it', async () => {
    const put = await call('PUT', '/v1/retention', {
      periods: { events: null, messageBodies: null, conversationArchive: null, deliveryLogs: null, auditLog: null, privacyRequests: null },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().periods.events).toBeNull();
    const before = await messageIds(t.workspaceId);
    const run = await runRetention(retentionDeps(t.services, t.database), t.workspaceId, { trigger: 'cli' });
    expect(run!.kinds.map((k) => [k.kind, k.days, k.cutoff, k.rows])).toEqual([
      ['events', null, null, 0],
      ['messageBodies', null, null, 0],
      ['conversationArchive', null, null, 0],
      ['deliveryLogs', null, null, 0],
      ['privacyRequests', null, null, 0],
      ['auditLog', null, null, 0],
    ]);
    expect(await messageIds(t.workspaceId)).toEqual(before);
    // Back to the defaults: `{ periods: {} }` resets every kind.
    expect((await call('PUT', '/v1/retention', { periods: {} })).json().periods.events).toBe(1095);
  });

  it('purges what is older than each cutoff in batches, keeps what is newer, the aggregates and the other workspace', async () => {
    const aggBefore = await aggregates(t.workspaceId);
    const otherEvents = await messageIds(other.workspaceId);
    const progress: string[] = [];
    const run = await runRetention(retentionDeps(t.services, t.database), t.workspaceId, {
      trigger: 'cli',
      batchSize: 2,
      onProgress: (kind, rows) => progress.push(`${kind}:${rows}`),
    });
    expect(run!.status).toBe('completed');
    const rows = Object.fromEntries(run!.kinds.map((k) => [k.kind, k.rows]));
    expect(rows).toEqual({ events: 3, messageBodies: 1, conversationArchive: 1, deliveryLogs: 1, privacyRequests: 1, auditLog: expect.any(Number) });
    // The 2021 rows: the one planted and the API actions of that year (recording the requests).
    expect(rows.auditLog).toBeGreaterThanOrEqual(1);
    expect(progress).toContain('events:2'); // batches of two
    expect(run!.kinds[0]!.cutoff).toBe(new Date(T0 + 8 * DAY - 1095 * DAY).toISOString());
    const u = `u-${t.workspaceId}`;
    expect(await messageIds(t.workspaceId)).toEqual([`${u}-dl-new`, `${u}-pv-new`, `${u}-wc-new`].sort());
    // Order counts and amounts come from the orders rows, not the timeline: unchanged.
    expect(await aggregates(t.workspaceId)).toEqual(aggBefore);
    expect(aggBefore[0]).toEqual([1, 8800, at('2022-02-01T00:00:00Z')]);

    const msgs = await all().selectFrom('messages').selectAll().where('workspace_id', '=', t.workspaceId).orderBy('id').execute();
    const byId = Object.fromEntries(msgs.map((m) => [m.id, m]));
    const old = byId[`m-old-${t.workspaceId}`]!;
    expect([old.content, old.rendered, old.address_key, old.status, Number(old.delivered_at)]).toEqual([
      null,
      null,
      null,
      'delivered',
      at('2025-01-01T00:00:00Z'),
    ]);
    expect(Number(old.body_purged_at)).toBe(T0 + 8 * DAY);
    expect(byId[`m-held-${t.workspaceId}`]!.rendered).not.toBeNull();
    expect(byId[`m-new-${t.workspaceId}`]!.rendered).not.toBeNull();

    const auditLeft = await all().selectFrom('audit_log').select(['id', 'at']).where('workspace_id', '=', t.workspaceId).execute();
    expect(auditLeft.map((r) => r.id)).toContain(`aud-new-${t.workspaceId}`);
    expect(auditLeft.every((r) => Number(r.at) >= T0 + 8 * DAY - 1095 * DAY)).toBe(true);
    const requests = await all().selectFrom('privacy_requests').select('status').where('workspace_id', '=', t.workspaceId).execute();
    expect(requests.map((r) => r.status)).toEqual(['received']);

    // The other workspace: untouched.
    expect(await messageIds(other.workspaceId)).toEqual(otherEvents);
    expect(otherEvents).toHaveLength(8);
    const otherOld = await all()
      .selectFrom('messages')
      .select('rendered')
      .where('workspace_id', '=', other.workspaceId)
      .where('id', '=', `m-old-${other.workspaceId}`)
      .executeTakeFirstOrThrow();
    expect(otherOld.rendered).not.toBeNull();
    expect(
      await all()
        .selectFrom('audit_log')
        .select('id')
        .where('workspace_id', '=', other.workspaceId)
        .where('id', '=', `aud-old-${other.workspaceId}`)
        .executeTakeFirst(),
    ).toBeDefined();
    expect((await all().selectFrom('privacy_requests').select('id').where('workspace_id', '=', other.workspaceId).execute()).length).toBe(2);
  });

  it('a re-run finds nothing left: every kind purges 0 rows', async () => {
    const run = await runRetention(retentionDeps(t.services, t.database), t.workspaceId, { trigger: 'cli' });
    expect(run!.kinds.map((k) => k.rows)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('lists the runs newest first in the API’s list shape, with their reports', async () => {
    const page = await call('GET', '/v1/retention/runs?limit=2');
    expect(page.statusCode, page.body).toBe(200);
    const body = page.json();
    expect(body.data).toHaveLength(2);
    expect(body.nextCursor).toEqual(expect.any(String));
    expect(body.data[0]).toMatchObject({ trigger: 'cli', status: 'completed', durationMs: expect.any(Number) });
    const rest = (await call('GET', `/v1/retention/runs?limit=2&cursor=${body.nextCursor}`)).json();
    expect(rest.data).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    const all = [...body.data, ...rest.data];
    expect(all.some((r: { kinds: { kind: string; rows: number }[] }) => r.kinds.find((k) => k.kind === 'events')!.rows === 3)).toBe(true);
    expect((await call('GET', '/v1/retention/runs', undefined, other.secretKey)).json().data).toEqual([]);
  });

  it('the audit log refuses UPDATE and DELETE except the job’s own grant, and never for its last 180 days', async () => {
    const db = all();
    const ws = other.workspaceId;
    await expect(db.deleteFrom('audit_log').where('workspace_id', '=', ws).execute()).rejects.toThrow(/append-only/);
    await expect(db.updateTable('audit_log').set({ status: 500 }).where('workspace_id', '=', ws).execute()).rejects.toThrow(/append-only/);
    // A grant covers only its workspace's rows before its cutoff, and not the last 180 days by the database's clock.
    const recent = Date.now() - 10 * DAY;
    await db
      .insertInto('audit_log')
      .values(audit(ws, 'aud-recent', recent))
      .execute();
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('audit_log_purge_grants').values({ workspace_id: ws, before_at: Date.now() }).execute();
        await trx.deleteFrom('audit_log').where('workspace_id', '=', ws).where('id', '=', 'aud-recent').execute();
      }),
    ).rejects.toThrow(/append-only/);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('audit_log_purge_grants').values({ workspace_id: t.workspaceId, before_at: Date.now() }).execute();
        await trx.deleteFrom('audit_log').where('workspace_id', '=', ws).where('id', '=', `aud-old-${ws}`).execute();
      }),
    ).rejects.toThrow(/append-only/);
    expect(await db.selectFrom('audit_log_purge_grants').selectAll().execute()).toEqual([]);
    expect((await db.selectFrom('audit_log').select('id').where('workspace_id', '=', ws).execute()).map((r) => r.id).sort()).toEqual(
      ['aud-new-' + ws, 'aud-old-' + ws, 'aud-recent', ...(await auditIdsFromApi(ws))].sort(),
    );
  });

  it('a run left `running` by a stopped process is marked failed by the next run', async () => {
    const stale = {
      workspace_id: other.workspaceId,
      id: 'ret-stale',
      trigger: 'schedule',
      status: 'running',
      started_at: T0,
      finished_at: null,
      duration_ms: null,
      kinds: '[]',
    };
    await all().insertInto('retention_runs').values(stale).execute();
    await runRetention(retentionDeps(t.services, t.database), other.workspaceId, { trigger: 'cli' });
    const row = await all()
      .selectFrom('retention_runs')
      .select(['status', 'finished_at'])
      .where('workspace_id', '=', other.workspaceId)
      .where('id', '=', 'ret-stale')
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.finished_at).not.toBeNull();
  });

  it('one run per workspace at a time; the schedule runs due workspaces once a day', async () => {
    const deps = retentionDeps(t.services, t.database);
    const [a, b] = await Promise.all([runRetention(deps, other.workspaceId, { trigger: 'cli' }), runRetention(deps, other.workspaceId, { trigger: 'cli' })]);
    expect([a, b].filter((r) => r === undefined)).toHaveLength(1);
    // `other` just ran; the first workspace's last run was a moment ago too: a day later both are due.
    expect(await runRetentionSchedule(deps)).toEqual([]);
    t.clock.advance(DAY);
    expect((await runRetentionSchedule(deps)).sort()).toEqual([t.workspaceId, other.workspaceId].sort());
    expect(await runRetentionSchedule(deps)).toEqual([]);
  });

  it('POST /v1/retention/runs starts a run and answers it at once; a run in progress refuses another (RETENTION_RUNNING)', async () => {
    const lease = await takeLease(t.database.db, t.workspaceId, 'compliance.retention', 60_000, () => t.clock.now());
    const busy = await t.app.inject({ method: 'POST', url: '/v1/retention/runs', headers: { authorization: `Bearer ${t.secretKey}` } });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.code).toBe('RETENTION_RUNNING');
    await lease!.release();
    const res = await t.app.inject({ method: 'POST', url: '/v1/retention/runs', headers: { authorization: `Bearer ${t.secretKey}` } });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ trigger: 'api', status: 'running', finishedAt: null });
    // The test clock stands still, so runs share a start time: find this one by its id.
    for (let i = 0; i < 100; i++) {
      const run = (await call('GET', '/v1/retention/runs?limit=100')).json().data.find((r: { id: string }) => r.id === res.json().id);
      if (run.status !== 'running') {
        expect(run.status).toBe('completed');
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the run started through the API did not end');
  });

  async function auditIdsFromApi(ws: string): Promise<string[]> {
    const rows = await all().selectFrom('audit_log').select('id').where('workspace_id', '=', ws).where('id', 'not like', 'aud-%').execute();
    return rows.map((r) => r.id);
  }
});
