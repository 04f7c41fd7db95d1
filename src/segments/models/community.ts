/**
 * Community roles of WeCom group members, from the timeline events the WeCom integration (scrm)
 * records; their names come from platform/event-names.ts, which the producer uses too.
 *
 * Membership: a profile is a current member of customer group G when, among its `WeCom Group
 * Joined` and `WeCom Group Left` events with `properties.chat_id` = G up to now, the latest is
 * `WeCom Group Joined` (at equal timestamps leaving wins). Events without a chat_id are ignored. A
 * member of at least one group is a member; only members get a role, everyone else has none.
 *
 * Activity over the window (default 30 days: events from the local date today - 30 up to now):
 *   score = messages × 1 + replies × 3 + invites × 10     (weights configurable)
 * in any group, where
 *   messages  the customer's group messages: `WeCom Message Received` with a `roomid` (archive import)
 *   replies   those of them that answer another member: with `reply_to_msgid` (so a reply scores 1 + 3)
 *   invites   `WeCom Group Member Invited`: a customer the profile invited joined a group
 *
 * Roles (first match wins):
 *   koc     (score >= kocMinScore (100) and invites >= 1), or score > 0 and the score is within the
 *           top kocTopPercent (5%) of the members with a score above 0: at least the score at
 *           rank ceil(p% × that count), highest first (nearest rank; ties at the cut-off are in)
 *   active  at least activeMinMessages (5) messages in the window
 *   lurker  any other member
 *
 * Writes community_role, community_score and community_at (the run) for members; clears them for
 * profiles that are no longer members or no longer live.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../../platform/db/database.js';
import { jsonPathText } from '../../platform/db/json-path.js';
import { writeJobState } from '../../platform/db/job-state.js';
import type { SegmentsSqlDB } from '../schema.js';
import { COMMUNITY_ROLES, type CommunityRole } from '../rule.types.js';
import { clearScoresOfMergedProfiles, forEachChunk, type RunContext, storedScores } from './run.js';
import type { CommunitySettings, ModelSettings } from './settings.js';
import { daysAgoStart } from '../../platform/time.js';
import { WECOM_EVENTS, WECOM_PROPS } from '../../platform/event-names.js';

/** The events the community model reads (recorded by scrm; names from platform/event-names.ts). */
export const COMMUNITY_EVENTS = {
  message: WECOM_EVENTS.messageReceived,
  invite: WECOM_EVENTS.groupMemberInvited,
  joined: WECOM_EVENTS.groupJoined,
  left: WECOM_EVENTS.groupLeft,
} as const;

/** A member's activity in the window. */
export interface CommunityActivity {
  messages: number;
  replies: number;
  invites: number;
}

/** What one community run did. */
export interface CommunityRunReport {
  computedAt: string;
  /** Start of the activity window (inclusive). */
  windowFrom: string;
  members: number;
  /** Members with a score above 0 (the pool of the top-percent rule). */
  scoredMembers: number;
  /** Lowest score in the top kocTopPercent; null when nobody scored or the rule is off. */
  kocCutoff: number | null;
  roles: Record<CommunityRole, number>;
  /** Profiles whose role was cleared (no longer members, or merged away). */
  cleared: number;
}

/** The weighted score of an activity. */
export function communityScore(a: CommunityActivity, w: CommunitySettings['weights']): number {
  return a.messages * w.message + a.replies * w.reply + a.invites * w.invite;
}

/** The role of a member (see the module comment); `kocCutoff` is the run's top-percent score. */
export function communityRole(a: CommunityActivity, kocCutoff: number | null, s: CommunitySettings): CommunityRole {
  const score = communityScore(a, s.weights);
  if ((score >= s.kocMinScore && a.invites >= 1) || (kocCutoff !== null && score > 0 && score >= kocCutoff)) return 'koc';
  if (a.messages >= s.activeMinMessages) return 'active';
  return 'lurker';
}

/** Nearest-rank position (1-based) of the top `percent` among `n` (0 when the rule is off or n is 0). */
export function topRank(percent: number, n: number): number {
  if (percent <= 0 || n <= 0) return 0;
  // Percent has at most 2 decimals: integer arithmetic keeps ceil exact.
  return Math.max(1, Math.ceil((Math.round(percent * 100) * n) / 10_000));
}

