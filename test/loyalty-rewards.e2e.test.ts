import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The points mall and group-buys end to end (issue #17; the coupon issue-and-redeem flow is
 * test/loyalty-coupons.e2e.test.ts): the real server (`siyu serve`) serving the built console and a
 * real Chromium. An operator creates a reward in the console; a member redeems it through the
 * member API with a member token the brand's backend minted; the console shows the unit taken. A
 * group-buy campaign's group forms through the member API, and the console shows it formed with its
 * members, in Chinese and English.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'c2'.repeat(32);

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('rewards and group-buys in the console (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;
  let write: string;

  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${server!.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const api = (method: string, path: string, body?: unknown) => call(method, path, secret, body);
  const asMember = (token: string, method: string, path: string, body?: unknown) =>
    call(method, path, { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body);
  const mint = async (profile: string) => (await api('POST', '/v1/loyalty/member-tokens', { profile, ttlSeconds: 3600 })).body.token as string;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    place = await createE2eEnvironment('sqlite', { prefix: 'rewards', encryptionKey: KEY });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    write = 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64');
    const batch = ['m1', 'm2', 'm3'].map((u) => ({ type: 'identify', userId: u, messageId: `id-${u}`, traits: {} }));
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: write, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
    await until(
      async () => (await api('GET', '/v1/profiles/user_id:m3')).status,
      (s) => s === 200,
      'the members in the CDP',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('an operator creates a reward; a member redeems it with a member token; a group-buy forms; the console shows both', async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    await signInConsole(page, server!, '/console/growth/catalogue');
    await until(
      () => text(page.locator('.ant-card-head-title')),
      (v) => v === '积分商城：兑换商品',
      'the points mall screen',
    );
    await id('new-item').click();
    await id('item-name').fill('帆布袋');
    await id('item-points').fill('200');
    await id('item-stock').fill('5');
    await id('item-save').click();
    const row = page.locator('tr', { hasText: '帆布袋' });
    await until(
      () => row.count(),
      (n) => n === 1,
      'the new reward in the list',
    );
    expect(await text(row.getByTestId('item-row-stock'))).toBe('0 / 5');
    const item = (await api('GET', '/v1/loyalty/catalogue-items')).body.data[0];
    expect(item).toMatchObject({ name: '帆布袋', kind: 'virtual', points: 200, stock: 5, redeemed: 0 });

    // The brand's backend mints a member token; the mini program redeems with it.
    await api('POST', '/v1/loyalty/points/earn', { profile: 'user_id:m1', points: 500, reason: 'seed', idempotencyKey: 'seed-m1' });
    const t1 = await mint('user_id:m1');
    const redeemed = await asMember(t1, 'POST', `/v1/member/catalogue/${item.id}/redeem`, { idempotencyKey: 'tap-1' });
    expect([redeemed.status, redeemed.body.redemption?.balance]).toEqual([200, 300]);
    expect((await asMember('forged.token', 'GET', '/v1/member/points')).status).toBe(401);
    await page.reload();
    await until(
      () => text(page.locator('tr', { hasText: '帆布袋' }).getByTestId('item-row-stock')),
      (v) => v === '1 / 5',
      'the redeemed unit in the console',
    );

    // A group-buy of two: m1 opens, m1 cannot join their own group, m2 joins and the group forms.
    const campaign = (
      await api('POST', '/v1/loyalty/group-buy-campaigns', {
        name: '双人拼团',
        productId: 'sku-1',
        priceFen: 1990,
        groupSize: 2,
        groupHours: 24,
        endsAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        rewardPoints: 20,
      })
    ).body;
    const opened = await asMember(t1, 'POST', '/v1/member/group-buys', { campaignId: campaign.id });
    expect(opened.status).toBe(200);
    expect((await asMember(t1, 'POST', `/v1/member/group-buys/${opened.body.code}/join`)).body.error.code).toBe('GROUP_BUY_SELF_JOIN');
    const joined = await asMember(await mint('user_id:m2'), 'POST', `/v1/member/group-buys/${opened.body.code}/join`);
    expect(joined.body.status).toBe('formed');

    await page.goto(`${server!.url}/console/growth/group-buys`);
    const crow = page.locator('tr', { hasText: '双人拼团' });
    await until(
      () => text(crow.getByTestId('campaign-row-groups')),
      (v) => v === '0 / 1 / 0',
      'the formed group counted',
    );
    await crow.getByTestId('show-groups').click();
    await until(
      () => text(id('group-status')),
      (v) => v === '已成团',
      'the group formed in the drawer',
    );
    expect(await text(id('group-code'))).toBe(opened.body.code);

    // English.
    await page.keyboard.press('Escape');
    await id('locale-en').click();
    await until(
      () => text(page.locator('.ant-card-head-title').first()),
      (v) => v === 'Group-buy campaigns',
      'the English title',
    );
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
  it('an operator reverses a redemption from the points mall and edits a lottery prize table (sum must be 1,000,000 ppm)', async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    // A reward redeemed by m3 through the admin API.
    const item = (await api('POST', '/v1/loyalty/catalogue-items', { name: '保温杯', kind: 'virtual', points: 100, stock: 3 })).body;
    await api('POST', '/v1/loyalty/points/earn', { profile: 'user_id:m3', points: 150, reason: 'seed', idempotencyKey: 'seed-m3' });
    const redeemed = await api('POST', `/v1/loyalty/catalogue-items/${item.id}/redeem`, { profile: 'user_id:m3', idempotencyKey: 'cup-1' });
    expect([redeemed.status, redeemed.body.redemption?.balance]).toEqual([200, 50]);

    await signInConsole(page, server!, '/console/growth/catalogue');
    const row = page.locator('tr', { hasText: '保温杯' });
    await until(
      () => text(row.getByTestId('item-row-stock')),
      (v) => v === '1 / 3',
      'the redeemed unit',
    );
    await row.getByTestId('item-redemptions').click();
    await until(
      () => text(id('redemption-status')),
      (v) => v === '已兑换',
      'the redemption in the list',
    );
    await id('redemption-reverse').click();
    await id('reverse-reason').fill('会员退回');
    await id('reverse-confirm').click();
    await until(
      () => text(id('redemption-status')),
      (v) => v === '已撤销',
      'the redemption reversed',
    );
    expect((await api('GET', '/v1/profiles/user_id:m3/points')).body.balance).toBe(150);
    expect((await api('GET', `/v1/loyalty/catalogue-items/${item.id}`)).body).toMatchObject({ redeemed: 0, left: 3 });
    expect(await id('redemption-reverse').count()).toBe(0);
    await page.keyboard.press('Escape');
    await until(
      () => text(row.getByTestId('item-row-stock')),
      (v) => v === '0 / 3',
      'the unit back in stock',
    );

    // A lottery's prize table edited in the console.
    const lot = (
      await api('POST', '/v1/loyalty/lotteries', {
        name: '幸运转盘',
        costPoints: 10,
        prizes: [
          { id: 'cup', name: '杯子', kind: 'physical', ppm: 100_000, stock: 10 },
          { id: 'none', name: '谢谢参与', kind: 'none', ppm: 900_000, fallback: true },
        ],
      })
    ).body;
    await page.goto(`${server!.url}/console/growth/lotteries`);
    const lrow = page.locator('tr', { hasText: '幸运转盘' });
    await lrow.getByTestId('edit-prizes').click();
    const ppm = id('prize-ppm');
    await until(
      () => ppm.count(),
      (n) => n === 2,
      'the prize form',
    );
    // 200,000 + 900,000: refused in the form with the sum named.
    await ppm.nth(0).fill('200000');
    await id('prizes-save').click();
    await until(
      () => text(id('prizes-sum-error')),
      (v) => v.includes('1,100,000') && v.includes('1,000,000'),
      'the sum error',
    );
    await ppm.nth(1).fill('800000');
    await id('prize-stock').nth(0).fill('20');
    await id('prizes-save').click();
    await until(
      async () =>
        (await api('GET', `/v1/loyalty/lotteries/${lot.id}`)).body.prizes.map((p: { ppm: number; stock: number | null }) => `${p.ppm}/${p.stock}`).join(' '),
      (v) => v === '200000/20 800000/null',
      'the new prize table saved',
    );
    // English.
    await id('locale-en').click();
    await until(
      () => text(lrow.getByTestId('edit-prizes')),
      (v) => v === 'Edit prizes',
      'the English button',
    );
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
