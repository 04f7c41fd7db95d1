import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment } from './support/e2e.js';
import { pickMenu, signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The CLV screen end to end: the real server (`siyu serve`, SQLite) and a real Chromium. Orders
 * arrive through the tracking API; an operator opens the lifetime-value screen (no model yet),
 * fits the models with "fit now", reads the model and the distribution, and finds the at-risk
 * high-value buyers the API lists (the lapsed frequent buyers), in both languages.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'c1'.repeat(32);
const DAY = 86_400_000;

type Json = Record<string, unknown>;

/** Polls `read` until `ok` holds (or fails with the last value seen). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

/** 12 steady buyers (every ~3 weeks up to last week), 8 lapsed ones (weekly for 8 weeks, silent ~32 weeks since), 12 one-time buyers, 6 fading ones. */
function orderEvents(now: number): Json[] {
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const out: Json[] = [];
  let n = 0;
  const order = (userId: string, yuan: number, daysAgo: number) =>
    out.push({
      type: 'track',
      event: 'Order Completed',
      userId,
      messageId: `o-${++n}`,
      timestamp: at(daysAgo),
      properties: { order_id: `o-${n}`, total: yuan },
    });
  for (let i = 0; i < 12; i++) for (let d = 270 - i * 3; d >= 5; d -= 21 + (i % 5)) order(`steady-${i}`, 80 + i * 5, d);
  for (let i = 0; i < 8; i++) for (let k = 0; k < 8; k++) order(`lapsed-${i}`, 300 + i * 20, 280 - k * 7 - i);
  for (let i = 0; i < 12; i++) order(`once-${i}`, 60, 30 + i * 15);
  // Fading buyers: every two weeks for two months, then quiet for 8-13 weeks (P(alive) between the two groups).
  for (let i = 0; i < 6; i++) for (let k = 0; k < 5; k++) order(`fading-${i}`, 150, 56 + i * 7 + 56 - k * 14);
  return out;
}

describe('CLV console screen (real server, real browser)', () => {
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

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) {
      throw new Error(`the console is not built (${CONSOLE_DIST_DIR} has no index.html): run \`npm run build:console\` (npm install runs it)`);
    }
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it in CI)`);
    place = await createE2eEnvironment('sqlite', { prefix: 'clv', encryptionKey: KEY });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ batch: orderEvents(Date.now()) }),
    });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('fits with "fit now" and shows the model, the distribution and the at-risk high-value list', async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page: Page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    await signInConsole(page, server!);
    await pickMenu(page, 'nav-insight', 'nav-insight-clv');
    await until(
      () => text(id('clv-not-fitted')),
      (v) => v.startsWith('本工作区还没有拟合过 CLV 模型'),
      'the empty state',
    );
    expect(page.url()).toBe(`${server!.url}/console/insight/clv`);

    await id('clv-fit').click();
    await page.locator('.ant-popover:not(.ant-popover-hidden) .ant-btn-primary').click();
    await until(
      () => text(id('clv-customers')),
      (v) => v === '38',
      "the fitted model's buyers",
    );

    // The distribution: ten bars whose counts add up to the buyers, as the API answers them.
    const overview = await api('GET', '/v1/insight/clv');
    const buckets = (overview.distribution as { bars: { profiles: number }[] }).bars;
    const counts = await id('clv-bucket-count').allTextContents();
    expect(counts).toEqual(buckets.map((b) => `${b.profiles} 位用户`));
    expect(buckets.reduce((n, b) => n + b.profiles, 0)).toBe(38);

    // The at-risk list is the API's, highest predicted value first; it holds the lapsed buyers.
    const atRisk = (await api('GET', '/v1/insight/clv/at-risk?limit=20')).data as { profileId: string; pAlive: number }[];
    expect(atRisk.length).toBeGreaterThanOrEqual(8);
    const rows = id('clv-at-risk').locator('tr.ant-table-row');
    await until(
      () => rows.count(),
      (n) => n === atRisk.length,
      'the at-risk rows',
    );
    expect(await rows.locator('td:first-child').allTextContents()).toEqual(atRisk.map((r) => r.profileId));
    const lapsed = (await api('GET', '/v1/profiles/user_id:lapsed-3/clv')) as { profileId: string; prediction: { pAlive: number } };
    expect(lapsed.prediction.pAlive).toBeLessThan(0.3);
    expect(atRisk.map((r) => r.profileId)).toContain(lapsed.profileId);

    // A stricter threshold (between the list's P(alive) values): only the buyers below it, as the API lists them.
    const threshold = '0.01';
    const strict = (await api('GET', `/v1/insight/clv/at-risk?limit=20&maxPAlive=${threshold}`)).data as { profileId: string }[];
    await id('clv-max-p-alive').locator('input').fill(threshold);
    await id('clv-max-p-alive').locator('input').press('Enter');
    expect(strict.length).toBeLessThan(atRisk.length);
    expect(strict.length).toBeGreaterThan(0);
    await until(
      () => rows.locator('td:first-child').allTextContents(),
      (v) => JSON.stringify(v) === JSON.stringify(strict.map((r) => r.profileId)),
      'the stricter list',
    );

    // English.
    await id('locale-en').click();
    await until(
      () => text(id('clv-at-risk-summary')),
      (v) => v.startsWith(`${(overview.totals as { atRiskProfiles: number }).atRiskProfiles} buyers at risk`),
      'the English summary',
    );
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
