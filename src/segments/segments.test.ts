import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { basic, createTestApp, describeEngines, type TestApp, testConfig } from '../../test/support/engines.js';
import { sql } from 'kysely';
import { buildApp, createServices } from '../server/app.js';
import { processFeed } from './feed.js';
import { SEGMENT_ENTERED, SEGMENT_EXITED } from './history.js';
import { recomputeSegment, requestRecompute } from './recompute.js';

describeEngines('segments', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  type Ws = { workspaceId: string; writeKey: string; secretKey: string };
  const api = (ws: Ws, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object | string, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { authorization: 'Bearer ' + ws.secretKey, ...headers }, ...(payload !== undefined ? { payload } : {}) });
  const ok = async (
    ws: Ws,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object | string,
    status = 200,
    headers?: Record<string, string>,
  ) => {
    const res = await api(ws, method, url, payload, headers);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json();
  };
  const batch = async (ws: Ws, items: object[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: basic(ws.writeKey) }, payload: { batch: items } });
    expect(res.statusCode, res.body).toBe(200);
  };
  const identify = (userId: string, traits: object, messageId: string) => ({ type: 'identify', userId, traits, messageId });
  const profileOf = async (ws: Ws, userId: string) => (await ok(ws, 'GET', `/v1/profiles/user_id:${userId}`)).id as string;
  const members = async (ws: Ws, segmentId: string) => {
    const page = await ok(ws, 'GET', `/v1/segments/${segmentId}/members?limit=1000`);
    return (page.data as { profileId: string }[]).map((m) => m.profileId).sort();
  };
  const recompute = (ws: Ws, id: string) => recomputeSegment(t.services.membership, ws.workspaceId, id, { lagMs: 0 });
  const feed = (ws: Ws) => processFeed(t.services.membership, ws.workspaceId, { lagMs: 0 });
  /** The profile's segment timeline items, oldest first, as "event:segment:vVersion" (read through the timeline API). */
  const segmentEvents = async (ws: Ws, profileId: string) => {
    const page = await ok(ws, 'GET', `/v1/profiles/${profileId}/events?limit=200`);
    const items = (page.data as { event: string; payload: { properties: { segment_id: string; version: number } } }[]).filter(
      (e) => e.event === SEGMENT_ENTERED || e.event === SEGMENT_EXITED,
    );
    return items.reverse().map((e) => `${e.event}:${e.payload.properties.segment_id}:v${e.payload.properties.version}`);
  };
  const vipRule = { type: 'trait', key: 'plan', op: 'eq', value: 'vip' };

  it('creates, validates, lists, versions and archives segments', async () => {
    const ws = await t.newWorkspace();
    const created = await ok(ws, 'POST', '/v1/segments', { name: ' VIP ', description: 'paying plan', rule: vipRule }, 201);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^seg_/),
      name: 'VIP',
      kind: 'rule',
      version: 1,
      computing: true,
      memberCount: 0,
      status: 'active',
      rule: vipRule,
    });
    expect(created.summary.en).toContain('plan');

    const bad = await api(ws, 'POST', '/v1/segments', {
      name: 'Bad',
      rule: { type: 'and', rules: [vipRule, { type: 'trait', key: 'x', op: 'equals', value: 1 }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('RULE_INVALID');
    expect(bad.json().error.message).toContain('rule.rules[1].op');

    const dup = await api(ws, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule });
    expect([dup.statusCode, dup.json().error.code]).toEqual([409, 'CONFLICT']);
    const missingRef = await api(ws, 'POST', '/v1/segments', { name: 'Ref', rule: { type: 'segment', segmentId: 'seg_nope' } });
    expect(missingRef.json().error.message).toMatch(/seg_nope.*does not exist/);

    // A rule change is a new version; a rename is not.
    const renamed = await ok(ws, 'PATCH', `/v1/segments/${created.id}`, { name: 'VIP members' });
    expect(renamed.version).toBe(1);
    const v2 = await ok(ws, 'PATCH', `/v1/segments/${created.id}`, { rule: { type: 'trait', key: 'plan', op: 'in', value: ['vip', 'svip'] } });
    expect(v2.version).toBe(2);
    const same = await ok(ws, 'PATCH', `/v1/segments/${created.id}`, { rule: { type: 'trait', key: 'plan', op: 'in', value: ['vip', 'svip'] } });
    expect(same.version).toBe(2);
    const detail = await ok(ws, 'GET', `/v1/segments/${created.id}`);
    expect(detail.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    // A segment cannot come to depend on itself.
    const outer = await ok(ws, 'POST', '/v1/segments', { name: 'Outer', rule: { type: 'segment', segmentId: created.id } }, 201);
    const cycle = await api(ws, 'PATCH', `/v1/segments/${created.id}`, { rule: { type: 'segment', segmentId: outer.id } });
    expect([cycle.statusCode, cycle.json().error.message]).toEqual([400, expect.stringMatching(/depend on itself/)]);
    // Nor be archived while another rule uses it.
    const inUse = await api(ws, 'DELETE', `/v1/segments/${created.id}`);
    expect([inUse.statusCode, inUse.json().error.message]).toEqual([409, expect.stringMatching(/used by the rules/)]);

    const list = await ok(ws, 'GET', '/v1/segments?limit=1');
    expect(list.data).toHaveLength(1);
    const next = await ok(ws, 'GET', `/v1/segments?limit=1&cursor=${list.nextCursor}`);
    expect(next.data[0].id).not.toBe(list.data[0].id);
    expect(next.nextCursor).toBeNull();

    await ok(ws, 'DELETE', `/v1/segments/${outer.id}`);
    expect((await ok(ws, 'GET', '/v1/segments')).data.map((s: { id: string }) => s.id)).toEqual([created.id]);
    expect((await ok(ws, 'GET', '/v1/segments?status=archived')).data.map((s: { id: string }) => s.id)).toEqual([outer.id]);
    expect((await api(ws, 'GET', '/v1/segments/schema')).json()).toHaveProperty('$schema');
  });

  it('computes members in full, then follows changes incrementally with timeline events', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [identify('u1', { plan: 'vip' }, 'a1'), identify('u2', { plan: 'free' }, 'a2'), identify('u3', { plan: 'vip' }, 'a3')]);
    const [p1, p2, p3] = [await profileOf(ws, 'u1'), await profileOf(ws, 'u2'), await profileOf(ws, 'u3')];
    t.clock.advance(1000);
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
    const done = await recompute(ws, seg.id);
    expect(done).toMatchObject({ done: 3, entered: 2, exited: 0 });
    expect(await members(ws, seg.id)).toEqual([p1, p3].sort());
    const after = await ok(ws, 'GET', `/v1/segments/${seg.id}`);
    expect(after).toMatchObject({ memberCount: 2, computing: false, evaluatedAt: expect.any(String) });
    expect(await segmentEvents(ws, p1!)).toEqual([`${SEGMENT_ENTERED}:${seg.id}:v1`]);

    // Changes: u2 upgrades, u3 downgrades; only those two profiles are evaluated.
    t.clock.advance(1000);
    await batch(ws, [identify('u2', { plan: 'vip' }, 'b1'), identify('u3', { plan: 'free' }, 'b2')]);
    const r = await feed(ws);
    expect(r).toMatchObject({ profiles: 2, changes: 2, caughtUp: true });
    expect(await members(ws, seg.id)).toEqual([p1, p2].sort());
    expect(await segmentEvents(ws, p3!)).toEqual([`${SEGMENT_ENTERED}:${seg.id}:v1`, `${SEGMENT_EXITED}:${seg.id}:v1`]);
    expect((await ok(ws, 'GET', `/v1/segments/${seg.id}`)).memberCount).toBe(2);
    // Nothing new: nothing evaluated, no events.
    expect(await feed(ws)).toMatchObject({ profiles: 0, changes: 0 });

    // The timeline shows the entries and the version; the profile lists its segments.
    const timeline = await ok(ws, 'GET', `/v1/profiles/${p2}`);
    expect(timeline.timeline.data[0]).toMatchObject({
      event: SEGMENT_ENTERED,
      payload: { properties: { segment_id: seg.id, segment_name: 'VIP', version: 1 } },
    });
    expect((await ok(ws, 'GET', `/v1/profiles/user_id:u2/segments`)).data).toEqual([
      { segmentId: seg.id, name: 'VIP', version: 1, enteredAt: expect.any(String) },
    ]);

    // A new version is recomputed; membership history says which version admitted whom.
    t.clock.advance(1000);
    await ok(ws, 'PATCH', `/v1/segments/${seg.id}`, { rule: { type: 'trait', key: 'plan', op: 'in', value: ['vip', 'free'] } });
    expect(await recompute(ws, seg.id)).toMatchObject({ version: 2, entered: 1, exited: 0 });
    expect(await segmentEvents(ws, p3!)).toEqual([`${SEGMENT_ENTERED}:${seg.id}:v1`, `${SEGMENT_EXITED}:${seg.id}:v1`, `${SEGMENT_ENTERED}:${seg.id}:v2`]);
    const page = await ok(ws, 'GET', `/v1/segments/${seg.id}/members`);
    expect(Object.fromEntries(page.data.map((m: { profileId: string; version: number }) => [m.profileId, m.version]))).toEqual({
      [p1!]: 1,
      [p2!]: 1,
      [p3!]: 2,
    });

    // Archiving releases the members into history: the timeline keeps the entry and shows the exit.
    t.clock.advance(1000);
    await ok(ws, 'DELETE', `/v1/segments/${seg.id}`);
    expect(await members(ws, seg.id)).toEqual([]);
    expect(await segmentEvents(ws, p1!)).toEqual([`${SEGMENT_ENTERED}:${seg.id}:v1`, `${SEGMENT_EXITED}:${seg.id}:v2`]);
    const exit = (await ok(ws, 'GET', `/v1/profiles/${p1}/events?event=${encodeURIComponent(SEGMENT_EXITED)}`)).data[0];
    expect(exit.payload.properties).toMatchObject({ segment_id: seg.id, reason: 'archived' });
  });

  it('re-evaluates dependent segments in the same pass, and drops merged-away profiles silently', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [
      identify('d1', { plan: 'vip', city: 'Shanghai' }, 'c1'),
      { type: 'identify', anonymousId: 'anon-d', traits: { plan: 'vip' }, messageId: 'c2' },
    ]);
    const vip = await ok(ws, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
    const shVip = await ok(
      ws,
      'POST',
      '/v1/segments',
      {
        name: 'VIP in Shanghai',
        rule: {
          type: 'and',
          rules: [
            { type: 'segment', segmentId: vip.id },
            { type: 'trait', key: 'city', op: 'eq', value: 'Shanghai' },
          ],
        },
      },
      201,
    );
    await recompute(ws, vip.id);
    await recompute(ws, shVip.id);
    const d1 = await profileOf(ws, 'd1');
    const anon = (await ok(ws, 'GET', '/v1/profiles/anonymous_id:anon-d')).id as string;
    expect(await members(ws, vip.id)).toEqual([d1, anon].sort());
    expect(await members(ws, shVip.id)).toEqual([d1]);

    // d1 leaves VIP: the feed takes it out of both, level by level, in one pass.
    t.clock.advance(1000);
    await batch(ws, [identify('d1', { plan: 'free' }, 'c3')]);
    await feed(ws);
    expect(await members(ws, vip.id)).toEqual([anon]);
    expect(await members(ws, shVip.id)).toEqual([]);

    // The anonymous visitor logs in as d1: the two profiles merge; the loser leaves without an exit event.
    t.clock.advance(1000);
    await batch(ws, [{ type: 'identify', userId: 'd1', anonymousId: 'anon-d', traits: { plan: 'vip' }, messageId: 'c4' }]);
    await feed(ws);
    const survivor = await profileOf(ws, 'd1');
    expect(await members(ws, vip.id)).toEqual([survivor]);
    expect(await members(ws, shVip.id)).toEqual([survivor]);
    expect((await ok(ws, 'GET', `/v1/segments/${vip.id}`)).memberCount).toBe(1);
  });

  it('carries recomputes and static uploads over to the segments built on them, in the same transaction', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [identify('g1', { plan: 'vip' }, 'g1'), identify('g2', { plan: 'free' }, 'g2'), identify('g3', { plan: 'vip' }, 'g3')]);
    const [g1, g2, g3] = [await profileOf(ws, 'g1'), await profileOf(ws, 'g2'), await profileOf(ws, 'g3')];
    const guests = await ok(ws, 'POST', '/v1/segments', { name: 'Guests', kind: 'static' }, 201);
    const vipGuests = await ok(
      ws,
      'POST',
      '/v1/segments',
      { name: 'VIP guests', rule: { type: 'and', rules: [{ type: 'segment', segmentId: guests.id }, vipRule] } },
      201,
    );
    const notVipGuests = await ok(
      ws,
      'POST',
      '/v1/segments',
      {
        name: 'Other guests',
        rule: {
          type: 'and',
          rules: [
            { type: 'segment', segmentId: guests.id },
            { type: 'not', rule: { type: 'segment', segmentId: vipGuests.id } },
          ],
        },
      },
      201,
    );
    await recompute(ws, vipGuests.id);
    await recompute(ws, notVipGuests.id);
    expect(await members(ws, vipGuests.id)).toEqual([]);
    // The upload moves the dependants (two levels deep) at once.
    await ok(ws, 'POST', `/v1/segments/${guests.id}/members`, 'identifier\nuser_id:g1\nuser_id:g2\n', 200, { 'content-type': 'text/csv' });
    expect(await members(ws, vipGuests.id)).toEqual([g1]);
    expect(await members(ws, notVipGuests.id)).toEqual([g2]);
    // A new version of a segment moves its dependants too.
    t.clock.advance(1000);
    await ok(ws, 'POST', `/v1/segments/${guests.id}/members?mode=add`, 'identifier\nuser_id:g3\n', 200, { 'content-type': 'text/csv' });
    expect(await members(ws, vipGuests.id)).toEqual([g1, g3].sort());
    await ok(ws, 'PATCH', `/v1/segments/${vipGuests.id}`, {
      rule: {
        type: 'and',
        rules: [
          { type: 'segment', segmentId: guests.id },
          { type: 'trait', key: 'plan', op: 'eq', value: 'free' },
        ],
      },
    });
    await recompute(ws, vipGuests.id);
    expect(await members(ws, vipGuests.id)).toEqual([g2]);
    expect(await members(ws, notVipGuests.id)).toEqual([g1, g3].sort());
    expect((await ok(ws, 'GET', `/v1/segments/${notVipGuests.id}`)).memberCount).toBe(2);
  });

  it('previews an unsaved rule with a count and a sample', async () => {
    const ws = await t.newWorkspace();
    await batch(
      ws,
      Array.from({ length: 30 }, (_, i) => identify(`p${i}`, { age: i }, `pv${i}`)),
    );
    const res = await ok(ws, 'POST', '/v1/segments/preview', { rule: { type: 'trait', key: 'age', op: 'gte', value: 20 }, sampleSize: 5 });
    expect(res).toMatchObject({ count: 10, total: 30 });
    expect(res.sample).toHaveLength(5);
    for (const p of res.sample) expect(p.traits.age).toBeGreaterThanOrEqual(20);
    const bad = await api(ws, 'POST', '/v1/segments/preview', { rule: { type: 'trait', key: 'age', op: 'gte' } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'RULE_INVALID']);
  });

  it("refuses a rule over the whole tree's limits with 400 before compiling it, and computes one just under them (issue #14)", async () => {
    const ws = await t.newWorkspace();
    const tagNode = (n: number, from: number) => ({ type: 'tag', match: 'any', tags: Array.from({ length: n }, (_, i) => ({ name: `t${from + i}` })) });
    // 199 tag nodes × 100 tags: inside the per-node limits; "too many SQL variables" (500) on SQLite, a runaway backend on PostgreSQL.
    const issue = { type: 'or', rules: Array.from({ length: 199 }, (_, i) => tagNode(100, i * 100)) };
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'Small', rule: vipRule }, 201);
    for (const [method, url, body] of [
      ['POST', '/v1/segments/preview', { rule: issue }],
      ['POST', '/v1/segments', { name: 'Huge', rule: issue }],
      ['PATCH', `/v1/segments/${seg.id}`, { rule: issue }],
    ] as const) {
      const res = await api(ws, method, url, body);
      expect([res.statusCode, res.json().error.code], `${method} ${url}`).toEqual([400, 'RULE_INVALID']);
      expect(res.json().error.message).toContain('rule: has 19900 list values in all');
      expect(res.json().error.message).toContain('rule: needs an estimated 99500 SQL parameters; at most 2500 per rule');
      expect(res.json().error.details.errors).toHaveLength(2);
    }
    expect((await ok(ws, 'GET', `/v1/segments/${seg.id}`)).version).toBe(1);

    // Just under both limits: 480 tags (2,400 parameters) and 4,500 list values more in trait lists.
    const lists = Array.from({ length: 9 }, (_, i) => ({ type: 'trait', key: `k${i}`, op: 'in', value: Array.from({ length: 500 }, (_, j) => `v${j}`) }));
    const big = { type: 'or', rules: [...Array.from({ length: 4 }, (_, i) => tagNode(100, i * 100)), tagNode(80, 400), ...lists] };
    await batch(ws, [identify('g1', {}, 'g1'), identify('g2', { k3: 'v499' }, 'g2'), identify('g3', { k3: 'w' }, 'g3'), identify('g4', {}, 'g4')]);
    const [g1, g2, g3] = [await profileOf(ws, 'g1'), await profileOf(ws, 'g2'), await profileOf(ws, 'g3')];
    await ok(ws, 'POST', `/v1/profiles/${g1}/tags`, { tags: [{ name: 't479' }] });
    expect((await ok(ws, 'POST', '/v1/segments/preview', { rule: big })).count).toBe(2);
    t.clock.advance(1000);
    const created = await ok(ws, 'POST', '/v1/segments', { name: 'Big', rule: big }, 201);
    expect(await recompute(ws, created.id)).toMatchObject({ done: 4, entered: 2 });
    expect(await members(ws, created.id)).toEqual([g1, g2].sort());
    // The change feed evaluates it too (beside the other segments of the workspace).
    t.clock.advance(1000);
    await batch(ws, [identify('g3', { k3: 'v0' }, 'g3b')]);
    t.clock.advance(1000);
    await feed(ws);
    expect(await members(ws, created.id)).toEqual([g1, g2, g3].sort());
  });

  it('answers 422 SEGMENT_QUERY_TIMEOUT for a preview past SIYU_SEGMENT_PREVIEW_TIMEOUT_MS, not a 500', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [identify('q1', { plan: 'vip' }, 'q1')]);
    // An app whose previews may take 300 ms. PostgreSQL: another transaction holds the profiles
    // table past the limit, and the preview's statements wait for it. SQLite: a limit of 1 ms,
    // which its read's thread alone takes longer than.
    const services = await createServices(testConfig(t.services.config.dataDir, { segmentPreviewTimeoutMs: engine === 'postgres' ? 300 : 1 }), {
      database: t.database,
      clock: t.clock,
      log: pino({ level: 'silent' }),
      migrate: false,
    });
    const app = await buildApp(services);
    const preview = () =>
      app.inject({ method: 'POST', url: '/v1/segments/preview', headers: { authorization: 'Bearer ' + ws.secretKey }, payload: { rule: vipRule } });
    try {
      let release = () => {};
      const held = new Promise<void>((r) => (release = r));
      let holder: Promise<void> = Promise.resolve();
      if (engine === 'postgres') {
        expect((await preview()).json()).toMatchObject({ count: 1 });
        let locked = () => {};
        const isLocked = new Promise<void>((r) => (locked = r));
        holder = t.database.db.transaction().execute(async (trx) => {
          await sql`lock table profiles in access exclusive mode`.execute(trx);
          locked();
          await held;
        });
        await isLocked;
      }
      const started = Date.now();
      const res = await preview().finally(() => release());
      await holder;
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().error).toMatchObject({
        code: 'SEGMENT_QUERY_TIMEOUT',
        message: expect.stringMatching(/the preview ran longer than .* s and was stopped/),
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await app.close();
      await services.writer.drain();
    }
  });

  it('takes static members from a CSV of identifiers, with a per-row error report', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [identify('s1', {}, 'd1'), identify('s2', {}, 'd2'), identify('s3', { phone: '13800138000' }, 'd3')]);
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'Offline event guests', kind: 'static' }, 201);
    const csv = 'identifier,note\nuser_id:s1,ok\nuser_id:nobody,unknown\nphone:13800138000,by phone\n,empty\nbogus,what\nuser_id:s1,again\n';
    const report = await ok(ws, 'POST', `/v1/segments/${seg.id}/members`, csv, 200, { 'content-type': 'text/csv' });
    expect(report).toMatchObject({ rows: 6, added: 2, alreadyMembers: 0, removed: 0, errorCount: 3 });
    expect(report.errors, JSON.stringify(report.errors)).toHaveLength(3);
    expect(report.errors.map((e: { line: number }) => e.line)).toEqual([3, 5, 6]);
    expect(report.errors[0].reason).toMatch(/no profile|not found/i);
    const [s1, s3] = [await profileOf(ws, 's1'), await profileOf(ws, 's3')];
    expect(await members(ws, seg.id)).toEqual([s1, s3].sort());

    t.clock.advance(1000);
    const replaced = await ok(ws, 'POST', `/v1/segments/${seg.id}/members?mode=replace`, 'identifier\nuser_id:s2\nuser_id:s3\n', 200, {
      'content-type': 'text/csv',
    });
    expect(replaced).toMatchObject({ added: 1, alreadyMembers: 1, removed: 1 });
    expect(await segmentEvents(ws, s1!)).toEqual([`${SEGMENT_ENTERED}:${seg.id}:v1`, `${SEGMENT_EXITED}:${seg.id}:v1`]);
    expect((await ok(ws, 'GET', `/v1/segments/${seg.id}`)).memberCount).toBe(2);

    const noColumn = await api(ws, 'POST', `/v1/segments/${seg.id}/members`, 'user\nx\n', { 'content-type': 'text/csv' });
    expect(noColumn.json().errorCount ?? noColumn.json().error).toBeTruthy();
    // A rule segment takes no uploads.
    const ruled = await ok(ws, 'POST', '/v1/segments', { name: 'Rule', rule: vipRule }, 201);
    const refused = await api(ws, 'POST', `/v1/segments/${ruled.id}/members`, 'identifier\nuser_id:s1\n', { 'content-type': 'text/csv' });
    expect(refused.statusCode).toBe(400);
  });

  it('exports members as CSV, quoting cells a spreadsheet would run', async () => {
    const ws = await t.newWorkspace();
    await batch(ws, [identify('e1', { plan: 'vip', name: '=HYPERLINK("x")' }, 'e1'), identify('e2', { plan: 'vip', name: '王, 小明' }, 'e2')]);
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'VIP', rule: vipRule }, 201);
    await recompute(ws, seg.id);
    const res = await api(ws, 'GET', `/v1/segments/${seg.id}/members?format=csv&traits=name,plan`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe('profile_id,entered_at,version,user_id,trait.name,trait.plan');
    expect(lines).toHaveLength(3);
    expect(res.body).toContain(`"'=HYPERLINK(""x"")"`);
    expect(res.body).toContain('"王, 小明",vip');
    expect((await api(ws, 'GET', '/v1/segments/seg_nope/members?format=csv')).statusCode).toBe(404);
  });

  it('keeps workspaces apart', async () => {
    const a = await t.newWorkspace();
    const b = await t.newWorkspace();
    const seg = await ok(a, 'POST', '/v1/segments', { name: 'A only', rule: vipRule }, 201);
    for (const [method, url] of [
      ['GET', `/v1/segments/${seg.id}`],
      ['PATCH', `/v1/segments/${seg.id}`],
      ['DELETE', `/v1/segments/${seg.id}`],
      ['GET', `/v1/segments/${seg.id}/members`],
      ['POST', `/v1/segments/${seg.id}/recompute`],
    ] as const) {
      const res = await api(b, method, url, method === 'PATCH' ? { name: 'taken' } : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await ok(b, 'GET', '/v1/segments')).data).toEqual([]);
    // B cannot reference A's segment in a rule either.
    const ref = await api(b, 'POST', '/v1/segments/preview', { rule: { type: 'segment', segmentId: seg.id } });
    expect(ref.statusCode).toBe(400);
  });

  const track = (userId: string, event: string, messageId: string) => ({ type: 'track', userId, event, messageId });
  /** Rules recomputed by one scan (they read events) and in place (the others): see recomputeSegment. */
  const upgradedRule = { type: 'event', event: 'Upgraded' };

  it('a first computation right after ingestion includes the profiles written within the feed lag', async () => {
    const ws = await t.newWorkspace();
    await batch(
      ws,
      Array.from({ length: 40 }, (_, i) => identify(`fresh${i}`, { plan: i % 4 ? 'free' : 'vip' }, `fresh${i}`)),
    );
    await batch(
      ws,
      Array.from({ length: 10 }, (_, i) => track(`fresh${i * 4}`, 'Upgraded', `up${i}`)),
    );
    // Scan path, default lag (2 s): every profile was written "now", after the recompute's snapshot
    // time, so each is evaluated again in the write transaction instead of being taken from the
    // snapshot. chunk 3: more profiles changed since the snapshot than a chunk holds (each id looked up).
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'Fresh upgrades', rule: upgradedRule }, 201);
    const done = await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { chunk: 3 });
    expect(done).toMatchObject({ entered: 10, exited: 0, done: 40, total: 40 });
    // The default chunk: the changed profiles are read once through profiles_updated.
    const again = await ok(ws, 'POST', '/v1/segments', { name: 'Fresh upgrades again', rule: upgradedRule }, 201);
    expect(await recomputeSegment(t.services.membership, ws.workspaceId, again.id)).toMatchObject({ entered: 10, exited: 0 });
    // In place: evaluated with the current data, in ranges of 7 profiles.
    const vip = await ok(ws, 'POST', '/v1/segments', { name: 'Fresh VIPs', rule: vipRule }, 201);
    expect(await recomputeSegment(t.services.membership, ws.workspaceId, vip.id, { rangeSize: 7 })).toMatchObject({
      entered: 10,
      exited: 0,
      matched: 10,
      done: 40,
      total: 40,
    });
    for (const id of [seg.id, again.id, vip.id]) {
      expect((await members(ws, id)).length).toBe(10);
      expect((await ok(ws, 'GET', `/v1/segments/${id}`)).memberCount).toBe(10);
    }
    expect(await members(ws, vip.id)).toEqual(await members(ws, seg.id));
  });

  it("an in-place recompute sized by time covers every profile once (PostgreSQL: ranges end at the statistics' quantiles of profiles.id)", async () => {
    const ws = await t.newWorkspace();
    const other = await t.newWorkspace(); // interleaved ids of another workspace, in the same statistics
    await batch(
      other,
      Array.from({ length: 100 }, (_, i) => identify(`o${i}`, { plan: 'vip' }, `o${i}`)),
    );
    await batch(
      ws,
      Array.from({ length: 300 }, (_, i) => identify(`q${i}`, { plan: i % 3 ? 'free' : 'vip' }, `q${i}`)),
    );
    if (t.database.dialect.engine === 'postgres') {
      await sql`analyze profiles`.execute(t.database.db);
      const stats = await sql<{
        n: number;
      }>`select cardinality(histogram_bounds::text::text[]) as n from pg_stats where schemaname = current_schema() and tablename = 'profiles' and attname = 'id'`.execute(
        t.database.db,
      );
      expect(Number(stats.rows[0]?.n)).toBeGreaterThan(50);
    }
    // Profiles created after the statistics are covered too (the walked tail).
    await batch(
      ws,
      Array.from({ length: 30 }, (_, i) => identify(`late${i}`, { plan: 'vip' }, `late${i}`)),
    );
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'VIPs by quantiles', rule: vipRule }, 201);
    const seen: number[] = [];
    const done = await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { firstRangeSize: 10, onProgress: (p) => seen.push(p.done) });
    expect(done).toMatchObject({ entered: 130, exited: 0, matched: 130, done: 330, total: 330 });
    expect(seen.length, 'several ranges').toBeGreaterThan(4);
    expect((await members(ws, seg.id)).length).toBe(130);
    // Again over the same data: nothing enters or leaves, every member is counted once.
    await requestRecompute(t.database.db, ws.workspaceId, seg.id, Date.now());
    expect(await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { firstRangeSize: 10 })).toMatchObject({
      entered: 0,
      exited: 0,
      matched: 130,
      done: 330,
    });
    expect((await ok(ws, 'GET', `/v1/segments/${seg.id}`)).memberCount).toBe(130);
  });

  it.each([
    ['in place', vipRule, { rangeSize: 10 }],
    ['by scan', upgradedRule, { chunk: 10 }],
  ] as const)('resumes an interrupted recompute (%s) without entering anyone twice', async (_, rule, size) => {
    const ws = await t.newWorkspace();
    await batch(
      ws,
      Array.from({ length: 50 }, (_, i) => identify(`r${i}`, { n: i, plan: i % 2 ? 'vip' : 'free' }, `r${i}`)),
    );
    await batch(
      ws,
      Array.from({ length: 25 }, (_, i) => track(`r${2 * i + 1}`, 'Upgraded', `u${i}`)),
    );
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'Odd', rule }, 201);
    // Interrupt after the first chunk (as a crash would), then resume.
    const abort = new AbortController();
    let chunks = 0;
    await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, {
      ...size,
      lagMs: 0,
      signal: abort.signal,
      onProgress: () => {
        if (++chunks === 2) abort.abort();
      },
    });
    const mid = await t.database.db
      .selectFrom('segments')
      .select(['recompute_cursor', 'recompute_version', 'member_count'])
      .where('id', '=', seg.id)
      .executeTakeFirstOrThrow();
    expect(mid.recompute_cursor).not.toBeNull();
    expect(mid.recompute_version).toBe(1);
    expect(mid.member_count).toBeGreaterThan(0);
    expect(mid.member_count).toBeLessThan(25);
    const resumed = await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { ...size, lagMs: 0 });
    expect(resumed).toMatchObject({ done: resumed!.total, entered: 25 - mid.member_count });
    expect((await members(ws, seg.id)).length).toBe(25);
    expect((await ok(ws, 'GET', `/v1/segments/${seg.id}`)).memberCount).toBe(25);
    // No profile entered twice, nobody left.
    const entered = await t.database.db
      .selectFrom('segment_members')
      .select('profile_id')
      .where('workspace_id', '=', ws.workspaceId)
      .where('segment_id', '=', seg.id)
      .execute();
    expect(entered.length).toBe(25);
    expect(await t.database.db.selectFrom('segment_member_history').select('profile_id').where('workspace_id', '=', ws.workspaceId).execute()).toEqual([]);
  });

  it('stops a recompute whose version changed; the new version takes over', async () => {
    const ws = await t.newWorkspace();
    await batch(
      ws,
      Array.from({ length: 50 }, (_, i) => identify(`r${i}`, { n: i, plan: i % 2 ? 'vip' : 'free' }, `r${i}`)),
    );
    const seg = await ok(ws, 'POST', '/v1/segments', { name: 'Odd', rule: vipRule }, 201);
    await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { lagMs: 0 });
    expect((await members(ws, seg.id)).length).toBe(25);

    // A version change during a recompute stops the old pass; the new version's pass takes over.
    await ok(ws, 'PATCH', `/v1/segments/${seg.id}`, { rule: { type: 'trait', key: 'plan', op: 'eq', value: 'free' } });
    let changed = false;
    const stopped = await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, {
      rangeSize: 10,
      lagMs: 0,
      onProgress: () => {
        if (changed) return;
        changed = true;
        // Runs between two chunk transactions, like an operator editing from the console.
        void t.database.db.updateTable('segments').set({ version: 3, recompute_version: 3, recompute_cursor: null }).where('id', '=', seg.id).execute();
      },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBeUndefined();
    await t.database.db
      .updateTable('segments')
      .set({ rule: JSON.stringify({ type: 'trait', key: 'n', op: 'lt', value: 5 }) })
      .where('id', '=', seg.id)
      .execute();
    expect(await recomputeSegment(t.services.membership, ws.workspaceId, seg.id, { rangeSize: 10, lagMs: 0 })).toMatchObject({ version: 3, done: 50 });
    const final = await members(ws, seg.id);
    expect(final).toHaveLength(5);
    expect((await ok(ws, 'GET', `/v1/segments/${seg.id}`)).memberCount).toBe(5);
  });
});
