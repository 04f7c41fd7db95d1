import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The insight screens end to end: the real server (`siyu serve`, SQLite) serving the built
 * console, driven by Chromium. Events and orders are tracked through the tracking API; an operator
 * reads the overview's headline numbers and charts, builds a three-step funnel and reads its
 * counts, conversions and median times, and opens the cohort triangle.
 */

const CHROMIUM = '/usr/bin/chromium';
const DAY = 86_400_000;
const SIGNED_UP = 10; // f0..f9 sign up; f0..f5 order a day later; f0..f2 order again a day after that
const FIRST = 6;
const SECOND = 3;

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();
const hasText = (l: Locator, want: string, what: string) =>
  until(
    () => text(l),
    (v) => v === want,
    `${what} to read "${want}"`,
  );

describe('insight console: overview, funnel builder, cohorts (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    place = await createE2eEnvironment('sqlite', { prefix: 'insight', encryptionKey: 'c1'.repeat(32) });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const write = 'Basic ' + Buffer.from(server.keys().writeKey + ':').toString('base64');
    const start = Date.now() - 5 * DAY;
    const batch: Record<string, unknown>[] = [];
    const at = (ms: number) => new Date(ms).toISOString();
    for (let i = 0; i < SIGNED_UP; i++) {
      batch.push({ type: 'track', userId: `f${i}`, messageId: `s-${i}`, event: 'Signed Up', timestamp: at(start) });
      for (let k = 0; k < (i < SECOND ? 2 : i < FIRST ? 1 : 0); k++) {
        batch.push({
          type: 'track',
          userId: `f${i}`,
          messageId: `o-${i}-${k}`,
          event: 'Order Completed',
          timestamp: at(start + (k + 1) * DAY),
          properties: { order_id: `o-${i}-${k}`, total: 100 },
        });
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

  it('shows the overview, builds a funnel over tracked events and reads its numbers, and shows the cohort triangle', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);
    await signInConsole(page, server!, '/console/insight');

    // Overview: nine orders of 100 yuan by six buyers in the last 30 days; the chart library loads on demand.
    await hasText(id('kpi-orders'), String(FIRST + SECOND), 'the orders KPI');
    await hasText(id('kpi-buyers'), String(FIRST), 'the buyers KPI');
    await hasText(id('kpi-net-gmv'), '¥900.00', 'the net GMV KPI');
    await hasText(id('kpi-repurchase'), '50.0%', 'the repurchase KPI');
    await until(
      () => id('chart-sales').getAttribute('data-ready'),
      (v) => v === 'true',
      'the sales chart',
    );
    expect(await id('chart-sales').locator('canvas').count()).toBe(1);

    // Funnel builder: Signed Up → Order Completed → Order Completed.
    // The insight menu holds the overview, the funnel builder and the cohorts.
    await pickMenu(page, 'nav-insight', 'nav-insight-funnels');
    await id('funnel-step-0').fill('Signed Up');
    await id('funnel-step-1').fill('Order Completed');
    await id('funnel-add-step').click();
    await id('funnel-step-2').fill('Order Completed');
    await id('funnel-apply').click();
    const row = (step: number) => id(`funnel-row-all-${step}`);
    await hasText(row(1).getByTestId('profiles'), String(SIGNED_UP), 'step 1');
    await hasText(row(2).getByTestId('profiles'), String(FIRST), 'step 2');
    await hasText(row(3).getByTestId('profiles'), String(SECOND), 'step 3');
    expect(await text(row(2).getByTestId('conv-prev'))).toBe('60.0%');
    expect(await text(row(3).getByTestId('conv-prev'))).toBe('50.0%');
    expect(await text(row(2).getByTestId('median'))).toBe('1.0 d');
    expect(await text(row(3).getByTestId('median'))).toBe('1.0 d');

    // English labels, same numbers.
    await id('locale-en').click();
    await hasText(row(1).locator('td').first(), 'Everyone', 'the group label in English');

    // Cohorts: the buyers' first-purchase cohort holds all six, all retained in their first period.
    await pickMenu(page, 'nav-insight', 'nav-insight-cohorts');
    const from = new Date(Date.now() - 60 * DAY).toISOString().slice(0, 10);
    await id('cohort-from').fill(from);
    await id('cohort-apply').click();
    await until(
      () => id('cohort-table').locator('tr.ant-table-row td:nth-child(2)').allTextContents(),
      (sizes) => sizes.map(Number).reduce((a, b) => a + b, 0) === FIRST,
      'the cohort sizes',
    );
    expect(errors).toEqual([]);
  });
});
