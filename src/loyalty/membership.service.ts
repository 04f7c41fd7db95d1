/**
 * Paid membership (付费会员): a tier bought for a period. A purchase is one request with an
 * idempotency key (the same request again answers the first purchase; another request with the
 * key is `IDEMPOTENCY_CONFLICT`) bound to the order that paid for it (one order buys one period).
 * Buying the tier of a running membership renews it: the period is added to its end. The member's
 * tier in force is the higher of the paid and the qualified one; when the period ends the worker
 * drops the member back to the qualified tier (tiers.worker.ts).
 */
import { createHash } from 'node:crypto';
import { recordSystemEvents } from '../cdp/index.js';
import { withRetries } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { DAY_MS } from '../platform/time.js';
import type { LoyaltyDeps } from './deps.js';
import { LoyaltyError } from './errors.js';
import { TIER_EVENTS } from './event-names.js';
import { type Conn, num } from './ledger.repo.js';
import { changeOf, lockMembers, saveMember } from './members.repo.js';
import { tierProgram } from './tiers.service.js';
import type { LoyaltyPaidMembershipsTable } from './tiers.tables.js';

/** A purchase request (POST /v1/loyalty/paid-memberships). */
export interface PaidBody {
  profile: string;
  tier: string;
  periodDays: number;
  orderId: string;
  amountFen: number;
  idempotencyKey: string;
}

/** A paid membership bought. */
export interface PaidMembershipView {
  id: string;
  profileId: string;
  tier: string;
  kind: 'purchase' | 'renewal' | 'reward';
  orderId: string;
  amountFen: number;
  startsAt: string;
  endsAt: string;
  createdAt: string;
}

/** A row as the API shows it. */
export function paidView(r: LoyaltyPaidMembershipsTable): PaidMembershipView {
  const iso = (ms: number) => new Date(num(ms)).toISOString();
  return {
    id: r.id,
    profileId: r.profile_id,
    tier: r.tier_key,
    kind: r.kind,
    orderId: r.order_id,
    amountFen: num(r.amount_fen),
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    createdAt: iso(r.created_at),
  };
}

/** The answer of a purchase. */
export interface PaidAnswer {
  membership: PaidMembershipView;
  member: { tier: string | null; paidUntil: string | null };
  replayed: boolean;
}

/** Buys (or renews) a paid membership; see the module comment. */
export async function buyPaidMembership(deps: LoyaltyDeps, ws: string, body: PaidBody): Promise<PaidAnswer> {
  const profileId = await deps.resolveProfile(ws, body.profile);
  const hash = createHash('sha256')
    .update(JSON.stringify([profileId, body.tier, body.periodDays, body.orderId, body.amountFen]))
    .digest('base64url');
  return withRetries(deps.database, () =>
    deps.database.db.transaction().execute(async (trx) => {
      const now = deps.now();
      const first = await byKey(trx, ws, body.idempotencyKey);
      if (first) return replay(trx, ws, first, hash);
      const { program } = await tierProgram(trx, ws);
      if (!program.tiers.some((t) => t.key === body.tier))
        throw new LoyaltyError('TIER_NOT_FOUND', `no tier "${body.tier}" in this workspace`, { key: body.tier });
      const members = await lockMembers(trx, deps.database.dialect, ws, [profileId], now);
      // Checked under the member's lock: a replay that raced this request is found now.
      const raced = await byKey(trx, ws, body.idempotencyKey);
      if (raced) return replay(trx, ws, raced, hash);
      const used = await trx
        .selectFrom('loyalty_paid_memberships')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('order_id', '=', body.orderId)
        .executeTakeFirst();
      if (used) throw new LoyaltyError('PAID_MEMBERSHIP_ORDER_USED', `order ${body.orderId} already paid for membership ${used.id}`, { membershipId: used.id });
      const m = members.get(profileId)!;
      const running = m.paidKey !== null && m.paidUntil !== null && m.paidUntil > now;
      if (running && m.paidKey !== body.tier)
        throw new LoyaltyError('PAID_MEMBERSHIP_CONFLICT', `a paid membership of tier "${m.paidKey}" runs until ${new Date(m.paidUntil!).toISOString()}`, {
          tier: m.paidKey,
          until: new Date(m.paidUntil!).toISOString(),
        });
      const startsAt = running ? m.paidUntil! : now;
      const row: LoyaltyPaidMembershipsTable = {
        workspace_id: ws,
        id: newId('lpm', now),
        profile_id: profileId,
        tier_key: body.tier,
        kind: running ? 'renewal' : 'purchase',
        order_id: body.orderId,
        amount_fen: body.amountFen,
        starts_at: startsAt,
        ends_at: startsAt + body.periodDays * DAY_MS,
        idempotency_key: body.idempotencyKey,
        request_hash: hash,
        created_at: now,
      };
      await trx.insertInto('loyalty_paid_memberships').values(row).execute();
      const ctx = { ws, program, dialect: deps.database.dialect, now };
      const tier = await saveMember(trx, ctx, m, { ...changeOf(m), paidKey: body.tier, paidUntil: row.ends_at }, 'paid_purchase', `order ${body.orderId}`);
      await recordSystemEvents(trx, deps.database.dialect, [
        {
          workspaceId: ws,
          profileId,
          event: running ? TIER_EVENTS.paidRenewed : TIER_EVENTS.paidPurchased,
          eventId: row.id,
          at: now,
          properties: {
            membership_id: row.id,
            tier: body.tier,
            order_id: body.orderId,
            amount_fen: body.amountFen,
            starts_at: new Date(startsAt).toISOString(),
            ends_at: new Date(row.ends_at).toISOString(),
          },
        },
      ]);
      return { membership: paidView(row), member: { tier, paidUntil: new Date(row.ends_at).toISOString() }, replayed: false };
    }),
  );
}

/** The purchase made with a key, if any. */
async function byKey(db: Conn, ws: string, key: string) {
  return db.selectFrom('loyalty_paid_memberships').selectAll().where('workspace_id', '=', ws).where('idempotency_key', '=', key).executeTakeFirst();
}

/** The first answer again, or IDEMPOTENCY_CONFLICT for a different request with the key. */
async function replay(db: Conn, ws: string, first: LoyaltyPaidMembershipsTable, hash: string): Promise<PaidAnswer> {
  if (first.request_hash !== hash)
    throw new LoyaltyError('IDEMPOTENCY_CONFLICT', `idempotency key "${first.idempotency_key}" was used for another request (membership ${first.id})`, {
      membershipId: first.id,
    });
  const m = await db
    .selectFrom('loyalty_members')
    .select(['tier_key', 'paid_until'])
    .where('workspace_id', '=', ws)
    .where('profile_id', '=', first.profile_id)
    .executeTakeFirst();
  const paidUntil = m?.paid_until == null ? null : new Date(num(m.paid_until)).toISOString();
  return { membership: paidView(first), member: { tier: m?.tier_key ?? null, paidUntil }, replayed: true };
}
