/**
 * Workspace isolation over every management route (issue #19, "Isolation suite"), generated from
 * the OpenAPI document so a route added tomorrow is covered the day it lands. Workspace B holds a
 * living brand (the demo, with its WeCom corp in the sandbox, plus objects of the modules the demo
 * does not make); its ids are harvested from every list route B can read. Then every route with
 * a path parameter is called with workspace A's secret key and B's ids in the path: the answer
 * must not be a success that carries B's data, and afterwards every list of B reads as before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from './support/engines.js';
import { createIsolationWorld, expectBUnchanged, leaky, type IsolationWorld } from './support/isolation.js';

/** Parameters that name a setting of the caller's own workspace (a channel, a metric), not an object another workspace owns. */
const NAMED = new Set(['channel', 'metric']);

describeEngines('workspace isolation: every route with an id, called with another workspace key', (engine) => {
  let w: IsolationWorld;
  let before = new Map<string, string>();

  beforeAll(async () => {
    w = await createIsolationWorld(engine);
    before = await w.snapshotB();
  }, 240_000);
  afterAll(async () => w?.close());

  /** A B id for the parameter `name` that follows `prefix` in a path (`/v1/segments` + `id`). */
  const idFor = (prefix: string, name: string): string | undefined => {
    const want = name === 'id' ? ['id', 'key', 'code'] : [name, 'id'];
    for (let p = prefix; p.length > 3; p = p.slice(0, p.lastIndexOf('/'))) {
      for (const k of want) {
        const found = w.ids.get(`${p}|${k}`)?.[0];
        if (found) return found;
      }
    }
    if (/profile/i.test(name) || prefix.endsWith('/profiles')) return w.ids.get('/v1/profiles|id')?.[0];
    return undefined;
  };

  it('the leak check itself: B reading its own segment with its own key is what a leak looks like', async () => {
    const id = w.ids.get('/v1/segments|id')![0]!;
    const bIds = new Set([...w.ids.values()].flat());
    expect(leaky(await w.call('GET', `/v1/segments/${id}`, w.t.secretKey), [id], bIds)).toBe(true);
    expect(leaky(await w.call('GET', `/v1/segments/${id}`, w.attacker.secretKey), [id], bIds)).toBe(false);
  });

  it("never answers another workspace's object: no success carrying B's data, and B unchanged", async () => {
    const leaks: string[] = [];
    const covered: string[] = [];
    const skipped: string[] = [];
    const bIds = new Set([...w.ids.values()].flat());
    for (const [path, methods] of Object.entries(w.doc.paths)) {
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
        const res = await w.call(method.toUpperCase(), url, w.attacker.secretKey, ['post', 'put', 'patch'].includes(method) ? {} : undefined);
        if (leaky(res, used, bIds)) leaks.push(`${label} → ${res.statusCode} ${res.body.slice(0, 160)}`);
      }
    }
    console.log(`isolation: ${covered.length} routes called with B's ids, ${skipped.length} without a B id to use: ${skipped.join(', ')}`);
    expect(leaks).toEqual([]);
    // Not vacuous: most id routes were called with a real id of B's.
    expect(covered.length).toBeGreaterThan(60);
    expect(covered.length / (covered.length + skipped.length)).toBeGreaterThan(0.75);
    await expectBUnchanged(w, before);
  }, 240_000);
});
