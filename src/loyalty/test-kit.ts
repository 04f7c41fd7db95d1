import { createTokenSigner } from '../platform/crypto.js';
import type { Engine } from '../platform/db/database.js';
import type { LoyaltyDeps } from './deps.js';
import { tierDaysPortOf } from './tiers.days.js';
import { verifyBalances } from './verify.js';
import { loyaltyPass } from './worker.js';
import { basic, createTestApp, type TestApp } from '../../test/support/engines.js';

/** A test app with helpers for the points API: make profiles, call the API with the secret key, read timeline events. */
export async function loyaltyTestApp(engine: Engine, opts: { clockStart?: number } = {}) {
  const t: TestApp = await createTestApp(engine, { clockStart: opts.clockStart ?? Date.parse('2026-11-03T04:00:00Z') });
  const auth = { authorization: `Bearer ${t.secretKey}` };

  /** Creates a profile through the tracking API (identify) and returns its id. */
  async function profile(userId: string): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: '/v1/identify', headers: { authorization: basic(t.writeKey) }, payload: { userId, traits: {} } });
    if (res.statusCode !== 200) throw new Error(`identify: ${res.body}`);
    const p = await t.app.inject({ method: 'GET', url: `/v1/profiles/user_id:${userId}`, headers: auth });
    return p.json().id as string;
  }

  /** Calls the API with the secret key (or `key`). */
  async function api(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = t.secretKey) {
    const res = await t.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json(), replayed: res.headers['idempotent-replayed'] === 'true' };
  }

  /** The loyalty events on a profile's timeline, in posting order. */
  async function events(profileId: string) {
    const rows = await t.database.db
      .selectFrom('events')
      .select(['message_id', 'event', 'payload'])
      .where('workspace_id', '=', t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', 'like', 'Points %')
      .orderBy('message_id')
      .execute();
    return rows.map((r) => ({ id: r.message_id, event: r.event, properties: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties }));
  }

  /** The loyalty worker's deps over the test app (its clock, its hub). */
  const deps = (): LoyaltyDeps => ({
    database: t.database,
    now: () => t.clock.now(),
    log: t.services.log,
    keys: t.services.keys,
    resolveProfile: async (_ws, ref) => ref,
    timeZoneOf: t.services.timeZoneOf,
    hub: t.services.hub,
    defaultTimeZone: 'Asia/Shanghai',
    claimTokens: createTokenSigner(Buffer.alloc(32, 2), 'test'),
    memberTokens: (ws) => createTokenSigner(t.services.config.encryptionKey, `siyu:loyalty:member-tokens:${ws}`),
    // As the composition root fills it (src/server/deps.ts).
    tierDays: tierDaysPortOf(t.database.dialect),
  });

  /** One pass of the loyalty worker at the clock's now (rules, releases, merges swept, expiry, notices). */
  async function pass() {
    return loyaltyPass(deps(), new Map(), { sweepMerges: true });
  }

  /** Tracks an event (through the tracking API, at the clock's now unless `timestamp` is given). */
  async function track(body: Record<string, unknown>) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/track', headers: { authorization: basic(t.writeKey) }, payload: body });
    if (res.statusCode !== 200) throw new Error(`track: ${res.body}`);
  }

  /** `siyu loyalty verify` over the test database: the mismatches (none on a sound ledger). */
  async function mismatches() {
    return (await verifyBalances(t.database.db)).mismatches;
  }

  return { t, api, profile, events, pass, deps, track, mismatches, close: () => t.close() };
}
