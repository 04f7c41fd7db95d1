import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST_DIR } from '../src/platform/console.routes.js';
import { createSandbox, type Sandbox } from '../wecom-sandbox/index.js';
import { signInConsole } from './support/console.js';
import { createE2eEnvironment, type E2eEnvironment, until } from './support/e2e.js';
import { type ServerProcess, startServer } from './support/server-process.js';

/**
 * The console's segment members with names and identifiers, the lifecycle flow on the RFM page,
 * and the profile page's WeCom staff and groups (issue #16), on one real server: customers are
 * tracked through the API, WeCom is the local sandbox mirrored by the real full sync (the CLI), and
 * the lifecycle model runs from the console's button. Screenshots at 1440 and 390 px go to
 * test-artifacts/screens/.
 */
const CHROMIUM = '/usr/bin/chromium';
const KEY = 'cd'.repeat(32);
const SCREENS = join(process.cwd(), 'test-artifacts', 'screens');

describe('console segment members, lifecycle flow and profile WeCom card (real server, real browser)', () => {
  let place: E2eEnvironment | undefined;
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  let sb: Sandbox | undefined;
  let page: Page;
  let secret: Record<string, string>;
  let writeKey = '';
  let synced: Promise<unknown> | undefined;

  const id = (t: string) => page.getByTestId(t);
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(`${server!.url}${path}`, { ...init, headers: { ...secret, ...(init.headers as Record<string, string>) } });
    expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
    return (await res.json()) as T;
  };
  const shot = async (name: string) => {
    await page.screenshot({ path: join(SCREENS, `${name}-1440.png`), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await until(
      () => page.evaluate(() => document.documentElement.scrollWidth),
      (w) => w <= 390,
      `${name} laid out at 390 px`,
    );
    await page.screenshot({ path: join(SCREENS, `${name}-390.png`), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
  };

  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) throw new Error('the console is not built: run `npm run build:console`');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(SCREENS, { recursive: true });
    place = await createE2eEnvironment('sqlite', { prefix: 'segflow', encryptionKey: KEY });
    sb = createSandbox({ seed: 21, staff: 4, customers: 30, groups: 4, resignedStaff: 0 });
    await sb.listen();
    [server, browser] = await Promise.all([startServer(place.env), chromium.launch({ executablePath: CHROMIUM })]);
    const keys = server.keys();
    writeKey = keys.writeKey;
    secret = { authorization: `Bearer ${keys.secretKey}`, 'content-type': 'application/json' };
    const c = sb.credentials;
    await api('/v1/wecom/connection', {
      method: 'PUT',
      body: JSON.stringify({ corpId: c.corpId, secret: c.secret, callbackToken: c.callbackToken, encodingAesKey: c.encodingAesKey, apiBaseUrl: sb.url }),
    });
    const tracked = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          { type: 'identify', userId: 'u-li', traits: { name: '李雷', phone: '13800138000', email: 'li.lei@example.com', plan: 'vip' } },
          { type: 'identify', userId: 'u-han', traits: { name: '韩梅梅', member_id: 'M-0002', plan: 'vip' } },
          { type: 'track', userId: 'u-han', event: 'Order Completed', properties: { order_id: 'o-1', total: 88 } },
          { type: 'identify', userId: 'u-wang', traits: { name: '王芳', phone: '13900139000', plan: 'free' } },
        ],
      }),
    });
    expect(tracked.status).toBe(200);
    // WeCom's staff, customers and groups come in by the real full sync (the CLI, beside the server),
    // running while the browser signs in and the first test runs; the second awaits it.
    synced = promisify(execFile)(process.execPath, ['bin/siyu.js', 'wecom', 'sync', '--json'], {
      env: { ...process.env, ...place.env, SIYU_LOG_LEVEL: 'warn' },
    });
    page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await signInConsole(page, server);
  });

  afterAll(async () => {
    await synced?.catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await sb?.close();
    await place?.close();
  });

  it("shows a segment's members by name with their key identifiers", async () => {
    const seg = await api<{ id: string }>('/v1/segments', {
      method: 'POST',
      body: JSON.stringify({ name: 'VIP 会员', rule: { type: 'trait', key: 'plan', op: 'eq', value: 'vip' } }),
    });
    await until(
      () => api<{ memberCount: number | null }>(`/v1/segments/${seg.id}`),
      (s) => s.memberCount === 2,
      'the segment computed',
      20_000,
    );
    await page.goto(`${server!.url}/console/segments/${seg.id}`);
    await id('member-name').first().waitFor();
    expect((await id('member-name').allTextContents()).sort()).toEqual(['李雷', '韩梅梅'].sort());
    const ids = (await id('member-ids').allTextContents()).join(' ');
    expect(ids).toContain('13800138000');
    expect(ids).toContain('li.lei@example.com');
    expect(ids).toContain('M-0002');
    expect(ids).toContain('user_id: u-han');
    await shot('segment-members');
    // A name opens the profile.
    await id('member-name').filter({ hasText: '李雷' }).click();
    await page.waitForURL(/\/console\/customers\/prf_/);
  });

  it('runs the lifecycle model from the RFM page and shows the flow between stages as a Sankey and a table', async () => {
    // The synced WeCom customers are profiles too: every profile is there before the model runs.
    await synced;
    await page.goto(`${server!.url}/console/rfm`);
    await id('lifecycle-flow').waitFor();
    await id('flow-empty').waitFor();
    await id('compute-lifecycle').click();
    await id('flow-table').waitFor();
    // Every profile got its first stage in this run: one move per stage from "not staged yet".
    const flow = await api<{ profiles: number; moves: { from: string | null; to: string; profiles: number }[] }>('/v1/models/lifecycle/flow');
    const people = await api<{ data: unknown[] }>('/v1/profiles?limit=200');
    expect(flow.profiles).toBe(people.data.length);
    expect(flow.moves.every((m) => m.from === null)).toBe(true);
    expect(await id('flow-profiles').textContent()).toBe(String(flow.profiles));
    expect((await id('flow-move-count').allTextContents()).map(Number)).toEqual(flow.moves.map((m) => m.profiles));
    await page.locator('[data-testid="flow-chart"][data-ready="true"]').waitFor();
    expect(await id('lifecycle-flow').textContent()).toContain('尚未分阶段');
    await id('lifecycle-flow').scrollIntoViewIfNeeded();
    await shot('lifecycle-flow');
  });

  it("shows a WeCom customer's staff, owner first, and groups on the profile page", async () => {
    const { corp, state } = sb!;
    const groupsOf = (c: number) => state.groups.groups.filter((g) => !g.dismissed && Array.from(g.members).includes(c));
    const c = Array.from({ length: 30 }, (_, i) => i).find((i) => corp.relationsOfCustomer(i).length >= 2 && groupsOf(i).length > 0);
    expect(c, 'the sandbox seed has a customer with two staff and a group').toBeDefined();
    const ext = corp.externalUserid(c!);
    const contact = (await api<{ data: { profileId: string }[] }>(`/v1/wecom/contacts?q=${ext}`)).data[0]!;
    await page.goto(`${server!.url}/console/customers/${contact.profileId}`);
    await id('wecom-owner').waitFor();
    const relations = corp
      .relationsOfCustomer(c!)
      .map((r) => corp.relation(r))
      .sort((a, b) => a.createTime - b.createTime || corp.staff[a.staff]!.userid.localeCompare(corp.staff[b.staff]!.userid));
    const rows = await id('wecom-staff-row').allTextContents();
    expect(rows).toHaveLength(relations.length);
    expect(rows[0]).toContain(corp.staff[relations[0]!.staff]!.name);
    expect(rows[0]).toContain('负责人');
    expect(await id('wecom-group-row').count()).toBe(groupsOf(c!).length);
    expect((await id('wecom-groups').textContent()) ?? '').toContain(groupsOf(c!)[0]!.name);
    await shot('profile-wecom');
  });
});
