import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { type OpsFixture, startOpsFixture } from '../scrm/ops/test-helpers.js';
import type { Role } from '../platform/principal.js';
import { classify, classifyRequest, guideCheck, roleAllows } from './policy.js';
import { createUser } from './users.service.js';

const PASSWORD = 'correct horse battery';
const ROLES: Role[] = ['owner', 'operator', 'analyst', 'guide'];
const GUIDE_STAFF = 'guide-staff-1';

interface Browser {
  cookie: string;
  csrf: string;
}

async function signIn(t: TestApp, email: string): Promise<Browser> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/console/login', payload: { email, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(200);
  return { cookie: String(res.headers['set-cookie']).split(';')[0]!, csrf: res.json().csrfToken };
}

/**
 * Every route as every role (issue #16: "enforced by the API for every route; a test calls every
 * route as each role"). The routes come from the OpenAPI document, so a route added tomorrow is
 * called the day it lands; hand-written expectations beside it pin the policy itself.
 */
describe('the role policy over every management route', () => {
  let t: TestApp;
  const browsers = new Map<Role, Browser>();
  beforeAll(async () => {
    t = await createTestApp('sqlite');
    for (const role of ROLES) {
      await createUser(t.services.access, {
        workspaceId: t.workspaceId,
        email: `${role}@brand.example`,
        password: PASSWORD,
        role,
        wecomUserId: role === 'guide' ? GUIDE_STAFF : null,
      });
      browsers.set(role, await signIn(t, `${role}@brand.example`));
    }
  });
  afterAll(async () => t?.close());

  const call = (role: Role, method: string, url: string) => {
    const b = browsers.get(role)!;
    return t.app.inject({ method: method as 'GET', url, headers: { cookie: b.cookie, 'x-csrf-token': b.csrf } });
  };

  it('answers 403 exactly where the role may not call the route, before looking at the request body', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    };
    const routes: { method: string; pattern: string; url: string }[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        if (!op.security?.some((s) => 'secretKey' in s)) continue;
        const pattern = path.replace(/\{(\w+)\}/g, ':$1');
        let url = path.replace('{userid}', GUIDE_STAFF).replace(/\{\w+\}/g, 'zz_missing');
        if (pattern === '/v1/wecom/tasks') url += `?staff=${GUIDE_STAFF}`;
        routes.push({ method: method.toUpperCase(), pattern, url });
      }
    }
    expect(routes.length).toBeGreaterThan(120);
    const wrong: string[] = [];
    const counts: Record<Role, number> = { owner: 0, operator: 0, analyst: 0, guide: 0 };
    for (const r of routes) {
      const cls = classify(r.method, r.pattern);
      const check = guideCheck(r.method, r.pattern);
      const denied: Record<Role, boolean> = {
        owner: false,
        operator: cls === 'admin',
        analyst: cls !== 'read',
        // A guide's own staff id is in the path; the profile checks fail for a profile that does not exist.
        guide: !check || check.kind === 'profile',
      };
      for (const role of ROLES) {
        const res = await call(role, r.method, r.url);
        const forbidden = res.statusCode === 403 && res.json().error.code === 'FORBIDDEN';
        if (forbidden !== denied[role]) wrong.push(`${role} ${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 120)}`);
        if (denied[role]) counts[role]++;
      }
    }
    expect(wrong).toEqual([]);
    // The policy is not empty for anyone but the owner.
    expect(counts.owner).toBe(0);
    expect(counts.operator).toBeGreaterThanOrEqual(5);
    expect(counts.analyst).toBeGreaterThan(60);
    expect(counts.guide).toBeGreaterThan(routes.length - 20);
  });

  it("keeps a CSV export of a segment's members to the owner (#19), while every reader pages through them", async () => {
    const seg = await t.app.inject({
      method: 'POST',
      url: '/v1/segments',
      headers: { authorization: `Bearer ${t.secretKey}` },
      payload: { name: 'everyone', rule: { type: 'trait', key: 'plan', op: 'exists' } },
    });
    expect(seg.statusCode, seg.body).toBe(201);
    const url = `/v1/segments/${seg.json().id}/members`;
    for (const role of ['operator', 'analyst'] as const) {
      expect((await call(role, 'GET', url)).statusCode).toBe(200);
      const csv = await call(role, 'GET', `${url}?format=csv&traits=phone`);
      expect(csv.statusCode).toBe(403);
      expect(csv.json().error.message).toBe(
        `GET /v1/segments/:id/members needs the owner role; you are ${role === 'analyst' ? 'an' : 'a'} ${role} in this workspace`,
      );
    }
    const owner = await call('owner', 'GET', `${url}?format=csv`);
    expect(owner.statusCode).toBe(200);
    expect(owner.headers['content-type']).toContain('text/csv');
    expect(classifyRequest('GET', '/v1/segments/:id/members', { format: 'json' })).toBe('read');
    expect(classifyRequest('GET', '/v1/insight/metrics/:metric', { format: 'csv' })).toBe('read');
  });

  it('classifies the routes operators rely on as the issue states', () => {
    expect(classify('POST', '/v1/keys')).toBe('admin');
    expect(classify('GET', '/v1/users')).toBe('admin');
    expect(classify('PUT', '/v1/wecom/connection')).toBe('admin');
    expect(classify('GET', '/v1/wecom/connection')).toBe('read');
    // Testing the stored connection changes nothing: analysts may run it too.
    expect(classify('POST', '/v1/wecom/connection/test')).toBe('read');
    expect(classify('POST', '/v1/journeys/:id/publish')).toBe('change');
    expect(classify('POST', '/v1/segments/preview')).toBe('read');
    expect(classify('GET', '/v1/segments/:id/members')).toBe('read');
    expect(guideCheck('GET', '/v1/segments')).toBeUndefined();
    // Member routes take member tokens alone: no console role may call them, not even the owner.
    expect(classify('POST', '/v1/member/checkins')).toBe('member');
    expect(classify('GET', '/v1/member/points')).toBe('member');
    expect(roleAllows('owner', 'member')).toBe(false);
    expect(classify('POST', '/v1/loyalty/member-tokens')).toBe('change');
    expect(classify('POST', '/v1/loyalty/checkout/quote')).toBe('read');
    expect(guideCheck('GET', '/v1/wecom/staff/:userid/today')).toEqual({ kind: 'staff-param' });
  });
});

