import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';

describeEngines('WeCom connection API', (engine) => {
  let t: TestApp;
  let sb: Sandbox;
  let sandboxUrl = '';
  const auth = () => ({ authorization: `Bearer ${t.secretKey}` });
  const body = () => ({
    corpId: sb.credentials.corpId,
    secret: sb.credentials.secret,
    callbackToken: sb.credentials.callbackToken,
    encodingAesKey: sb.credentials.encodingAesKey,
    apiBaseUrl: sandboxUrl,
  });

  beforeAll(async () => {
    t = await createTestApp(engine);
    sb = createSandbox({ seed: 3, staff: 4, customers: 10, now: () => t.clock.now() });
    sandboxUrl = await sb.listen();
  });
  afterAll(async () => {
    await sb?.close();
    await t?.close();
  });

  it('needs the secret key', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/wecom/connection' })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', payload: body(), headers: { authorization: `Bearer ${t.writeKey}` } })).statusCode,
    ).toBe(401);
  });

  it('validates every field with a precise message', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ encodingAesKey: 'a'.repeat(42) }, 'encodingAesKey: EncodingAESKey must be exactly 43 characters'],
      [{ encodingAesKey: 'a'.repeat(42) + '=' }, 'including others'],
      [{ corpId: 'ww 12' }, 'corpId must be'],
      [{ callbackToken: 'x'.repeat(33) }, 'callbackToken must be'],
      [{ secret: '' }, 'secret must be'],
      [{ apiBaseUrl: 'ftp://example.com' }, 'apiBaseUrl must be an http(s) URL'],
      [{ agentId: 'abc' }, 'agentId must be'],
    ];
    for (const [patch, message] of cases) {
      const res = await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', headers: auth(), payload: { ...body(), ...patch } });
      expect(res.statusCode, JSON.stringify(patch)).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
      expect(res.json().error.message).toContain(message);
    }
    const missing = await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', headers: auth(), payload: { corpId: 'ww1' } });
    expect(missing.statusCode).toBe(400);
    const extra = await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', headers: auth(), payload: { ...body(), surprise: 1 } });
    expect(extra.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: '/v1/wecom/connection', headers: auth() })).statusCode).toBe(404);
  });

  it('stores secrets encrypted, never returns them, and builds a working client', async () => {
    const put = await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', headers: auth(), payload: { ...body(), agentId: 1000002 } });
    expect(put.statusCode).toBe(200);
    const get = await t.app.inject({ method: 'GET', url: '/v1/wecom/connection', headers: auth() });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toMatchObject({
      corpId: sb.credentials.corpId,
      agentId: '1000002',
      apiBaseUrl: sandboxUrl,
      secretSet: true,
      callbackTokenSet: true,
      encodingAesKeySet: true,
      callbackPath: `/wecom/callback/${t.workspaceId}`,
    });
    for (const secret of [sb.credentials.secret, sb.credentials.callbackToken, sb.credentials.encodingAesKey]) {
      expect(get.body).not.toContain(secret);
      expect(put.body).not.toContain(secret);
    }
    const row = await (t.database.db as any).selectFrom('wecom_apps').selectAll().where('workspace_id', '=', t.workspaceId).executeTakeFirst();
    expect(JSON.stringify(row)).not.toContain(sb.credentials.secret);
    expect(JSON.stringify(row)).not.toContain(sb.credentials.encodingAesKey);
    expect((await t.services.cipher.forWorkspace(t.workspaceId)).decrypt(row.secret_enc)).toBe(sb.credentials.secret);

    const client = await t.services.scrm.connections.clientFor(t.workspaceId);
    expect(client).toBe(await t.services.scrm.connections.clientFor(t.workspaceId));
    const follow = await client.getFollowUserList();
    expect(follow.follow_user.length).toBeGreaterThan(0);
  });

  it('PUT replaces (the new secret is used at once) and DELETE disconnects', async () => {
    const first = await t.services.scrm.connections.clientFor(t.workspaceId);
    const put = await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', headers: auth(), payload: { ...body(), secret: 'wrong-secret' } });
    expect(put.statusCode).toBe(200);
    const second = await t.services.scrm.connections.clientFor(t.workspaceId);
    expect(second).not.toBe(first);
    await expect(second.getFollowUserList()).rejects.toThrow(/40001/);

    const del = await t.app.inject({ method: 'DELETE', url: '/v1/wecom/connection', headers: auth() });
    expect(del.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/v1/wecom/connection', headers: auth() })).json().error.code).toBe('WECOM_NOT_CONNECTED');
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/wecom/connection', headers: auth() })).statusCode).toBe(404);
    await expect(t.services.scrm.connections.clientFor(t.workspaceId)).rejects.toMatchObject({ code: 'WECOM_NOT_CONNECTED' });
    const verify = await t.app.inject({ method: 'GET', url: `/wecom/callback/${t.workspaceId}?msg_signature=a&timestamp=1&nonce=1&echostr=a` });
    expect(verify.statusCode).toBe(404);
  });

  it('keeps workspaces apart', async () => {
    const other = await t.newWorkspace('other');
    await t.app.inject({ method: 'PUT', url: '/v1/wecom/connection', headers: auth(), payload: body() });
    const res = await t.app.inject({ method: 'GET', url: '/v1/wecom/connection', headers: { authorization: `Bearer ${other.secretKey}` } });
    expect(res.statusCode).toBe(404);
  });
});
