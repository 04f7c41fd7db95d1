import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { readZip } from '../src/compliance/test-helpers.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Settings → 隐私请求 / Privacy requests end to end (issue #19): the owner records an export request
 * for a customer tracked through the real API, sees its due date, downloads the archive (a ZIP with
 * the customer's identifiers and events), finds the request completed and the download in the
 * audit log, rejects another request with a reason, and carries out an erasure after confirming it
 * (the customer is then unknown to the API).
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console privacy requests: record, download the archive, reject, erase (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'privacy', encryptionKey: 'cd'.repeat(32), env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    secret = { authorization: `Bearer ${server.keys().secretKey}`, 'content-type': 'application/json' };
    const basic = { authorization: 'Basic ' + Buffer.from(server.keys().writeKey + ':').toString('base64'), 'content-type': 'application/json' };
    const tracked = await fetch(`${server.url}/v1/identify`, {
      method: 'POST',
      headers: basic,
      body: JSON.stringify({ userId: 'e2e-dsr-1', traits: { phone: '13800138111', name: '周小满' } }),
    });
    expect(tracked.status, await tracked.text()).toBe(200);
    await until(
      async () => (await fetch(`${server!.url}/v1/profiles/user_id:e2e-dsr-1`, { headers: secret })).status,
      (s) => s === 200,
      'the tracked customer',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('records an export, downloads its archive, rejects another request, and carries out an erasure', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);
    await pickMenu(page, 'nav-settings', 'nav-settings-privacy');
    await id('privacy-subject').fill('phone:+8613800138111');
    await id('privacy-note').fill('电话申请，已核验');
    await id('privacy-create').click();
    const row = id('privacy-table').locator('tbody tr.ant-table-row').first();
    await until(
      async () =>
        (await row
          .getByTestId('privacy-status')
          .textContent()
          .catch(() => '')) ?? '',
      (v) => v === '已接收',
      'the new request',
    );
    expect(await row.getByTestId('privacy-due').textContent()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await page.screenshot({ path: join(SCREENS, 'settings-privacy-1440.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('privacy-download').click()]);
    expect(download.suggestedFilename()).toMatch(/^privacy-dsr_\w+\.zip$/);
    const files = readZip(readFileSync((await download.path())!));
    const person = JSON.parse(files.get('person.json')!.toString('utf8'));
    expect(person.modules.cdp.identifiers.map((i: { value: string }) => i.value)).toEqual(expect.arrayContaining(['e2e-dsr-1', '+8613800138111']));
    expect(files.get('cdp/identifiers.csv')!.toString('utf8')).toContain('+8613800138111');
    await until(
      async () => (await row.getByTestId('privacy-status').textContent()) ?? '',
      (v) => v === '已完成',
      'the request completed',
    );
    const audit = (await (await fetch(`${server!.url}/v1/audit?route=/v1/privacy/requests/:id/archive`, { headers: secret })).json()) as {
      data: { actor: { kind: string }; status: number }[];
    };
    expect(audit.data[0]).toMatchObject({ actor: { kind: 'user' }, status: 200 });

    // A second request, rejected with its reason.
    await id('privacy-kind').click();
    await page.locator('.ant-select-item-option', { hasText: '删除' }).click();
    await id('privacy-subject').fill('user_id:e2e-dsr-1');
    await id('privacy-create').click();
    await until(
      () => id('privacy-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === 2,
      'two requests',
    );
    const second = id('privacy-table').locator('tbody tr.ant-table-row').first();
    await second.getByTestId('privacy-reject').click();
    await id('privacy-reject-reason').fill('无法核验身份');
    await page.getByRole('button', { name: /确\s*定|OK/ }).click();
    await until(
      async () => (await second.getByTestId('privacy-status').textContent()) ?? '',
      (v) => v === '已拒绝',
      'the request rejected',
    );
    const listed = (await (await fetch(`${server!.url}/v1/privacy/requests?status=rejected`, { headers: secret })).json()) as {
      data: { completion: unknown }[];
    };
    expect(listed.data[0]!.completion).toEqual({ rejected: '无法核验身份' });

    // A third: an erasure, carried out once the owner confirms it.
    await id('privacy-kind').click();
    await page.locator('.ant-select-item-option', { hasText: '删除' }).click();
    await id('privacy-subject').fill('phone:+8613800138111');
    await id('privacy-create').click();
    await until(
      () => id('privacy-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === 3,
      'three requests',
    );
    const erasure = id('privacy-table').locator('tbody tr.ant-table-row').first();
    await erasure.getByTestId('privacy-carry-out').click();
    await page.getByText('确定在所有模块中删除该客户？', { exact: false }).waitFor();
    await page.getByTestId('privacy-carry-out-ok').click();
    await until(
      async () => (await erasure.getByTestId('privacy-status').textContent()) ?? '',
      (v) => v === '已完成',
      'the erasure carried out',
    );
    await page.screenshot({ path: join(SCREENS, 'settings-privacy-erased-1440.png'), fullPage: true });
    expect((await fetch(`${server!.url}/v1/profiles/user_id:e2e-dsr-1`, { headers: secret })).status).toBe(404);
    const erased = (await (await fetch(`${server!.url}/v1/privacy/requests?kind=erasure&status=completed`, { headers: secret })).json()) as {
      data: { subject: string; completion: { erased: { rows: Record<string, Record<string, number>> } } }[];
    };
    expect(erased.data[0]!.subject).toMatch(/^hash:/);
    expect(erased.data[0]!.completion.erased.rows.cdp!.identifiers).toBe(2);
    await ctx.close();
  });
});