describeEngines('a guide sees only their own customers and workbench', (engine) => {
  let f: OpsFixture;
  let guide: Browser;
  let mine: { userid: string; profileId: string };
  let theirs: { userid: string; profileId: string };
  beforeAll(async () => {
    f = await startOpsFixture(engine);
    mine = await f.mirrorRelation(0, 0);
    theirs = await f.mirrorRelation(1, 1);
    await createUser(f.services.access, {
      workspaceId: f.workspaceId,
      email: 'guide@brand.example',
      password: PASSWORD,
      role: 'guide',
      wecomUserId: mine.userid,
    });
    guide = await signIn(f, 'guide@brand.example');
    const phone = await f.app.inject({
      method: 'PATCH',
      url: `/v1/profiles/${mine.profileId}/traits`,
      headers: f.auth,
      payload: { set: { phone: '+8613800138000' } },
    });
    expect(phone.statusCode, phone.body).toBeLessThan(300);
  });
  afterAll(async () => f?.close());

  const get = (url: string) => f.app.inject({ method: 'GET', url, headers: { cookie: guide.cookie } });

  it('reads their own workbench and customers, with phone numbers masked', async () => {
    const list = await get(`/v1/wecom/staff/${mine.userid}/customers`);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data.length).toBeGreaterThan(0);
    expect((await get(`/v1/wecom/staff/${mine.userid}/today`)).statusCode).toBe(200);
    const profile = await get(`/v1/profiles/${mine.profileId}`);
    expect(profile.statusCode, profile.body).toBe(200);
    expect(profile.json().traits.phone).toBe('+86138****8000');
    // The owner sees the number itself.
    const asOwner = await f.app.inject({ method: 'GET', url: `/v1/profiles/${mine.profileId}`, headers: f.auth });
    expect(asOwner.json().traits.phone).toBe('+8613800138000');
  });

  it("is refused another staff member's workbench and customers, and everything else", async () => {
    for (const url of [
      `/v1/wecom/staff/${theirs.userid}/customers`,
      `/v1/profiles/${theirs.profileId}`,
      `/v1/profiles/${theirs.profileId}/events`,
      '/v1/segments',
      '/v1/wecom/tasks',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(403);
    }
    expect((await get(`/v1/wecom/tasks?staff=${mine.userid}`)).statusCode).toBe(200);
  });
});
