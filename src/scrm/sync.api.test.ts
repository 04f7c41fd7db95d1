import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { until } from '../../test/support/e2e.js';

describeEngines('WeCom full sync from the API (POST and GET /v1/wecom/sync)', (engine) => {
  let t: TestApp;
  let sb: Sandbox;
  let sandboxUrl = '';
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
  const start = () => t.app.inject({ method: 'POST', url: '/v1/wecom/sync', headers: auth() });
  const status = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/wecom/sync', headers: auth() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const settled = () => until(status, (s) => !s.running, 'the sync to end', 60_000);

  beforeAll(async () => {
    t = await createTestApp(engine);
    sb = createSandbox({ seed: 4, staff: 8, customers: 400, now: () => t.clock.now() });
    sandboxUrl = await sb.listen();
  });
  afterAll(async () => {
    await sb?.close();
    await t?.close();
  });

  it('shows no run before the first, and refuses to start without a connection', async () => {
    expect(await status()).toEqual({ running: false, runningSince: null, run: null, last: null });
    const res = await start();
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('WECOM_NOT_CONNECTED');
  });

  it('runs in the background: 202 at once, 409 for a second start, then the finished run with its counts', async () => {
    expect((await connect()).statusCode).toBe(200);
    const first = await start();
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json().running).toBe(true);
    const second = await start();
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('WECOM_SYNC_RUNNING');

    const done = await settled();
    expect(done.last).toMatchObject({ outcome: 'completed', error: null });
    expect(done.run).toMatchObject({ corpId: sb.credentials.corpId, phase: 'done', runId: done.last.runId });
    expect(done.run.finishedAt).not.toBeNull();
    expect(done.run.counts.staff).toBe(sb.corp.activeStaff().length);
    expect(done.run.counts.relations).toBeGreaterThan(0);
    // The contacts are in the workspace, as after `siyu wecom sync`.
    const contacts = await t.app.inject({ method: 'GET', url: '/v1/wecom/contacts?limit=5', headers: auth() });
    expect(contacts.statusCode, contacts.body).toBe(200);
    expect(contacts.json().data.length).toBe(5);
  });

  it("records WeCom's refusal as the last run's outcome, and a run after the fix completes", async () => {
    expect((await connect({ secret: 'not-the-secret' })).statusCode).toBe(200);
    expect((await start()).statusCode).toBe(202);
    const failed = await settled();
    expect(failed.last.outcome).toBe('failed');
    expect(failed.last.error).toMatch(/40001|secret/i);

    expect((await connect()).statusCode).toBe(200);
    expect((await start()).statusCode).toBe(202);
    expect((await settled()).last.outcome).toBe('completed');
  });
});