/** `properties.<name>` of an event as text. */
function prop(dialect: Dialect, name: string): RawBuilder<string | null> {
  return jsonPathText(dialect, 'payload', ['properties', name]);
}

/** Optional `profile_id` range of one chunk: (after, last]. */
type Range = { after: string | null; last: string } | undefined;

function inRange(range: Range): RawBuilder<unknown> {
  if (!range) return sql``;
  return range.after === null ? sql` and profile_id <= ${range.last}` : sql` and profile_id > ${range.after} and profile_id <= ${range.last}`;
}

/** Profiles that are current members of at least one group as of `now`. */
function membersSql(dialect: Dialect, ws: string, now: number, range: Range): RawBuilder<{ profile_id: string }> {
  const gid = prop(dialect, WECOM_PROPS.chatId);
  return sql<{ profile_id: string }>`
    select distinct profile_id from (
      select profile_id, event, row_number() over (
        partition by profile_id, ${gid}
        order by ${sql.ref('timestamp')} desc, case when event = ${COMMUNITY_EVENTS.left} then 0 else 1 end
      ) as rn
      from events
      where workspace_id = ${ws} and event in (${COMMUNITY_EVENTS.joined}, ${COMMUNITY_EVENTS.left})
        and ${sql.ref('timestamp')} <= ${now} and ${gid} is not null${inRange(range)}
    ) latest where rn = 1 and event = ${COMMUNITY_EVENTS.joined}`;
}

/** Messages, replies and invites per profile in [from, now]. */
function activitySql(
  dialect: Dialect,
  ws: string,
  from: number,
  now: number,
  range: Range,
): RawBuilder<{ profile_id: string; messages: number; replies: number; invites: number }> {
  const inGroup = sql`event = ${COMMUNITY_EVENTS.message} and coalesce(${prop(dialect, WECOM_PROPS.roomId)}, '') <> ''`;
  const isReply = sql`coalesce(${prop(dialect, WECOM_PROPS.replyTo)}, '') <> ''`;
  return sql`
    select profile_id,
      sum(case when ${inGroup} then 1 else 0 end) as messages,
      sum(case when ${inGroup} and ${isReply} then 1 else 0 end) as replies,
      sum(case when event = ${COMMUNITY_EVENTS.invite} then 1 else 0 end) as invites
    from events
    where workspace_id = ${ws} and event in (${COMMUNITY_EVENTS.message}, ${COMMUNITY_EVENTS.invite})
      and ${sql.ref('timestamp')} >= ${from} and ${sql.ref('timestamp')} <= ${now}${inRange(range)}
    group by profile_id`;
}

/**
 * The number of live members with a score above 0, and the score at the top-percent rank among
 * them: one SQL query over the whole workspace (one sort of the scored members, nothing in memory).
 */
async function kocCutoff(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  from: number,
  now: number,
  s: CommunitySettings,
): Promise<{ scored: number; cutoff: number | null }> {
  const w = s.weights;
  // rank = ceil(percent × n / 100) with the percent in hundredths, in integer arithmetic; at least 1
  // so that the count comes back even when the rule is off.
  const hundredths = Math.round(s.kocTopPercent * 100);
  const rank = sql`(cast(${hundredths} as integer) * n + 9999) / 10000`;
  // Materialized CTEs, members as an IN list: SQLite otherwise re-runs one derived table for every
  // row of the other, or loops over both CTEs. Measured on 200,000 profiles / 1.2 M events with
  // 18,000 members: 36 s as a join of the two CTEs, 2.4-3.4 s like this (PostgreSQL 0.7-1.0 s);
  // on 5,000 profiles, a join of two subqueries took 9.8 s.
  const row = (
    await sql<{ score: number; n: number }>`
      with activity as materialized (${activitySql(dialect, ws, from, now, undefined)}),
      members as materialized (${membersSql(dialect, ws, now, undefined)})
      select score, n from (
        select score, row_number() over (order by score desc) as rn, count(*) over () as n from (
          select a.messages * ${w.message} + a.replies * ${w.reply} + a.invites * ${w.invite} as score
          from activity a
          where a.profile_id in (select profile_id from members)
            and exists (select 1 from profiles p where p.workspace_id = ${ws} and p.id = a.profile_id and p.merged_into is null)
        ) scored where score > 0
      ) ranked where rn = case when ${rank} < 1 then 1 else ${rank} end`.execute(db)
  ).rows[0];
  if (!row) return { scored: 0, cutoff: null };
  const n = Number(row.n);
  return { scored: n, cutoff: topRank(s.kocTopPercent, n) === 0 ? null : Number(row.score) };
}

