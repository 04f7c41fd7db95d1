import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * Surveys end to end: the real server (`siyu serve`, SQLite) and a real Chromium. An operator
 * (the workspace's first owner) creates an NPS survey in the console's editor and makes an answer link for a customer; the
 * customer opens it on a phone-sized screen in English (the browser's language), answers and
 * submits; the operator sees the score, the trend point and the verbatim in the console.
 */

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'd1'.repeat(32);

const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();

describe('surveys in the console and on the hosted page (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error(`the console is not built (${CONSOLE_DIST_DIR}): run \`npm run build:console\``);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    place = await createE2eEnvironment('sqlite', { prefix: 'surveys', encryptionKey: KEY, env: { SIYU_SEGMENT_RECHECK_MINUTES: '0' } });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const write = 'Basic ' + Buffer.from(server.keys().writeKey + ':').toString('base64');
    const res = await fetch(`${server.url}/v1/identify`, {
      method: 'POST',
      headers: { authorization: write, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'cust-1', traits: { name: 'Wang' } }),
    });
    expect(res.status).toBe(200);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('creates a survey in the editor, answers it through the hosted page, and shows the score', async () => {
    const console = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await console.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const id = (testId: string) => page.getByTestId(testId);

    await signInConsole(page, server!);
    await id('nav-surveys').click();
    await id('new-survey').click();

    // The editor: a name, a title in both languages, the NPS question and a free-text one.
    await id('survey-name').fill('门店 NPS');
    await id('survey-title-zh').fill('门店体验调查');
    await id('survey-title-en').fill('Store experience');
    await id('question-zh').first().fill('您有多大可能向朋友推荐我们？');
    await id('question-en').first().fill('How likely are you to recommend us?');
    await id('add-question').click();
    await id('question-zh').nth(1).fill('请告诉我们原因');
    await id('question-en').nth(1).fill('Tell us why');
    await id('survey-keywords').fill('staff: 店员, staff');
    await id('save-survey').click();
    await until(
      () => Promise.resolve(new URL(page.url()).pathname),
      (p) => /^\/console\/surveys\/srv_/.test(p),
      'the report page of the new survey',
    );
    expect(await text(id('score-nps'))).toContain('暂无回答');

    // An answer link for the customer, as an operator makes one for a store's QR code.
    await id('link-profile').fill('user_id:cust-1');
    await id('make-link').click();
    const href = await until(
      () => id('survey-url').getAttribute('href'),
      (h) => !!h && h.includes('/s/'),
      'the answer link',
    );

    // The customer: a phone-sized screen, English browser, no console session.
    const phone = await browser!.newContext({ viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true });
    const answerPage = await phone.newPage();
    await answerPage.goto(href!);
    expect(await answerPage.locator('h1').textContent()).toBe('Store experience');
    const form = answerPage.locator('form');
    await form.locator('fieldset').first().getByText('10', { exact: true }).tap();
    await form.locator('textarea').fill('The staff were very helpful');
    await form.getByRole('button', { name: 'Submit' }).tap();
    await until(
      () => answerPage.locator('[data-state]').getAttribute('data-state'),
      (s) => s === 'thanks',
      'the thank-you page',
    );
    // The same link again says it was answered.
    await answerPage.goto(href!);
    expect(await answerPage.locator('[data-state]').getAttribute('data-state')).toBe('already');

    // The operator sees the score, its trend point and the verbatim with its keyword tag.
    await id('report-refresh').click();
    await until(
      () => text(id('score-nps')),
      (v) => v.startsWith('NPS100'),
      'the NPS score',
    );
    expect(await id('nps-trend').locator('circle').getAttribute('data-value')).toBe('100');
    await id('verbatim-search').locator('input').fill('helpful');
    await id('verbatim-search').locator('input').press('Enter');
    await until(
      () => id('verbatim-text').allTextContents(),
      (v) => v.length === 1 && v[0] === 'The staff were very helpful',
      'the verbatim',
    );
    expect(await page.locator('.ant-tag', { hasText: 'staff' }).count()).toBe(1);
    expect(errors).toEqual([]);
    await phone.close();
    await console.close();
  });
});
