import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { signInConsole } from './support/console.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * One experiment's result end to end: the real server (`siyu serve`, SQLite), data driven in
 * through the API (profiles and conversions through the tracking API, exposures through the
 * experiments API), and a real Chromium reading the experiments list and the results table —
 * groups, sizes, rates, lifts with intervals, the sample ratio check and the verdict, in zh-CN
 * and then in English — the same numbers the results API answers.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'e7'.repeat(32);
const USERS = 600;
const DAY = 86_400_000;

type Json = Record<string, any>;

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('experiments console (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;
  let write: Record<string, string>;

  const call = async (method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Json> => {
    const res = await fetch(`${server!.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const api = (method: string, path: string, body?: unknown) => call(method, path, body, secret);

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    place = await createE2eEnvironment('sqlite', { prefix: 'experiments', encryptionKey: KEY, env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    write = { authorization: 'Basic ' + Buffer.from(keys.writeKey + ':').toString('base64'), 'content-type': 'application/json' };
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('shows an experiment’s results table with intervals and the verdict, as the API computes them', async () => {
    const exp = await api('POST', '/v1/insight/experiments', {
      key: 'welcome-message',
      name: '欢迎语 A/B',
      subject: { kind: 'template', id: 'tpl_welcome' },
      variants: [
        { key: 'plain', weight: 1 },
        { key: 'coupon', weight: 1 },
      ],
      goal: { kind: 'conversion', event: 'Order Completed', windowDays: 7 },
    });
    const users = Array.from({ length: USERS }, (_, i) => `u${i}`);
    await call('POST', '/v1/batch', { batch: users.map((u) => ({ type: 'identify', userId: u, messageId: `id-${u}`, traits: {} })) }, write);
    const exposedAt = Date.now() - 10 * DAY;
    const assigned: { profile: string; variant: string }[] = [];
    for (let i = 0; i < USERS; i += 300) {
      const part = users.slice(i, i + 300).map((u) => ({ profile: `user_id:${u}`, at: new Date(exposedAt).toISOString() }));
      assigned.push(...(await api('POST', `/v1/insight/experiments/${exp.id}/exposures`, { exposures: part })).assignments);
    }
    // Within a day of exposure: every 2nd "coupon" profile orders, every 6th "plain" one.
    const orders = assigned
      .map((a, i) => ({ ...a, i }))
      .filter((a) => (a.variant === 'coupon' ? a.i % 2 === 0 : a.i % 6 === 0))
      .map((a) => ({
        type: 'track',
        userId: a.profile.slice('user_id:'.length),
        event: 'Order Completed',
        messageId: `o-${a.i}`,
        timestamp: new Date(exposedAt + DAY).toISOString(),
        properties: { order_id: `o-${a.i}`, total: 99 },
      }));
    await call('POST', '/v1/batch', { batch: orders }, write);
    const results = await until(
      () => api('GET', `/v1/insight/experiments/${exp.id}/results`),
      // mean × n is a float (49/290 × 290 = 49.000000000000004): rounded, it is the count.
      (r) => r.table.rows.reduce((a: number, row: Json) => a + Math.round(row.mean * row.n), 0) === orders.length,
      'the orders to be counted',
    );
    expect(results.verdict).toMatchObject({ code: 'winner', winner: 'coupon' });
    const [plain, coupon] = results.table.rows as Json[];

    const page = await (await browser!.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);
    await signInConsole(page, server!);
    await id('nav-experiments').click();
    const row = id('experiments-table').locator('tr', { hasText: '欢迎语 A/B' });
    await until(
      () => text(row),
      (v) => v.includes('消息模板') && v.includes('plain / coupon') && v.includes('7 天内发生 Order Completed'),
      'the experiment in the list',
    );
    await row.getByTestId('experiment-link').click();

    await until(
      () => text(id('verdict-code')),
      (v) => v === '胜出',
      'the verdict',
    );
    expect(await text(id('verdict-text'))).toBe(results.verdict.zh);
    expect(await text(id('srm'))).toBe(`样本比例正常（p = ${results.srm.pValue.toFixed(4)}）`);
    const rows = id('results-table').locator('tr.ant-table-row');
    expect(await rows.count()).toBe(2);
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    const cells = async (i: number) => ({
      key: await text(rows.nth(i).getByTestId('arm-key')),
      n: await text(rows.nth(i).getByTestId('arm-n')),
      mean: await text(rows.nth(i).getByTestId('arm-mean')),
      lift: await text(rows.nth(i).getByTestId('arm-lift')),
      ci: await text(rows.nth(i).getByTestId('arm-ci')),
      chance: await text(rows.nth(i).getByTestId('arm-chance')),
    });
    expect(await cells(0)).toEqual({ key: 'plain', n: String(plain!.n), mean: `${(plain!.mean * 100).toFixed(1)}%`, lift: '—', ci: '—', chance: '—' });
    expect(await cells(1)).toEqual({
      key: 'coupon',
      n: String(coupon!.n),
      mean: `${(coupon!.mean * 100).toFixed(1)}%`,
      lift: pct(coupon!.lift.estimate),
      ci: `${pct(coupon!.lift.ci[0])} … ${pct(coupon!.lift.ci[1])}`,
      chance: `${(coupon!.chanceToWin * 100).toFixed(1)}%`,
    });
    // The lift is large and its interval leaves 0.
    expect(coupon!.lift.ci[0]).toBeGreaterThan(0);

    await id('locale-en').click();
    await until(
      () => text(id('verdict-code')),
      (v) => v === 'Winner',
      'the English verdict',
    );
    expect(await text(id('verdict-text'))).toBe(results.verdict.en);
    expect(pageErrors).toEqual([]);
  });
});
