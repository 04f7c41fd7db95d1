/**
 * Membership of given profiles, evaluated in the database and applied in the caller's transaction:
 * what the change feed does for changed profiles, and what a recompute or a static upload does for
 * the segments built on the one it changed.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { compileRule } from './compile.js';
import { type Departure, recordDepartures } from './history.js';
import { dependencyLevels } from './live-segments.js';
import { listenedColumn } from './locks.js';
import type { LiveSegment, MembershipChange } from './membership.deps.js';
import { ruleCost } from './rule-cost.js';
import type { RuleContext } from './rule.types.js';
import type { SegmentsSqlDB } from './schema.js';

type Trx = Kysely<SegmentsSqlDB>;

/**
 * After `sourceId`'s membership changed for `profileIds` (a recompute or a static upload), re-evaluates
 * the segments that use it for those profiles, in the same transaction. The caller has locked
 * `dependents` (see lockSegments).
 */
export async function propagate(
  trx: Trx,
  dialect: Dialect,
  ws: string,
  dependents: LiveSegment[],
  profileIds: string[],
  ctx: RuleContext,
): Promise<MembershipChange[]> {
  if (dependents.length === 0 || profileIds.length === 0) return [];
  const changes: MembershipChange[] = [];
  for (let i = 0; i < profileIds.length; i += 1000) changes.push(...(await evaluateProfiles(trx, dialect, ws, dependents, profileIds.slice(i, i + 1000), ctx)));
  return changes;
}

/** `case when <rule> then 1 else 0 end` per segment, as select columns s0, s1, ... */
function ruleColumns(segments: LiveSegment[], ctx: RuleContext, dialect: Dialect): RawBuilder<unknown>[] {
  return segments.map((s, i) => sql`case when (${compileRule(s.rule, ctx, dialect)}) then 1 else 0 end as ${sql.ref('s' + i)}`);
}

/**
 * Splits segments into groups whose rules, with `fixed` other parameters, fit in one statement
 * (the engine's maxParams, by the rules' estimated parameters: rule-cost.ts). A rule too big
 * alone (saved before the limits) forms a group of its own.
 */
export function byParameterBudget(segments: LiveSegment[], fixed: number, dialect: Dialect): LiveSegment[][] {
  const budget = dialect.maxParams - fixed;
  const groups: LiveSegment[][] = [];
  let group: LiveSegment[] = [];
  let used = 0;
  for (const s of segments) {
    const cost = ruleCost(s.rule).parameters;
    if (group.length && used + cost > budget) {
      groups.push(group);
      group = [];
      used = 0;
    }
    group.push(s);
    used += cost;
  }
  if (group.length) groups.push(group);
  return groups;
}

/** A current member's entry record. */
interface Entry {
  version: number;
  enteredAt: number;
}

/**
 * Current members among `profileIds` of the given segments, per segment: primary-key probes, one
 * per segment and profile (there is no index by profile: see migration 0014).
 */
async function currentMembers(trx: Trx, ws: string, segmentIds: string[], profileIds: string[]): Promise<Map<string, Map<string, Entry>>> {
  const out = new Map<string, Map<string, Entry>>(segmentIds.map((id) => [id, new Map()]));
  if (segmentIds.length === 0) return out;
  for (let i = 0; i < profileIds.length; i += 5000) {
    const rows = await trx
      .selectFrom('segment_members')
      .select(['segment_id', 'profile_id', 'version', 'entered_at'])
      .where('workspace_id', '=', ws)
      .where('segment_id', 'in', segmentIds)
      .where('profile_id', 'in', profileIds.slice(i, i + 5000))
      .execute();
    for (const r of rows) out.get(r.segment_id)?.set(r.profile_id, { version: r.version, enteredAt: Number(r.entered_at) });
  }
  return out;
}

/** What one segment's evaluation of the profiles changes: rows to insert, departures, and the timeline's changes. */
interface SegmentDiff {
  inserts: Record<string, unknown>[];
  departures: Departure[];
  changes: MembershipChange[];
}

