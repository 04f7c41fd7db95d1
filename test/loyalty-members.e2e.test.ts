import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Members and tiers end to end (issue #17): the real server (`siyu serve` with its workers) serving
 * the built console, a real Chromium. An operator creates a tier and an order earning rule in the
 * console; the shop reports an order above the tier's threshold through the tracking API; the
 * loyalty worker awards the points and upgrades the member at once; the console's members list
 * shows the member's tier and balance, and the member page the tier, benefits and ledger.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'd2'.repeat(32);

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('members and tiers in the console (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;
  let write: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server!.url}${path}`, { method, headers: secret, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const track = async (batch: unknown[]) => {
    const res = await fetch(`${server!.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: write, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    place = await createE2eEnvironment('sqlite', { prefix: 'members', encryptionKey: KEY });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    write = 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64');
    await track([{ type: 'identify', userId: 'vip1', messageId: 'id-vip1', traits: { name: '小金' } }]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('an operator creates a tier and an earning rule; an order over the threshold upgrades the member, seen with its ledger', async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    // The tier: 金卡 from 100 points, 5% off, double points.
    await signInConsole(page, server!, '/console/loyalty/tiers');
    await id('tier-add').click();
    await id('tier-key').fill('gold');
    await id('tier-name').fill('金卡');
    await id('tier-threshold').fill('100');
    await id('tier-discount').fill('5');
    await id('tier-freeShipping').check();
    await id('tier-submit').click();
    await until(
      () => id('tiers-table').locator('tr', { hasText: '金卡' }).count(),
      (n) => n === 1,
      'the new tier in the table',
    );
    const tiers = (await api('GET', '/v1/loyalty/tiers')).body;
    expect(tiers.data).toMatchObject([{ key: 'gold', name: '金卡', threshold: 100, rank: 0, benefits: { discountPercent: 5, freeShipping: true } }]);

    // The earning rule: 1 point per yuan, credited at once (the example definition, return window 0).
    await page.goto(`${server!.url}/console/loyalty/rules`);
    await id('rule-new').click();
    await id('rule-name').fill('下单积分');
    await id('rule-definition').fill(JSON.stringify({ pointsPerYuan: 1, pendingDays: 0 }));
    await id('rule-submit').click();
    await until(
      () => id('rules-table').locator('tr', { hasText: '下单积分' }).count(),
      (n) => n === 1,
      'the new rule in the table',
    );

    // The shop reports a ¥150 order: 150 points, over the threshold.
    await track([{ type: 'track', userId: 'vip1', messageId: 'ord-vip1', event: 'Order Completed', properties: { order_id: 'o-vip1', total: 150 } }]);
    const member = await until(
      async () => (await api('GET', '/v1/loyalty/members/user_id:vip1')).body,
      (m) => m.tier?.key === 'gold',
      'the upgrade by the loyalty worker',
      40_000,
    );
    expect(member).toMatchObject({
      balance: 150,
      benefits: { discountPercent: 5, freeShipping: true },
      history: [{ from: null, to: 'gold', reason: 'qualified' }],
    });

    // The members list: tier and balance.
    await page.goto(`${server!.url}/console/loyalty/members`);
    const row = id('members-table').locator('tr', { hasText: member.profileId });
    await until(
      () => row.count(),
      (n) => n === 1,
      'the member in the list',
    );
    expect(await text(row.getByTestId('member-tier'))).toBe('金卡');
    expect(await text(row.getByTestId('member-balance'))).toBe('150');

    // The member page: tier, benefits, ledger.
    await row.getByTestId('member-link').click();
    await until(
      () => text(id('member-detail-tier')),
      (v) => v === '金卡',
      'the member page',
    );
    expect(await text(id('member-detail-balance'))).toBe('150');
    expect(await text(id('member-benefits'))).toContain('包邮');
    const ledger = id('member-ledger').locator('tbody tr', { hasText: 'order o-vip1' });
    await until(
      () => ledger.count(),
      (n) => n === 1,
      'the order earning in the ledger',
    );
    expect(await text(ledger.getByTestId('ledger-points'))).toBe('150');
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
