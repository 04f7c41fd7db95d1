import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The web console end to end: the real server (`siyu serve`, SQLite: the console never touches
 * storage) serving the built console, driven by a real Chromium. An operator signs in with the
 * secret key, finds a segment with its size, previews rules (a count; a bad rule's path and
 * message), saves a new version, exports the members as CSV, reads the RFM report after
 * computing it (its screenshot is the operator guide's), switches language, archives and signs
 * out. A second operator creates a static segment and uploads its members as CSV (the skipped
 * rows reported by line), and edits the model settings (a refused value with the server's
 * message, then a saved one).
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');
const KEY = 'c0'.repeat(32);
const USERS = 40; // u0..u39: every 4th is "vip"; the first 20 have bought
const isVip = (i: number) => i % 4 === 0;
const BUYERS = 20;

type Json = Record<string, unknown>;

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();
const hasText = (l: Locator, want: string, what: string) =>
  until(
    () => text(l),
    (v) => v === want,
    `${what} to read "${want}"`,
  );

describe('web console (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;

  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${server!.url}${path}`, { method, headers: secret, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const settled = (id: string) =>
    until(
      () => api('GET', `/v1/segments/${id}`),
      (s) => s.computing === false,
      `segment ${id} to finish computing`,
      30_000,
    );

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) {
      throw new Error(`the console is not built (${CONSOLE_DIST_DIR} has no index.html): run \`npm run build:console\` (npm install runs it)`);
    }
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it in CI)`);
    // No scheduled model runs: "Compute now" below must not meet one holding the models' lease (409).
    place = await createE2eEnvironment('sqlite', { prefix: 'console', encryptionKey: KEY, env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    const write = 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64');
    const now = Date.now();
    const batch: Json[] = [];
    for (let i = 0; i < USERS; i++) {
      batch.push({ type: 'identify', userId: `u${i}`, messageId: `id-${i}`, traits: { plan: isVip(i) ? 'vip' : 'free', city: i % 2 ? '上海' : '杭州' } });
      if (i < BUYERS) {
        for (let k = 0; k <= i % 3; k++) {
          const at = new Date(now - (i * 7 + k) * 86_400_000).toISOString();
          batch.push({
            type: 'track',
            event: 'Order Completed',
            userId: `u${i}`,
            messageId: `o-${i}-${k}`,
            timestamp: at,
            properties: { order_id: `o-${i}-${k}`, total: 50 + i * 10 },
          });
        }
      }
    }
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: write, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('serves the console beside the API, hidden from the OpenAPI document', async () => {
    const root = await fetch(`${server!.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    for (const path of ['/console/', '/console/segments/seg_unknown/edit']) {
      const res = await fetch(`${server!.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<div id="root">');
    }
    const html = await (await fetch(`${server!.url}/console/`)).text();
    const bundle = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(bundle).toBeDefined();
    const js = await fetch(`${server!.url}${bundle}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    // A missing bundle is a 404, not index.html; a path out of the folder never reads the file.
    expect((await fetch(`${server!.url}/console/assets/gone-123.js`)).status).toBe(404);
    expect((await fetch(`${server!.url}/console/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${server!.url}/health`)).status).toBe(200);
    const openapi = (await (await fetch(`${server!.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/v1/segments');
    expect(Object.keys(openapi.paths).filter((p) => p === '/' || p.startsWith('/console'))).toEqual([]);
  });

  it('lets an operator sign in, find, preview, edit, export and archive a segment, and read the RFM report', async () => {
    const workspace = await api('GET', '/v1/workspace');
    const created = await api('POST', '/v1/segments', {
      name: 'VIP 会员',
      description: 'plan = vip',
      rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' },
    });
    const segId = created.id as string;
    const vip = await settled(segId);
    expect(vip.memberCount).toBe(USERS / 4);

    const context = await browser!.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page: Page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    // Sign in: a wrong password is refused in the operator's language; the owner's login shows the workspace.
    const owner = server!.firstLogin();
    await page.goto(`${server!.url}/`);
    await id('email').fill(owner.email);
    await id('password').fill('not the password');
    await id('sign-in').click();
    await hasText(id('sign-in-error'), '邮箱或密码错误。', 'the sign-in error');
    await id('password').fill(owner.password);
    await id('sign-in').click();
    await hasText(id('workspace-name'), `工作区: ${workspace.name as string}`, 'the workspace name');
    // The session is an httpOnly cookie: neither page scripts nor localStorage hold anything secret.
    expect(await page.evaluate(() => document.cookie)).not.toContain('siyu_session');
    const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage }));
    expect(stored).not.toContain(owner.password);
    expect(stored).not.toContain(server!.keys().secretKey);
    expect((await context.cookies()).find((c) => c.name === 'siyu_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    // The list shows the segment with its size and version; a reload keeps the session (the overview is the home).
    await page.reload();
    await id('nav-segments').click();
    const row = id('segments-table').locator('tr', { hasText: 'VIP 会员' });
    await hasText(row.getByTestId('member-count'), String(USERS / 4), 'the member count in the list');
    expect(await row.locator('td').nth(3).textContent()).toBe('1');

    // Detail: size and members, the same profiles the API lists.
    await row.getByTestId('segment-link').click();
    await hasText(id('segment-size'), String(USERS / 4), 'the size on the detail page');
    const apiMembers = (await api('GET', `/v1/segments/${segId}/members?limit=100`)).data as { profileId: string }[];
    const memberRows = id('members-table').locator('tr.ant-table-row');
    await until(
      () => memberRows.count(),
      (n) => n === USERS / 4,
      'the members table',
    );
    // Each row names the member above its profile id (test/console-segments-flow.e2e.test.ts checks names and identifiers).
    const shown = await memberRows.locator('td:nth-child(2) code').allTextContents();
    expect(shown.sort()).toEqual(apiMembers.map((m) => m.profileId).sort());
    // Expanding a member shows its profile's traits.
    await memberRows.first().locator('.ant-table-row-expand-icon').click();
    await until(
      () => text(id('member-profile')),
      (v) => v.includes('"plan": "vip"'),
      'the expanded profile',
    );

    // Editor (its JSON view): the rule is pretty-printed; saving a changed rule is announced as a new version.
    await id('edit-segment').click();
    await id('rule-mode-json').click();
    const editor = id('rule-editor');
    await until(
      () => editor.inputValue(),
      (v) => v.length > 0,
      'the rule in the editor',
    );
    expect(await editor.inputValue()).toBe(JSON.stringify({ type: 'trait', key: 'plan', op: 'eq', value: 'vip' }, null, 2));
    expect(await text(id('version-note'))).toContain('第 2 版');

    // Preview: count and sample of an unsaved rule.
    const freeRule = { type: 'trait', key: 'plan', op: 'eq', value: 'free' };
    await editor.fill(JSON.stringify(freeRule));
    await id('preview').click();
    await hasText(id('preview-count'), String(USERS - USERS / 4), 'the preview count');
    await until(
      () => id('preview-sample').locator('tr.ant-table-row').count(),
      (n) => n === 10,
      'ten sample profiles',
    );

    // A bad rule: the path to the bad node and what was expected, as the API says.
    await editor.fill(JSON.stringify({ type: 'and', rules: [{ type: 'trait', key: 'plan', op: 'equals', value: 'vip' }] }));
    await id('preview').click();
    await hasText(id('rule-error').getByTestId('problem-path'), 'rule.rules[0].op', 'the error path');
    expect(await text(id('rule-error').getByTestId('problem-message'))).toMatch(/^must be one of eq, neq, .* \(got "equals"\)$/);
    expect(await id('preview-result').count()).toBe(0);
    // Not JSON at all: said before anything is sent.
    await editor.fill('{"type": "trait",');
    await id('preview').click();
    await until(
      () => text(id('json-error')),
      (v) => v.startsWith('规则不是有效的 JSON'),
      'the JSON syntax error',
    );

    // Save the valid rule: version 2, recomputed, the size follows.
    await editor.fill(JSON.stringify(freeRule));
    await id('save').click();
    await hasText(id('segment-version'), '2', 'the new version');
    await hasText(id('segment-size'), String(USERS - USERS / 4), 'the size after the recompute');
    const saved = await api('GET', `/v1/segments/${segId}`);
    expect(saved.version).toBe(2);
    expect(saved.rule).toEqual(freeRule);
    expect((saved.versions as unknown[]).length).toBe(2);

    // CSV export: fetched with the key, saved as a file, with the trait columns asked for.
    await id('export-traits').fill('plan, city');
    const [download] = await Promise.all([page.waitForEvent('download'), id('export-csv').click()]);
    expect(download.suggestedFilename()).toBe(`segment-${segId}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r\n/);
    expect(csv[0]).toBe('profile_id,entered_at,version,user_id,trait.plan,trait.city');
    expect(csv.length - 1).toBe(USERS - USERS / 4);
    expect(csv.slice(1).every((line) => line.split(',')[4] === 'free')).toBe(true);

    // Templates: a new segment starts from one, and another replaces it.
    await id('nav-segments').click();
    await id('new-segment').click();
    await id('rule-mode-json').click();
    expect(JSON.parse(await id('rule-editor').inputValue())).toEqual({
      type: 'event',
      event: 'Order Completed',
      count: { op: 'at_least', value: 2 },
      window: { lastDays: 90 },
    });
    await id('template-select').click();
    await page.locator('.ant-select-item-option', { hasText: '带有标签 VIP' }).click();
    expect(JSON.parse(await id('rule-editor').inputValue())).toEqual({ type: 'tag', match: 'any', tags: [{ name: 'VIP' }] });

    // RFM: compute now, then the report's cells add up to the buyers, as the API reports them.
    await id('nav-rfm').click();
    await id('rfm-not-run').waitFor();
    await id('compute-rfm').click();
    await page.locator('.ant-popover:not(.ant-popover-hidden) .ant-btn-primary').click();
    await hasText(id('rfm-buyers'), String(BUYERS), 'the buyers scored');
    const report = await api('GET', '/v1/models/rfm/report');
    const cells = report.cells as { count: number }[];
    const counts = (await id('rfm-table').getByTestId('rfm-cell-count').allTextContents()).map(Number);
    expect(counts).toEqual(cells.map((c) => c.count));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(BUYERS);
    expect(await id('model-settings').textContent()).toContain('Asia/Shanghai');
    // The operator guide (docs/guide/) shows this report.
    mkdirSync(SCREENS, { recursive: true });
    await page.screenshot({ path: join(SCREENS, 'rfm-report-1280.png'), fullPage: true });

    // English: the header and the screens follow, and stay so after a reload.
    await id('locale-en').click();
    await hasText(id('nav-rfm'), 'RFM report', 'the English menu');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.reload();
    await hasText(id('nav-segments'), 'Segments', 'the English menu after a reload');

    // A deep link opens the segment's page directly; the browser's back and forward buttons move
    // between it and another screen (react-router keeps the history).
    await page.goto(`${server!.url}/console/segments/${segId}`);
    await hasText(id('segment-size'), String(USERS - USERS / 4), 'the size on the deep-linked page');
    const pathname = () => new URL(page.url()).pathname;
    await id('nav-rfm').click();
    await id('rfm-table').waitFor();
    expect(pathname()).toBe('/console/rfm');
    await page.goBack();
    await hasText(id('segment-size'), String(USERS - USERS / 4), 'the size after going back');
    expect(pathname()).toBe(`/console/segments/${segId}`);
    expect(await id('rfm-table').count()).toBe(0);
    await page.goForward();
    await id('rfm-table').waitFor();
    expect(pathname()).toBe('/console/rfm');
    await page.goBack();
    await id('segment-size').waitFor();

    // Archive from the detail page; the archived filter shows it.
    await id('archive').click();
    await page.locator('.ant-popover:not(.ant-popover-hidden) .ant-btn-dangerous').click();
    await until(
      () => api('GET', `/v1/segments/${segId}`),
      (s) => s.status === 'archived',
      'the segment to be archived',
    );
    await id('nav-segments').click();
    await until(
      () => text(id('segments-table')),
      (v) => v.includes('No segments yet'),
      'an empty list of active segments',
    );
    await id('status-filter').getByText('Archived').click();
    await until(
      () => id('segments-table').locator('tr', { hasText: 'VIP 会员' }).count(),
      (n) => n === 1,
      'the archived segment under "Archived"',
    );

    // Sign out ends the session on the server: the old cookie no longer opens the API.
    const cookie = (await context.cookies()).find((c) => c.name === 'siyu_session')!;
    await id('account-menu').click();
    await id('sign-out').click();
    await id('email').waitFor();
    const after = await fetch(`${server!.url}/v1/segments`, { headers: { cookie: `siyu_session=${cookie.value}` } });
    expect(after.status).toBe(401);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('lets an operator create a static segment, upload its members from CSV, and edit the model settings', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page: Page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);
    await signInConsole(page, server!, '/console/segments/new');

    // New static segment: no rule to write; created with kind "static", the detail page follows.
    await id('segment-kind').getByText('静态').click();
    await id('static-note').waitFor();
    expect(await id('rule-editor').count()).toBe(0);
    await id('segment-name').fill('导入名单');
    await id('save').click();
    await hasText(id('segment-title'), '导入名单', 'the static segment page');
    const segId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const made = await api('GET', `/v1/segments/${segId}`);
    expect(made).toMatchObject({ kind: 'static', rule: null, memberCount: 0 });
    await hasText(id('segment-size'), '0', 'the empty size');

    // Upload: good rows (a user id, a profile id, a duplicate) and bad ones, reported by line.
    const u5 = (await api('GET', '/v1/profiles/user_id:u5')).id as string;
    const pick = (name: string, csv: string) =>
      id('upload-file')
        .locator('input[type=file]')
        .setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const upload = async (name: string, csv: string) => {
      await pick(name, csv);
      await id('upload-send').click();
    };
    await upload('members.csv', ['identifier,note', 'user_id:u1,a', 'user_id:u2,b', 'user_id:nobody,c', ',d', `${u5},e`, 'user_id:u1,again'].join('\n') + '\n');
    await hasText(id('upload-added'), '3', 'the members added');
    expect(await text(id('upload-rows'))).toBe('6');
    expect(await text(id('upload-error-count'))).toBe('2');
    const errorRows = await id('upload-errors')
      .locator('tr.ant-table-row')
      .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    expect(errorRows).toEqual([
      ['4', 'no profile with user_id "nobody" in this workspace'],
      ['5', 'identifier is empty'],
    ]);
    await hasText(id('segment-size'), '3', 'the size after the upload');
    const listed = id('members-table').locator('tr.ant-table-row');
    await until(
      () => listed.count(),
      (n) => n === 3,
      'three members in the table',
    );
    const apiMembers = ((await api('GET', `/v1/segments/${segId}/members`)).data as { profileId: string }[]).map((m) => m.profileId).sort();
    expect(apiMembers).toContain(u5);
    expect((await listed.locator('td:nth-child(2) code').allTextContents()).sort()).toEqual(apiMembers);

    // A file without the identifier column is refused whole, with the server's message.
    await upload('wrong.csv', 'user_id\nu1\n');
    await until(
      () => text(id('upload-error')),
      (v) => v.includes('the CSV needs an "identifier" column') && v.includes('found: user_id'),
      'the missing-column error',
    );
    expect(await id('upload-report').count()).toBe(0);

    // Replace (asked first): only u1 stays.
    await pick('only-u1.csv', 'identifier\nuser_id:u1\n');
    await id('upload-mode').getByText('替换').click();
    await id('upload-send').click();
    await page.locator('.ant-popover:not(.ant-popover-hidden) .ant-btn-dangerous').click();
    await hasText(id('upload-removed'), '2', 'the members removed by the replace');
    await hasText(id('segment-size'), '1', 'the size after the replace');
    await until(
      () => listed.count(),
      (n) => n === 1,
      'one member in the table',
    );

    // Model settings: a value the server refuses is shown with its message and nothing is saved.
    const before = (await api('GET', '/v1/models/settings')) as { segmentation: Json };
    await id('nav-rfm').click();
    await id('edit-settings').click();
    await page.locator('#modelSettings_lifecycle_silentDays').fill('200');
    await id('settings-save').click();
    await until(
      () => text(id('settings-error')),
      (v) => v.includes('segmentation.lifecycle.churnedDays (180) must be greater than silentDays (200)'),
      'the refused settings message',
    );
    expect(((await api('GET', '/v1/models/settings')) as { segmentation: Json }).segmentation).toEqual(before.segmentation);

    // Fixed: churned later, loyal spend entered in yuan, F on own thresholds; read back in fen.
    await page.locator('#modelSettings_lifecycle_churnedDays').fill('365');
    await page.locator('#modelSettings_lifecycle_loyalMinSpentYuan').fill('199.99');
    await page.locator('#modelSettings_rfm_f_custom').click();
    for (const [i, v] of [1, 2, 3, 5].entries()) await page.locator(`#modelSettings_rfm_f_values_${i}`).fill(String(v));
    await id('settings-save').click();
    await hasText(id('setting-silentDays'), '200', 'the saved silentDays on the page');
    expect(await id('settings-save').count()).toBe(0);
    expect(await text(id('setting-loyalMinSpent'))).toBe('¥199.99');
    expect(await text(id('setting-rfm-f'))).toBe('1 → 2 → 3 → 5');
    const after = (await api('GET', '/v1/models/settings')) as { segmentation: { rfm: Json; lifecycle: Json; community: Json } };
    const was = before.segmentation as typeof after.segmentation;
    expect(after.segmentation.lifecycle).toEqual({ ...was.lifecycle, silentDays: 200, churnedDays: 365, loyalMinSpentFen: 19_999 });
    expect(after.segmentation.rfm).toEqual({ ...was.rfm, thresholds: { r: null, f: [1, 2, 3, 5], m: null } });
    expect(after.segmentation.community).toEqual(was.community);

    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
