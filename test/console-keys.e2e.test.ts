import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { pickMenu, signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The encryption-keys card (issue #19, envelope encryption): the owner sees the workspace's data
 * key version, rotates it, watches the background re-encryption finish, and the phone stored before
 * the rotation is still found by One ID. One process runs, so the rotation does not wait for others
 * (SIYU_KEY_ROTATION_GRACE_MS=0). Screenshot in test-artifacts/screens/.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console encryption keys: rotate from Settings, progress, the old data still found (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let secret: Record<string, string>;

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', {
      prefix: 'keys',
      encryptionKey: 'ab'.repeat(32),
      env: { SIYU_SEGMENT_RECHECK_MINUTES: '0', SIYU_KEY_ROTATION_GRACE_MS: '0' },
    });
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    secret = { authorization: `Bearer ${server.keys().secretKey}`, 'content-type': 'application/json' };
    const write = { authorization: 'Basic ' + Buffer.from(server.keys().writeKey + ':').toString('base64'), 'content-type': 'application/json' };
    const res = await fetch(`${server.url}/v1/identify`, {
      method: 'POST',
      headers: write,
      body: JSON.stringify({ userId: 'key-e2e-1', traits: { phone: '13800138077', name: '密钥测试' } }),
    });
    expect(res.status, await res.text()).toBe(200);
    await until(
      async () => (await fetch(`${server!.url}/v1/profiles/phone:%2B8613800138077`, { headers: secret })).status,
      (s) => s === 200,
      'the identified profile',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await place?.close();
  });

  it('lets the owner rotate the data key and shows the old version retired once its data is re-encrypted', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await ctx.newPage();
    const id = (t: string) => page.getByTestId(t);
    await signInConsole(page, server!);
    await pickMenu(page, 'nav-settings', 'nav-settings-workspace');
    const card = id('encryption-keys');
    await card.getByText('加密密钥').waitFor();
    await id('keys-versions').getByText('使用中').waitFor();
    await id('keys-rotate').click();
    await id('keys-rotate-ok').click();
    await id('keys-done').waitFor({ timeout: 30_000 });
    expect(await id('keys-done').textContent()).toContain('重新加密 1 个值');
    const rows = id('keys-versions').locator('tbody tr');
    await until(
      async () => (await rows.allTextContents()).join(' | '),
      (v) => /^2.*使用中.* \| 1.*已停用/.test(v),
      'version 2 active, version 1 retired',
    );
    await page.screenshot({ path: join(SCREENS, 'settings-encryption-keys.png'), fullPage: true });
    // In English too.
    await id('locale-en').click();
    await card.getByText('Encryption keys').waitFor();
    await id('keys-versions').locator('.ant-tag', { hasText: 'Retired' }).waitFor();
    expect(await id('keys-done').textContent()).toContain('1 values re-encrypted');
    const status = (await (await fetch(`${server!.url}/v1/encryption/keys`, { headers: secret })).json()) as {
      data: { version: number; state: string }[];
      rotation: { state: string; changed: number };
    };
    expect(status.data.map((v) => [v.version, v.state])).toEqual([
      [2, 'active'],
      [1, 'retired'],
    ]);
    expect(status.rotation).toMatchObject({ state: 'done', changed: 1 });
    // The phone stored under version 1 is still found, and shown decrypted.
    const p = await fetch(`${server!.url}/v1/profiles/phone:%2B8613800138077`, { headers: secret });
    expect(p.status).toBe(200);
    expect(((await p.json()) as { identifiers: { type: string; value: string }[] }).identifiers).toContainEqual({
      type: 'phone',
      value: '+8613800138077',
      firstSeenAt: expect.any(String),
    });
    await ctx.close();
  });
});
