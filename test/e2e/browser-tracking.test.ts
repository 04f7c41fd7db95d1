import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/engines.js';

/**
 * Segment's browser SDK (@segment/analytics-next, from node_modules, bundled here) in a real
 * Chromium, on a page served from another origin (another local port), pointed at Siyu by
 * `cdnURL` alone (the settings endpoint tells it the apiHost) and by `apiHost` with batching
 * (/v1/b). Checked over the management API: every event stored once on the right profile; a
 * disallowed origin refused by the browser; the SDK saw only 2xx answers and queued no retry.
 */

const CHROMIUM = '/usr/bin/chromium';
type Json = Record<string, any>;

/** Polls `read` until `ok` holds. */
async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every request the page sent to Siyu, with its answer. */
interface Exchange {
  method: string;
  path: string;
  status?: number;
  failed?: string;
  retryCount?: string;
  body?: Json;
  /** The answer was read to its end (or the request failed). */
  done?: boolean;
}

function recordSiyu(page: Page, siyu: string): Exchange[] {
  const log: Exchange[] = [];
  const byRequest = new Map<object, Exchange>();
  page.on('request', (req) => {
    if (!req.url().startsWith(siyu)) return;
    const e: Exchange = { method: req.method(), path: new URL(req.url()).pathname, retryCount: req.headers()['x-retry-count'] };
    const data = req.postData();
    if (data) e.body = JSON.parse(data);
    byRequest.set(req, e);
    log.push(e);
  });
  page.on('response', (res) => {
    const e = byRequest.get(res.request());
    if (e) e.status = res.status();
  });
  page.on('requestfinished', (req) => {
    const e = byRequest.get(req);
    if (e) e.done = true;
  });
  page.on('requestfailed', (req) => {
    const e = byRequest.get(req);
    if (e) ((e.failed = req.failure()?.errorText ?? 'failed'), (e.done = true));
  });
  return log;
}

