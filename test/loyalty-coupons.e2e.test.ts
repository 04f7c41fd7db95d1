import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Coupons end to end (issue #17): the real server (`siyu serve` with its workers) serving the built
 * console, a real Chromium. An operator creates a 满减 template in the console and issues a coupon
 * to a member; the shop redeems it through the API against an order and reports the order through
 * the tracking API; the console then counts the coupon as redeemed, with the order's revenue. The
 * shop cancels the order: the coupon worker gives the coupon back and the console shows it.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'c1'.repeat(32);

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('coupons in the console (real server, real browser)', () => {
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
    place = await createE2eEnvironment('sqlite', { prefix: 'coupons', encryptionKey: KEY });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    write = 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64');
    await track([{ type: 'identify', userId: 'm1', messageId: 'id-m1', traits: { name: '小美' } }]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('an operator creates a template and issues a coupon; redeemed through the API against an order, the console counts it and its revenue', async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    await signInConsole(page, server!, '/console/coupons');
    await until(
      () => text(page.locator('.ant-card-head-title')),
      (v) => v === '优惠券模板',
      'the coupon templates screen',
    );

    // Create: 满 ¥100 减 ¥20, 7 days after issue (the form's defaults are a threshold coupon and 7 days).
    await id('new-coupon-template').click();
    await id('coupon-form-name').fill('满100减20');
    await id('coupon-form-key').fill('spring');
    await id('coupon-form-amount').fill('20');
    await id('coupon-form-threshold').fill('100');
    await id('coupon-form-save').click();
    const row = id('coupon-templates-table').locator('tr', { hasText: '满100减20' });
    await until(
      () => row.count(),
      (n) => n === 1,
      'the new template in the list',
    );
    expect(await text(row)).toContain('满 ¥100.00 减 ¥20.00');
    expect(await text(row)).toContain('领取后 7 天内有效');
    const template = (await api('GET', '/v1/loyalty/coupon-templates/spring')).body;
    expect(template).toMatchObject({ kind: 'threshold', amountFen: 2000, thresholdFen: 10000, validity: { days: 7 }, stackable: false });

    // Issue to the member by identifier.
    await row.getByTestId('issue-coupon').click();
    await id('issue-profile').fill('user_id:m1');
    await id('issue-submit').click();
    const code = await until(
      () => text(id('issued-code')),
      (v) => /^[2-9A-HJKMNP-Z]{10}$/.test(v),
      'the issued code',
    );
    await id('issue-done').click();
    await until(
      () => text(row.getByTestId('coupon-issued')),
      (v) => v === '1',
      'the issued count',
    );
    expect(await text(row.getByTestId('coupon-redeemed'))).toBe('0');
    const mine = (await api('GET', '/v1/profiles/user_id:m1/coupons')).body.data;
    expect(mine.map((c: any) => [c.code, c.status])).toEqual([[code, 'issued']]);

    // The shop redeems it at checkout (below the threshold first), then reports the order.
    const below = await api('POST', '/v1/loyalty/coupons/redeem', {
      code,
      profile: 'user_id:m1',
      orderId: 'ord-1',
      orderAmountFen: 9900,
      idempotencyKey: 'chk-0',
    });
    expect([below.status, below.body.error.code]).toEqual([409, 'COUPON_THRESHOLD_NOT_MET']);
    const redeemed = await api('POST', '/v1/loyalty/coupons/redeem', {
      code,
      profile: 'user_id:m1',
      orderId: 'ord-1',
      orderAmountFen: 12800,
      idempotencyKey: 'chk-1',
    });
    expect([redeemed.status, redeemed.body.redemption.discountFen]).toEqual([200, 2000]);
    await track([{ type: 'track', event: 'Order Completed', userId: 'm1', messageId: 'oc-1', properties: { order_id: 'ord-1', total: 108 } }]);

    await until(
      async () => {
        await id('coupons-refresh').click();
        return [await text(row.getByTestId('coupon-redeemed')), await text(row.getByTestId('coupon-rate')), await text(row.getByTestId('coupon-revenue'))];
      },
      (v) => v[0] === '1' && v[1] === '100.0%' && v[2] === '¥108.00',
      'the redeemed count, rate and revenue in the console',
    );

    // The shop cancels the order: the coupon worker gives the coupon back, and the console shows it.
    await track([{ type: 'track', event: 'Order Cancelled', userId: 'm1', messageId: 'cx-1', properties: { order_id: 'ord-1' } }]);
    await until(
      async () => {
        await id('coupons-refresh').click();
        return [await text(row.getByTestId('coupon-redeemed')), await text(row.getByTestId('coupon-revenue'))];
      },
      (v) => v[0] === '0' && v[1] === '¥0.00',
      'the reversal in the console',
    );
    expect((await api('GET', '/v1/profiles/user_id:m1/coupons')).body.data[0].status).toBe('issued');

    // English.
    await id('locale-en').click();
    await until(
      () => text(page.locator('.ant-card-head-title')),
      (v) => v === 'Coupon templates',
      'the English title',
    );
    // Intl writes CNY as CN¥ in English.
    expect(await text(row)).toContain('CN¥20.00 off orders of CN¥100.00');
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
