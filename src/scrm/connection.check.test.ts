import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';
import { freePort } from '../../test/support/server-process.js';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

describeEngines('WeCom connection test (POST /v1/wecom/connection/test)', (engine) => {
  let t: TestApp;
  let sb: Sandbox;
  let sandboxUrl = '';
  let callbackUrl = '';
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const connect = (patch: Record<string, unknown> = {}) =>
    t.app.inject({
      method: 'PUT',
      url: '/v1/wecom/connection',
      headers: auth(),
      payload: {
        corpId: sb.credentials.corpId,
        secret: sb.credentials.secret,
        callbackToken: sb.credentials.callbackToken,
        encodingAesKey: sb.credentials.encodingAesKey,
        apiBaseUrl: sandboxUrl,
        ...patch,
      },
    });
  const check = () => t.app.inject({ method: 'POST', url: '/v1/wecom/connection/test', headers: auth() });

  beforeAll(async () => {
    t = await createTestApp(engine);
    sb = createSandbox({ seed: 9, staff: 5, customers: 12, now: () => t.clock.now() });
    sandboxUrl = await sb.listen();
    callbackUrl = `${await t.app.listen({ port: 0, host: '127.0.0.1' })}/wecom/callback/${t.workspaceId}`;
  });
  afterAll(async () => {
    await sb?.close();
    await t?.close();
  });

  it('is refused without a connection', async () => {
    const res = await check();
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('WECOM_NOT_CONNECTED');
  });

  it("passes with the sandbox's credentials: a token, the members allowed to have customers, and the last callback", async () => {
    expect((await connect()).statusCode).toBe(200);
    const first = await check();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      ok: true,
      corpId: sb.credentials.corpId,
      apiBaseUrl: sandboxUrl,
      followUsers: sb.corp.activeStaff().length,
      lastCallbackAt: null,
    });
    expect(first.json().checks.map((c: { check: string; status: string }) => [c.check, c.status])).toEqual([
      ['token', 'ok'],
      ['contact_api', 'ok'],
    ]);
    // A callback WeCom sent is shown with its time.
    expect((await sb.fireCallback(callbackUrl, { scenario: 'add-contact', userid: sb.corp.activeStaff()[0]!.userid })).status).toBe(200);
    expect((await check()).json().lastCallbackAt).toBe(new Date(t.clock.now()).toISOString());
  });

  it("reports WeCom's refusal of a wrong secret with the errcode's meaning, and skips the checks after it", async () => {
    expect((await connect({ secret: 'not-the-secret' })).statusCode).toBe(200);
    const res = await check();
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ok).toBe(false);
    expect(body.followUsers).toBeNull();
    expect(body.checks[0]).toMatchObject({ check: 'token', status: 'failed', errcode: 40001 });
    expect(body.checks[0].hint.zh).toMatch(/[\u4e00-\u9fff]/);
    expect(body.checks[0].message).not.toContain('not-the-secret');
    expect(body.checks[1]).toMatchObject({ check: 'contact_api', status: 'skipped', errcode: null });
  });

  it('reports an address where nothing answers as a network failure', async () => {
    expect((await connect({ apiBaseUrl: `http://127.0.0.1:${await freePort()}` })).statusCode).toBe(200);
    const body = (await check()).json();
    expect(body.ok).toBe(false);
    expect(body.checks[0]).toMatchObject({ check: 'token', status: 'failed', errcode: null, hint: null });
    expect(body.checks[0].message).toMatch(/network error/);
  });
});
