/**
 * The world of the isolation suite (issue #19): workspace B holds a living brand (the demo, with
 * its WeCom corp in the sandbox, plus objects of the modules the demo does not make), workspace A
 * (the attacker) holds a small one of its own, and each side's ids are harvested from every list
 * route it can read. Shared by test/isolation.test.ts (B's ids in paths) and
 * test/isolation.refs.test.ts (B's ids in bodies and queries).
 */
import { expect } from 'vitest';
import { createDemoSandboxes } from '../../wecom-sandbox/demo.js';
import type { Engine } from '../../src/platform/db/database.js';
import { createTestApp, type TestApp } from './engines.js';

/** An OpenAPI operation, as much of it as the suite reads. */
export type Op = {
  security?: Record<string, unknown>[];
  parameters?: { in: string; name: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
};
/** A JSON schema, as much of it as the suite reads. */
export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  description?: string;
  additionalProperties?: boolean | Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  then?: Schema;
  else?: Schema;
};
/** The OpenAPI document. */
export type Doc = { paths: Record<string, Record<string, Op>> };

/** Row fields harvested as ids from list pages. */
export const ID_KEYS = ['id', 'userid', 'externalUserid', 'chatId', 'configId', 'key', 'profileId', 'code', 'orderId'];
const NOW = Date.parse('2026-11-20T02:00:00Z');

/** What a test of the suite reads: the app, both workspaces, the document and each side's ids. */
export interface IsolationWorld {
  t: TestApp;
  attacker: { workspaceId: string; secretKey: string };
  doc: Doc;
  /** B's ids per `list path|row field` (`/v1/segments|id` → segment ids). */
  ids: Map<string, string[]>;
  /** A's own ids, the same way (filled only when the world was made with `attackerDemo`). */
  own: Map<string, string[]>;
  call(method: string, url: string, key: string, body?: unknown): Promise<{ statusCode: number; body: string; json(): any }>;
  /** Every list of B, read with B's key (the `cached` flag of reports left out). */
  snapshotB(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

/** Every GET without path parameters, reachable with a secret key, that needs no query parameter. */
export function listRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths)
    .filter(([path, m]) => !path.includes('{') && m.get?.security?.some((s) => 'secretKey' in s))
    .filter(([, m]) => !(m.get!.parameters ?? []).some((p) => p.in === 'query' && p.required))
    .map(([path]) => path);
}

/** Fixtures the demo does not make: coupons, surveys, experiments, loyalty rules, a catalogue item, a lottery, a group buy, a privacy request, SCRM operations, a console user. */
async function makeExtras(call: IsolationWorld['call'], key: string): Promise<void> {
  const segmentId = (await call('GET', '/v1/segments?limit=1', key)).json().data[0].id as string;
  const chatId = (await call('GET', '/v1/wecom/groups?limit=1', key)).json().data[0]?.chatId as string;
  const profileId = (await call('GET', '/v1/profiles?limit=1', key)).json().data[0]?.id as string;
  const made = [
    await call('POST', '/v1/loyalty/coupon-templates', key, { key: 'b-only', name: 'B only', kind: 'fixed', amountFen: 500, validity: { days: 30 } }),
    await call('POST', '/v1/insight/surveys', key, {
      name: 'B survey',
      title: { 'zh-CN': 'B 调查' },
      questions: [{ id: 'nps', kind: 'nps', text: { 'zh-CN': '推荐吗？' } }],
    }),
    await call('POST', '/v1/insight/experiments', key, {
      key: 'b-exp',
      name: 'B experiment',
      subject: { kind: 'send_time', id: 'morning' },
      variants: [
        { key: 'a', weight: 1 },
        { key: 'b', weight: 1 },
      ],
      goal: { kind: 'conversion', event: 'Order Completed', windowDays: 7 },
    }),
    await call('POST', '/v1/loyalty/rules', key, { name: 'B points', kind: 'order', definition: { pointsPerYuan: 1 } }),
    await call('POST', '/v1/wecom/snippets', key, { title: 'B snippet', content: { text: { content: '你好' } } }),
    await call('POST', '/v1/wecom/sensitive-words', key, { words: ['返现'] }),
    await call('POST', '/v1/wecom/workbench-rules', key, { segmentId, kind: 'custom', titleTemplate: '回访 {name}' }),
    await call('POST', '/v1/wecom/group-codes', key, { name: 'B group code', chatIds: [chatId] }),
    await call('POST', '/v1/loyalty/catalogue-items', key, { name: 'Mug', kind: 'physical', points: 100 }),
    await call('POST', '/v1/loyalty/lotteries', key, {
      name: 'Spin',
      costPoints: 10,
      prizes: [
        { id: 'coupon', name: '¥5', kind: 'coupon', ppm: 100_000, couponTemplateId: 'b-only' },
        { id: 'none', name: 'Thanks', kind: 'none', ppm: 900_000, fallback: true },
      ],
    }),
    await call('POST', '/v1/loyalty/group-buy-campaigns', key, {
      name: 'Pair',
      productId: 'sku-1',
      groupSize: 2,
      groupHours: 24,
      endsAt: '2027-01-31T00:00:00Z',
    }),
    await call('POST', '/v1/privacy/requests', key, { kind: 'export', subject: profileId, note: 'by phone' }),
    await call('POST', '/v1/users', key, {
      email: `op-${Math.random().toString(36).slice(2, 8)}@brand.example`,
      password: 'a long password 1',
      role: 'operator',
    }),
  ];
  for (const r of made) if (r.statusCode >= 300) console.warn(`isolation fixture: ${r.statusCode} ${r.body.slice(0, 200)}`);
}

