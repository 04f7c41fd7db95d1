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
 * The overview, the visual rule builder and the customers filters end to end (issue #16), on the
 * real server (`siyu serve`, SQLite) driven by Chromium. A small brand is loaded through the public
 * APIs only: profiles and orders through the tracking API, a webhook channel and a journey with a
 * goal through the management API (its messages go out through the real dispatcher to a webhook
 * receiver here, its conversions come from orders tracked afterwards). The operator reads today's
 * and the range's figures, builds a segment in the builder (its JSON view agreeing), sees the live
 * count, saves it, and filters the customers by it; screenshots at 1440 and 390 px.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');
const DAY = 86_400_000;
const CUSTOMERS = 10; // c0..c9; odd ones live in 上海
const SEGMENT_RULE = {
  type: 'and',
  rules: [
    { type: 'trait', key: 'city', op: 'eq', value: '上海' },
    { type: 'event', event: 'Order Completed', count: { op: 'at_least', value: 1 }, window: { lastDays: 30 } },
  ],
};

/** The lifecycle stages' names in Chinese (the console's default language). */
const STAGE_ZH: Record<string, string> = { prospect: '潜在', new: '新客', active: '活跃', loyal: '忠诚', silent: '沉默', churned: '流失' };

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();
const reads = (l: Locator, want: string, what: string) =>
  until(
    () => text(l),
    (v) => v === want,
    `${what} to read "${want}"`,
  );

describe('console overview, rule builder and customer filters (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let hooks: Server | undefined;
  let received = 0;
  let journeyId = '';
  let page: Page | undefined;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server!.keys().secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const track = async (batch: Record<string, unknown>[]) => {
    const res = await fetch(`${server!.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(server!.keys().writeKey + ':').toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
  };
  const order = (i: number, id: string, at: number, yuan: number) => ({
    type: 'track',
    userId: `c${i}`,
    messageId: `order-${id}`,
    event: 'Order Completed',
    timestamp: new Date(at).toISOString(),
    properties: { order_id: id, total: yuan },
  });

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    hooks = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => hooks!.listen(0, '127.0.0.1', r));
    place = await createE2eEnvironment('sqlite', { prefix: 'overview', encryptionKey: 'd4'.repeat(32), env: { SIYU_OUTBOUND_ALLOW: '127.0.0.1' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);

    // Ten customers; six ordered two days ago, three of them again today.
    const now = Date.now();
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      batch.push({
        type: 'identify',
        userId: `c${i}`,
        messageId: `id-${i}`,
        traits: { name: `客户${i}`, city: i % 2 ? '上海' : '杭州', plan: i < 4 ? 'gold' : 'free' },
      });
      batch.push({ type: 'track', userId: `c${i}`, messageId: `view-${i}`, event: 'Viewed Product', properties: { product: i % 3 ? '拿铁' : '美式' } });
    }
    for (let i = 0; i < 6; i++) batch.push(order(i, `old-${i}`, now - 2 * DAY, 30));
    for (let i = 0; i < 3; i++) batch.push(order(i, `new-${i}`, now - 1000, 40));
    await track(batch);

    // A welcome journey over a webhook channel, with a first-order goal: c6..c9 enter, c6 and c7 then order.
    await api('PUT', '/v1/channels/webhook', { url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`, signingSecret: 'overview' });
    const journey = await api('POST', '/v1/journeys', {
      name: '欢迎旅程',
      definition: {
        trigger: { type: 'manual' },
        goal: { event: 'Order Completed', withinDays: 7 },
        steps: [
          { id: 'hello', type: 'send', channel: 'webhook', purpose: 'service', content: { body: { hello: true } }, next: 'wait' },
          { id: 'wait', type: 'wait', duration: { days: 3 } },
        ],
      },
    });
    journeyId = journey.id;
    await api('POST', `/v1/journeys/${journeyId}/publish`);
    const entering = await Promise.all([6, 7, 8, 9].map(async (i) => (await api('GET', `/v1/profiles/user_id:c${i}`)).id as string));
    await api('POST', `/v1/journeys/${journeyId}/enter`, { profileIds: entering });
    await until(
      async () => received,
      (n) => n === 4,
      'four webhook messages',
    );
    await track([order(6, 'conv-6', Date.now(), 50), order(7, 'conv-7', Date.now(), 50)]);
    await until(
      async () => (await api('GET', `/v1/journeys/${journeyId}/stats`)).converted as number,
      (n) => n === 2,
      'two conversions',
    );
    await api('POST', '/v1/models/compute', { models: ['rfm', 'lifecycle'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
    await new Promise((r) => (hooks ? hooks.close(r) : r(undefined)));
  });

  /** Chooses an option of an Ant Design select by its title. */
  const choose = async (page: Page, select: Locator, title: string) => {
    await select.click();
    await page.locator(`.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option[title="${title}"]`).click();
  };

  it('shows the overview, builds a segment visually with a live count, and filters the customers by it', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
    page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = (t: string) => page!.getByTestId(t);

    // The overview is the home: today's and the last 30 days' figures, as the tracking and journey APIs made them.
    await signInConsole(page, server!);
    // A profile is as old as its first event: c0..c5 first ordered two days ago, c6..c9 are new today.
    await reads(id('today-orders'), '5', "today's orders");
    expect(await text(id('today-new-profiles'))).toBe('4');
    expect(await text(id('today-revenue'))).toBe('¥220.00');
    expect(await text(id('today-messages-sent'))).toBe('4');
    expect(await text(id('today-conversions'))).toBe('2');
    await reads(id('range-orders'), '11', "the range's orders");
    expect(await text(id('range-new-profiles'))).toBe(String(CUSTOMERS));
    expect(await text(id('range-revenue'))).toBe('¥400.00');
    expect(await text(id('range-messages-failed'))).toBe('0');
    for (const chart of ['ov-chart-growth', 'ov-chart-sales', 'ov-chart-messages', 'ov-chart-journeys']) {
      await until(
        () => id(chart).getAttribute('data-ready'),
        (v) => v === 'true',
        `the ${chart} chart`,
      );
    }
    // No WeCom here: the channel-code chart says so instead of drawing nothing.
    await id('ov-chart-channels-empty').waitFor();
    await page.screenshot({ path: join(SCREENS, 'overview-1440.png'), fullPage: true });

    // A new segment in the builder: the starter condition goes, a trait and an event condition come.
    await id('nav-segments').click();
    await id('new-segment').click();
    await id('rule-builder').waitFor();
    await id('condition').first().getByTestId('node-remove').click();
    await choose(page, id('add-condition-type'), '用户属性');
    await id('add-condition').click();
    const trait = id('condition').nth(0);
    await trait.getByTestId('cond-key').locator('input').fill('city');
    await trait.getByTestId('cond-value').locator('input').fill('上海');
    await choose(page, id('add-condition-type'), '做过事件');
    await id('add-condition').click();
    const event = id('condition').nth(1);
    await event.getByTestId('cond-event').locator('input').fill('Order Completed');
    // The live count: odd customers in 上海 who ordered in the last 30 days (c1, c3, c5, c7).
    await reads(id('preview-count'), '4', 'the live count');
    await id('segment-name').fill('上海下单客户');
    await page.screenshot({ path: join(SCREENS, 'segment-builder-1440.png'), fullPage: true });

    // The JSON view holds the same rule, and the builder takes it back.
    await id('rule-mode-json').click();
    expect(JSON.parse(await id('rule-editor').inputValue())).toEqual(SEGMENT_RULE);
    await id('rule-mode-builder').click();
    expect(await id('condition').count()).toBe(2);
    await id('save').click();
    await reads(id('segment-size'), '4', 'the saved segment size');
    const saved = (await api('GET', '/v1/segments?limit=50')).data.find((s: { name: string }) => s.name === '上海下单客户');
    expect((await api('GET', `/v1/segments/${saved.id}`)).rule).toEqual(SEGMENT_RULE);

    // Customers filtered by the segment: exactly its members.
    await id('nav-customers').click();
    await choose(page, id('customer-segment-filter'), '上海下单客户');
    const rows = id('customers-table').locator('tbody tr.ant-table-row');
    await until(
      () => rows.count(),
      (n) => n === 4,
      'four customers in the segment',
    );
    expect((await rows.getByTestId('customer-link').allTextContents()).sort()).toEqual(['客户1', '客户3', '客户5', '客户7']);
    // And by lifecycle stage on top (AND): the API's answer for the same filters.
    const stage = (await api('GET', '/v1/profiles/user_id:c7')).models.lifecycle.stage as string;
    await choose(page, id('customer-stage-filter'), STAGE_ZH[stage]!);
    const both = (await api('GET', `/v1/profiles?segment=${saved.id}&lifecycleStage=${stage}&limit=50`)).data as { traits: { name: string } }[];
    await until(
      async () => (await rows.getByTestId('customer-link').allTextContents()).sort().join(','),
      (v) =>
        v ===
        both
          .map((p) => p.traits.name)
          .sort()
          .join(','),
      'the segment and stage filters together',
    );
    await page.keyboard.press('Escape');
    await page.screenshot({ path: join(SCREENS, 'customers-filtered-1440.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('fits a phone: the overview and the builder at 390 px', async () => {
    // The same signed-in page, narrowed to a phone's width.
    const p = page!;
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    const id = (t: string) => p.getByTestId(t);
    await p.setViewportSize({ width: 390, height: 844 });
    await p.goto(`${server!.url}/console/`);
    await id('nav-menu').waitFor();
    await reads(id('today-orders'), '5', "today's orders on a phone");
    await until(
      () => id('ov-chart-sales').getAttribute('data-ready'),
      (v) => v === 'true',
      'the sales chart on a phone',
    );
    // Nothing wider than the screen.
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await p.screenshot({ path: join(SCREENS, 'overview-390.png'), fullPage: true });
    const saved = (await api('GET', '/v1/segments?limit=50')).data.find((s: { name: string }) => s.name === '上海下单客户');
    await p.goto(`${server!.url}/console/segments/${saved.id}/edit`);
    await id('rule-builder').waitFor();
    expect(await id('condition').count()).toBe(2);
    await reads(id('preview-count'), '4', 'the live count on a phone');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await p.screenshot({ path: join(SCREENS, 'segment-builder-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    await p.context().close();
  });
});
