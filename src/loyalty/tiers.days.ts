/**
 * Tier days (the referral programme's `tier_days` reward): N days of a tier given, not bought. The
 * grant uses the member's paid-membership slot, so the tier is in force for the days whatever the
 * member qualifies for, and the worker's paid-expiry pass ends it like a paid period:
 * - a member whose paid (or given) membership runs gets the days added to its end (its tier);
 * - otherwise the member gets the **next tier up** from the tier in force (the lowest tier reached
 *   by qualification above it; a member at the top keeps the top tier for the days, safe from a
 *   downgrade) from now for N days.
 * Each grant is a `loyalty_paid_memberships` row of kind `reward` (amount 0, no order), keyed by
 * the grant's idempotency key; the tier change is a history row with reason `referral_reward` and
 * a `Tier Changed` event. A revoked grant (its qualifying order refunded) takes its days back.
 */
import type { Kysely } from 'kysely';
import { resolveProfileId } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { DAY_MS } from '../platform/time.js';
import { LoyaltyError } from './errors.js';
import type { Conn } from './ledger.repo.js';
import { num } from './ledger.repo.js';
import { changeOf, lockMembers, saveMember } from './members.repo.js';
import type { TierDaysGrant, TierDaysPort } from './referrals.ports.js';
import { rankOf, type TierProgram, tierProgram } from './tiers.service.js';
import type { LoyaltyPaidMembershipsTable } from './tiers.tables.js';

/** The tier a grant without a running membership gives: the next tier up by qualification from `current` (the top one at the top). */
export function nextTierUp(p: TierProgram, current: string | null): string | null {
  const earned = p.tiers.filter((t) => !t.paidOnly);
  const rank = rankOf(p, current);
  const above = earned.find((t) => rankOf(p, t.key) > rank);
  return above?.key ?? (current !== null && rank >= 0 ? current : (earned.at(-1)?.key ?? p.tiers[0]?.key ?? null));
}

/** Gives tier days inside the caller's transaction; answers the grant's row id (the reward's reference). */
export async function grantTierDays(trx: Conn, dialect: Dialect, g: TierDaysGrant): Promise<{ reference: string }> {
  const key = `tier-days:${g.idempotencyKey}`;
  const first = await byKey(trx, g.workspaceId, key);
  if (first) return { reference: first.id };
  const { program } = await tierProgram(trx, g.workspaceId);
  if (program.tiers.length === 0)
    throw new LoyaltyError('TIER_DAYS_UNAVAILABLE', 'the workspace has no tiers to give days of: add tiers to the tier program first', { days: g.days });
  const m = (await lockMembers(trx, dialect, g.workspaceId, [g.profileId], g.now)).get(g.profileId)!;
  const running = m.paidKey !== null && m.paidUntil !== null && m.paidUntil > g.now && rankOf(program, m.paidKey) >= 0;
  const tier = running ? m.paidKey! : nextTierUp(program, m.tierKey)!;
  const startsAt = running ? m.paidUntil! : g.now;
  const row: LoyaltyPaidMembershipsTable = {
    workspace_id: g.workspaceId,
    id: newId('lpm', g.now),
    profile_id: g.profileId,
    tier_key: tier,
    kind: 'reward',
    order_id: key,
    amount_fen: 0,
    starts_at: startsAt,
    ends_at: startsAt + g.days * DAY_MS,
    idempotency_key: key,
    request_hash: key,
    created_at: g.now,
  };
  await trx.insertInto('loyalty_paid_memberships').values(row).execute();
  const ctx = { ws: g.workspaceId, program, dialect, now: g.now };
  await saveMember(trx, ctx, m, { ...changeOf(m), paidKey: tier, paidUntil: row.ends_at }, 'referral_reward', `${g.days} tier days: ${g.reason}`);
  return { reference: row.id };
}

/**
 * Takes a grant's days back: the member's given (or paid) membership of the grant's tier ends that
 * many days earlier, and ends now if that is in the past (the tier in force falls back, reason
 * `paid_expired`). A membership of another tier (bought since) is left alone.
 */
export async function revokeTierDays(
  trx: Conn,
  dialect: Dialect,
  input: { workspaceId: string; reference: string; reason: string; now: number },
): Promise<void> {
  const ws = input.workspaceId;
  const row = await trx.selectFrom('loyalty_paid_memberships').selectAll().where('workspace_id', '=', ws).where('id', '=', input.reference).executeTakeFirst();
  if (!row || row.kind !== 'reward') return;
  const profileId = (await resolveProfileId(trx, ws, row.profile_id)) ?? row.profile_id;
  const { program } = await tierProgram(trx, ws);
  const m = (await lockMembers(trx, dialect, ws, [profileId], input.now)).get(profileId)!;
  if (m.paidKey !== row.tier_key || m.paidUntil === null) return;
  const until = m.paidUntil - (num(row.ends_at) - num(row.starts_at));
  const ended = until <= input.now;
  const ctx = { ws, program, dialect, now: input.now };
  const change = { ...changeOf(m), paidKey: ended ? null : m.paidKey, paidUntil: ended ? null : until };
  await saveMember(trx, ctx, m, change, 'paid_expired', `referral reward revoked: ${input.reason}`);
}

/** The tier-days port the referral programme uses (filled by the composition root). */
export function tierDaysPortOf(dialect: Dialect): TierDaysPort {
  return {
    grant: (trx: Kysely<any>, g) => grantTierDays(trx as Conn, dialect, g),
    revoke: (trx: Kysely<any>, input) => revokeTierDays(trx as Conn, dialect, input),
  };
}

async function byKey(db: Conn, ws: string, key: string) {
  return db.selectFrom('loyalty_paid_memberships').select('id').where('workspace_id', '=', ws).where('idempotency_key', '=', key).executeTakeFirst();
}
