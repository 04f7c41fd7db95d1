import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSandbox, type Sandbox } from '../../wecom-sandbox/index.js';
import { createTestApp, describeEngines, type TestApp } from '../../test/support/engines.js';
import { syncTarget, wecomSyncCommand } from './wecom.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('siyu wecom sync: where the corp comes from', () => {
  const stored = {
    workspaceId: 'ws_1',
    corpId: 'wwstored',
    agentId: null,
    secret: 'stored-secret',
    callbackToken: 't',
    encodingAesKey: 'k',
    apiBaseUrl: 'http://127.0.0.1:3100',
  };

  it('uses the stored connection by default, and each option overrides its part', () => {
    expect(syncTarget({}, stored, 'ws_1')).toEqual({ corpId: 'wwstored', secret: 'stored-secret', baseUrl: 'http://127.0.0.1:3100' });
    expect(syncTarget({ secret: 'new' }, stored, 'ws_1')).toEqual({ corpId: 'wwstored', secret: 'new', baseUrl: 'http://127.0.0.1:3100' });
    expect(syncTarget({ apiBaseUrl: 'https://proxy.example.com' }, stored, 'ws_1').baseUrl).toBe('https://proxy.example.com');
    expect(syncTarget({ corpId: 'wwother', secret: 's' }, undefined, 'ws_1')).toEqual({
      corpId: 'wwother',
      secret: 's',
      baseUrl: 'https://qyapi.weixin.qq.com',
    });
  });

  it('refuses, naming what to give, when the corp or its secret is missing', () => {
    expect(() => syncTarget({}, undefined, 'ws_1')).toThrow(/workspace ws_1 has no WeCom connection: store one with PUT \/v1\/wecom\/connection/);
    expect(() => syncTarget({ corpId: 'wwx' }, undefined, 'ws_1')).toThrow(/give the 客户联系 secret of wwx/);
    // A stored secret is never sent for another corp.
    expect(() => syncTarget({ corpId: 'wwother' }, stored, 'ws_1')).toThrow(
      /--corp-id wwother is not the corp of workspace ws_1's WeCom connection \(wwstored\)/,
    );
    expect(() => syncTarget({ secret: 'a', secretFile: '/x' }, stored, 'ws_1')).toThrow(/either --secret <secret> or --secret-file <path>, not both/);
    expect(() => syncTarget({ corpId: 'ww 1' }, stored, 'ws_1')).toThrow(InvalidArgumentError);
    expect(() => syncTarget({ apiBaseUrl: 'ftp://x' }, stored, 'ws_1')).toThrow(/--api-base-url must be an http\(s\) URL/);
  });
});

describeEngines('siyu wecom sync over a stored connection', (engine) => {
  let t: TestApp;
  let sb: Sandbox;
  let sandboxUrl = '';
  let stdout: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(engine);
    sb = createSandbox({ seed: 5, staff: 4, customers: 20, groups: 2, now: () => t.clock.now() });
    sandboxUrl = await sb.listen();
    const put = await t.app.inject({
      method: 'PUT',
      url: '/v1/wecom/connection',
      headers: { authorization: `Bearer ${t.secretKey}` },
      payload: {
        corpId: sb.credentials.corpId,
        secret: sb.credentials.secret,
        callbackToken: sb.credentials.callbackToken,
        encodingAesKey: sb.credentials.encodingAesKey,
        apiBaseUrl: sandboxUrl,
      },
    });
    expect(put.statusCode).toBe(200);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await sb?.close();
    await t?.close();
  });

  it('syncs with the corp id, secret and address the workspace stores, asking for none of them', async () => {
    stdout = [];
    expect(await wecomSyncCommand(t.services, { workspace: t.workspaceId, json: true })).toBe(0);
    const result = JSON.parse(stdout.join(''));
    expect(result).toMatchObject({ workspaceId: t.workspaceId, corpId: sb.credentials.corpId, completed: true });
    expect(result.staff).toBeGreaterThan(0);
    expect(result.relations).toBeGreaterThan(0);
  });

  it('lets an option override the stored connection (a wrong secret is WeCom error, exit 1)', async () => {
    expect(await wecomSyncCommand(t.services, { workspace: t.workspaceId, secret: 'not-the-secret', json: true })).toBe(1);
  });

  it('refuses a workspace without a connection when the options do not name the corp', async () => {
    const other = await t.newWorkspace('no wecom');
    await expect(wecomSyncCommand(t.services, { workspace: other.workspaceId })).rejects.toThrow(/has no WeCom connection/);
  });
});

describe('siyu wecom sync (CLI, SQLite): usage errors exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'siyu-cli-wecom-'));
  const env = { ...process.env, SIYU_DATA_DIR: join(dir, 'data'), SIYU_LOG_LEVEL: 'warn', DATABASE_URL: '', SIYU_ENCRYPTION_KEY: '' };
  const siyu = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/siyu.js'), ...args], { env, cwd: dir, encoding: 'utf8' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 on an unknown option, on conflicting options and on a workspace with no connection and no options', () => {
    const unknown = siyu('wecom', 'sync', '--no-such-option');
    expect(unknown.status, unknown.stderr).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--no-such-option'");
    writeFileSync(join(dir, 'secret'), 's');
    const both = siyu('wecom', 'sync', '--secret', 's', '--secret-file', join(dir, 'secret'));
    expect(both.status, both.stderr).toBe(2);
    expect(both.stderr).toContain('either --secret <secret> or --secret-file <path>');
    expect(siyu('workspace', 'create', '--name', 'T').status).toBe(0);
    const missing = siyu('wecom', 'sync');
    expect(missing.status, missing.stderr).toBe(2);
    expect(missing.stderr).toMatch(/has no WeCom connection: store one with PUT \/v1\/wecom\/connection, or give --corp-id and --secret/);
  });
});
