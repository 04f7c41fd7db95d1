/**
 * Workspace isolation over every management route (issue #19, "Isolation suite"), generated from
 * the OpenAPI document so a route added tomorrow is covered the day it lands. Workspace B holds a
 * living brand (the demo, with its WeCom corp in the sandbox, plus objects of the modules the demo
 * does not make); its ids are harvested from every list route B can read. Then every route with
 * a path parameter is called with workspace A's secret key and B's ids in the path: the answer
 * must not be a success that carries B's data, and afterwards every list of B reads as before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDemoSandboxes } from '../wecom-sandbox/demo.js';
import { createTestApp, describeEngines, type TestApp } from './support/engines.js';

type Op = { security?: Record<string, unknown>[]; parameters?: { in: string; name: string; required?: boolean }[] };
type Doc = { paths: Record<string, Record<string, Op>> };

const NOW = Date.parse('2026-11-20T02:00:00Z');
const ID_KEYS = ['id', 'userid', 'externalUserid', 'chatId', 'configId', 'key', 'profileId', 'code', 'orderId'];
/** Parameters that name a setting of the caller's own workspace (a channel, a metric), not an object another workspace owns. */
const NAMED = new Set(['channel', 'metric']);

describeEngines('workspace isolation: every route with an id, called with another workspace key', (engine) => {
  let t: TestApp;
  let attacker: { workspaceId: string; secretKey: string };
  let doc: Doc;
  /** B's ids per collection path (`/v1/segments` → segment ids), harvested from its lists. */
  const ids = new Map<string, string[]>();
  let before = new Map<string, string>();

  const call = (method: string, url: string, key: string, body?: unknown) =>
    t.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(body !== undefined && { payload: body as object }) });

  /** Every GET without path parameters that answers a page: B's lists, read with B's key. */
  const listRoutes = () =>
    Object.entries(doc.paths)
      .filter(([path, m]) => !path.includes('{') && m.get?.security?.some((s) => 'secretKey' in s))
      .filter(([, m]) => !(m.get!.parameters ?? []).some((p) => p.in === 'query' && p.required))
      .map(([path]) => path);

  const snapshotB = async () => {
    const out = new Map<string, string>();
    for (const path of listRoutes()) {
      const res = await call('GET', path, t.secretKey);
      // A report's `cached` flag says whether it was computed again, not what it holds.
      if (res.statusCode === 200) out.set(path, res.body.replace(/"cached":(true|false)/g, ''));
    }
    return out;
  };

  beforeAll(async () => {
    t = await createTestApp(engine, { clockStart: NOW, demoSandboxes: createDemoSandboxes });
    attacker = await t.newWorkspace('Attacker');
    const demo = await call('POST', '/v1/demo', t.secretKey, { customers: 200, seed: 7 });
    expect(demo.statusCode, demo.body).toBe(201);
    // What the demo does not make: coupons, surveys, experiments, loyalty rules, SCRM operations, a console user.
    const segmentId = (await call('GET', '/v1/segments?limit=1', t.secretKey)).json().data[0].id as string;
    const chatId = (await call('GET', '/v1/wecom/groups?limit=1', t.secretKey)).json().data[0]?.chatId as string;
    const made = [
      await call('POST', '/v1/loyalty/coupon-templates', t.secretKey, { key: 'b-only', name: 'B only', kind: 'fixed', amountFen: 500, validity: { days: 30 } }),
      await call('POST', '/v1/insight/surveys', t.secretKey, {
        name: 'B survey',
        title: { 'zh-CN': 'B 调查' },
        questions: [{ id: 'nps', kind: 'nps', text: { 'zh-CN': '推荐吗？' } }],
      }),
      await call('POST', '/v1/insight/experiments', t.secretKey, {
        key: 'b-exp',
        name: 'B experiment',
        subject: { kind: 'send_time', id: 'morning' },
        variants: [
          { key: 'a', weight: 1 },
          { key: 'b', weight: 1 },
        ],
        goal: { kind: 'conversion', event: 'Order Completed', windowDays: 7 },
      }),
      await call('POST', '/v1/loyalty/rules', t.secretKey, { name: 'B points', kind: 'order', definition: { pointsPerYuan: 1 } }),
      await call('POST', '/v1/wecom/snippets', t.secretKey, { title: 'B snippet', content: { text: { content: '你好' } } }),
      await call('POST', '/v1/wecom/sensitive-words', t.secretKey, { words: ['返现'] }),
      await call('POST', '/v1/wecom/workbench-rules', t.secretKey, { segmentId, kind: 'custom', titleTemplate: '回访 {name}' }),
      await call('POST', '/v1/wecom/group-codes', t.secretKey, { name: 'B group code', chatIds: [chatId] }),
      await call('POST', '/v1/users', t.secretKey, { email: 'b-operator@brand.example', password: 'a long password 1', role: 'operator' }),
    ];
    for (const r of made) if (r.statusCode >= 300) console.warn(`isolation fixture: ${r.statusCode} ${r.body.slice(0, 200)}`);
    doc = (await call('GET', '/openapi.json', t.secretKey)).json() as Doc;
    for (const path of listRoutes()) {
      const res = await call('GET', `${path}?limit=5`, t.secretKey);
      if (res.statusCode !== 200) continue;
      const body = res.json() as { data?: Record<string, unknown>[] };
      if (!Array.isArray(body.data)) continue;
      for (const row of body.data) {
        for (const k of ID_KEYS) {
          if (typeof row[k] === 'string') {
            const key = `${path}|${k}`;
            ids.set(key, [...(ids.get(key) ?? []), row[k] as string]);
          }
        }
      }
    }
    before = await snapshotB();
  }, 240_000);
  afterAll(async () => t?.close());

  /** A B id for the parameter `name` that follows `prefix` in a path (`/v1/segments` + `id`). */
  const idFor = (prefix: string, name: string): string | undefined => {
    const want = name === 'id' ? ['id', 'key', 'code'] : [name, 'id'];
    for (let p = prefix; p.length > 3; p = p.slice(0, p.lastIndexOf('/'))) {
      for (const k of want) {
        const found = ids.get(`${p}|${k}`)?.[0];
        if (found) return found;
      }
    }
    if (/profile/i.test(name) || prefix.endsWith('/profiles')) return ids.get('/v1/profiles|id')?.[0];
    return undefined;
  };

  /**
   * A success is a leak when it carries anything of B's: a B id other than those in the path, or
   * the path's own ids (an answer about that object; an empty page that names none is not).
   */
  const leaky = (res: { statusCode: number; body: string }, used: string[], bIds: Set<string>) => {
    if (res.statusCode >= 300 || res.statusCode === 204) return false;
    const foreign = [...bIds].some((id) => !used.includes(id) && id.length > 6 && res.body.includes(id));
    return foreign || (used.some((id) => res.body.includes(id)) && !/^\{"data":\[\]/.test(res.body));
  };

  it('the leak check itself: B reading its own segment with its own key is what a leak looks like', async () => {
    const id = ids.get('/v1/segments|id')![0]!;
    const bIds = new Set([...ids.values()].flat());
    expect(leaky(await call('GET', `/v1/segments/${id}`, t.secretKey), [id], bIds)).toBe(true);
    expect(leaky(await call('GET', `/v1/segments/${id}`, attacker.secretKey), [id], bIds)).toBe(false);
  });

  it("never answers another workspace's object: no success carrying B's data, and B unchanged", async () => {
    const leaks: string[] = [];
    const covered: string[] = [];
    const skipped: string[] = [];
    const bIds = new Set([...ids.values()].flat());
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.includes('{')) continue;
      for (const [method, op] of Object.entries(methods)) {
        if (!op.security?.some((s) => 'secretKey' in s)) continue;
        if ([...path.matchAll(/\{(\w+)\}/g)].some((m) => NAMED.has(m[1]!))) continue;
        let url = '';
        let ok = true;
        let used: string[] = [];
        for (const part of path.split('/').slice(1)) {
          const m = /^\{(\w+)\}$/.exec(part);
          if (!m) {
            url += `/${part}`;
            continue;
          }
          const id = idFor(url, m[1]!);
          if (!id) {
            ok = false;
            break;
          }
          used.push(id);
          url += `/${encodeURIComponent(id)}`;
        }
        const label = `${method.toUpperCase()} ${path}`;
        if (!ok) {
          skipped.push(label);
          continue;
        }
        covered.push(label);
        const res = await call(method.toUpperCase(), url, attacker.secretKey, ['post', 'put', 'patch'].includes(method) ? {} : undefined);
        if (leaky(res, used, bIds)) leaks.push(`${label} → ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
    console.log(`isolation: ${covered.length} routes called with B's ids, ${skipped.length} without a B id to use: ${skipped.join(', ')}`);
    expect(leaks).toEqual([]);
    // Not vacuous: most id routes were called with a real id of B's.
    expect(covered.length).toBeGreaterThan(60);
    expect(covered.length / (covered.length + skipped.length)).toBeGreaterThan(0.75);
    const after = await snapshotB();
    // B's own audit log grows by the exports this snapshot made; the attacker's calls are in A's.
    for (const [path, body] of before) if (!path.startsWith('/v1/audit')) expect(after.get(path), path).toBe(body);
    const mine = (await call('GET', '/v1/audit?limit=500', attacker.secretKey)).json().data as unknown[];
    expect(mine.length).toBeGreaterThan(0);
  }, 240_000);
});
