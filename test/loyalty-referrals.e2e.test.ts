import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Referrals end to end (issue #17): the real server serving the built console, a real Chromium. An
 * operator turns the referral programme on with a registration reward in the console; the shop
 * asks a member's code and attributes a new customer to it through the API (accepted, both
 * rewarded) and the member herself (rejected: self-referral); the decisions screen shows both
 * with their reasons, and the leaderboard ranks the member, in Chinese and in English.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'd2'.repeat(32);

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('referrals in the console (real server, real browser)', () => {
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
  const profile = (ref: string) =>
    until(
      async () => (await api('GET', `/v1/profiles/${ref}`)).body.id as string | undefined,
      (v) => typeof v === 'string',
      `profile ${ref}`,
    );

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    place = await createE2eEnvironment('sqlite', { prefix: 'referrals', encryptionKey: KEY });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    write = 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64');
    await track([{ type: 'identify', userId: 'alice', messageId: 'id-alice', traits: { name: '小美' } }]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('an operator turns the programme on; a referral and a self-referral show with their reasons, and the leaderboard ranks the referrer', async () => {
    const context = await browser!.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    // The programme: on, with the default new rule (registration, both sides, 50 points).
    await signInConsole(page, server!, '/console/referrals/settings');
    await until(
      () => text(page.locator('.ant-card-head-title').first()),
      (v) => v === '推荐（老带新）方案',
      'the programme screen',
    );
    await id('ref-enabled').click();
    await id('ref-add-rule').click();
    await id('ref-save').click();
    await until(
      async () => (await api('GET', '/v1/loyalty/referrals/settings')).body,
      (p) => p.enabled === true && p.rules.length === 1,
      'the saved programme',
    );
    expect((await api('GET', '/v1/loyalty/referrals/settings')).body.rules).toEqual([
      { id: 'rule-1', on: 'registration', to: 'both', reward: { kind: 'points', points: 50 } },
    ]);

    // The shop: alice's code; bob registers and is attributed to it; alice tries her own code.
    const alice = await profile('user_id:alice');
    const code = (await api('POST', '/v1/loyalty/referrals/codes', { profile: alice })).body.code as string;
    await track([{ type: 'identify', userId: 'bob', messageId: 'id-bob', traits: { name: '小博' } }]);
    const bob = await profile('user_id:bob');
    const ok = await api('POST', '/v1/loyalty/referrals/attribute', { code, profile: 'user_id:bob' });
    expect([ok.body.decision.outcome, ok.body.rewards.length]).toEqual(['accepted', 2]);
    const self = await api('POST', '/v1/loyalty/referrals/attribute', { code, profile: alice });
    expect(self.body.decision).toMatchObject({ outcome: 'rejected', reason: 'self_referral' });
    expect((await api('GET', `/v1/profiles/${bob}/points`)).body.balance).toBe(50);

    // Decisions with their reasons.
    await page.goto(`${server!.url}/console/referrals/decisions`);
    const reasons = () => id('ref-decisions-table').getByTestId('ref-reason').allTextContents();
    await until(reasons, (v) => v.length === 2, 'both decisions');
    expect(await reasons()).toEqual(['自己推荐自己', '通过']);
    await id('ref-outcome-filter').getByText('拒绝').click();
    await until(reasons, (v) => v.length === 1 && v[0] === '自己推荐自己', 'only the rejection');

    // The leaderboard.
    await page.goto(`${server!.url}/console/referrals/koc`);
    await until(
      async () => [await text(id('koc-table').getByTestId('koc-rank').first()), await text(id('koc-table').getByTestId('koc-referrals').first())],
      (v) => v[0] === '1' && v[1] === '1',
      'alice on the leaderboard',
    );
    expect(await text(id('koc-table').getByTestId('koc-member').first())).toBe(alice);
    expect(await text(id('koc-table').getByTestId('koc-score').first())).toBe('10');

    // English.
    await id('locale-en').click();
    await until(
      () => text(page.locator('.ant-card-head-title').first()),
      (v) => v === 'Referral & KOC leaderboard',
      'the English title',
    );
    await page.goto(`${server!.url}/console/referrals/decisions`);
    await until(reasons, (v) => v.join('|') === 'Self-referral|Accepted', 'the reasons in English');
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 120_000);
});