/** Reads the first page of every list with `key` and collects the ids of its rows. */
async function harvest(call: IsolationWorld['call'], doc: Doc, key: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const path of listRoutes(doc)) {
    const res = await call('GET', `${path}?limit=5`, key);
    if (res.statusCode !== 200) continue;
    const body = res.json() as { data?: Record<string, unknown>[] };
    if (!Array.isArray(body.data)) continue;
    for (const row of body.data) {
      for (const k of ID_KEYS) {
        if (typeof row[k] === 'string') out.set(`${path}|${k}`, [...(out.get(`${path}|${k}`) ?? []), row[k] as string]);
      }
    }
  }
  return out;
}

/**
 * Builds the world over a fresh database of `engine`. With `attackerDemo`, A gets a small demo
 * brand and the same extras, so a body can name A's own objects everywhere but the field under test.
 */
export async function createIsolationWorld(engine: Engine, opts: { attackerDemo?: boolean } = {}): Promise<IsolationWorld> {
  const t = await createTestApp(engine, { clockStart: NOW, demoSandboxes: createDemoSandboxes });
  const attacker = await t.newWorkspace('Attacker');
  const call: IsolationWorld['call'] = (method, url, key, body) =>
    t.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${key}` }, ...(body !== undefined && { payload: body as object }) });
  const demo = await call('POST', '/v1/demo', t.secretKey, { customers: 200, seed: 7 });
  expect(demo.statusCode, demo.body).toBe(201);
  await makeExtras(call, t.secretKey);
  if (opts.attackerDemo) {
    const mine = await call('POST', '/v1/demo', attacker.secretKey, { customers: 20, seed: 8 });
    expect(mine.statusCode, mine.body).toBe(201);
    await makeExtras(call, attacker.secretKey);
  }
  const doc = (await call('GET', '/openapi.json', t.secretKey)).json() as Doc;
  const ids = await harvest(call, doc, t.secretKey);
  const own = opts.attackerDemo ? await harvest(call, doc, attacker.secretKey) : new Map<string, string[]>();
  const snapshotB = async () => {
    const out = new Map<string, string>();
    for (const path of listRoutes(doc)) {
      const res = await call('GET', path, t.secretKey);
      if (res.statusCode === 200) out.set(path, res.body.replace(/"cached":(true|false)/g, ''));
    }
    return out;
  };
  return { t, attacker, doc, ids, own, call, snapshotB, close: () => t.close() };
}

/**
 * A success is a leak when it carries anything of B's: a B id other than those the caller named,
 * or the named ids themselves (an answer about that object; an empty page that names none is not).
 */
export function leaky(res: { statusCode: number; body: string }, used: string[], bIds: Set<string>): boolean {
  if (res.statusCode >= 300 || res.statusCode === 204) return false;
  const foreign = [...bIds].some((id) => !used.includes(id) && id.length > 6 && res.body.includes(id));
  return foreign || (used.some((id) => res.body.includes(id)) && !/^\{"data":\[\]/.test(res.body));
}

/** After the attacker's calls: every list of B reads as before, and A's audit log holds the calls. */
export async function expectBUnchanged(w: IsolationWorld, before: Map<string, string>): Promise<void> {
  const after = await w.snapshotB();
  // B's own audit log grows by the exports this snapshot made; the attacker's calls are in A's.
  for (const [path, body] of before) if (!path.startsWith('/v1/audit')) expect(after.get(path), path).toBe(body);
  const mine = (await w.call('GET', '/v1/audit?limit=500', w.attacker.secretKey)).json().data as unknown[];
  expect(mine.length).toBeGreaterThan(0);
}
