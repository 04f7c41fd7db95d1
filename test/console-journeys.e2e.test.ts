import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The journey canvas end to end (issue #16): an operator creates a journey, adds steps on the
 * canvas, edits one, connects another by dragging between handles, sees the validator's problem
 * on the node it concerns, fixes it and publishes; the API then holds exactly that definition.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('journey canvas (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'journeys', encryptionKey: 'cb'.repeat(32), env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('builds a journey on the canvas, shows a problem on its node, and publishes', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);
    await id('nav-journeys').click();
    await id('new-journey').click();
    await id('journey-new-name').fill('新客欢迎');
    await id('journey-create').click();
    await id('node-__trigger').waitFor();
    await id('node-s1').waitFor();

    // A wait step first (nothing selected: it becomes the start), its duration edited in the panel.
    await id('add-step').click(); // the type picker starts on "wait"
    await id('node-s2').waitFor();
    await id('step-json').fill(JSON.stringify({ id: 's2', type: 'wait', duration: { hours: 2 }, next: 's1' }));
    await id('step-apply').click();
    // A tag step after the wait has no free exit to hang from: it is added unconnected.
    await id('add-step-type').click();
    await page.locator('.ant-select-item-option[title="tag"]').click();
    await id('add-step').click();
    await id('node-s3').waitFor();
    await id('journey-publish').click();
    await id('node-s3').getByTestId('node-error').first().waitFor();
    expect(await id('node-s3').getByTestId('node-error').first().textContent()).toContain('cannot be reached');
    await page.screenshot({ path: join(SCREENS, 'journey-canvas-error-1440.png'), fullPage: true });

    // Connected by dragging from the wait's exit to the tag step, and the tag step on to the exit.
    const drag = async (from: string, to: string) => {
      const a = await id(from).locator('.react-flow__handle.source').first().boundingBox();
      const b = await id(to).locator('.react-flow__handle.target').first().boundingBox();
      await page.mouse.move(a!.x + a!.width / 2, a!.y + a!.height / 2);
      await page.mouse.down();
      await page.mouse.move(b!.x + b!.width / 2, b!.y + b!.height / 2, { steps: 12 });
      await page.mouse.up();
    };
    await drag('node-s2', 'node-s3');
    await page.locator('.react-flow__controls-fitview').click(); // every step in view again
    await drag('node-s3', 'node-s1');
    await id('journey-publish').click();

    await until(
      async () => (await id('journey-status').textContent()) ?? '',
      (v) => v === '运行中',
      'the journey to be active',
    );
    expect(await id('node-s3').getByTestId('node-error').count()).toBe(0);
    await page.screenshot({ path: join(SCREENS, 'journey-canvas-1440.png'), fullPage: true });

    const { secretKey } = server!.keys();
    const list = (await (await fetch(`${server!.url}/v1/journeys`, { headers: { authorization: `Bearer ${secretKey}` } })).json()) as {
      data: { name: string; status: string; definition: { start?: string; steps: Record<string, unknown>[] } }[];
    };
    const j = list.data.find((x) => x.name === '新客欢迎')!;
    expect(j.status).toBe('active');
    const byId = Object.fromEntries(j.definition.steps.map((s) => [s.id, s]));
    expect(j.definition.start).toBe('s2');
    expect(byId.s2).toMatchObject({ type: 'wait', duration: { hours: 2 }, next: 's3' });
    expect(byId.s3).toMatchObject({ type: 'tag', next: 's1' });
    expect(byId.s1).toMatchObject({ type: 'exit' });
    expect(errors).toEqual([]);
    await ctx.close();
  });
});
