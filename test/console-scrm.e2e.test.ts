import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createSandbox, type Sandbox } from '../wecom-sandbox/index.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The console's SCRM screens end to end (issue #16): the owner connects WeCom (the local sandbox)
 * in the console, tests the connection and runs the full sync from it; creates a channel live code; a customer scans it in the
 * sandbox, WeCom's callback reaches the real server, and the add shows in the code's statistics.
 * Then the other screens with what the sandbox made happen (staff, customers, churn alerts, the
 * conversation archive with a sensitive-word hit), and an analyst on a phone who may read but not
 * change (the role policy's own test covers every route; this checks the screen hides the buttons).
 * Screenshots at 1440 and 390 px go to test-artifacts/screens/.
 */
const CHROMIUM = '/usr/bin/chromium';
const KEY = 'cb'.repeat(32);
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console SCRM screens (real server, WeCom sandbox, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let sb: Sandbox | undefined;
  let page: Page;
  let secret: Record<string, string>;
  let workspaceId = '';
  let liveCodeId = '';
  let scanned = '';

  const id = (t: string) => page.getByTestId(t);
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${server!.url}${path}`, { ...init, headers: { ...secret, ...(init.headers as Record<string, string>) } });
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
    return (await res.json()) as T;
  };
  const shot = async (name: string) => {
    await page.screenshot({ path: join(SCREENS, `${name}-1440.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // The layout follows the new width (tables measure their columns again) before the picture.
    await until(
      () => page.evaluate(() => document.documentElement.scrollWidth),
      (w) => w <= 390,
      `${name} laid out at 390 px`,
    );
    await page.screenshot({ path: join(SCREENS, `${name}-390.png`), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
  };

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'scrm', encryptionKey: KEY, env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    sb = createSandbox({ seed: 16, staff: 4, customers: 24, groups: 3, resignedStaff: 0 });
    await sb.listen();
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    workspaceId = keys.workspaceId;
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signInConsole(page, server);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sb?.close();
    await place?.close();
  });

  it('connects the workspace to WeCom in the console and tests the connection against the sandbox', async () => {
    await pickMenu(page, 'nav-scrm', 'nav-scrm-connection');
    await id('connection-missing').waitFor();
    await id('conn-connect').click();
    const c = sb!.credentials;
    await id('conn-corp-id').fill(c.corpId);
    await id('conn-secret').fill(c.secret);
    await id('conn-token').fill(c.callbackToken);
    await id('conn-aes-key').fill(c.encodingAesKey);
    await id('conn-api-base-url').fill(sb!.url!);
    await id('conn-save').click();
    // Saving runs the test: a token from the sandbox, then its 客户联系 API.
    await id('connection-test-ok').waitFor();
    expect(await id('connection-test-summary').textContent()).toContain(String(sb!.corp.activeStaff().length));
    expect(await id('check-status').allTextContents()).toEqual(['正常', '正常']);
    expect(await id('conn-callback-url').textContent()).toBe(`${server!.url}/wecom/callback/${workspaceId}`);
    // Staff, customers and groups come from WeCom by the full sync, started from the console.
    await id('sync-start').click();
    await id('sync-done').waitFor({ timeout: 60_000 });
    expect(await id('sync-count-staff').textContent()).toBe(String(sb!.corp.activeStaff().length));
    expect(Number(await id('sync-count-relations').textContent())).toBeGreaterThan(0);
    await shot('scrm-connection');
  });

  it('creates a live code with its QR image, and a sandbox scan appears in its statistics', async () => {
    const [first, second] = sb!.corp.activeStaff();
    await page.goto(`${server!.url}/console/scrm/live-codes`);
    await id('live-codes-table').getByText('还没有活码。').waitFor();
    await id('new-live-code').click();
    await id('lc-name').fill('静安店收银台');
    await id('lc-staff').click();
    await page.getByTitle(`${first!.name} (${first!.userid})`).click();
    await page.getByTitle(`${second!.name} (${second!.userid})`).click();
    await page.keyboard.press('Escape');
    await id('lc-welcome').fill('你好 {name}，欢迎来到静安店！');
    await id('lc-tags').locator('input').fill('渠道/静安店');
    await id('lc-tags').locator('input').press('Enter');
    await id('lc-save').click();
    await id('live-code-name').waitFor();
    expect(await id('live-code-name').textContent()).toBe('静安店收银台');

    const codes = await api<{ data: { id: string; configId: string; qrCode: string; state: string; staff: string[] }[] }>('/v1/wecom/live-codes');
    expect(codes.data).toHaveLength(1);
    const code = codes.data[0]!;
    liveCodeId = code.id;
    expect(code.staff).toEqual([first!.userid, second!.userid]);
    expect(new URL(page.url()).pathname).toBe(`/console/scrm/live-codes/${code.id}`);
    expect(await id('live-code-state').textContent()).toBe(code.state);
    // The QR image is the one WeCom made for the contact way; the sandbox's URL cannot load, so its address is shown.
    expect(sb!.state.contactWays.get(code.configId)).toBeDefined();
    await id('qr-image-url').waitFor();
    expect(await id('qr-image-url').locator('a').getAttribute('href')).toBe(code.qrCode);
    expect(await id('stat-adds').textContent()).toContain('0');

    // A customer scans the code in WeCom: the sandbox adds them and sends the callback to the server.
    const fired = await sb!.fireCallback(`${server!.url}/wecom/callback/${workspaceId}`, { scenario: 'add-contact', configId: code.configId });
    expect(fired.response).toBe('success');
    scanned = String(fired.event.ExternalUserID);
    await until(
      () => api<{ totals: { adds: number } }>(`/v1/wecom/live-codes/${code.id}/stats`),
      (s) => s.totals.adds === 1,
      'the add in the live code statistics',
    );
    await id('stats-refresh').click();
    await until(
      async () => (await id('stat-adds').textContent()) ?? '',
      (v) => v.includes('1'),
      'the add on the statistics card',
    );
    const staffRow = id('stats-by-staff').locator('tbody tr.ant-table-row');
    expect(await staffRow.count()).toBe(1);
    expect(await staffRow.first().textContent()).toContain(String(fired.event.UserID) === first!.userid ? first!.name : second!.name);
    await id('live-code-chart').and(page.locator('[data-ready="true"]')).waitFor();
    await page.reload();
    await id('live-code-adds').getByText(scanned).waitFor();
    // The welcome message went out through WeCom within its 20 seconds.
    await until(
      async () => sb!.state.welcomeMessages.length,
      (n) => n === 1,
      'the welcome message in the sandbox',
    );
    expect(JSON.stringify(sb!.state.welcomeMessages[0])).toContain('欢迎来到静安店');
    await shot('scrm-live-code');
  });

  it('lists staff and customers, shows a churn alert, and finds a sensitive word in the conversation archive', async () => {
    await page.goto(`${server!.url}/console/scrm/staff`);
    await until(
      () => id('staff-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === sb!.corp.activeStaff().length,
      'the staff rows',
    );
    await page.goto(`${server!.url}/console/scrm/contacts`);
    await id('contacts-search').locator('input').fill(scanned);
    await id('contacts-search').locator('input').press('Enter');
    await until(
      () => id('contacts-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === 1,
      'the scanned customer in the customer list',
    );
    await page.screenshot({ path: join(SCREENS, 'scrm-contacts-1440.png'), fullPage: true });

    // The customer deletes the staff member who added them: a churn alert.
    const gone = await sb!.fireCallback(`${server!.url}/wecom/callback/${workspaceId}`, { scenario: 'del-follow-user', externalUserid: scanned });
    expect(gone.response).toBe('success');
    await page.goto(`${server!.url}/console/scrm/alerts`);
    await until(
      async () => {
        await id('alerts-kind').waitFor();
        const n = await id('alerts-table').locator('tbody tr.ant-table-row').count();
        if (n === 0) await page.reload();
        return n;
      },
      (n) => n === 1,
      'the churn alert',
    );

    // A conversation with a sensitive word, imported from WeCom's archive.
    await api('/v1/wecom/sensitive-words', { method: 'POST', body: JSON.stringify({ words: ['返现'] }) });
    const [staff] = sb!.corp.activeStaff();
    const customer = (await api<{ data: { externalUserid: string }[] }>(`/v1/wecom/contacts?owner=${staff!.userid}&limit=1`)).data[0]!.externalUserid;
    const line = {
      msgid: 'e2e-1',
      action: 'send',
      from: staff!.userid,
      tolist: [customer],
      roomid: '',
      msgtime: Date.now(),
      msgtype: 'text',
      text: { content: '加我微信可以返现' },
    };
    const imported = await api<{ imported: number }>('/v1/wecom/archive/import', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: JSON.stringify(line),
    });
    expect(imported.imported).toBe(1);
    await page.goto(`${server!.url}/console/scrm/archive`);
    await id('archive-q').fill('返现');
    await id('archive-search').click();
    await until(
      () => id('archive-message').count(),
      (n) => n === 1,
      'the archived message',
    );
    expect(await id('hit-mark').textContent()).toBe('返现');
    expect(await id('hit-word').textContent()).toBe('返现');
    await shot('scrm-archive');
  });

  it('lets an analyst on a phone read the live code, but not change it', async () => {
    await api('/v1/users', { method: 'POST', body: JSON.stringify({ email: 'analyst@brand.example', password: 'analyst password 1', role: 'analyst' }) });
    // The owner signs out in the same browser (the console's files stay cached); the analyst signs in on a phone-sized screen.
    await id('account-menu').click();
    await id('sign-out').click();
    await id('sign-in').waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await signInConsole(page, server!, `/console/scrm/live-codes/${liveCodeId}`, { email: 'analyst@brand.example', password: 'analyst password 1' });
    await id('live-code-name').waitFor();
    expect(await id('nav-menu').count()).toBe(1);
    expect(await id('lc-edit').count()).toBe(0);
    await page.screenshot({ path: join(SCREENS, 'scrm-live-code-analyst-390.png'), fullPage: true });
    // The API refuses the analyst a change whatever the console shows.
    const status = await page.evaluate(async (lc) => {
      const csrf = ((await (await fetch('/v1/console/session')).json()) as { csrfToken: string }).csrfToken;
      return (await fetch(`/v1/wecom/live-codes/${lc}`, { method: 'DELETE', headers: { 'x-csrf-token': csrf } })).status;
    }, liveCodeId);
    expect(status).toBe(403);
  });
});
