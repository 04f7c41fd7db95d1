/** Test helpers for coupons: the loyalty test app with any-method API calls, tracking through the real API, and the coupon events of a timeline. */
import { basic } from '../../../test/support/engines.js';
import type { Engine } from '../../platform/db/database.js';
import { createCouponWorker } from '../coupons.worker.js';
import { loyaltyTestApp } from '../test-kit.js';

/** A loyalty test app with coupon helpers. */
export async function couponsTestApp(engine: Engine, opts: { clockStart?: number } = {}) {
  const l = await loyaltyTestApp(engine, opts);
  const { t } = l;

  /** Calls the API with the secret key (any method). */
  async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, key = t.secretKey) {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] === 'true' };
  }

  /** Tracks an event for a user through the tracking API (the CDP's real ingest path). */
  async function track(userId: string, event: string, properties: Record<string, unknown> = {}, timestamp?: string) {
    const payload = { userId, event, properties, ...(timestamp ? { timestamp } : {}) };
    const res = await t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(t.writeKey) }, payload });
    if (res.statusCode !== 200) throw new Error(`track: ${res.body}`);
    await t.services.writer.drain();
  }

  /** Creates a template (201 expected) and returns its body. */
  async function template(body: Record<string, unknown>) {
    const r = await call('POST', '/v1/loyalty/coupon-templates', body);
    if (r.status !== 201) throw new Error(`create template: ${JSON.stringify(r.body)}`);
    return r.body as { id: string; key: string | null };
  }

  /** Issues a coupon and returns it (200 expected). */
  async function issue(template: string, profile: string, key: string) {
    const r = await call('POST', '/v1/loyalty/coupons/issue', { template, profile, idempotencyKey: key });
    if (r.status !== 200) throw new Error(`issue: ${JSON.stringify(r.body)}`);
    return r.body.coupon as { id: string; code: string; validUntil: string | null };
  }

  /** The coupon events on a profile's timeline, oldest first. */
  async function couponEvents(profileId: string) {
    const rows = await t.database.db
      .selectFrom('events')
      .select(['event', 'payload', 'timestamp'])
      .where('workspace_id', '=', t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', 'like', 'Coupon %')
      .orderBy('timestamp')
      .orderBy('message_id')
      .execute();
    return rows.map((r) => ({ event: r.event!, properties: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties }));
  }

  const worker = createCouponWorker({ database: t.database, now: () => t.clock.now(), log: t.services.log, hub: t.services.hub });
  return { ...l, call, track, template, issue, couponEvents, worker };
}
