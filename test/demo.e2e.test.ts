import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The first run end to end: a fresh server (`siyu serve`, SQLite, empty workspace, with the demo's
 * WeCom sandbox and SMS gateway stand-ins), the first owner signs in, sees the "load demo data"
 * banner on the segments page, clicks it, and the segments with their members and the customers
 * list appear. The console asks for the default
 * 20,000 customers; the test lowers the scale to 300 on the wire (the request is otherwise the
 * console's own) so it stays quick.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'd3'.repeat(32);
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('demo brand from the console (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'demo', encryptionKey: KEY, env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('the first owner loads the demo brand with one click and sees segments and customers', async () => {
    const page = await (await browser!.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);
    let sent: unknown;
    await page.route('**/v1/demo', async (route) => {
      sent = route.request().postDataJSON();
      await route.continue({ postData: JSON.stringify({ customers: 300, seed: 11 }) });
    });

    await signInConsole(page, server!, '/console/segments');
    await id('demo-banner').waitFor({ timeout: 15_000 });
    expect(await text(id('demo-banner'))).toContain('这个工作空间还没有客户');
    await id('load-demo').click();
    await id('demo-loaded').waitFor({ timeout: 120_000 });
    expect(sent).toEqual({});
    // With the stand-ins `siyu serve` runs: the WeCom sandbox's contacts and groups, and the messages sent.
    expect(await text(id('demo-loaded'))).toMatch(
      /^演示品牌已加载：300 位客户、\d[\d,]* 笔订单、8 个分群、\d+ 位企业微信客户（\d+ 个客户群），已发送 \d+ 条消息/,
    );

    // The segments list now shows the demo's segments with members.
    const row = id('segments-table')
      .locator('tr')
      .filter({ has: page.getByText('潮玩粉丝', { exact: true }) });
    const members = await until(
      () => text(row.getByTestId('member-count')),
      (v) => Number(v.replace(/,/g, '')) > 0,
      'the toy fans segment to have members',
    );
    expect(Number(members.replace(/,/g, ''))).toBeGreaterThan(0);
    expect(await id('demo-banner').count()).toBe(0);
    await page.screenshot({ path: join(SCREENS, 'demo-segments-1440.png'), fullPage: true });

    // Customers appear in the customers list.
    await id('nav-customers').click();
    const rows = id('customers-table').locator('tr.ant-table-row');
    await until(
      () => rows.count(),
      (n) => n > 0,
      'customers in the list',
    );
    await page.screenshot({ path: join(SCREENS, 'demo-customers-1440.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
