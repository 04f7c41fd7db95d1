/** Test helpers for the member API, catalogue, lotteries and group-buys: the loyalty test app with any-method calls, member tokens and member calls. */
import { basic } from '../../../test/support/engines.js';
import type { Engine } from '../../platform/db/database.js';
import { loyaltyTestApp } from '../test-kit.js';

/** A loyalty test app with member-API helpers. */
export async function memberTestApp(engine: Engine, opts: { clockStart?: number } = {}) {
  const l = await loyaltyTestApp(engine, opts);
  const { t } = l;

  /** Calls the API with the secret key (any method). */
  async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, key = t.secretKey) {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] === 'true' };
  }

  /** Mints a member token for a profile (200 expected). */
  async function mint(profile: string, ttlSeconds?: number, key = t.secretKey): Promise<string> {
    const r = await call('POST', '/v1/loyalty/member-tokens', { profile, ...(ttlSeconds ? { ttlSeconds } : {}) }, key);
    if (r.status !== 200) throw new Error(`mint: ${JSON.stringify(r.body)}`);
    return r.body.token as string;
  }

  /** Calls a member route with a member token (or any Authorization header value with `raw`). */
  async function member(token: string | null, method: 'GET' | 'POST', url: string, payload?: unknown) {
    const res = await t.app.inject({
      method,
      url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] === 'true' };
  }

  /** Earns points for a profile through the points API. */
  async function earn(profile: string, points: number, key = `seed-${profile}-${points}`) {
    const r = await call('POST', '/v1/loyalty/points/earn', { profile, points, reason: 'seed', idempotencyKey: key });
    if (r.status !== 200) throw new Error(`earn: ${JSON.stringify(r.body)}`);
  }

  /** The events of a name on a profile's timeline (properties), oldest first. */
  async function timeline(profileId: string, event: string) {
    const rows = await t.database.db
      .selectFrom('events')
      .select(['message_id', 'payload'])
      .where('workspace_id', '=', t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', '=', event)
      .orderBy('message_id')
      .execute();
    return rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties as Record<string, unknown>);
  }

  /** Tracks an event for a user through the tracking API (the CDP's ingest). */
  async function track(body: Record<string, unknown>) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(t.writeKey) }, payload: body });
    if (res.statusCode !== 200) throw new Error(`track: ${res.body}`);
    await t.services.writer.drain();
  }

  /** Identifies a user through the tracking API. */
  async function identify(body: Record<string, unknown>) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(t.writeKey) }, payload: body });
    if (res.statusCode !== 200) throw new Error(`identify: ${res.body}`);
    await t.services.writer.drain();
  }

  return { ...l, call, mint, member, earn, timeline, track, identify };
}
