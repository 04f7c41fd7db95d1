import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from './server.js';
import { startSandbox } from './test-helpers.js';

describe('access tokens', () => {
  let h: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    h = await startSandbox();
  });
  afterAll(() => h?.close());

  const gettoken = async (corpid: string, corpsecret: string) => {
    const res = await fetch(`${h.url}/cgi-bin/gettoken?corpid=${corpid}&corpsecret=${corpsecret}`);
    return (await res.json()) as Record<string, any>;
  };

  it('issues a token valid 7200 s, and the same one while it is valid', async () => {
    const a = await gettoken('wwsandboxtest0001', 'test-secret');
    expect(a).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(a.access_token).toMatch(/^[A-Za-z0-9_-]{64,}$/);
    h.clock.advance(1000_000);
    const b = await gettoken('wwsandboxtest0001', 'test-secret');
    expect(b.access_token).toBe(a.access_token);
    expect(b.expires_in).toBe(6200);
  });

  it('refuses a wrong secret (40001), a wrong corp id (40013) and missing parameters', async () => {
    expect((await gettoken('wwsandboxtest0001', 'nope')).errcode).toBe(40001);
    expect((await gettoken('wwother', 'test-secret')).errcode).toBe(40013);
    expect(((await (await fetch(`${h.url}/cgi-bin/gettoken?corpsecret=x`)).json()) as any).errcode).toBe(41002);
    expect(((await (await fetch(`${h.url}/cgi-bin/gettoken?corpid=x`)).json()) as any).errcode).toBe(41004);
  });

  it('answers 41001 without a token and 40014 with an unknown one', async () => {
    expect(await h.errcode('externalcontact/get_follow_user_list', { token: null })).toBe(41001);
    expect(await h.errcode('externalcontact/get_follow_user_list', { token: 'made-up' })).toBe(40014);
  });

  it('answers 42001 once a token expired (by time or forced), and gettoken then gives a new one', async () => {
    const first = await h.accessToken();
    expect(await h.errcode('externalcontact/get_follow_user_list', { token: first })).toBe(0);
    h.sb.expireTokens();
    expect(await h.errcode('externalcontact/get_follow_user_list', { token: first })).toBe(42001);
    const second = (await gettoken('wwsandboxtest0001', 'test-secret')).access_token;
    expect(second).not.toBe(first);
    expect(await h.errcode('externalcontact/get_follow_user_list', { token: second })).toBe(0);
    h.clock.advance(7200_000);
    expect(await h.errcode('externalcontact/get_follow_user_list', { token: second })).toBe(42001);
  });
});

describe('request handling', () => {
  let h: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    h = await startSandbox({ rateLimit: { limit: 3, windowMs: 60_000 } });
  });
  afterAll(() => h?.close());

  it('answers the wrong method with 43001 / 43002, bad JSON with 47001, an unknown path with 48001', async () => {
    expect(await h.errcode('externalcontact/get_follow_user_list', { method: 'POST', body: {} })).toBe(43001);
    expect(await h.errcode('externalcontact/groupchat/list', { method: 'GET' })).toBe(43002);
    expect(await h.errcode('externalcontact/groupchat/list', { body: '{"limit": ' })).toBe(47001);
    const unknown = await h.raw('externalcontact/not_a_call', { body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.json.errcode).toBe(48001);
  });

  it('answers 45009 past the per-API limit, until the window turns', async () => {
    h.clock.advance(60_000);
    await h.accessToken();
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await h.errcode('user/list_id', { body: {} }));
    expect(codes).toEqual([0, 0, 0, 45009, 45009]);
    // another API has its own budget
    expect(await h.errcode('externalcontact/get_follow_user_list')).toBe(0);
    h.clock.advance(60_000);
    expect(await h.errcode('user/list_id', { body: {} })).toBe(0);
  });
});

describe('the fake corp', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = createSandbox({ seed: 9, staff: 20, customers: 500, now: () => 1_750_000_000_000 });
    const b = createSandbox({ seed: 9, staff: 20, customers: 500, now: () => 1_750_000_000_000 });
    const c = createSandbox({ seed: 10, staff: 20, customers: 500, now: () => 1_750_000_000_000 });
    expect(b.credentials).toEqual(a.credentials);
    expect(b.corp.staff.map((s) => s.userid)).toEqual(a.corp.staff.map((s) => s.userid));
    expect(b.corp.customer(123)).toEqual(a.corp.customer(123));
    expect(b.corp.relationsOfStaff(3)).toEqual(a.corp.relationsOfStaff(3));
    expect(b.state.groups.toJson(b.state.groups.groups[2], true)).toEqual(a.state.groups.toJson(a.state.groups.groups[2], true));
    expect(c.corp.customer(123).externalUserid).not.toBe(a.corp.customer(123).externalUserid);
    expect(c.credentials.secret).not.toBe(a.credentials.secret);
  });

  it('decodes its own external userids and nothing else', () => {
    const { corp } = createSandbox({ seed: 3, customers: 1000 });
    for (const i of [0, 1, 999]) expect(corp.findCustomer(corp.externalUserid(i))).toBe(i);
    const id = corp.externalUserid(5);
    expect(corp.findCustomer(id.slice(0, 31) + (id[31] === 'A' ? 'B' : 'A'))).toBeUndefined();
    expect(corp.findCustomer(corp.externalUserid(1000))).toBeUndefined(); // not created yet
    expect(createSandbox({ seed: 4, customers: 1000 }).corp.findCustomer(id)).toBeUndefined();
  });

  it('holds 200 staff and 200,000 customers compactly', () => {
    const before = process.memoryUsage();
    const started = performance.now();
    const sb = createSandbox({ seed: 1, staff: 200, customers: 200_000 });
    const ms = performance.now() - started;
    const after = process.memoryUsage();
    const grownMb = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1e6;
    // Measured on the 2-core dev machine: ~0.9 s and ~25 MB (typed arrays ~8 MB).
    expect(ms).toBeLessThan(10_000);
    expect(grownMb).toBeLessThan(120);
    expect(sb.corp.customerCount).toBe(200_000);
    expect(sb.corp.relationCount).toBeGreaterThan(200_000);
    let followed = 0;
    for (const s of sb.corp.staff) followed += sb.corp.relationsOfStaff(s.index).length;
    expect(followed).toBe(sb.corp.relationCount);
    expect(sb.corp.staff.filter((s) => s.resigned)).toHaveLength(10);
  });
});
