import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEngines } from '../../test/support/engines.js';
import { messagingTestApp } from './test-kit.js';

describeEngines('messaging lists', (engine) => {
  let k: Awaited<ReturnType<typeof messagingTestApp>>;
  let pid: string;
  beforeAll(async () => {
    k = await messagingTestApp(engine);
    pid = await k.profile('lists-1');
    for (const name of ['a', 'b', 'c'])
      expect((await k.api('POST', '/v1/templates', { name: `list-${name}`, channel: 'webhook', variants: { 'zh-CN': { body: { n: name } } } })).status).toBe(
        201,
      );
    for (const i of [1, 2, 3]) {
      await k.api('POST', '/v1/messages', { profileId: pid, channel: 'webhook', content: { body: { i } }, idempotencyKey: `list-${i}` });
      await k.api('POST', `/v1/profiles/${pid}/consent`, {
        purpose: 'marketing',
        channel: 'sms',
        granted: i % 2 === 1,
        source: 'test',
        at: `2026-10-0${i}T00:00:00Z`,
      });
    }
  });
  afterAll(() => k?.close());

  /** Every list route of the messaging module: the path of its OpenAPI entry and a URL with a filter. */
  const routes = () => [
    { path: '/v1/templates', url: '/v1/templates?channel=webhook' },
    { path: '/v1/messages', url: `/v1/messages?profileId=${pid}` },
    { path: '/v1/profiles/{id}/consent/history', url: `/v1/profiles/${pid}/consent/history` },
    { path: '/v1/messaging/consent', url: `/v1/messaging/consent?profile=${pid}&channel=sms` },
  ];

  it('answers { data, nextCursor } on every list route, pages with limit and cursor, and declares the envelope in the OpenAPI document', async () => {
    const spec = (await k.t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const { path, url } of routes()) {
      const all = await k.api('GET', url);
      expect(all.status, url).toBe(200);
      expect(Object.keys(all.body).sort(), url).toEqual(['data', 'nextCursor']);
      expect(all.body).toMatchObject({ nextCursor: null });
      expect(all.body.data, url).toHaveLength(3);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query = `limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await k.api('GET', `${url}${url.includes('?') ? '&' : '?'}${query}`);
        expect(page.status, `${url} ${JSON.stringify(page.body)}`).toBe(200);
        expect(page.body.data.length, url).toBeLessThanOrEqual(2);
        seen.push(...page.body.data.map((x: { id: string }) => x.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen, url).toEqual(all.body.data.map((x: { id: string }) => x.id));

      const schema = spec.paths[path].get.responses['200'].content['application/json'].schema;
      expect(Object.keys(schema.properties).sort(), path).toEqual(['data', 'nextCursor']);
      expect(schema.properties.data.type, path).toBe('array');
    }
    const bad = await k.api('GET', '/v1/templates?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('cursor');
  });
});
