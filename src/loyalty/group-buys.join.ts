/**
 * Opening and joining groups. A join locks the group's row (PostgreSQL; SQLite's single writer
 * serialises), refuses a closed or late group, refuses the same person twice — the same live
 * profile after One ID merges, two profiles that presented one identifier (any type: phone,
 * unionid, device, email, member id…) which One ID saw and refused to merge them over, of either
 * profile or of any profile merged into it, or profiles that share a phone, unionid or device id
 * as traits only (the CDP's profiles, read through cdp's index) — and forms the group when it fills: each member
 * gets the campaign's reward (points through the ledger, a coupon through the coupon issue, keyed
 * by group and member) and a `Group Buy Formed` event, in the same transaction.
 */
import { identityConflictsBetween, profileTraits, recordSystemEvents, resolveProfileId } from '../cdp/index.js';
import { type Database, withRetries } from '../platform/db/database.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { issueInTrx } from './coupons.issue.js';
import type { LoyaltyDeps } from './deps.js';
import { GROWTH_EVENTS } from './event-names.js';
import { findCampaign, findGroupByCode, groupMembers, type GroupView, groupView, newGroupCode } from './group-buys.service.js';
import type { GroupBuyCampaignsTable, GroupBuysTable } from './group-buys.tables.js';
import { type Conn, num } from './ledger.repo.js';
import { postEntry } from './ledger.service.js';
import { MemberApiError } from './member-api.errors.js';
import { familyOf } from './referrals.checks.js';
import { defaultExpiry } from './settings.service.js';

/** Traits that name one person: two profiles with the same value are one member for group-buys. */
export const SAME_PERSON_TRAITS = ['phone', 'unionid', 'device_id'] as const;

/** Why two profiles are the same person, or undefined when they are not (as far as the CDP knows). */
export async function samePerson(db: Conn, ws: string, a: string, b: string): Promise<string | undefined> {
  const [la, lb] = [(await resolveProfileId(db, ws, a)) ?? a, (await resolveProfileId(db, ws, b)) ?? b];
  if (la === lb) return 'same profile';
  // One ID: an identifier both presented (normalised as One ID keys it: "+86 138 0013 8000" is 13800138000).
  const conflicts = await identityConflictsBetween(db, ws, await familyOf(db, ws, la), await familyOf(db, ws, lb));
  if (conflicts.length > 0) return `shares ${[...new Set(conflicts.map((c) => c.idType.split(':')[0]!))].sort().join(', ')}`;
  const traits = await profileTraits(db, ws, [la, lb]);
  for (const t of SAME_PERSON_TRAITS) {
    const va = traits.get(la)?.[t];
    const vb = traits.get(lb)?.[t];
    if (va !== undefined && va !== null && va !== '' && String(va) === String(vb)) return `shares ${t}`;
  }
  return undefined;
}

async function event(trx: Conn, database: Database, ws: string, profileId: string, name: string, id: string, at: number, properties: Record<string, unknown>) {
  await recordSystemEvents(trx, database.dialect, [{ workspaceId: ws, profileId, event: name, eventId: id, at, properties }]);
}

const groupProps = (c: GroupBuyCampaignsTable, g: GroupBuysTable) => ({
  group_id: g.id,
  code: g.code,
  campaign_id: c.id,
  campaign_name: c.name,
  product_id: c.product_id,
  price_fen: c.price_fen === null ? null : num(c.price_fen),
  size: num(g.size),
});

/** Opens a group of a campaign with the member as its leader (and first member). */
export async function openGroup(deps: LoyaltyDeps, ws: string, profileId: string, campaignId: string): Promise<GroupView> {
  const { database } = deps;
  return withRetries(database, () =>
    database.db.transaction().execute(async (trx) => {
      const now = deps.now();
      const c = await findCampaign(trx, ws, campaignId);
      if (c.status !== 'active' || num(c.ends_at) <= now) {
        throw new MemberApiError(
          'GROUP_BUY_CAMPAIGN_INACTIVE',
          `group-buy campaign ${c.id} takes no new groups (${c.status}, ends ${new Date(num(c.ends_at)).toISOString()})`,
        );
      }
      const g: GroupBuysTable = {
        workspace_id: ws,
        id: newId('grp', now),
        campaign_id: c.id,
        code: newGroupCode(),
        leader_profile_id: profileId,
        status: 'open',
        size: num(c.group_size),
        joined: 1,
        deadline: Math.min(now + num(c.group_hours) * 3_600_000, num(c.ends_at)),
        formed_at: null,
        cancelled_at: null,
        created_at: now,
      };
      await trx.insertInto('loyalty_group_buys').values(g).execute();
      await trx
        .insertInto('loyalty_group_buy_members')
        .values({ workspace_id: ws, group_id: g.id, profile_id: profileId, campaign_id: c.id, joined_at: now })
        .execute();
      await event(trx, database, ws, profileId, GROWTH_EVENTS.groupBuyOpened, `${g.id}:opened`, now, {
        ...groupProps(c, g),
        deadline: new Date(g.deadline).toISOString(),
      });
      return groupView(g, { you: true });
    }),
  );
}

