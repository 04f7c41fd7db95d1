import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import type { Role } from '../platform/principal.js';
import { createUser } from './users.service.js';

const PASSWORD = 'correct horse battery';

interface Browser {
  cookie: string;
  csrf: string;
}

describeEngines('console users and sessions', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine);
  });
  afterAll(async () => t?.close());

  const login = async (email: string, password = PASSWORD, ip = '10.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/v1/console/login', payload: { email, password }, remoteAddress: ip });
  const signIn = async (email: string): Promise<Browser> => {
    const res = await login(email);
    expect(res.statusCode, res.body).toBe(200);
    const set = String(res.headers['set-cookie']);
    return { cookie: set.split(';')[0]!, csrf: res.json().csrfToken };
  };
  const as = (b: Browser, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>, extra: Record<string, string> = {}) =>
    t.app.inject({ method, url, headers: { cookie: b.cookie, 'x-csrf-token': b.csrf, ...extra }, ...(payload === undefined ? {} : { payload }) });
  const user = (email: string, role: Role, workspaceId = t.workspaceId, wecomUserId?: string) =>
    createUser(t.services.access, { workspaceId, email, password: PASSWORD, role, wecomUserId });

  it('signs in with an httpOnly, SameSite=Strict cookie and answers the user, workspaces and CSRF token', async () => {
    await user('Ops@Brand.example', 'operator');
    const res = await login('ops@brand.example');
    expect(res.statusCode, res.body).toBe(200);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^siyu_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const body = res.json();
    expect(body.user.email).toBe('ops@brand.example');
    expect(body.workspaces).toEqual([{ id: t.workspaceId, name: 'Test', role: 'operator', wecomUserId: null }]);
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // The cookie works on the management API in place of a secret key.
    const b = { cookie: cookie.split(';')[0]!, csrf: body.csrfToken };
    const session = await as(b, 'GET', '/v1/console/session');
    expect(session.json().user.email).toBe('ops@brand.example');
    expect((await as(b, 'GET', '/v1/segments')).statusCode).toBe(200);
  });

  it('refuses changes without the CSRF token, and answers the same for a wrong password and an unknown email', async () => {
    const b = await signIn('ops@brand.example');
    const rule = { type: 'trait', key: 'plan', op: 'eq', value: 'vip' };
    const noToken = await t.app.inject({ method: 'POST', url: '/v1/segments', headers: { cookie: b.cookie }, payload: { name: 'x', rule } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('CSRF_TOKEN_INVALID');
    const wrongToken = await as(b, 'POST', '/v1/segments', { name: 'x', rule }, { 'x-csrf-token': 'nope' });
    expect(wrongToken.json().error.code).toBe('CSRF_TOKEN_INVALID');
    const ok = await as(b, 'POST', '/v1/segments', { name: 'VIPs', rule });
    expect(ok.statusCode, ok.body).toBe(201);
    const wrong = await login('ops@brand.example', 'not the password', '10.0.0.9');
    const unknown = await login('nobody@brand.example', 'not the password', '10.0.0.9');
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(wrong.json().error).toEqual(unknown.json().error);
    expect(wrong.json().error.code).toBe('LOGIN_FAILED');
  });

  it('throttles sign-in after 5 failures for an email, with Retry-After, until the window passes', async () => {
    await user('victim@brand.example', 'analyst');
    for (let i = 0; i < 5; i++) expect((await login('victim@brand.example', 'guess-' + i, `10.1.0.${i}`)).statusCode).toBe(401);
    const blocked = await login('victim@brand.example', PASSWORD, '10.1.0.99');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('LOGIN_THROTTLED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800);
    t.clock.advance(15 * 60_000 + 1000);
    expect((await login('victim@brand.example')).statusCode).toBe(200);
  });

  it('throttles sign-in from an address after 30 failures across emails, with Retry-After; other addresses still sign in', async () => {
    await user('shared-office@brand.example', 'analyst');
    for (let i = 0; i < 30; i++) expect((await login(`spray-${i}@brand.example`, 'guess', '10.2.0.7')).statusCode).toBe(401);
    const blocked = await login('shared-office@brand.example', PASSWORD, '10.2.0.7');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('LOGIN_THROTTLED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800);
    expect((await login('shared-office@brand.example', PASSWORD, '10.2.0.8')).statusCode).toBe(200);
    t.clock.advance(15 * 60_000 + 1000);
    expect((await login('shared-office@brand.example', PASSWORD, '10.2.0.7')).statusCode).toBe(200);
  });

  it('signs out one browser, and every browser', async () => {
    await user('twice@brand.example', 'operator');
    const a = await signIn('twice@brand.example');
    const b = await signIn('twice@brand.example');
    const c = await signIn('twice@brand.example');
    const out = await as(a, 'POST', '/v1/console/logout');
    expect(out.statusCode).toBe(204);
    expect((await as(a, 'GET', '/v1/segments')).statusCode).toBe(401);
    expect((await as(b, 'GET', '/v1/segments')).statusCode).toBe(200);
    const all = await as(b, 'POST', '/v1/console/logout-everywhere');
    expect(all.json()).toEqual({ ended: 2 });
    for (const x of [b, c]) {
      const res = await as(x, 'GET', '/v1/segments');
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toContain('sign in again');
    }
  });

  it('ends an idle session after a day without requests', async () => {
    await user('idle@brand.example', 'analyst');
    const b = await signIn('idle@brand.example');
    t.clock.advance(23 * 3_600_000);
    expect((await as(b, 'GET', '/v1/segments')).statusCode).toBe(200);
    t.clock.advance(24 * 3_600_000 + 1000);
    expect((await as(b, 'GET', '/v1/segments')).statusCode).toBe(401);
  });

  it('switches workspace by header, refusing one the user does not belong to', async () => {
    const other = await t.newWorkspace('Brand B');
    const third = await t.newWorkspace('Brand C');
    await user('multi@brand.example', 'operator');
    await user('multi@brand.example', 'analyst', other.workspaceId);
    const b = await signIn('multi@brand.example');
    const session = (await as(b, 'GET', '/v1/console/session')).json();
    expect(session.workspaces.map((w: { name: string; role: string }) => `${w.name}:${w.role}`)).toEqual(['Test:operator', 'Brand B:analyst']);
    expect((await as(b, 'GET', '/v1/workspace')).json().id).toBe(t.workspaceId);
    expect((await as(b, 'GET', '/v1/workspace', undefined, { 'x-siyu-workspace': other.workspaceId })).json().id).toBe(other.workspaceId);
    // An analyst there: the same change is refused in B and allowed in A.
    const rule = { type: 'trait', key: 'plan', op: 'eq', value: 'x' };
    const inB = await as(b, 'POST', '/v1/segments', { name: 'b', rule }, { 'x-siyu-workspace': other.workspaceId });
    expect(inB.statusCode).toBe(403);
    expect(inB.json().error.message).toContain('you are an analyst');
    const notMember = await as(b, 'GET', '/v1/workspace', undefined, { 'x-siyu-workspace': third.workspaceId });
    expect(notMember.statusCode).toBe(403);
    expect(notMember.json().error.message).toContain(`not a member of workspace ${third.workspaceId}`);
  });

  it('lets owners invite, change roles and remove users; keeps one owner; invitations work once', async () => {
    await user('boss@brand.example', 'owner');
    const owner = await signIn('boss@brand.example');
    const ops = await signIn('ops@brand.example');
    expect((await as(ops, 'GET', '/v1/users')).statusCode).toBe(403);
    expect((await as(ops, 'GET', '/v1/keys')).statusCode).toBe(403);
    const inv = await as(owner, 'POST', '/v1/users/invitations', { email: 'New@Brand.example', role: 'analyst' });
    expect(inv.statusCode, inv.body).toBe(201);
    const token = new URL(inv.json().acceptUrl).searchParams.get('token')!;
    const weak = await t.app.inject({ method: 'POST', url: '/v1/console/invitations/accept', payload: { token, password: 'short' } });
    expect(weak.json().error.code).toBe('PASSWORD_TOO_WEAK');
    const accepted = await t.app.inject({ method: 'POST', url: '/v1/console/invitations/accept', payload: { token, name: '新同事', password: PASSWORD } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().workspaces[0].role).toBe('analyst');
    const again = await t.app.inject({ method: 'POST', url: '/v1/console/invitations/accept', payload: { token, password: PASSWORD } });
    expect(again.json().error.code).toBe('INVITATION_INVALID');
    const list = (await as(owner, 'GET', '/v1/users?limit=100')).json();
    const newcomer = list.data.find((m: { email: string }) => m.email === 'new@brand.example');
    expect(newcomer).toMatchObject({ name: '新同事', role: 'analyst' });
    const promoted = await as(owner, 'PATCH', `/v1/users/${newcomer.id}`, { role: 'operator' });
    expect(promoted.json().role).toBe('operator');
    const guideWithoutStaff = await as(owner, 'PATCH', `/v1/users/${newcomer.id}`, { role: 'guide' });
    expect(guideWithoutStaff.statusCode).toBe(400);
    expect(guideWithoutStaff.json().error.message).toContain('wecomUserId');
    const me = (await as(owner, 'GET', '/v1/console/session')).json().user.id;
    // Only one owner: it cannot step down or be removed.
    const demote = await as(owner, 'PATCH', `/v1/users/${me}`, { role: 'operator' });
    expect(demote.json().error.code).toBe('LAST_OWNER');
    expect((await as(owner, 'DELETE', `/v1/users/${newcomer.id}`)).statusCode).toBe(204);
    expect((await login('new@brand.example')).statusCode).toBe(200); // the user remains, without this workspace
    const after = (await as(owner, 'GET', '/v1/users?limit=100')).json();
    expect(after.data.map((m: { email: string }) => m.email)).not.toContain('new@brand.example');
  });

  it('changes a password: the old one stops working and other sessions end', async () => {
    await user('pw@brand.example', 'operator');
    const a = await signIn('pw@brand.example');
    const b = await signIn('pw@brand.example');
    const bad = await as(a, 'POST', '/v1/console/password', { current: 'wrong password', next: 'a brand new password' });
    expect(bad.json().error.code).toBe('LOGIN_FAILED');
    expect((await as(a, 'POST', '/v1/console/password', { current: PASSWORD, next: 'a brand new password' })).statusCode).toBe(204);
    expect((await as(a, 'GET', '/v1/segments')).statusCode).toBe(200);
    expect((await as(b, 'GET', '/v1/segments')).statusCode).toBe(401);
    expect((await login('pw@brand.example')).statusCode).toBe(401);
    expect((await login('pw@brand.example', 'a brand new password')).statusCode).toBe(200);
  });
});
