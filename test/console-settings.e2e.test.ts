import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type LocalSmtp, startLocalSmtp } from './support/mail.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Console settings end to end (issue #16, "Settings: … API keys (last used), workspace, time
 * zone"): the owner renames the workspace and sets its time zone, sees a new key's last use after
 * calling the API with it, and invites two people whose emails (zh-CN, then en) arrive at a local
 * SMTP server; an analyst on a phone reads the workspace settings without being able to change
 * them. Screenshots go to test-artifacts/screens/.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console settings: workspace, time zone, API keys last used, invitation emails (real server, real browser, real SMTP)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let smtp: LocalSmtp | undefined;
  let secret: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'settings', encryptionKey: 'cb'.repeat(32), env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser, smtp] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM }), startLocalSmtp()]);
    secret = { authorization: `Bearer ${server.keys().secretKey}`, 'content-type': 'application/json' };
    const channel = await fetch(`${server.url}/v1/channels/email`, {
      method: 'PUT',
      headers: secret,
      body: JSON.stringify({ host: '127.0.0.1', port: smtp.port, ignoreTls: true, from: '茶饮品牌 <crm@brand.example>' }),
    });
    expect(channel.status, await channel.text()).toBe(200);
    const analyst = await fetch(`${server.url}/v1/users`, {
      method: 'POST',
      headers: secret,
      body: JSON.stringify({ email: 'analyst@brand.example', password: 'analyst password 1', role: 'analyst' }),
    });
    expect(analyst.status, await analyst.text()).toBe(201);
  });

  afterAll(async () => {
    // Errors the server logged (an action the audit log could not record, say) say why a test above failed.
    const errors = (server?.output() ?? '').split('\n').filter((l) => l.includes('"level":50'));
    if (errors.length) console.log(`console-settings: the server logged errors:\n${errors.join('\n')}`);
    await browser?.close();
    await server?.stop();
    await smtp?.close();
    await place?.close();
  });

  it("lets the owner rename the workspace and set its time zone, see a key's last use, and invite people by email", async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);

    // Workspace: the server's default zone until the owner sets one.
    await pickMenu(page, 'nav-settings', 'nav-settings-workspace');
    await id('ws-timezone-default').waitFor();
    expect(await id('ws-timezone').textContent()).toContain('Asia/Shanghai');
    await id('ws-name').fill('茶饮品牌');
    await id('ws-timezone').click();
    await page.keyboard.type('Berlin');
    await page.locator('.ant-select-item-option', { hasText: 'Europe/Berlin' }).click();
    expect(await id('ws-local-time').textContent()).toMatch(/\d{1,2}:\d{2}/);
    // Public holidays for privacy requests' deadlines (#19), typed in any order, one a line or by commas.
    await id('ws-holidays').fill('2027-10-04, 2027-10-01\n2027-10-05');
    await id('ws-save').click();
    await id('ws-timezone-default').waitFor({ state: 'detached' });
    await until(
      async () => (await id('workspace-name').textContent()) ?? '',
      (v) => v.includes('茶饮品牌'),
      'the header showing the new name',
    );
    const ws = (await (await fetch(`${server!.url}/v1/workspace`, { headers: secret })).json()) as {
      name: string;
      timeZone: string;
      settings: { timezone?: string; holidays?: string[] };
    };
    expect(ws).toMatchObject({
      name: '茶饮品牌',
      timeZone: 'Europe/Berlin',
      settings: { timezone: 'Europe/Berlin', holidays: ['2027-10-01', '2027-10-04', '2027-10-05'] },
    });
    expect(await id('ws-holidays').inputValue()).toBe('2027-10-01\n2027-10-04\n2027-10-05');
    // Rate limits (issue #19): the owner lowers the links' limit per address; the default stays beside it.
    const linksLimit = page.locator('input[data-testid="rl-links-perIp"], [data-testid="rl-links-perIp"] input').first();
    await linksLimit.fill('300');
    await id('rl-save').click();
    await page.locator('[data-testid="rate-limits"]', { hasText: '默认 1,200' }).waitFor();
    const limits = (await (await fetch(`${server!.url}/v1/rate-limits`, { headers: secret })).json()) as { limits: { links: { perIp: number } } };
    expect(limits.limits.links.perIp).toBe(300);
    await page.screenshot({ path: join(SCREENS, 'settings-workspace-1440.png'), fullPage: true });

    // API keys: a new key is never used, until it calls the API.
    await pickMenu(page, 'nav-settings', 'nav-settings-keys');
    await id('create-key').click();
    await id('key-name').fill('ERP 对接');
    await id('create-key-submit').click();
    const key = (await id('new-key').textContent())!.replace(/\s/g, '');
    expect(key).toMatch(/^wk_/);
    await id('create-key-submit').click();
    const row = id('keys-table').locator('tr.ant-table-row', { hasText: 'ERP 对接' });
    expect(await row.getByTestId('key-last-used').textContent()).toBe('从未使用');
    const tracked = await fetch(`${server!.url}/v1/track`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(key + ':').toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'u-1', event: 'Opened App', messageId: 'e2e-1' }),
    });
    expect(tracked.status).toBe(200);
    await id('keys-refresh').click();
    await until(
      async () => (await row.getByTestId('key-last-used').textContent()) ?? '',
      (v) => /\d{1,2}:\d{2}/.test(v),
      "the key's last use",
    );
    const listed = (await (await fetch(`${server!.url}/v1/keys`, { headers: secret })).json()) as { data: { name: string; lastUsedAt: string | null }[] };
    const used = listed.data.find((k) => k.name === 'ERP 对接')!.lastUsedAt!;
    expect(Math.abs(Date.parse(used) - Date.now())).toBeLessThan(60_000);
    await page.screenshot({ path: join(SCREENS, 'settings-keys-1440.png'), fullPage: true });

    // Users: invitations are emailed through the workspace's SMTP channel, in the console's language.
    const inviteAs = async (email: string) => {
      await pickMenu(page, 'nav-settings', 'nav-settings-users');
      await id('invite-user').click();
      await id('invite-email').fill(email);
      await id('invite-submit').click();
      await id('invitation-email-status').waitFor();
      expect(await id('invitation-email-status').getAttribute('data-status')).toBe('sent');
      const link = (await id('invitation-link').textContent())!.replace(/\s/g, '');
      const mail = await until(
        async () => smtp!.mails.find((m) => m.to.includes(email)),
        (m) => m !== undefined,
        `the invitation email to ${email}`,
      );
      expect(mail!.text).toContain(link);
      return { mail: mail!, link };
    };
    const zh = await inviteAs('newbie@brand.example');
    expect(zh.mail.from).toBe('crm@brand.example');
    expect(zh.mail.subject).toBe('邀请你加入「茶饮品牌」· 私域 Siyu');
    expect(zh.mail.text).toContain('以「运营」身份加入');
    await page.screenshot({ path: join(SCREENS, 'settings-invitation-email-1440.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await id('locale-en').click();
    const en = await inviteAs('consultant@brand.example');
    expect(en.mail.subject).toBe("You're invited to 茶饮品牌 on Siyu");
    expect(en.mail.html).toContain(`href="${en.link}"`);
    await ctx.close();

    // The emailed link works: the invitee joins.
    const token = new URL(zh.link).searchParams.get('token');
    const joined = await fetch(`${server!.url}/v1/console/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, name: '新同事', password: 'newbie password 1' }),
    });
    expect(joined.status, await joined.text()).toBe(200);
  });

  it('shows the owner the audit log: the rename by whom, with the name before and after', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);
    await pickMenu(page, 'nav-settings', 'nav-settings-audit');
    const row = id('audit-table').locator('tbody tr.ant-table-row', { hasText: 'PATCH /v1/workspace' }).first();
    await row.waitFor();
    expect(await row.getByTestId('audit-actor-name').textContent()).toBe('owner@siyu.local');
    await row.locator('.ant-table-row-expand-icon').click();
    expect(await id('audit-before').first().textContent()).toContain('"name": "Default"');
    expect(await id('audit-after').first().textContent()).toContain('"name": "茶饮品牌"');
    await page.screenshot({ path: join(SCREENS, 'settings-audit-1440.png'), fullPage: true });
    // Only what failed: the log keeps refused attempts too, and here there were none by the owner.
    await id('audit-outcome').click();
    await page.locator('.ant-select-item-option', { hasText: '被拒绝或失败' }).click();
    await until(
      () => id('audit-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === 0,
      'no failed actions',
    );
    await ctx.close();
  });

  it('shows an analyst on a phone the workspace settings read-only', async () => {
    const phone = await browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const page = await phone.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!, '/console/settings/workspace', { email: 'analyst@brand.example', password: 'analyst password 1' });
    await id('ws-read-only').waitFor();
    expect(await id('ws-name').inputValue()).toBe('茶饮品牌');
    expect(await id('ws-name').isDisabled()).toBe(true);
    expect(await id('ws-timezone').textContent()).toContain('Europe/Berlin');
    expect(await id('ws-save').count()).toBe(0);
    const linksLimit = page.locator('input[data-testid="rl-links-perIp"], [data-testid="rl-links-perIp"] input').first();
    await linksLimit.waitFor();
    expect(await linksLimit.inputValue()).toBe('300');
    expect(await linksLimit.isDisabled()).toBe(true);
    expect(await id('rl-save').count()).toBe(0);
    expect(await id('nav-menu').count()).toBe(1);
    await page.screenshot({ path: join(SCREENS, 'settings-workspace-390.png'), fullPage: true });
    // The API refuses the change whatever the screen shows.
    const status = await page.evaluate(async () => {
      const csrf = ((await (await fetch('/v1/console/session')).json()) as { csrfToken: string }).csrfToken;
      return (
        await fetch('/v1/workspace', { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{"timezone":"UTC"}' })
      ).status;
    });
    expect(status).toBe(403);
    await phone.close();
  });
});
