/**
 * Members' tier state (`loyalty_members`, one row per member, the row tier changes lock), their
 * qualification values, and the one write of a tier change: the row, a history row with its
 * reason, and a `Tier Changed` event on the timeline, in the caller's transaction.
 */
import { mergedIdsOfMany, netSpendByProfile, recordSystemEvents } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { TIER_EVENTS } from './event-names.js';
import { type Conn, num } from './ledger.repo.js';
import { higher, rankOf, type TierProgram, windowStart } from './tiers.service.js';
import type { TierChangeReason } from './tiers.tables.js';

/** A member's tier state. */
export interface MemberState {
  ws: string;
  profileId: string;
  tierKey: string | null;
  qualifiedKey: string | null;
  value: number;
  graceUntil: number | null;
  paidKey: string | null;
  paidUntil: number | null;
  updatedAt: number;
}

type Row = {
  workspace_id: string;
  profile_id: string;
  tier_key: string | null;
  qualified_key: string | null;
  value: number;
  grace_until: number | null;
  paid_key: string | null;
  paid_until: number | null;
  updated_at: number;
};

/** A row as a state. */
export function memberOf(r: Row): MemberState {
  return {
    ws: r.workspace_id,
    profileId: r.profile_id,
    tierKey: r.tier_key,
    qualifiedKey: r.qualified_key,
    value: num(r.value),
    graceUntil: r.grace_until === null ? null : num(r.grace_until),
    paidKey: r.paid_key,
    paidUntil: r.paid_until === null ? null : num(r.paid_until),
    updatedAt: num(r.updated_at),
  };
}

/** Locks the members' rows (created, without a tier, where missing), in profile id order; FOR UPDATE on PostgreSQL. */
export async function lockMembers(trx: Conn, dialect: Dialect, ws: string, ids: readonly string[], now: number): Promise<Map<string, MemberState>> {
  const out = new Map<string, MemberState>();
  if (ids.length === 0) return out;
  const sorted = [...new Set(ids)].sort();
  const rows = sorted.map((id) => ({
    workspace_id: ws,
    profile_id: id,
    tier_key: null,
    qualified_key: null,
    value: 0,
    grace_until: null,
    paid_key: null,
    paid_until: null,
    created_at: now,
    updated_at: now,
  }));
  await dialect.insertMany(trx, 'loyalty_members', rows, { columns: ['workspace_id', 'profile_id'], update: [] });
  for (let i = 0; i < sorted.length; i += 500) {
    const q = trx
      .selectFrom('loyalty_members')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', sorted.slice(i, i + 500))
      .orderBy('profile_id');
    for (const r of await dialect.forUpdate(q).execute()) out.set(r.profile_id, memberOf(r));
  }
  return out;
}

/** A member's state, if it has a row (not locked: for reads). */
export async function findMember(db: Conn, ws: string, profileId: string): Promise<MemberState | undefined> {
  const r = await db.selectFrom('loyalty_members').selectAll().where('workspace_id', '=', ws).where('profile_id', '=', profileId).executeTakeFirst();
  return r && memberOf(r);
}

/**
 * The members' qualification values in the window that ends at `at` (and anything after it): points earned (earnings and positive
 * adjustments less claw backs, by posting time), or net spend in fen (the CDP's placed orders in the
 * window less their refunds; cancelled orders count nothing). Members with nothing are 0.
 */
export async function qualificationValues(db: Conn, ws: string, p: TierProgram, ids: readonly string[], at: number): Promise<Map<string, number>> {
  const since = windowStart(p, at);
  const out = new Map<string, number>(ids.map((id) => [id, 0]));
  if (p.basis === 'spend') {
    for (const [id, fen] of await netSpendByProfile(db, ws, ids, since)) out.set(id, fen);
    return out;
  }
  // One ID: what the profiles merged into a member earned counts as theirs (their points moved as
  // `transfer` entries, which are balances, not earnings: a merged-away profile that earned 900 and
  // spent 800 moves 100 and brings 900 of qualification).
  const owner = new Map<string, string>(ids.map((id) => [id, id]));
  for (const [into, merged] of await mergedIdsOfMany(db, ws, ids)) for (const m of merged) owner.set(m, into);
  const all = [...owner.keys()];
  for (let i = 0; i < all.length; i += 500) {
    const rows = await db
      .selectFrom('loyalty_entries')
      .select(['profile_id', (eb) => eb.fn.sum<number>('amount').as('earned')])
      .where('workspace_id', '=', ws)
      .where('profile_id', 'in', all.slice(i, i + 500))
      .where('created_at', '>=', since)
      .where((eb) => eb.or([eb('kind', 'in', ['earn', 'clawback']), eb.and([eb('kind', '=', 'adjust'), eb('amount', '>', 0)])]))
      .groupBy('profile_id')
      .execute();
    for (const r of rows) {
      const id = owner.get(r.profile_id)!;
      out.set(id, (out.get(id) ?? 0) + num(r.earned));
    }
  }
  for (const [id, v] of out) out.set(id, Math.max(0, v));
  return out;
}

/** What a change sets on a member (the tier in force follows: the higher of qualified and paid). */
export interface MemberChange {
  qualifiedKey: string | null;
  value: number;
  graceUntil: number | null;
  paidKey: string | null;
  paidUntil: number | null;
}

/** Context of a change. */
export interface ChangeContext {
  ws: string;
  program: TierProgram;
  dialect: Dialect;
  now: number;
}

/**
 * Writes a member's new state; when the tier in force changes, also a history row with `reason`
 * and a `Tier Changed` event (its id is the history row's). Answers the tier in force.
 */
export async function saveMember(trx: Conn, c: ChangeContext, before: MemberState, after: MemberChange, reason: TierChangeReason, note: string | null = null) {
  const tierKey = higher(c.program, after.qualifiedKey, after.paidKey);
  await trx
    .updateTable('loyalty_members')
    .set({
      tier_key: tierKey,
      qualified_key: after.qualifiedKey,
      value: after.value,
      grace_until: after.graceUntil,
      paid_key: after.paidKey,
      paid_until: after.paidUntil,
      updated_at: c.now,
    })
    .where('workspace_id', '=', c.ws)
    .where('profile_id', '=', before.profileId)
    .execute();
  if (tierKey === before.tierKey) return tierKey;
  const id = newId('lth', c.now);
  await trx
    .insertInto('loyalty_tier_history')
    .values({
      workspace_id: c.ws,
      id,
      profile_id: before.profileId,
      from_key: before.tierKey,
      to_key: tierKey,
      reason,
      value: after.value,
      note,
      created_at: c.now,
    })
    .execute();
  const name = (k: string | null) => c.program.tiers.find((t) => t.key === k)?.name ?? null;
  const up = rankOf(c.program, tierKey) > rankOf(c.program, before.tierKey);
  await recordSystemEvents(trx, c.dialect, [
    {
      workspaceId: c.ws,
      profileId: before.profileId,
      event: TIER_EVENTS.changed,
      eventId: id,
      at: c.now,
      properties: {
        from: before.tierKey,
        to: tierKey,
        from_name: name(before.tierKey),
        to_name: name(tierKey),
        direction: up ? 'up' : 'down',
        reason,
        value: after.value,
        basis: c.program.basis,
        ...(note ? { note } : {}),
      },
    },
  ]);
  return tierKey;
}

/** A member's state as a change (to edit a few fields of). */
export function changeOf(m: MemberState): MemberChange {
  return { qualifiedKey: m.qualifiedKey, value: m.value, graceUntil: m.graceUntil, paidKey: m.paidKey, paidUntil: m.paidUntil };
}
