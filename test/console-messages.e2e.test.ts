import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The messaging screens end to end (issue #16): the real server (`siyu serve` with its workers)
 * serving the built console, a real Chromium, and a webhook receiver on this machine. An operator
 * writes a template (a Liquid error on save, then zh-CN and en variants), previews it for a
 * customer picked by search (a render error shown with its field, then fixed), sets up the webhook
 * channel and sends test messages (a refusal, then a success), turns quiet hours off, sends a
 * broadcast to a segment (its size shown) and reads its results, and searches the consent ledger;
 * an analyst sees the screens read-only. Screenshots at 1440 and 390 px.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();
/** Picks the option of the open select list whose text contains `label`. */
const pick = async (page: Page, label: string) => page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: label }).first().click();

describe('messaging in the console (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let receiver: Server | undefined;
  let hookUrl = '';
  const received: { path: string; body: Record<string, any> }[] = [];
  let secret: Record<string, string>;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server!.url}${path}`, { method, headers: secret, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    // The webhook's receiver: /fail answers 500, anything else 200.
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(raw || '{}') });
        res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // Loopback is an internal destination: the operator allows it for this receiver.
    place = await createE2eEnvironment('sqlite', { prefix: 'messages', encryptionKey: 'cd'.repeat(32), env: { SIYU_OUTBOUND_ALLOW: '127.0.0.1' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    const write = { authorization: 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64'), 'content-type': 'application/json' };
    const people = [
      { userId: 'm1', traits: { name: '小美', fan: true } },
      { userId: 'm2', traits: { name: '小王', fan: true } },
      { userId: 'm3', traits: { name: 'Alex', fan: true, locale: 'en' } },
      { userId: 'm4', traits: { name: '路人', fan: false } },
    ];
    const batch = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: write,
      body: JSON.stringify({ batch: people.map((p, i) => ({ type: 'identify', messageId: `id-${i}`, ...p })) }),
    });
    expect(batch.status).toBe(200);
    // Marketing consent on the webhook channel for two of the three fans (小王 has none).
    for (const u of ['m1', 'm3'])
      expect(
        (await api('POST', `/v1/profiles/user_id:${u}/consent`, { purpose: 'marketing', channel: 'webhook', granted: true, source: 'signup_form' })).status,
      ).toBe(201);
    const seg = await api('POST', '/v1/segments', { name: '新品关注', rule: { type: 'trait', key: 'fan', op: 'eq', value: true } });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    await until(
      async () => (await api('GET', `/v1/segments/${seg.body.id}`)).body.memberCount,
      (n) => n === 3,
      'the segment computed',
    );
    expect((await api('POST', '/v1/users', { email: 'analyst@brand.example', password: 'analyst password 1', role: 'analyst' })).status).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
    await new Promise((r) => receiver?.close(r));
  });

  it('writes a template, previews it for a customer, tests the webhook channel, sends a broadcast to a segment and reads its results', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = (t: string) => page.getByTestId(t);

    // Templates: the empty list, then a new webhook template.
    await signInConsole(page, server!, '/console/messages/templates');
    await id('templates-table').getByText('还没有模板').waitFor();
    await id('new-template').click();
    await id('tpl-name').fill('新品上市');
    await id('tpl-channel').click();
    await pick(page, 'Webhook');
    await id('tpl-field-zh-CN-body').fill('{ "text": "{{ profile.name | shout }}，新品上市！" }');
    await id('tpl-save').click();
    // An unknown filter: the server's problem, with the field, line and column.
    await id('tpl-error').waitFor();
    expect(await text(id('tpl-error'))).toContain('模板有误');
    expect(await text(id('tpl-error').getByTestId('problem-path'))).toBe('variants.zh-CN.body.text');
    expect(await text(id('tpl-error').getByTestId('problem-position'))).toMatch(/第 1 行第 \d+ 列/);
    await id('tpl-field-zh-CN-body').fill('{ "text": "{{ profile.name | default: \\"朋友\\" }}，新品上市！" }');
    await id('tpl-add-locale').click();
    await pick(page, 'en');
    await id('tpl-field-en-body').fill('{ "text": "Hi {{ profile.name }}, new arrivals! {% include \'footer\' %}" }');
    await id('tpl-save').click();
    await page.waitForURL(/\/console\/messages\/templates\/tpl_/);
    const templateId = page.url().split('/').pop()!;
    const saved = (await api('GET', `/v1/templates/${templateId}`)).body;
    expect(saved).toMatchObject({ name: '新品上市', channel: 'webhook', purpose: 'marketing', version: 1, defaultLocale: 'zh-CN' });
    expect(Object.keys(saved.variants).sort()).toEqual(['en', 'zh-CN']);

    // Preview for a customer picked by search: zh-CN renders; en parses but cannot render (no includes).
    await id('preview-profile').click();
    await page.keyboard.type('小美');
    await pick(page, '小美');
    await id('preview-run').click();
    await until(
      () => text(id('rendered-body')),
      (v) => v.includes('小美，新品上市！'),
      'the zh-CN preview',
    );
    expect(await text(id('preview-locale-used'))).toBe('zh-CN');
    await id('preview-locale').click();
    await pick(page, 'en');
    await id('preview-run').click();
    await id('preview-error').waitFor();
    expect(await text(id('preview-error'))).toContain('模板无法为该客户渲染');
    expect(await text(id('preview-error').getByTestId('problem-path'))).toBe('content.body.text');
    await page.screenshot({ path: join(SCREENS, 'messages-template-render-error-1440.png'), fullPage: true });
    await id('tpl-locale-en').click();
    await id('tpl-field-en-body').fill('{ "text": "Hi {{ profile.name }}, new arrivals!" }');
    await id('tpl-save').click();
    await page.getByText('已保存为第 2 版。').waitFor();
    await id('preview-run').click();
    await until(
      () => text(id('rendered-body')),
      (v) => v.includes('Hi 小美, new arrivals!'),
      'the en preview of version 2',
    );
    await page.screenshot({ path: join(SCREENS, 'messages-template-1440.png'), fullPage: true });

    // The webhook channel: saved, a refused test (HTTP 500), then a test that arrives.
    await page.goto(`${server!.url}/console/messages/channels?channel=webhook`);
    await id('channel-field-url').fill(`${hookUrl}/fail`);
    await id('channel-secret-signingSecret').fill('whsec-test-1');
    await id('channel-save').click();
    await until(
      () => text(id('channel-tab-webhook')),
      (v) => v.includes('已配置'),
      'the configured webhook',
    );
    await id('channel-test-send').click();
    await until(
      () => text(id('channel-test-result')),
      (v) => v.includes('发送失败'),
      'the refused test',
    );
    expect(await text(id('channel-test-code'))).toBe('http:500');
    await id('channel-field-url').fill(`${hookUrl}/hook`);
    await id('channel-save').click(); // the secret is kept when left empty
    await until(
      async () => (await api('GET', '/v1/channels/webhook')).body.config.url,
      (u) => u === `${hookUrl}/hook`,
      'the new URL saved',
    );
    await id('channel-test-send').click();
    await until(
      () => text(id('channel-test-status')),
      (v) => v === '已发送',
      'the sent test',
    );
    expect(received.filter((r) => r.path === '/hook').map((r) => r.body.body.test)).toEqual([true]);
    await page.screenshot({ path: join(SCREENS, 'messages-channels-1440.png'), fullPage: true });

    // Guardrails: a refused time, then quiet hours off (so the broadcast goes whatever the hour).
    await page.goto(`${server!.url}/console/messages/guardrails`);
    await id('quiet-start').fill('25:00');
    await id('guardrails-save').click();
    await until(
      () => text(id('guardrails-error')),
      (v) => v.includes('settings.quietHours.start'),
      'the refused quiet hours',
    );
    await id('quiet-start').fill('00:00');
    await id('quiet-end').fill('00:00');
    await id('cap-marketing-day').fill('3');
    await id('guardrails-save').click();
    await id('quiet-off').waitFor();
    await until(
      async () => (await api('GET', '/v1/messaging/settings')).body,
      (s) => s.quietHours.start === '00:00' && s.quietHours.end === '00:00' && s.caps.marketing.perDay === 3 && s.caps.marketing.perWeek === 5,
      'the saved guardrails',
    );
    await page.screenshot({ path: join(SCREENS, 'messages-guardrails-1440.png'), fullPage: true });

    // A broadcast to the segment, now; its results: two sent, 小王 suppressed for want of consent.
    await page.goto(`${server!.url}/console/messages/broadcasts`);
    await id('new-broadcast').click();
    await id('bc-name').fill('新品首发');
    await id('bc-segment').click();
    await pick(page, '新品关注');
    expect(await text(id('bc-audience-size').locator('.ant-statistic-content-value'))).toBe('3');
    await id('bc-channel').click();
    await pick(page, 'Webhook');
    await id('bc-template').click();
    await pick(page, '新品上市');
    await id('bc-when-now').click();
    await id('bc-create').click();
    await page.waitForURL(/\/console\/messages\/broadcasts\/bc/);
    const count = (k: string) => text(id(`count-${k}`).locator('.ant-statistic-content-value'));
    await until(
      async () => [await count('sent'), await count('suppressed'), await text(id('broadcast-status'))],
      (v) => v[0] === '2' && v[1] === '1' && v[2] === '已发送',
      'the broadcast results',
    );
    expect(await text(id('broadcast-reasons'))).toContain('consent_missing:marketing:webhook');
    const sent = received.filter((r) => r.path === '/hook' && !r.body.body.test).map((r) => r.body.body.text);
    expect(sent.sort()).toEqual(['Hi Alex, new arrivals!', '小美，新品上市！']);
    await page.screenshot({ path: join(SCREENS, 'messages-broadcast-1440.png'), fullPage: true });
    await page.goto(`${server!.url}/console/messages/broadcasts`);
    await id('broadcasts-table').getByText('新品首发').waitFor();
    await id('broadcasts-table').getByText('新品关注').waitFor(); // the audience by its segment's name

    // The consent ledger, searched by identifier.
    await page.goto(`${server!.url}/console/messages/consent`);
    await id('consent-profile').fill('user_id:m1');
    await id('consent-search').click();
    await until(
      () => id('consent-table').locator('tbody tr.ant-table-row').count(),
      (n) => n === 1,
      "m1's ledger entry",
    );
    expect([await text(id('consent-source')), await text(id('consent-granted'))]).toEqual(['signup_form', '已授权']);
    await page.screenshot({ path: join(SCREENS, 'messages-consent-1440.png'), fullPage: true });

    // Consent from a store's paper forms, imported with its evidence: a file with a bad row is
    // refused and the row named; the corrected file is recorded and m4's entry shows in the ledger.
    const paperForms = (rows: string[]) => ({
      name: 'paper-forms.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(['user_id,purpose,channel,granted,at,source,text_version,evidence.store', ...rows].join('\n')),
    });
    await id('consent-import-open').click();
    await id('consent-import-file')
      .locator('input[type=file]')
      .setInputFiles(
        paperForms([
          'm4,marketing,sms,true,2026-10-01T10:00:00+08:00,store_paper_form,privacy-v3,静安店',
          'nobody,marketing,sms,true,2026-10-01T10:00:00+08:00,store_paper_form,privacy-v3,静安店',
        ]),
      );
    await id('consent-import-send').click();
    await id('consent-import-summary').waitFor();
    expect(await text(id('consent-import-summary'))).toBe('paper-forms.csv 未导入：2 行中有 1 行错误。请修正后重新导入。');
    expect(await text(id('consent-import-errors'))).toContain('no profile with user_id "nobody"');
    await id('consent-import-file')
      .locator('input[type=file]')
      .setInputFiles(paperForms(['m4,marketing,sms,true,2026-10-01T10:00:00+08:00,store_paper_form,privacy-v3,静安店']));
    await id('consent-import-send').click();
    await until(
      () => text(id('consent-import-summary')),
      (s) => s.startsWith('paper-forms.csv：共 1 行，新记录 1 条'),
      'the recorded import',
    );
    await page.screenshot({ path: join(SCREENS, 'messages-consent-import-1440.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await id('consent-profile').fill('user_id:m4');
    await id('consent-search').click();
    await until(
      async () => (await id('consent-source').allTextContents()).join(','),
      (v) => v === 'store_paper_form',
      "m4's imported ledger entry",
    );

    // On a phone: the menu collapses; the broadcast and the template still read.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server!.url}/console/messages/templates/${templateId}`);
    await id('tpl-preview').waitFor();
    expect(await id('nav-menu').count()).toBe(1);
    await page.screenshot({ path: join(SCREENS, 'messages-template-390.png'), fullPage: true });
    // The ☰ menu's submenu opens on hover and may close again while it animates: open and pick
    // again until the pick lands (a failed pick changes nothing).
    await until(
      async () => {
        if (!(await id('nav-messages').isVisible())) await id('nav-menu').click();
        await id('nav-messages').hover();
        return page
          .getByTestId('nav-messages-broadcasts')
          .click({ timeout: 3000 })
          .then(() => true)
          .catch(() => false);
      },
      (ok) => ok,
      'the broadcasts entry of the phone menu',
      30_000,
    );
    await id('broadcast-link').first().click();
    await id('broadcast-results').waitFor();
    await page.screenshot({ path: join(SCREENS, 'messages-broadcast-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    await ctx.close();
  }, 120_000);

  it('shows an analyst the messaging screens read-only', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!, '/console/messages/channels', { email: 'analyst@brand.example', password: 'analyst password 1' });
    await id('channel-tab-webhook').waitFor();
    expect(await id('channel-test-send').count()).toBe(0);
    expect(await id('channel-save').count()).toBe(0);
    await page.goto(`${server!.url}/console/messages/guardrails`);
    await id('quiet-start').waitFor();
    expect(await id('quiet-start').isDisabled()).toBe(true);
    expect(await id('guardrails-save').count()).toBe(0);
    // In English too.
    await id('locale-en').click();
    await until(
      () => text(page.locator('.ant-card-head-title').first()),
      (v) => v === 'Guardrails',
      'the English title',
    );
    expect(await text(id('quiet-off'))).toBe('Start and end are the same: no quiet hours.');
    await page.goto(`${server!.url}/console/messages/templates`);
    await id('template-link').first().click();
    await id('tpl-preview').waitFor();
    expect(await id('tpl-save').count()).toBe(0);
    expect(await id('new-template').count()).toBe(0);
    await ctx.close();
  }, 60_000);
});
