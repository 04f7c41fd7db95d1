import { basic, createTestApp } from '../../../test/support/engines.js';
import type { Engine } from '../../platform/db/database.js';
import { DAY_MS } from '../../platform/time.js';

/** One event the tests track (through the tracking API), kept to compute the expected metrics independently of the SQL. */
export interface Tracked {
  userId: string;
  event: string;
  at: number;
  properties?: Record<string, unknown>;
}

/** A test app for the experiments API: the secret-key API, profiles and events through the tracking API, and the events tracked so far. */
export async function experimentsTestApp(engine: Engine) {
  const t = await createTestApp(engine, { clockStart: Date.parse('2026-11-01T00:00:00Z') });
  const tracked: Tracked[] = [];
  let seq = 0;

  /** Calls the API with the secret key. */
  async function api(method: 'GET' | 'POST', url: string, payload?: unknown) {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${t.secretKey}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json() };
  }

  /** Sends events through /v1/batch with the write key, 200 at a time. */
  async function batch(items: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < items.length; i += 200) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { authorization: basic(t.writeKey) },
        payload: { batch: items.slice(i, i + 200) },
      });
      if (res.statusCode !== 200) throw new Error(`batch: ${res.body}`);
    }
  }

  /** Creates profiles u0… by identify. */
  async function profiles(n: number, prefix = 'u'): Promise<string[]> {
    const users = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    await batch(users.map((userId) => ({ type: 'identify', userId, traits: {}, messageId: `id-${userId}` })));
    return users;
  }

  /** Tracks events (and remembers them). */
  async function track(events: Tracked[]): Promise<void> {
    tracked.push(...events);
    await batch(
      events.map((e) => ({
        type: 'track',
        userId: e.userId,
        event: e.event,
        properties: e.properties ?? {},
        timestamp: new Date(e.at).toISOString(),
        messageId: `ev-${++seq}`,
      })),
    );
  }

  /** Events of a user named `event` in [from, to). */
  const eventsIn = (userId: string, event: string, from: number, to: number) =>
    tracked.filter((e) => e.userId === userId && e.event === event && e.at >= from && e.at < to);

  return { t, api, profiles, track, tracked, eventsIn, day: DAY_MS, close: () => t.close() };
}