describe('analytics-next in Chromium, from another origin', () => {
  let t: TestApp;
  let siyu: string;
  let pages: Server;
  let pagePort: number;
  let browser: Browser;

  const api = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${siyu}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.secretKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Json;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it in CI)`);
    t = await createTestApp('sqlite');
    siyu = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const bundle = await build({
      stdin: { contents: "export { AnalyticsBrowser } from '@segment/analytics-next';", resolveDir: process.cwd() },
      bundle: true,
      format: 'iife',
      globalName: 'AnalyticsNext',
      platform: 'browser',
      define: { 'process.env.NODE_ENV': '"production"' },
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    pages = createServer((req, res) => {
      if (req.url === '/analytics.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/analytics.js"></script><h1>shop</h1>');
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r));
    pagePort = (pages.address() as AddressInfo).port;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
    // Only the shop's origin may send: http://localhost:<same port> is another origin.
    await api('PATCH', '/v1/tracking/settings', { allowedOrigins: [`http://127.0.0.1:${pagePort}`] });
  });
  afterAll(async () => {
    await browser?.close();
    if (pages) await new Promise((r) => pages.close(r));
    await t?.close();
  });

  it('delivers identify, page, track and a /b burst once each to one profile, with 2xx answers only', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const log = recordSiyu(page, siyu);
    const apiHost = siyu.replace(/^http:\/\//, '') + '/v1';

    // 1. A site that only sets cdnURL: the settings endpoint says where to send (single calls, /v1/i, /v1/p, /v1/t).
    await page.goto(`http://127.0.0.1:${pagePort}/`);
    const singles = await page.evaluate(
      async ({ writeKey, cdnURL }) => {
        const [analytics] = await (window as any).AnalyticsNext.AnalyticsBrowser.load({ writeKey, cdnURL });
        const ctxs = [
          await analytics.identify('web-user-1', { phone: '138 0013 8000', name: 'Li Lei' }),
          await analytics.page('Shop', 'Home'),
          await analytics.track('Viewed Product', { sku: 'SKU-1', price: 99.9 }),
        ];
        return ctxs.map((c: any) => ({ type: c.event.type, messageId: c.event.messageId, failed: c.failedDelivery() ?? null }));
      },
      { writeKey: t.writeKey, cdnURL: siyu },
    );
    expect(singles.map((s) => s.failed)).toEqual([null, null, null]);
    expect(log.filter((e) => e.method === 'POST').map((e) => e.path)).toEqual(['/v1/i', '/v1/p', '/v1/t']);
    // Leaving the page before an answer is read to its end would abort it.
    await until(() => log.every((e) => e.done), Boolean, 'the answers to be read');

    // 2. A site that sets apiHost and batching: a burst goes through /v1/b (the user id persists across pages).
    await page.goto(`http://127.0.0.1:${pagePort}/?burst`);
    const queued = await page.evaluate(([wk]) => localStorage.getItem(`persisted-queue:v1:${wk}:dest-Segment.io:items`), [t.writeKey]);
    expect(queued === null || JSON.parse(queued).length === 0).toBe(true);
    const burstIds = await page.evaluate(
      async ({ writeKey, cdnURL, apiHost }) => {
        const [analytics] = await (window as any).AnalyticsNext.AnalyticsBrowser.load(
          { writeKey, cdnURL },
          { integrations: { 'Segment.io': { apiHost, protocol: 'http', deliveryStrategy: { strategy: 'batching', config: { size: 10, timeout: 300 } } } } },
        );
        const ctxs = await Promise.all(Array.from({ length: 25 }, (_, i) => analytics.track('Burst', { i })));
        return ctxs.map((c: any) => c.event.messageId as string);
      },
      { writeKey: t.writeKey, cdnURL: siyu, apiHost },
    );
    const batched = () => log.filter((e) => e.path === '/v1/b' && e.status !== undefined).reduce((n, e) => n + (e.body?.batch?.length ?? 0), 0);
    await until(batched, (n) => n >= 25, 'the burst to be answered');
    await until(() => log.every((e) => e.done), Boolean, 'the answers to be read');

    // Every exchange with Siyu answered 2xx (preflights are not shown to pages), none failed, none was a retry.
    expect(log.filter((e) => e.failed !== undefined || e.status === undefined || e.status >= 300)).toEqual([]);
    expect(log.filter((e) => e.retryCount !== undefined && e.retryCount !== '0')).toEqual([]);
    expect(log.filter((e) => e.path === '/v1/b').length).toBeGreaterThanOrEqual(2);
    expect(batched()).toBe(25);
    await context.close();

    // Over the management API: one profile, found by user id and by phone, holding each event once.
    const profile = await api('GET', '/v1/profiles/user_id:web-user-1');
    expect((await api('GET', '/v1/profiles/phone:13800138000')).id).toBe(profile.id);
    const timeline = (await api('GET', `/v1/profiles/${profile.id}/events?limit=100`)).data as Json[];
    const sent = [...singles.map((s) => s.messageId), ...burstIds];
    expect(timeline.map((e) => e.messageId).sort()).toEqual([...sent].sort());
    expect(timeline.filter((e) => e.event === 'Burst')).toHaveLength(25);
    for (const e of timeline) {
      expect(e.payload.userId).toBe('web-user-1');
      expect(e.payload.context.ip).toBe('127.0.0.1');
      expect(e.payload.context.userAgent).toMatch(/Chrome/);
      expect(e.payload.context.library.name).toBe('analytics.js');
    }
  });

  it('is refused by the browser from an origin the workspace does not allow, and stores nothing', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const log = recordSiyu(page, siyu);
    await page.goto(`http://localhost:${pagePort}/`);
    const outcome = await page.evaluate(
      async ({ writeKey, siyu }) => {
        const settings = await fetch(`${siyu}/v1/projects/${writeKey}/settings`).then(
          (r) => `status ${r.status}`,
          (e: Error) => e.name,
        );
        const send = await fetch(`${siyu}/v1/t`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain', Authorization: `Basic ${btoa(writeKey + ':')}` },
          body: JSON.stringify({ userId: 'web-user-1', event: 'Refused', messageId: 'refused-1' }),
        }).then(
          (r) => `status ${r.status}`,
          (e: Error) => e.name,
        );
        const sdk = await (window as any).AnalyticsNext.AnalyticsBrowser.load({ writeKey, cdnURL: siyu }).then(
          () => 'loaded',
          () => 'refused',
        );
        return { settings, send, sdk };
      },
      { writeKey: t.writeKey, siyu },
    );
    expect(outcome).toEqual({ settings: 'TypeError', send: 'TypeError', sdk: 'refused' });
    expect(log.every((e) => e.failed !== undefined)).toBe(true);
    await context.close();
    const profile = await api('GET', '/v1/profiles/user_id:web-user-1');
    const events = (await api('GET', `/v1/profiles/${profile.id}/events?limit=100&event=Refused`)).data as Json[];
    expect(events).toEqual([]);
  });
});
