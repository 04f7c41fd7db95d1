/** Test helpers for referrals: the loyalty test app with identify and track through the real API (drained), programmes, codes, attribution and the order pass. */
import { basic } from '../../../test/support/engines.js';
import type { Engine } from '../../platform/db/database.js';
import { runAttributionEvents } from '../referrals.events.js';
import { runReferralOrders } from '../referrals.orders.js';
import { DEFAULT_PROGRAMME, type ReferralProgramme } from '../referrals.programme.js';
import { loyaltyTestApp } from '../test-kit.js';

/** A loyalty test app with referral helpers. */
export async function referralsTestApp(engine: Engine, opts: { clockStart?: number } = {}) {
  const l = await loyaltyTestApp(engine, opts);
  const { t } = l;

  /** Sends an identify or track message through the tracking API and waits for the writer. */
  async function send(kind: 'identify' | 'track', body: Record<string, unknown>) {
    const res = await t.app.inject({ method: 'POST', url: `/v1/${kind}`, headers: { authorization: basic(t.writeKey) }, payload: body });
    if (res.statusCode !== 200) throw new Error(`${kind}: ${res.body}`);
    await t.services.writer.drain();
  }

  /** Identifies a user (with traits and context) and answers their live profile id. */
  async function person(userId: string, traits: Record<string, unknown> = {}, context?: Record<string, unknown>): Promise<string> {
    await send('identify', { userId, traits, ...(context ? { context } : {}) });
    return profileOf(`user_id:${userId}`);
  }

  /** The live profile id a reference names. */
  async function profileOf(ref: string): Promise<string> {
    const p = await l.api('GET', `/v1/profiles/${encodeURIComponent(ref)}`);
    if (p.status !== 200) throw new Error(`profile ${ref}: ${JSON.stringify(p.body)}`);
    return p.body.id as string;
  }

  /** Replaces the programme (defaults for what `p` leaves out, enabled). */
  async function programme(p: Partial<ReferralProgramme>) {
    const r = await l.api('PUT', '/v1/loyalty/referrals/settings', { ...DEFAULT_PROGRAMME, enabled: true, ...p });
    if (r.status !== 200) throw new Error(`programme: ${JSON.stringify(r.body)}`);
    return r.body as ReferralProgramme;
  }

  /** A member's code. */
  async function codeOf(profile: string): Promise<string> {
    const r = await l.api('POST', '/v1/loyalty/referrals/codes', { profile });
    if (r.status !== 200) throw new Error(`code: ${JSON.stringify(r.body)}`);
    return r.body.code as string;
  }

  /** Attributes a referee to a code; answers the API's answer. */
  async function attribute(code: string, profile: string) {
    return l.api('POST', '/v1/loyalty/referrals/attribute', { code, profile });
  }

  /** Tracks an order event for a user. */
  async function order(userId: string, event: 'Order Completed' | 'Order Refunded' | 'Order Cancelled', properties: Record<string, unknown>) {
    await send('track', { userId, event, properties });
  }

  /** The points balance of a profile. */
  async function balance(profileId: string): Promise<number> {
    return (await l.api('GET', `/v1/profiles/${profileId}/points`)).body.balance as number;
  }

  /** The referral events of a profile's timeline, oldest first. */
  async function referralEvents(profileId: string) {
    const rows = await t.database.db
      .selectFrom('events')
      .select(['event', 'payload'])
      .where('workspace_id', '=', t.workspaceId)
      .where('profile_id', '=', profileId)
      .where('event', 'like', 'Referral %')
      .orderBy('timestamp')
      .orderBy('message_id')
      .execute();
    return rows.map((r) => ({ event: r.event!, properties: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).properties }));
  }

  /** One referral pass over the orders at the clock's now. */
  const orders = () => runReferralOrders(l.deps());
  /** One pass of the attribution events (sign-ups carrying a referral_code) at the clock's now. */
  const attributions = () => runAttributionEvents(l.deps());

  return { ...l, send, person, profileOf, programme, codeOf, attribute, order, balance, referralEvents, orders, attributions };
}