/** Gives one member of a formed group the campaign's reward; a coupon the template refuses is noted on the event, not fatal. */
async function reward(trx: Conn, deps: LoyaltyDeps, c: GroupBuyCampaignsTable, g: GroupBuysTable, profileId: string, now: number, tz: string) {
  const out: Record<string, unknown> = {};
  const key = `siyu:group-buy:${g.id}:${profileId}`;
  if (c.reward_points !== null && num(c.reward_points) > 0) {
    const e = await postEntry(
      trx,
      deps.database.dialect,
      {
        workspaceId: c.workspace_id,
        profileId,
        kind: 'earn',
        points: num(c.reward_points),
        reason: `group-buy formed: ${c.name}`,
        source: { type: 'api', id: `group-buy:${g.id}` },
        idempotencyKey: key,
        defaultExpiresAt: await defaultExpiry(trx, c.workspace_id, now, tz),
      },
      now,
    );
    out.reward_points = num(c.reward_points);
    out.reward_entry_id = e.entry.id;
  }
  if (c.reward_coupon_template_id) {
    try {
      const r = await issueInTrx(
        trx,
        deps.database.dialect,
        {
          workspaceId: c.workspace_id,
          profileId,
          template: c.reward_coupon_template_id,
          channel: 'api',
          idempotencyKey: key,
          reason: `group-buy formed: ${c.name}`,
          timeZone: tz,
        },
        now,
      );
      out.reward_coupon_id = r.coupon.id;
    } catch (err) {
      if (!(err instanceof AppError) || !err.code.startsWith('COUPON_')) throw err;
      out.reward_coupon_error = err.code;
    }
  }
  return out;
}

// size: one join's steps in order (lock, state checks, same-person checks, insert, formation with rewards and events)
/** Joins the group a code names; forms it when this join fills it. */
export async function joinGroup(deps: LoyaltyDeps, ws: string, profileId: string, code: string): Promise<GroupView> {
  const { database } = deps;
  const tz = await workspaceTimeZone(database.db, ws, deps.defaultTimeZone);
  return withRetries(database, () =>
    database.db.transaction().execute(async (trx) => {
      const now = deps.now();
      const found = await findGroupByCode(trx, ws, code);
      const g = (await database.dialect
        .forUpdate(trx.selectFrom('loyalty_group_buys').selectAll().where('workspace_id', '=', ws).where('id', '=', found.id))
        .executeTakeFirstOrThrow()) as GroupBuysTable;
      if (g.status !== 'open' || num(g.deadline) <= now || num(g.joined) >= num(g.size)) {
        const why = g.status !== 'open' ? g.status : num(g.deadline) <= now ? 'past its deadline' : 'full';
        throw new MemberApiError('GROUP_BUY_CLOSED', `group-buy ${g.code} takes no more members: it is ${why}`, { status: g.status });
      }
      const members = await groupMembers(trx, ws, g.id);
      for (const m of members) {
        const why = await samePerson(trx, ws, profileId, m.profile_id);
        if (why)
          throw new MemberApiError(
            'GROUP_BUY_SELF_JOIN',
            `this member is already in group-buy ${g.code} (${why} as a member): a group needs different people`,
            { reason: why },
          );
      }
      const c = await findCampaign(trx, ws, g.campaign_id);
      await trx
        .insertInto('loyalty_group_buy_members')
        .values({ workspace_id: ws, group_id: g.id, profile_id: profileId, campaign_id: g.campaign_id, joined_at: now })
        .execute();
      const joined = num(g.joined) + 1;
      const formed = joined === num(g.size);
      const set = formed ? { joined, status: 'formed' as const, formed_at: now } : { joined };
      await trx.updateTable('loyalty_group_buys').set(set).where('workspace_id', '=', ws).where('id', '=', g.id).execute();
      const after = { ...g, ...set };
      await event(trx, database, ws, profileId, GROWTH_EVENTS.groupBuyJoined, `${g.id}:${profileId}:joined`, now, { ...groupProps(c, after), joined });
      if (formed) {
        for (const m of [...members.map((x) => x.profile_id), profileId]) {
          const given = await reward(trx, deps, c, after, m, now, tz);
          await event(trx, database, ws, m, GROWTH_EVENTS.groupBuyFormed, `${g.id}:${m}:formed`, now, {
            ...groupProps(c, after),
            leader: m === g.leader_profile_id,
            ...given,
          });
        }
      }
      return groupView(after, { you: true });
    }),
  );
}

/** A group by code as a member sees it (whether they are in it, not who else is). */
export async function memberGroup(deps: LoyaltyDeps, ws: string, profileId: string, code: string): Promise<GroupView> {
  const g = await findGroupByCode(deps.database.db, ws, code);
  const members = await groupMembers(deps.database.db, ws, g.id);
  return groupView(g, { you: members.some((m) => m.profile_id === profileId) });
}
