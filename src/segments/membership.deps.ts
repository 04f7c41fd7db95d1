/**
 * What segment membership's writers (the change feed, the two full recomputes, static uploads)
 * need, the shapes they share, and the notice they give after a commit that changed members.
 */
import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { Scanner } from '../platform/db/scan.js';
import { keepsPlannerStatistics } from '../platform/db/planner.js';
import type { StatementLimits } from '../platform/db/statement-limits.js';
import { createStatisticsKeeper, type StatisticsKeeper } from '../platform/db/statistics.js';
import type { Hub } from '../platform/hub.js';
import type { SegmentsDeps } from './deps.js';
import type { SegmentsHubEvents } from './hub-events.js';
import type { Rule } from './rule.types.js';
import type { SegmentsSqlDB } from './schema.js';

/** A segment as the engine evaluates it. */
export interface LiveSegment {
  id: string;
  name: string;
  version: number;
  rule: Rule;
  /**
   * Whether a journey listens to its entries (`segments.entries_listened`), as read under the
   * segment's lock by the transaction writing them (see lockSegments); unknown counts as yes.
   */
  listened?: boolean;
}

/** One membership change, as written to the timeline. */
export interface MembershipChange {
  segmentId: string;
  profileId: string;
  version: number;
  kind: 'entered' | 'exited';
  at: number;
}

/** What membership writes need; build it with {@link membershipDeps} (it holds per-deps state). */
export interface MembershipDeps {
  db: Kysely<SegmentsSqlDB>;
  dialect: Dialect;
  /** Reads a full recompute's evaluation query off the JavaScript thread (Database.scan). */
  scan: Scanner;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /**
   * Told `segments.membership-changed` after a committed transaction changed the membership of
   * some of the workspace's segments (journeys hear it, then read entries and exits from the tables).
   */
  hub?: Pick<Hub<SegmentsHubEvents>, 'emit'>;
  /** Start of the oldest write transaction still open in this process (the feed stays behind it). */
  oldestWrite?: () => number | undefined;
  /** Limits of each statement of recomputes and of the feed (see limitStatements); none when absent. */
  limits?: StatementLimits;
  /**
   * segment_members' planner statistics, kept as recomputes grow the table (measured without them,
   * the feed's 939 deletes took 9.45 s instead of 0.87-1.21 s). One keeper per deps object.
   */
  memberStatistics: StatisticsKeeper;
}

/** Builds membership deps, with their own keeper of segment_members' statistics (PostgreSQL; off on SQLite). */
export function membershipDeps(parts: Omit<MembershipDeps, 'memberStatistics'>): MembershipDeps {
  return { ...parts, memberStatistics: createStatisticsKeeper(parts.db, { measure: 'segment_members', enabled: keepsPlannerStatistics(parts.dialect) }) };
}

/** Membership deps from the module's deps (the worker's, the CLI's). */
export function membershipOf(
  deps: Pick<SegmentsDeps, 'database' | 'now' | 'timeZoneOf' | 'hub' | 'oldestWrite'> & Partial<Pick<SegmentsDeps, 'queryLimits'>>,
): MembershipDeps {
  const { database } = deps;
  return membershipDeps({
    db: database.db,
    dialect: database.dialect,
    scan: database.scan,
    now: deps.now,
    timeZoneOf: deps.timeZoneOf,
    hub: deps.hub,
    oldestWrite: deps.oldestWrite,
    limits: deps.queryLimits?.recompute,
  });
}

/** Tells the process that a committed transaction changed members of the workspace's segments. */
export function announceChanges(deps: Pick<MembershipDeps, 'hub'>, workspaceId: string): void {
  deps.hub?.emit('segments.membership-changed', { workspaceId });
}
