import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './support/engines.js';

/**
 * One list shape for the whole API (issue #15): every route whose answer is a list answers
 * `{ data: [...], nextCursor }`, declared so in the OpenAPI document. Walks the document, so a new
 * list route is checked the day it is added.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('sqlite');
});
afterAll(async () => t?.close());

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
}

it('every list route declares { data, nextCursor } and no other array at the top of its answer', async () => {
  const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>>;
  };
  // Not lists: a group's tag set is read as the object its PUT replaces ({ chatId, tags }); a
  // profile's WeCom side is one object (its contacts, staff and groups, each bounded by the profile).
  const notLists = new Set(['GET /v1/wecom/groups/{chatId}/tags', 'GET /v1/profiles/{id}/wecom']);
  const lists: string[] = [];
  const wrong: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const schema = op.responses?.['200']?.content?.['application/json']?.schema;
      const props = schema?.properties ?? {};
      const isArray = (p: Schema) => p.type === 'array' || (Array.isArray(p.type) && p.type.includes('array'));
      const route = `${method.toUpperCase()} ${path}`;
      if (notLists.has(route)) continue;
      if (schema?.type === 'array') wrong.push(`${route}: answers a bare array`);
      // Any `data` list carries its cursor (null on the last page, or for a list that never pages).
      if (props.data && isArray(props.data)) {
        lists.push(route);
        if (!('nextCursor' in props)) wrong.push(`${route}: data without nextCursor`);
      }
      // A collection read (not one object, not a report or series) lists in `data` (other arrays beside it are context).
      const collection = method === 'get' && !/\}$/.test(path) && !/\/(stats|report|schema|settings|today|session|flow)\b/.test(path);
      const others = Object.entries(props).filter(([n, p]) => n !== 'data' && isArray(p));
      if (collection && others.length && !props.data) wrong.push(`${route}: lists in ${others.map(([n]) => n).join(', ')} instead of data`);
    }
  }
  expect(lists.length).toBeGreaterThan(20);
  expect(wrong).toEqual([]);
});

it('pages through tag groups, tags and journeys with their cursors, each item once', async () => {
  const auth = { authorization: `Bearer ${t.secretKey}` };
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await t.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res.json() as { data: { id: string; name: string }[]; nextCursor: string | null };
  };
  const walk = async (path: string) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((d) => d.name));
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  };
  for (const name of ['b-group', 'a-group', 'c-group']) await call('POST', '/v1/tag-groups', { name });
  for (const name of ['t3', 't1', 't2']) await call('POST', '/v1/tags', { group: 'a-group', name });
  for (const name of ['j1', 'j2', 'j3'])
    await call('POST', '/v1/journeys', { name, definition: { trigger: { type: 'manual' }, steps: [{ id: 'x', type: 'exit' }] } });
  expect(await walk('/v1/tag-groups')).toEqual(['a-group', 'b-group', 'c-group']);
  expect(await walk('/v1/tags?group=a-group')).toEqual(['t1', 't2', 't3']);
  // Newest first by id; the test clock stands still, so the three share a millisecond: each once, in id order.
  expect((await walk('/v1/journeys')).sort()).toEqual(['j1', 'j2', 'j3']);
  const bad = await t.app.inject({ method: 'GET', url: '/v1/tags?cursor=nonsense', headers: auth });
  expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
});
