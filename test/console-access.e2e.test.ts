import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createSandbox, type Sandbox } from '../wecom-sandbox/index.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Console users end to end (issue #16): the owner invites an analyst from Settings → Users, the
 * analyst joins through the link and sees no user or key settings; a guide linked to a WeCom staff member
 * signs in on a phone-sized screen and sees only that member's customers (added through real
 * WeCom callbacks from the sandbox). Screenshots go to test-artifacts/screens/.
 */
const CHROMIUM = '/usr/bin/chromium';
const KEY = 'ca'.repeat(32);
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console users, roles and the guide workbench (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let sb: Sandbox | undefined;
  let secret: Record<string, string>;
  const mine: string[] = [];
  const theirs: string[] = [];
  let guideStaff = '';
  let guideCustomers = 0;
  let otherCustomers: string[] = [];

  const until = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const v = await read();
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  };

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'access', encryptionKey: KEY, env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    sb = createSandbox({ seed: 5, staff: 4, customers: 20 });
    await sb.listen();
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const { workspaceId, secretKey } = server.keys();
    secret = { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' };
    const c = sb.credentials;
    const put = await fetch(`${server.url}/v1/wecom/connection`, {
      method: 'PUT',
      headers: secret,
      body: JSON.stringify({ corpId: c.corpId, secret: c.secret, callbackToken: c.callbackToken, encodingAesKey: c.encodingAesKey, apiBaseUrl: sb.url }),
    });
    expect(put.status, await put.text()).toBe(200);
    // Staff, customers and groups from WeCom (the CLI's full sync, beside the running server).
    // (Asynchronously: the sandbox answers from this process.)
    await promisify(execFile)(process.execPath, ['bin/siyu.js', 'wecom', 'sync', '--json'], { env: { ...process.env, ...place.env, SIYU_LOG_LEVEL: 'warn' } });
    // Customers added to two staff members through WeCom's own callbacks.
    const [a, b] = sb.corp.activeStaff();
    guideStaff = a!.userid;
    for (let i = 0; i < 5; i++) {
      const staff = i < 3 ? a! : b!;
      const fired = await sb.fireCallback(`${server.url}/wecom/callback/${workspaceId}`, { scenario: 'add-contact', userid: staff.userid });
      expect(fired.response).toBe('success');
      (i < 3 ? mine : theirs).push(fired.event.ExternalUserID as string);
    }
    const customersOf = async (userid: string) =>
      (
        (await (await fetch(`${server!.url}/v1/wecom/staff/${userid}/customers?limit=500`, { headers: secret })).json()) as {
          data?: { externalUserid: string }[];
        }
      ).data ?? [];
    // The callbacks' customers arrive through the inbox worker.
    const seen = await until(
      () => customersOf(guideStaff),
      (d) => mine.every((e) => d.some((c) => c.externalUserid === e)),
      "the guide's new customers",
    );
    guideCustomers = seen.length;
    // Customers only the other member follows (a customer may follow both).
    otherCustomers = (await customersOf(b!.userid)).map((c) => c.externalUserid).filter((e) => !seen.some((c) => c.externalUserid === e));
    expect(otherCustomers.length).toBeGreaterThan(0);
    const guide = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: secret,
      body: JSON.stringify({ email: 'guide@brand.example', password: 'guide password 1', role: 'guide', wecomUserId: guideStaff }),
    });
    expect(guide.status, await guide.text()).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sb?.close();
    await place?.close();
  });

  it('lets the owner invite an analyst, who joins by the link and cannot open the user or key settings', async () => {
    const owner = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await owner.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);
    await pickMenu(page, 'nav-settings', 'nav-settings-users');
    await id('users-table').getByText('owner@siyu.local').waitFor();
    await page.screenshot({ path: join(SCREENS, 'settings-users-1440.png'), fullPage: true });
    await id('invite-user').click();
    await id('invite-email').fill('analyst@brand.example');
    await id('invite-role').click();
    await page.getByTitle('分析师').click();
    await id('invite-submit').click();
    // No email channel here: the console says no email was sent and shows the link to pass on.
    expect(await id('invitation-email-status').getAttribute('data-status')).toBe('not_configured');
    const link = (await id('invitation-link').textContent())!.replace(/\s/g, '');
    expect(link).toMatch(/\/console\/accept-invitation\?token=[A-Za-z0-9_-]+$/);
    await owner.close();

    const analyst = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const p2 = await analyst.newPage();
    const id2 = (t: string) => p2.getByTestId(t);
    await p2.goto(link);
    await id2('invite-name').fill('王分析');
    await id2('invite-password').fill('analyst password 1');
    await id2('accept-invitation').click();
    await id2('account-menu').waitFor();
    expect(await id2('account-menu').textContent()).toContain('王分析');
    await id2('nav-segments').waitFor();
    // Settings holds only the workspace (read-only for an analyst): no users, no keys.
    await pickMenu(p2, 'nav-settings', 'nav-settings-workspace');
    expect(await id2('nav-settings-users').count()).toBe(0);
    expect(await id2('nav-settings-keys').count()).toBe(0);
    await p2.goto(`${server!.url}/console/settings/users`);
    await p2.getByText('你的角色无法打开此页面。').waitFor();
    // The API refuses it too, whatever the console shows.
    const csrf = await p2.evaluate(async () => ((await (await fetch('/v1/console/session')).json()) as { csrfToken: string }).csrfToken);
    const status = await p2.evaluate(
      async (token) =>
        (await fetch('/v1/segments', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: '{}' })).status,
      csrf,
    );
    expect(status).toBe(403);
    // A segment's members page for an analyst, without the CSV export (personal data: the owner's, #19).
    const seg = await fetch(`${server!.url}/v1/segments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server!.keys().secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '全部客户', rule: { type: 'trait', key: 'plan', op: 'exists' } }),
    });
    expect(seg.status).toBe(201);
    await p2.goto(`${server!.url}/console/segments/${((await seg.json()) as { id: string }).id}`);
    await id2('export-owner-only').waitFor();
    expect(await id2('export-owner-only').textContent()).toBe('仅所有者可导出成员 CSV（个人信息）。');
    expect(await id2('export-csv').count()).toBe(0);
    await analyst.close();
  });

  it('shows a guide on a phone only their own customers, with the menu collapsed', async () => {
    const phone = await browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!, '/console/', { email: 'guide@brand.example', password: 'guide password 1' });
    const table = id('my-customers');
    await until(
      () => table.locator('tbody tr.ant-table-row').count(),
      (n) => n === Math.min(guideCustomers, 50),
      "the guide's customer rows",
    );
    const keys = await table.locator('tbody tr.ant-table-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row-key')));
    for (const e of mine.filter((_, i) => i < 50)) if (guideCustomers <= 50) expect(keys).toContain(e);
    for (const e of otherCustomers) expect(keys).not.toContain(e);
    expect(await id('nav-menu').count()).toBe(1); // the navigation is one menu button on a phone
    expect(await id('workspace-name').textContent()).toBe('Default');
    await page.screenshot({ path: join(SCREENS, 'guide-workbench-390.png'), fullPage: true });
    // Another staff member's workbench is refused by the API.
    const [b] = sb!.corp.activeStaff().slice(1);
    const status = await page.evaluate(async (u) => (await fetch(`/v1/wecom/staff/${u}/customers`)).status, b!.userid);
    expect(status).toBe(403);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.screenshot({ path: join(SCREENS, 'guide-workbench-1440.png'), fullPage: true });
    await phone.close();
  });

  it('finds a customer by phone, opens the profile 360 page, reads the timeline and adds a tag', async () => {
    const { writeKey } = server!.keys();
    const write = { authorization: 'Basic ' + Buffer.from(writeKey + ':').toString('base64'), 'content-type': 'application/json' };
    const batch = [
      { type: 'identify', userId: 'm-1001', messageId: 'c-id-1', traits: { name: '李小咖', phone: '13800138000', city: '上海' } },
      { type: 'track', userId: 'm-1001', messageId: 'c-o-1', event: 'Order Completed', properties: { order_id: 'o-1001', total: 36 } },
      { type: 'track', userId: 'm-1001', messageId: 'c-v-1', event: 'Product Viewed', properties: { product_id: 'latte' } },
    ];
    const sent = await fetch(`${server!.url}/v1/batch`, { method: 'POST', headers: write, body: JSON.stringify({ batch }) });
    expect(sent.status).toBe(200);
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);
    await id('nav-customers').click();
    await id('customer-search').locator('input').fill('13800138000');
    await id('customer-search').locator('input').press('Enter');
    await until(
      () => id('customers-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === 1,
      'one customer found by phone',
    );
    await id('customer-link').first().click();
    await until(
      async () => (await id('profile-name').textContent()) ?? '',
      (v) => v === '李小咖',
      'the profile name',
    );
    expect(await id('profile-identifiers').textContent()).toContain('13800138000');
    await until(
      () => id('timeline-event').count(),
      (n) => n >= 3,
      'the timeline events',
    );
    expect(await id('timeline').textContent()).toContain('Order Completed');
    await id('add-tag').locator('input').fill('会员/金卡');
    await id('add-tag').locator('input').press('Enter');
    await id('profile-tags').locator('.ant-tag', { hasText: '会员/金卡' }).waitFor();
    await page.screenshot({ path: join(SCREENS, 'profile-1440.png'), fullPage: true });
    const tags = (await (await fetch(`${server!.url}/v1/profiles/user_id:m-1001`, { headers: secret })).json()) as { tags: { name: string }[] };
    expect(tags.tags.map((g) => g.name)).toContain('金卡');
    await ctx.close();
  });
});
