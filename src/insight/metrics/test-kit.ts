import { basic, createTestApp, type TestApp } from '../../../test/support/engines.js';
import type { Engine } from '../../platform/db/database.js';

/** A test app with helpers that drive the real producers (the tracking API) and read insight's API. */
export async function insightTestApp(engine: Engine, clockStart = Date.parse('2026-12-15T04:00:00Z')) {
  const t: TestApp = await createTestApp(engine, { clockStart });
  const auth = { authorization: `Bearer ${t.secretKey}` };
  let seq = 0;

  /** Sends tracking messages through `/v1/batch` (write key), as a site or SDK would. */
  async function track(batch: Record<string, unknown>[]) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic(t.writeKey) },
      payload: { batch: batch.map((m) => ({ type: 'track', messageId: `m-${++seq}`, ...m })) },
    });
    if (res.statusCode !== 200) throw new Error(`batch: ${res.body}`);
  }

  /** An `Order Completed` of `userId` at an ISO time, for `yuan` currency units. */
  const order = (userId: string, orderId: string, at: string, yuan: number) => ({
    userId,
    event: 'Order Completed',
    timestamp: at,
    properties: { order_id: orderId, total: yuan, currency: 'CNY' },
  });

  /** GET with the secret key; JSON answers parsed, others as text. */
  async function get(url: string) {
    const res = await t.app.inject({ method: 'GET', url, headers: auth });
    return { status: res.statusCode, headers: res.headers, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body };
  }

  /** POST JSON with the secret key. */
  async function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
    const res = await t.app.inject({ method: 'POST', url, headers: { ...auth, ...headers }, payload: payload as string });
    return { status: res.statusCode, headers: res.headers, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body };
  }

  /** A static segment holding the profiles of these user ids. */
  async function staticSegment(name: string, userIds: string[]): Promise<string> {
    const seg = await post('/v1/segments', { name, kind: 'static' });
    if (seg.status !== 201) throw new Error(`segment: ${JSON.stringify(seg.body)}`);
    const csv = ['identifier', ...userIds.map((u) => `user_id:${u}`)].join('\n') + '\n';
    const up = await post(`/v1/segments/${seg.body.id}/members?mode=replace`, csv, { 'content-type': 'text/csv' });
    if (up.status >= 300) throw new Error(`members: ${JSON.stringify(up.body)}`);
    return seg.body.id as string;
  }

  /** A metric's rows as objects keyed by column. */
  const objects = (answer: { columns: string[]; rows: unknown[][] }) =>
    answer.rows.map((r) => Object.fromEntries(answer.columns.map((c, i) => [c, r[i]])) as Record<string, any>);

  return { t, track, order, get, post, staticSegment, objects, close: () => t.close() };
}