/**
 * Computes the community role of every live profile as of `now` and writes it (see the module
 * comment); returns what it did.
 */
export async function computeCommunity(
  db: Kysely<SegmentsSqlDB>,
  dialect: Dialect,
  ws: string,
  now: number,
  settings: ModelSettings,
  ctx: RunContext,
): Promise<CommunityRunReport> {
  const s = settings.community;
  const from = daysAgoStart(now, s.windowDays, settings.timeZone);
  const { scored, cutoff } = await kocCutoff(db, dialect, ws, from, now, s);
  const roles = Object.fromEntries(COMMUNITY_ROLES.map((r) => [r, 0])) as Record<CommunityRole, number>;
  let cleared = 0;
  const total = Number(
    (
      await db
        .selectFrom('profiles')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('workspace_id', '=', ws)
        .where('merged_into', 'is', null)
        .executeTakeFirstOrThrow()
    ).n,
  );

  await forEachChunk(db, dialect, ctx, total, async (trx, after, limit) => {
    let q = trx.selectFrom('profiles').select('id').where('workspace_id', '=', ws).where('merged_into', 'is', null).orderBy('id').limit(limit);
    if (after !== null) q = q.where('id', '>', after);
    const rows = await q.execute();
    if (rows.length === 0) return { ids: [] };
    const range = { after, last: rows[rows.length - 1]!.id };
    const before = await storedScores(trx, ws, after, range.last, 'community_role');
    const members = new Set((await membersSql(dialect, ws, now, range).execute(trx)).rows.map((r) => r.profile_id));
    const activity = new Map((await activitySql(dialect, ws, from, now, range).execute(trx)).rows.map((r) => [r.profile_id, r]));

    const out: Record<string, unknown>[] = [];
    const tally = new Map<CommunityRole, number>();
    let gone = 0;
    for (const p of rows) {
      if (!members.has(p.id)) {
        if (before.has(p.id)) {
          out.push({ workspace_id: ws, profile_id: p.id, community_role: null, community_score: null, community_at: null });
          gone++;
        }
        continue;
      }
      const r = activity.get(p.id);
      const a = { messages: Number(r?.messages ?? 0), replies: Number(r?.replies ?? 0), invites: Number(r?.invites ?? 0) };
      const role = communityRole(a, cutoff, s);
      tally.set(role, (tally.get(role) ?? 0) + 1);
      out.push({ workspace_id: ws, profile_id: p.id, community_role: role, community_score: communityScore(a, s.weights), community_at: now });
    }
    await dialect.insertMany(trx, 'profile_scores', out, {
      columns: ['workspace_id', 'profile_id'],
      update: ['community_role', 'community_score', 'community_at'],
    });
    return {
      ids: rows.map((p) => p.id),
      committed: () => {
        tally.forEach((k, role) => void (roles[role] += k));
        cleared += gone;
      },
    };
  });

  const merged = {
    numUpdatedRows: BigInt(await clearScoresOfMergedProfiles(db, ws, 'community_role', { community_role: null, community_score: null, community_at: null })),
  };

  const report: CommunityRunReport = {
    computedAt: new Date(now).toISOString(),
    windowFrom: new Date(from).toISOString(),
    members: Object.values(roles).reduce((a, b) => a + b, 0),
    scoredMembers: scored,
    kocCutoff: cutoff,
    roles,
    cleared: cleared + Number(merged.numUpdatedRows),
  };
  await writeJobState(db, ws, 'models.community', report, now);
  return report;
}
