import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Settings → 数据保留 / Data retention end to end (issue #19): the owner shortens how long message
 * bodies are kept and keeps raw events forever, finds both saved after a reload and through the
 * API, then runs the job now and sees its run completed with the audit-log row from 2021 removed.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console data retention: periods saved, a run started and reported (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'retention', encryptionKey: 'ce'.repeat(32), env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    secret = { authorization: `Bearer ${server.keys().secretKey}`, 'content-type': 'application/json' };
    // An action recorded in 2021 (inserting is what the audit log allows; only the job may remove it).
    const ws = ((await (await fetch(`${server.url}/v1/workspace`, { headers: secret })).json()) as { id: string }).id;
    const db = new BetterSqlite3(join(place.dataDir, 'siyu.db'));
    try {
      db.prepare(
        `insert into audit_log (workspace_id, id, at, actor_kind, actor_id, actor_role, ip, user_agent, method, route, path, target, status, body, before, after, request_id)
         values (?, 'aud-e2e-2021', ?, 'key', null, 'owner', null, null, 'PATCH', '/v1/workspace', '/v1/workspace', null, 200, null, null, null, 'req-e2e-2021')`,
      ).run(ws, Date.parse('2021-05-01T00:00:00Z'));
    } finally {
      db.close();
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('saves the periods, runs the job now and shows what it removed', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    // An InputNumber puts its test id on the input itself or on its wrapper, depending on its addons.
    const input = (t: string) => page.locator(`input[data-testid="${t}"], [data-testid="${t}"] input`).first();
    await signInConsole(page, server!);
    await pickMenu(page, 'nav-settings', 'nav-settings-retention');
    await input('ret-messageBodies-days').fill('90');
    await id('ret-events-forever').click();
    expect(await input('ret-events-days').isDisabled()).toBe(true);
    await id('ret-save').click();
    await until(
      async () => ((await (await fetch(`${server!.url}/v1/retention`, { headers: secret })).json()) as { periods: Record<string, number | null> }).periods,
      (p) => p.messageBodies === 90 && p.events === null,
      'the saved periods',
    );
    await page.reload();
    await until(
      async () =>
        input('ret-messageBodies-days')
          .inputValue({ timeout: 1000 })
          .catch(() => ''),
      (v) => v === '90',
      'the period after a reload',
    );
    expect(await page.locator('[data-testid="ret-events-forever"] input, input[data-testid="ret-events-forever"]').first().isChecked()).toBe(true);

    await id('ret-run-now').click();
    const row = id('ret-runs').locator('tbody tr.ant-table-row').first();
    await until(
      async () =>
        (await row
          .getByTestId('ret-run-status')
          .textContent()
          .catch(() => '')) ?? '',
      (v) => v === '已完成',
      'the run completed',
    );
    expect(await row.getByTestId('ret-run-auditLog').textContent()).toBe('操作日志 1');
    await page.screenshot({ path: join(SCREENS, 'settings-retention-1440.png'), fullPage: true });
    const runs = (await (await fetch(`${server!.url}/v1/retention/runs`, { headers: secret })).json()) as {
      data: { trigger: string; kinds: { kind: string; days: number | null; rows: number }[] }[];
    };
    expect(runs.data[0]!.trigger).toBe('api');
    expect(runs.data[0]!.kinds.find((k) => k.kind === 'auditLog')).toMatchObject({ days: 1095, rows: 1 });
    expect(runs.data[0]!.kinds.find((k) => k.kind === 'events')).toMatchObject({ days: null, rows: 0 });
    // Starting it is an action like any other: recorded in the audit log.
    const audit = (await (await fetch(`${server!.url}/v1/audit?route=/v1/retention/runs`, { headers: secret })).json()) as { data: { status: number }[] };
    expect(audit.data[0]).toMatchObject({ status: 202 });
    await ctx.close();
  });
});
