import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { basic, describeEngines } from '../../test/support/engines.js';
import { json, messagingTestApp, NOON_SHANGHAI, startHttpRecorder } from '../messaging/test-kit.js';
import { recomputeSegment } from '../segments/index.js';
import { bucketOf } from '../segments/compile.js';
import type { Kysely } from 'kysely';
import type { MessagingDB } from '../messaging/index.js';
import type { BroadcastsDB } from './schema.js';
import { createBroadcastWorker } from './worker.js';
import { runChunk } from './fanout.js';
import type { BroadcastWorkerOptions } from './worker.js';
import {} from '../platform/time.js';

/** The test reads broadcasts' and messaging's tables side by side. */
const bdb = (db: unknown) => db as Kysely<BroadcastsDB & MessagingDB>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describeEngines('broadcasts', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let hook: Awaited<ReturnType<typeof startHttpRecorder>>;
  const log = pino({ level: 'silent' });
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    hook = await startHttpRecorder((_r, res) => json(res, 200, { ok: true }));
    expect((await k.api('PUT', '/v1/channels/webhook', { url: `${hook.url}/in`, signingSecret: 'whsec' })).status).toBe(200);
    // Marketing goes unless withdrawn; caps high enough not to interfere with these sends.
    const set = await k.api('PATCH', '/v1/messaging/settings', {
      consent: { marketingRequiresOptIn: false },
      caps: { marketing: { perDay: 50, perWeek: 100 }, channels: {}, onLimit: 'suppress' },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  });
  afterAll(async () => {
    await hook?.close();
    await k?.close();
  });

  const ws = () => k.t.workspaceId;
  const fanoutDeps = () => ({ database: k.t.database, now: () => k.t.clock.now(), log, hub: k.t.services.hub });
  const worker = (over: BroadcastWorkerOptions = {}) => createBroadcastWorker(fanoutDeps(), over);
  const ok = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, status = 200) => {
    const res = await k.api(method, url, payload);
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBe(status);
    return res.body;
  };
  const fails = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload: unknown, status: number, code: string) => {
    const res = await k.api(method, url, payload);
    expect([res.status, res.body?.error?.code], JSON.stringify(res.body)).toEqual([status, code]);
    return res.body.error.message as string;
  };
  /** Creates `n` profiles `<prefix>-<i>` with traits through the tracking API; returns their ids. */
  const people = async (prefix: string, n: number, traits: (i: number) => Record<string, unknown> = () => ({})) => {
    const batch = Array.from({ length: n }, (_, i) => ({
      type: 'identify',
      userId: `${prefix}-${i}`,
      traits: { name: `${prefix} ${i}`, ...traits(i) },
      messageId: `${prefix}-id-${i}`,
    }));
    const res = await k.t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(k.t.writeKey) }, payload: { batch } });
    expect(res.statusCode, res.body).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await ok('GET', `/v1/profiles/user_id:${prefix}-${i}`)).id);
    return ids;
  };
  /** A static segment holding the given users. */
  const staticSegment = async (name: string, userIds: string[]) => {
    const seg = await ok('POST', '/v1/segments', { name, kind: 'static' }, 201);
    const res = await k.t.app.inject({
      method: 'POST',
      url: `/v1/segments/${seg.id}/members`,
      headers: { authorization: `Bearer ${k.t.secretKey}`, 'content-type': 'text/csv' },
      payload: 'identifier\n' + userIds.map((u) => `user_id:${u}`).join('\n') + '\n',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().added).toBe(userIds.length);
    return seg.id as string;
  };
  /** The broadcast's outbox rows (test sends excluded). */
  const outbox = (id: string) =>
    bdb(k.t.database.db)
      .selectFrom('messages')
      .select(['profile_id', 'idempotency_key', 'status', 'reason'])
      .where('workspace_id', '=', ws())
      .where('source_kind', '=', 'broadcast')
      .where('source_id', '=', id)
      .where('source_step', 'is', null)
      .execute();
  const dispatchAll = async () => {
    for (let i = 0; i < 50; i++) if ((await k.dispatcher.runOnce()).claimed === 0) return;
    throw new Error('dispatcher did not drain');
  };
  const webhookContent = { body: { hello: '{{ profile.name }}', offer: '{{ data.offer }}' } };

  it('creates, validates, edits, schedules, cancels and deletes broadcasts', async () => {
    const ids = await people('crud', 3);
    const seg = await staticSegment('crud audience', ['crud-0', 'crud-1', 'crud-2']);
    const base = { name: 'Double 11 teaser', channel: 'webhook', segmentId: seg, content: webhookContent, data: { offer: '11.11' } };

    expect(await fails('POST', '/v1/broadcasts', { name: 'x', channel: 'webhook', segmentId: seg }, 400, 'VALIDATION_FAILED')).toContain('either templateId');
    expect(await fails('POST', '/v1/broadcasts', { ...base, content: { body: 'not an object' } }, 400, 'TEMPLATE_INVALID')).toContain('content.body');
    expect(await fails('POST', '/v1/broadcasts', { ...base, content: { body: { x: '{{ oops' } } }, 400, 'TEMPLATE_INVALID')).toBeTruthy();
    expect(await fails('POST', '/v1/broadcasts', { ...base, segmentId: 'seg_nope' }, 404, 'SEGMENT_NOT_FOUND')).toContain('segmentId');
    expect(await fails('POST', '/v1/broadcasts', { ...base, excludeSegmentId: seg }, 400, 'VALIDATION_FAILED')).toContain('excludeSegmentId');
    expect(await fails('POST', '/v1/broadcasts', { ...base, holdoutPercent: 80 }, 400, 'VALIDATION_FAILED')).toContain('holdoutPercent');
    expect(await fails('POST', '/v1/broadcasts', { ...base, sendAt: '2026-11-11T20:00:00' }, 400, 'VALIDATION_FAILED')).toContain('offset');
    await fails('POST', '/v1/broadcasts', { ...base, channel: 'wecom_group' }, 400, 'VALIDATION_FAILED');
    await fails('POST', '/v1/broadcasts', { ...base, content: undefined, templateId: 'tpl_nope' }, 404, 'TEMPLATE_NOT_FOUND');

    const created = await ok('POST', '/v1/broadcasts', base, 201);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^bc_/),
      status: 'draft',
      purpose: 'marketing',
      holdoutPercent: 0,
      goalDays: 7,
      sendAt: null,
      progress: { enqueued: 0, total: null, done: false },
    });
    // A template replaces inline content; its purpose becomes the default.
    const tpl = await ok('POST', '/v1/templates', { name: 'svc-hook', channel: 'webhook', purpose: 'service', variants: { 'zh-CN': webhookContent } }, 201);
    const edited = await ok('PATCH', `/v1/broadcasts/${created.id}`, { templateId: tpl.id, purpose: 'service', goalEvent: 'Order Completed' });
    expect(edited).toMatchObject({ templateId: tpl.id, content: null, templateVersion: null, purpose: 'service', goalEvent: 'Order Completed' });
    await fails('PATCH', `/v1/broadcasts/${created.id}`, { templateVersion: 9 }, 404, 'TEMPLATE_NOT_FOUND');

    expect(await fails('POST', `/v1/broadcasts/${created.id}/schedule`, {}, 400, 'VALIDATION_FAILED')).toContain('sendAt is required');
    expect(
      await fails('POST', `/v1/broadcasts/${created.id}/schedule`, { sendAt: new Date(NOON_SHANGHAI - HOUR).toISOString() }, 400, 'VALIDATION_FAILED'),
    ).toContain('in the past');
    const scheduled = await ok('POST', `/v1/broadcasts/${created.id}/schedule`, { sendAt: '2026-11-11T20:00:00+08:00' });
    expect(scheduled).toMatchObject({ status: 'scheduled', sendAt: '2026-11-11T12:00:00.000Z' });
    // Still editable while scheduled; stays scheduled.
    expect(await ok('PATCH', `/v1/broadcasts/${created.id}`, { name: 'Double 11 teaser v2' })).toMatchObject({
      status: 'scheduled',
      name: 'Double 11 teaser v2',
    });
    expect((await ok('GET', '/v1/broadcasts?status=scheduled')).data.map((b: { id: string }) => b.id)).toContain(created.id);
    await fails('DELETE', `/v1/broadcasts/${created.id}`, undefined, 409, 'BROADCAST_INVALID_STATE');

    // A test send goes through the outbox now, whatever the status, and is not part of the statistics.
    const test = await ok('POST', `/v1/broadcasts/${created.id}/test`, { profiles: [ids[0], 'user_id:crud-1'] }, 202);
    expect(test.messages).toHaveLength(2);
    await fails('POST', `/v1/broadcasts/${created.id}/test`, { profiles: ['user_id:nobody'] }, 404, 'PROFILE_NOT_FOUND');
    const before = hook.requests.length;
    await dispatchAll();
    expect(hook.requests.length - before).toBe(2);
    expect(JSON.parse(hook.requests.at(-1)!.body).body).toMatchObject({ hello: expect.stringMatching(/^crud [01]$/) });
    expect((await ok('GET', `/v1/broadcasts/${created.id}/stats`)).messages.total).toBe(0);

    const cancelled = await ok('POST', `/v1/broadcasts/${created.id}/cancel`);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelledAt: new Date(NOON_SHANGHAI).toISOString() });
    expect(await fails('PATCH', `/v1/broadcasts/${created.id}`, { name: 'again' }, 409, 'BROADCAST_INVALID_STATE')).toContain('cancelled');
    await fails('POST', `/v1/broadcasts/${created.id}/send-now`, undefined, 409, 'BROADCAST_INVALID_STATE');
    // Time passes: a cancelled broadcast never fans out.
    k.t.clock.advance(10 * DAY);
    expect(await worker().runOnce()).toMatchObject({ chunks: 0, enqueued: 0 });
    expect(await outbox(created.id)).toHaveLength(0);
    k.t.clock.set(NOON_SHANGHAI);

    const draft = await ok('POST', '/v1/broadcasts', { ...base, name: 'throwaway' }, 201);
    await ok('DELETE', `/v1/broadcasts/${draft.id}`, undefined, 204);
    await fails('GET', `/v1/broadcasts/${draft.id}`, undefined, 404, 'BROADCAST_NOT_FOUND');
    // The list answers the one list envelope, declared in the OpenAPI document.
    await ok('POST', '/v1/broadcasts', { ...base, name: 'second' }, 201);
    const list = await ok('GET', '/v1/broadcasts?limit=1');
    expect(Object.keys(list).sort()).toEqual(['data', 'nextCursor']);
    expect(list.nextCursor).toEqual(expect.any(String));
    expect((await ok('GET', `/v1/broadcasts?limit=1&cursor=${list.nextCursor}`)).data[0].id).not.toBe(list.data[0].id);
    // The routes are in the OpenAPI document.
    const spec = (await k.t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(spec.paths['/v1/broadcasts'].get.responses['200'].content['application/json'].schema.properties).sort()).toEqual(['data', 'nextCursor']);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/broadcasts', '/v1/broadcasts/{id}/schedule', '/v1/broadcasts/{id}/stats', '/v1/broadcasts/{id}/test']),
    );
    // Another workspace sees nothing.
    const other = await k.t.newWorkspace();
    const foreign = await k.t.app.inject({ method: 'GET', url: `/v1/broadcasts/${created.id}`, headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(foreign.statusCode).toBe(404);
  });

  it('fans a scheduled broadcast out to a rule segment minus exclusions and holdout, once, and counts sends, suppressions and conversion', async () => {
    const ids = await people('vip', 40, (i) => ({ plan: i < 36 ? 'vip' : 'free' }));
    const seg = await ok('POST', '/v1/segments', { name: 'VIPs', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' } }, 201);
    await recomputeSegment(k.t.services.membership, ws(), seg.id, { lagMs: 0 });
    const excluded = await staticSegment('recent complainers', ['vip-0', 'vip-1', 'vip-2', 'vip-39']);

    const b = await ok(
      'POST',
      '/v1/broadcasts',
      {
        name: 'VIP week',
        channel: 'webhook',
        segmentId: seg.id,
        excludeSegmentId: excluded,
        holdoutPercent: 25,
        content: webhookContent,
        data: { offer: 'vip' },
        goalEvent: 'Order Completed',
        goalDays: 7,
      },
      201,
    );
    await ok('POST', `/v1/broadcasts/${b.id}/schedule`, { sendAt: new Date(NOON_SHANGHAI + HOUR).toISOString() });
    const w = worker({ chunkSize: 7 });
    expect(await w.runOnce()).toMatchObject({ chunks: 0 }); // not due yet
    k.t.clock.advance(HOUR);
    const pass = await w.runOnce();

    const audience = ids.slice(0, 36).filter((_, i) => i > 2);
    const holdout = audience.filter((p) => bucketOf(b.id, p) < 25);
    const targeted = audience.filter((p) => bucketOf(b.id, p) >= 25);
    expect(holdout.length).toBeGreaterThan(0);
    expect(pass).toMatchObject({
      enqueued: targeted.length,
      holdout: holdout.length,
      excluded: 3,
      duplicates: 0,
      finished: 1,
      chunks: Math.ceil(36 / 7) + (36 % 7 === 0 ? 1 : 0),
    });
    const rows = await outbox(b.id);
    expect(rows.map((r) => r.profile_id).sort()).toEqual([...targeted].sort());
    expect(rows.every((r) => r.idempotency_key === `broadcast:${b.id}:${r.profile_id}`)).toBe(true);
    const view = await ok('GET', `/v1/broadcasts/${b.id}`);
    expect(view).toMatchObject({
      status: 'sent',
      progress: { total: audience.length, enqueued: targeted.length, holdout: holdout.length, excluded: 3, done: true },
      startedAt: new Date(NOON_SHANGHAI + HOUR).toISOString(),
    });

    // Re-running the fan-out from the start (as if the cursor were lost) enqueues nothing new.
    await bdb(k.t.database.db)
      .updateTable('broadcasts')
      .set({ status: 'sending', cursor: null, enqueued: 0, holdout_count: 0, excluded_count: 0 })
      .where('id', '=', b.id)
      .execute();
    const again = await w.runOnce();
    expect(again).toMatchObject({ enqueued: 0, duplicates: targeted.length, finished: 1 });
    expect(await outbox(b.id)).toHaveLength(targeted.length);
    expect((await ok('GET', `/v1/broadcasts/${b.id}`)).progress).toMatchObject({ enqueued: targeted.length, holdout: holdout.length });

    let stats = await ok('GET', `/v1/broadcasts/${b.id}/stats`);
    expect(stats.messages).toMatchObject({ total: targeted.length, queued: targeted.length, sent: 0 });

    // One recipient withdraws marketing consent before dispatch: suppressed then, with the reason.
    const withdrawn = targeted[5]!;
    await ok('POST', `/v1/profiles/${withdrawn}/consent`, { purpose: 'marketing', channel: '*', granted: false, source: 'api' }, 201);
    // Dispatch for real to the local webhook server.
    const before = hook.requests.length;
    await dispatchAll();
    const got = hook.requests.slice(before).map((r) => JSON.parse(r.body));
    const reachable = targeted.filter((p) => p !== withdrawn);
    expect(got.map((g) => g.profileId).sort()).toEqual([...reachable].sort());
    expect(got[0].body.offer).toBe('vip');
    stats = await ok('GET', `/v1/broadcasts/${b.id}/stats`);
    expect(stats.audience).toEqual({ total: audience.length, holdout: holdout.length, excluded: 3, enqueued: targeted.length, done: true });
    expect(stats.messages).toMatchObject({ total: targeted.length, sent: reachable.length, suppressed: 1, failed: 0, queued: 0, held: 0 });
    expect(Object.keys(stats.messages.reasons.suppressed)).toEqual([expect.stringMatching(/^consent_withdrawn:marketing/)]);

    // Conversion: orders inside the 7-day window count; one after it does not.
    const order = (userId: string, at: number, n: number) => ({
      type: 'track',
      userId,
      event: 'Order Completed',
      properties: { order_id: `o-${userId}-${n}`, total: 10 },
      timestamp: new Date(at).toISOString(),
      messageId: `ord-${userId}-${n}`,
    });
    const userOf = (p: string) => `vip-${ids.indexOf(p)}`;
    const start = NOON_SHANGHAI + HOUR;
    const events = [
      order(userOf(targeted[0]!), start + DAY, 1),
      order(userOf(targeted[0]!), start + 2 * DAY, 2), // a second order by the same person counts once
      order(userOf(targeted[1]!), start + 3 * DAY, 1),
      order(userOf(targeted[2]!), start + 8 * DAY, 1), // outside the window
      order(userOf(holdout[0]!), start + 2 * DAY, 1),
      order('vip-0', start + DAY, 1), // excluded: in neither group
    ];
    const res = await k.t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(k.t.writeKey) }, payload: { batch: events } });
    expect(res.statusCode, res.body).toBe(200);
    stats = await ok('GET', `/v1/broadcasts/${b.id}/stats`);
    expect(stats.conversion).toMatchObject({
      goalEvent: 'Order Completed',
      windowDays: 7,
      from: new Date(start).toISOString(),
      open: true,
      targeted: { profiles: targeted.length, converted: 2 },
      holdout: { profiles: holdout.length, converted: 1 },
    });
    expect(stats.conversion.lift).toBeCloseTo(2 / targeted.length - 1 / holdout.length, 10);
    expect(stats.conversion.reached.profiles).toBe(reachable.length);
    const wide = await ok('GET', `/v1/broadcasts/${b.id}/stats?goalDays=10`);
    expect(wide.conversion.targeted.converted).toBe(3);
    k.t.clock.set(NOON_SHANGHAI);
  });

  it('resumes an interrupted fan-out from its cursor without gaps or duplicates, and stops at a cancel', async () => {
    const users = Array.from({ length: 23 }, (_, i) => `res-${i}`);
    const ids = await people('res', 23);
    const seg = await staticSegment('resume audience', users);
    const b = await ok('POST', '/v1/broadcasts', { name: 'resume', channel: 'webhook', segmentId: seg, content: webhookContent }, 201);
    await ok('POST', `/v1/broadcasts/${b.id}/send-now`);
    // The worker dies inside its third chunk, after its messages were enqueued but before the commit.
    let chunks = 0;
    const crashing = worker({
      chunkSize: 5,
      beforeCommit: () => {
        if (++chunks === 3) throw new Error('kill -9');
      },
    });
    await expect(crashing.runOnce()).rejects.toThrow('kill -9');
    let view = await ok('GET', `/v1/broadcasts/${b.id}`);
    expect(view).toMatchObject({ status: 'sending', progress: { total: 23, enqueued: 10 } });
    expect(await outbox(b.id)).toHaveLength(10); // the third chunk's messages rolled back with it
    const resumed = await worker({ chunkSize: 5 }).runOnce();
    expect(resumed).toMatchObject({ enqueued: 13, duplicates: 0, finished: 1 });
    expect((await outbox(b.id)).map((r) => r.profile_id).sort()).toEqual([...ids].sort());
    view = await ok('GET', `/v1/broadcasts/${b.id}`);
    expect(view).toMatchObject({ status: 'sent', progress: { total: 23, enqueued: 23, done: true } });
    await fails('POST', `/v1/broadcasts/${b.id}/cancel`, undefined, 409, 'BROADCAST_INVALID_STATE');

    // Cancelling mid-fan-out: the chunks already committed keep their rows, no more follow.
    const c = await ok('POST', '/v1/broadcasts', { name: 'cancel me', channel: 'webhook', segmentId: seg, content: webhookContent }, 201);
    await ok('POST', `/v1/broadcasts/${c.id}/send-now`);
    let n = 0;
    const w = worker({
      chunkSize: 5,
      beforeCommit: () => {
        if (++n === 2) throw new Error('stop here');
      },
    });
    await expect(w.runOnce()).rejects.toThrow('stop here');
    expect(await ok('POST', `/v1/broadcasts/${c.id}/cancel`)).toMatchObject({ status: 'cancelled', progress: { enqueued: 5 } });
    expect(await worker({ chunkSize: 5 }).runOnce()).toMatchObject({ chunks: 0 });
    expect(await outbox(c.id)).toHaveLength(5);
    // Those 5 had not been dispatched yet: the cancel cancelled them too.
    expect((await outbox(c.id)).map((r) => [r.status, r.reason])).toEqual(Array(5).fill(['cancelled', 'broadcast_cancelled']));
  });

  it('pins the template version at the start and fails a broadcast whose template is gone', async () => {
    await people('pin', 4);
    const seg = await staticSegment('pin audience', ['pin-0', 'pin-1', 'pin-2', 'pin-3']);
    const tpl = await ok('POST', '/v1/templates', { name: 'pin-hook', channel: 'webhook', variants: { 'zh-CN': { body: { v: 'one' } } } }, 201);
    const b = await ok('POST', '/v1/broadcasts', { name: 'pinned', channel: 'webhook', segmentId: seg, templateId: tpl.id }, 201);
    await ok('POST', `/v1/broadcasts/${b.id}/send-now`);
    // The template is edited after the first chunk: every recipient still gets version 1.
    expect(await runChunk(fanoutDeps(), ws(), b.id, { chunkSize: 2 })).toMatchObject({ state: 'progress', enqueued: 2 });
    await ok('PATCH', `/v1/templates/${tpl.id}`, { variants: { 'zh-CN': { body: { v: 'two' } } } });
    await worker({ chunkSize: 2 }).runOnce();
    expect(await ok('GET', `/v1/broadcasts/${b.id}`)).toMatchObject({ status: 'sent', templateVersion: 1 });
    const versions = await bdb(k.t.database.db).selectFrom('messages').select('template_version').where('source_id', '=', b.id).execute();
    expect(versions.map((v) => v.template_version)).toEqual([1, 1, 1, 1]);

    // Archived after scheduling with no pinned version: the fan-out fails with the reason instead of retrying forever.
    const b2 = await ok('POST', '/v1/broadcasts', { name: 'doomed', channel: 'webhook', segmentId: seg, templateId: tpl.id }, 201);
    await ok('POST', `/v1/broadcasts/${b2.id}/schedule`, { sendAt: new Date(NOON_SHANGHAI + HOUR).toISOString() });
    await ok('DELETE', `/v1/templates/${tpl.id}`, undefined, 204);
    k.t.clock.advance(HOUR);
    expect(await worker().runOnce()).toMatchObject({ failed: 1, enqueued: 0 });
    const failed = await ok('GET', `/v1/broadcasts/${b2.id}`);
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('archived');
    k.t.clock.set(NOON_SHANGHAI);
  });

  it('holds marketing sends in quiet hours and reports them as held', async () => {
    await people('quiet', 3);
    const seg = await staticSegment('quiet audience', ['quiet-0', 'quiet-1', 'quiet-2']);
    const b = await ok('POST', '/v1/broadcasts', { name: 'late night', channel: 'webhook', segmentId: seg, content: webhookContent }, 201);
    await ok('POST', `/v1/broadcasts/${b.id}/schedule`, { sendAt: '2026-11-03T22:30:00+08:00' });
    k.t.clock.set(Date.parse('2026-11-03T22:30:00+08:00'));
    await worker().runOnce();
    const before = hook.requests.length;
    await dispatchAll();
    expect(hook.requests.length).toBe(before);
    const stats = await ok('GET', `/v1/broadcasts/${b.id}/stats`);
    expect(stats.messages).toMatchObject({ total: 3, held: 3, sent: 0, reasons: { held: { quiet_hours: 3 } } });
    k.t.clock.set(NOON_SHANGHAI);
  });
});