/** Compares one segment's members before and after among `profileIds` (see applyMembership). */
function diffSegment(
  ws: string,
  s: LiveSegment,
  profileIds: string[],
  live: Set<string>,
  after: Set<string>,
  before: Map<string, Entry>,
  now: number,
): SegmentDiff {
  const diff: SegmentDiff = { inserts: [], departures: [], changes: [] };
  for (const pid of profileIds) {
    const isIn = after.has(pid);
    const was = before.get(pid);
    if (isIn && !was) {
      diff.inserts.push({ workspace_id: ws, segment_id: s.id, profile_id: pid, version: s.version, entered_at: now, listened: listenedColumn(s.listened) });
      diff.changes.push({ segmentId: s.id, profileId: pid, version: s.version, kind: 'entered', at: now });
    } else if (!isIn && was) {
      const merged = !live.has(pid);
      diff.departures.push({ profileId: pid, version: was.version, enteredAt: was.enteredAt, reason: merged ? 'merged' : 'rule' });
      if (!merged) diff.changes.push({ segmentId: s.id, profileId: pid, version: s.version, kind: 'exited', at: now });
    }
  }
  return diff;
}

/**
 * Applies a computed membership to the given profiles for the given segments, inside `trx`:
 * inserts entries (the `segment_members` row is the entry's record), deletes exits and moves them
 * to history, updates member counts. `matches` has, per segment, the set of profile ids (among
 * `profileIds`) that satisfy it; `live` says which of `profileIds` are live (others, merged
 * away, leave with reason "merged": the survivor's own membership follows).
 */
async function applyMembership(
  trx: Trx,
  dialect: Dialect,
  ws: string,
  segments: LiveSegment[],
  profileIds: string[],
  live: Set<string>,
  matches: Set<string>[],
  now: number,
  current: Map<string, Map<string, Entry>>,
): Promise<MembershipChange[]> {
  if (profileIds.length === 0 || segments.length === 0) return [];
  const changes: MembershipChange[] = [];
  const inserts: Record<string, unknown>[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    const { inserts: added, departures, changes: own } = diffSegment(ws, s, profileIds, live, matches[i]!, current.get(s.id) ?? new Map<string, Entry>(), now);
    inserts.push(...added);
    changes.push(...own);
    if (departures.length) {
      const gone = departures.map((d) => d.profileId);
      for (let j = 0; j < gone.length; j += 5000) {
        await trx
          .deleteFrom('segment_members')
          .where('workspace_id', '=', ws)
          .where('segment_id', '=', s.id)
          .where('profile_id', 'in', gone.slice(j, j + 5000))
          .execute();
      }
      await recordDepartures(trx, dialect, ws, s.id, s.version, now, departures);
    }
    if (added.length !== departures.length) {
      await trx
        .updateTable('segments')
        .set((eb) => ({ member_count: eb('member_count', '+', added.length - departures.length) }))
        .where('workspace_id', '=', ws)
        .where('id', '=', s.id)
        .execute();
    }
  }
  await dialect.insertMany(trx, 'segment_members', inserts);
  return changes;
}

/**
 * Evaluates `segments` for `profileIds` (any mix of live and merged ids) and applies the result,
 * level by level so a segment that references another sees that one's new membership.
 */
export async function evaluateProfiles(
  trx: Trx,
  dialect: Dialect,
  ws: string,
  segments: LiveSegment[],
  profileIds: string[],
  ctx: RuleContext,
): Promise<MembershipChange[]> {
  const changes: MembershipChange[] = [];
  if (profileIds.length === 0 || segments.length === 0) return changes;
  // One read serves every level: a level writes only its own segments' rows.
  const current = await currentMembers(
    trx,
    ws,
    segments.map((s) => s.id),
    profileIds,
  );
  for (const level of dependencyLevels(segments)) {
    // As many of the level's rules per statement as its parameters allow beside the profile ids.
    for (const group of byParameterBudget(level, profileIds.length + 1, dialect)) {
      const rows = await sql<Record<string, unknown>>`select p.id, p.merged_into, ${sql.join(ruleColumns(group, ctx, dialect))}
        from profiles as p where p.workspace_id = ${ws} and p.id in (${sql.join(profileIds)})`.execute(trx);
      const live = new Set<string>();
      const matches = group.map(() => new Set<string>());
      for (const r of rows.rows) {
        if (r.merged_into !== null) continue;
        const id = r.id as string;
        live.add(id);
        group.forEach((_, i) => {
          if (Number(r['s' + i]) === 1) matches[i]!.add(id);
        });
      }
      changes.push(...(await applyMembership(trx, dialect, ws, group, profileIds, live, matches, ctx.now, current)));
    }
  }
  return changes;
}
