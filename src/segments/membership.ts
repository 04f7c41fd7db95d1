/**
 * Live segment membership. Two paths write `segment_members`, both in chunk transactions that
 * also move departures to `segment_member_history` (the timeline's "Segment Entered/Exited" come
 * from these two tables, see history.ts) and update the member count, so a crash leaves every
 * chunk either fully applied or not at all:
 *
 * - **Incremental**: a change feed over `profiles.updated_at` (every ingest, trait, tag and merge
 *   write touches it) re-evaluates only the profiles that changed, for every live rule segment.
 *   Its cursor lives in `job_state` and advances in the same transaction as the changes.
 * - **Full recompute** of one segment (new segment, new version, schedule for time-dependent
 *   rules, CLI): in place, range by range of profile ids, or by one whole-workspace scan for
 *   rules that read events (see recomputeSegment). A crash leaves it marked on the segment row;
 *   the in-place way resumes after the last complete range.
 *
 * Concurrency: each chunk transaction first locks what it writes — the feed row, then segment
 * rows in id order (`FOR UPDATE` on PostgreSQL; SQLite has one writer) — and only then reads
 * current members, so two processes never record the same entry twice.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import type { Scanner } from '../platform/db/scan.js';
import { parseJson } from '../platform/db/database.js';
import type { DB } from '../platform/db/schema.js';
import { createStatisticsKeeper, type StatisticsKeeper } from '../platform/db/statistics.js';
import { compileRule } from './compile.js';
import { referencedSegments, walkRule } from './rules.js';
import type { Rule, RuleContext } from './rule.types.js';
import { type Departure, recordDepartures } from './history.js';
import {} from '../platform/time.js';

/** A segment as the engine evaluates it. */
export interface LiveSegment {
  id: string;
  name: string;
  version: number;
  rule: Rule;
  /**
   * Whether a journey listens to its entries (`segments.entries_listened`), as read under the
   * segment's lock by the transaction writing them (see {@link lockSegments}); unknown counts as yes.
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

export interface MembershipDeps {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Reads a full recompute's evaluation query off the JavaScript thread (Database.scan). */
  scan: Scanner;
  now: () => number;
  timeZoneOf: (workspaceId: string) => Promise<string>;
  /**
   * Told that a committed transaction changed the membership of some of the workspace's segments
   * (journeys subscribe here, then read entries and exits from the tables).
   */
  onChange?: (workspaceId: string) => void;
  /** Start of the oldest write transaction still open in this process (the feed stays behind it). */
  oldestWrite?: () => number | undefined;
}

export { SEGMENT_ENTERED, SEGMENT_EXITED } from './history.js';

/** Loads the workspace's active rule segments, ordered so a segment comes after those it references. */
export async function loadLiveSegments(db: Kysely<DB>, workspaceId: string): Promise<LiveSegment[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['id', 'name', 'version', 'rule'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .orderBy('id')
    .execute();
  return orderByDependency(rows.map((r) => ({ id: r.id, name: r.name, version: r.version, rule: parseJson<Rule>(r.rule) })));
}

/** Groups segments into levels: level n references only segments of levels < n (or static ones). */
export function dependencyLevels(segments: LiveSegment[]): LiveSegment[][] {
  const byId = new Map(segments.map((s) => [s.id, s]));
  const level = new Map<string, number>();
  const visit = (s: LiveSegment, path: Set<string>): number => {
    const known = level.get(s.id);
    if (known !== undefined) return known;
    if (path.has(s.id)) return 0; // cycles are refused on save; never loop here
    path.add(s.id);
    let l = 0;
    for (const ref of referencedSegments(s.rule)) {
      const dep = byId.get(ref);
      if (dep) l = Math.max(l, visit(dep, path) + 1);
    }
    path.delete(s.id);
    level.set(s.id, l);
    return l;
  };
  const levels: LiveSegment[][] = [];
  for (const s of segments) (levels[visit(s, new Set())] ??= []).push(s);
  return levels.filter(Boolean);
}

/** The live segments that reference `sourceId`, directly or through others. */
export function dependentsOf(segments: LiveSegment[], sourceId: string): LiveSegment[] {
  const out = new Map<string, LiveSegment>();
  const frontier = [sourceId];
  while (frontier.length) {
    const id = frontier.pop()!;
    for (const s of segments) {
      if (!out.has(s.id) && s.id !== sourceId && referencedSegments(s.rule).includes(id)) {
        out.set(s.id, s);
        frontier.push(s.id);
      }
    }
  }
  return [...out.values()];
}

/**
 * After `sourceId`'s membership changed for `profileIds` (a recompute or a static upload), re-evaluates
 * the segments that use it for those profiles, in the same transaction. The caller has locked
 * `dependents` (see lockFor).
 */
export async function propagate(
  trx: Kysely<DB>,
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

function orderByDependency(segments: LiveSegment[]): LiveSegment[] {
  return dependencyLevels(segments).flat();
}

/** A segment as its lock read it: the version and status to write for, and whether its entries are listened to. */
export interface LockedSegment {
  version: number;
  status: string;
  listened: boolean;
}

/**
 * Locks the segments' rows (FOR UPDATE on PostgreSQL; SQLite has one writer) for a transaction
 * that writes their membership, and reads them under the lock. `listened` must come from here:
 * publishing a journey marks its trigger segment in a transaction of its own before the version's
 * publish time, so a write that read the segment unmarked committed before that time.
 */
export async function lockSegments(trx: Kysely<DB>, dialect: Dialect, ws: string, ids: string[]): Promise<Map<string, LockedSegment>> {
  if (ids.length === 0) return new Map();
  let q = trx
    .selectFrom('segments')
    .select(['id', 'version', 'status', 'entries_listened'])
    .where('workspace_id', '=', ws)
    .where('id', 'in', ids)
    .orderBy('id');
  q = dialect.forUpdate(q);
  const rows = await q.execute();
  return new Map(rows.map((r) => [r.id, { version: r.version, status: r.status, listened: r.entries_listened === 1 }]));
}

/** Gives the segments the `listened` mark their lock read (in place). */
export function markListened(segments: LiveSegment[], locked: Map<string, LockedSegment>): void {
  for (const s of segments) s.listened = locked.get(s.id)?.listened;
}

/** The `segment_members.listened` value for a segment's rows (1 when unknown: indexed is always safe). */
function listenedColumn(listened: boolean | undefined): number {
  return listened === false ? 0 : 1;
}

/** The `segment_members.listened` value for a segment's rows, from its lock. */
export function listenedFlag(locked: Map<string, LockedSegment>, segmentId: string): number {
  return listenedColumn(locked.get(segmentId)?.listened);
}

/** `case when <rule> then 1 else 0 end` per segment, as select columns s0, s1, ... */
function ruleColumns(segments: LiveSegment[], ctx: RuleContext, dialect: Dialect): RawBuilder<unknown>[] {
  return segments.map((s, i) => sql`case when (${compileRule(s.rule, ctx, dialect)}) then 1 else 0 end as ${sql.ref('s' + i)}`);
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
async function currentMembers(trx: Kysely<DB>, ws: string, segmentIds: string[], profileIds: string[]): Promise<Map<string, Map<string, Entry>>> {
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

/**
 * Applies a computed membership to the given profiles for the given segments, inside `trx`:
 * inserts entries (the `segment_members` row is the entry's record), deletes exits and moves them
 * to history, updates member counts. `matches` has, per segment, the set of profile ids (among
 * `profileIds`) that satisfy it; `live` says which of `profileIds` are live (others, merged
 * away, leave with reason "merged": the survivor's own membership follows).
 */
async function applyMembership(
  trx: Kysely<DB>,
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
    const before = current.get(s.id) ?? new Map<string, Entry>();
    const after = matches[i]!;
    const departures: Departure[] = [];
    let added = 0;
    for (const pid of profileIds) {
      const isIn = after.has(pid);
      const was = before.get(pid);
      if (isIn && !was) {
        inserts.push({ workspace_id: ws, segment_id: s.id, profile_id: pid, version: s.version, entered_at: now, listened: listenedColumn(s.listened) });
        added++;
        changes.push({ segmentId: s.id, profileId: pid, version: s.version, kind: 'entered', at: now });
      } else if (!isIn && was) {
        const merged = !live.has(pid);
        departures.push({ profileId: pid, version: was.version, enteredAt: was.enteredAt, reason: merged ? 'merged' : 'rule' });
        if (!merged) changes.push({ segmentId: s.id, profileId: pid, version: s.version, kind: 'exited', at: now });
      }
    }
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
    if (added !== departures.length) {
      await trx
        .updateTable('segments')
        .set((eb) => ({ member_count: eb('member_count', '+', added - departures.length) }))
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
  trx: Kysely<DB>,
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
    const rows = await sql<Record<string, unknown>>`select p.id, p.merged_into, ${sql.join(ruleColumns(level, ctx, dialect))}
      from profiles as p where p.workspace_id = ${ws} and p.id in (${sql.join(profileIds)})`.execute(trx);
    const live = new Set<string>();
    const matches = level.map(() => new Set<string>());
    for (const r of rows.rows) {
      if (r.merged_into !== null) continue;
      const id = r.id as string;
      live.add(id);
      level.forEach((_, i) => {
        if (Number(r['s' + i]) === 1) matches[i]!.add(id);
      });
    }
    changes.push(...(await applyMembership(trx, dialect, ws, level, profileIds, live, matches, ctx.now, current)));
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// Incremental: the change feed over profiles.updated_at.

const FEED = 'segments.feed';

/** Feed position: profiles with (updated_at, id) greater than this have not been evaluated. */
interface FeedCursor {
  at: number;
  id: string;
}

async function readFeed(trx: Kysely<DB>, dialect: Dialect, ws: string, now: number): Promise<FeedCursor> {
  let q = trx.selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', FEED);
  q = dialect.forUpdate(q);
  const row = await q.executeTakeFirst();
  if (row) return parseJson<FeedCursor>(row.value);
  // First use: start from now; what is older is covered by each segment's initial full recompute.
  const cursor = { at: now, id: '' };
  await trx
    .insertInto('job_state')
    .values({ workspace_id: ws, name: FEED, value: JSON.stringify(cursor), updated_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return cursor;
}

async function writeFeed(trx: Kysely<DB>, ws: string, cursor: FeedCursor, now: number): Promise<void> {
  await trx
    .updateTable('job_state')
    .set({ value: JSON.stringify(cursor), updated_at: now })
    .where('workspace_id', '=', ws)
    .where('name', '=', FEED)
    .execute();
}

/** Starts the feed of a workspace at `now` if it has none (called when its first segment is created). */
export async function ensureFeed(db: Kysely<DB>, dialect: Dialect, ws: string, now: number): Promise<void> {
  await db.transaction().execute((trx) => readFeed(trx, dialect, ws, now));
}

/**
 * Moves the feed back so profiles changed since `at` are evaluated again (after a long import
 * transaction whose rows carry its start time, or an operator asking for it).
 */
export async function rewindFeed(db: Kysely<DB>, dialect: Dialect, ws: string, at: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const cur = await readFeed(trx, dialect, ws, at);
    if (cur.at >= at) await writeFeed(trx, ws, { at: at - 1, id: '\uffff' }, Date.now());
  });
}

export interface FeedOptions {
  /** Profiles per transaction. */
  chunk?: number;
  /**
   * Only profiles updated at least this long ago are read, so a transaction that stamped its rows
   * just before committing is not overtaken by the cursor. Default 2 s.
   */
  lagMs?: number;
  /** Most chunks in one call. */
  maxChunks?: number;
}

/** Processes the change feed of one workspace; returns how many profiles were evaluated. */
export async function processFeed(deps: MembershipDeps, ws: string, opts: FeedOptions = {}): Promise<{ profiles: number; changes: number; caughtUp: boolean }> {
  const chunk = opts.chunk ?? 1000;
  const lag = opts.lagMs ?? 2000;
  const maxChunks = opts.maxChunks ?? 50;
  const timeZone = await deps.timeZoneOf(ws);
  let profiles = 0;
  let changeCount = 0;
  for (let n = 0; n < maxChunks; n++) {
    const now = deps.now();
    const result = await deps.db.transaction().execute(async (trx) => {
      const cursor = await readFeed(trx, deps.dialect, ws, now);
      const open = deps.oldestWrite?.();
      const upTo = Math.min(now - lag, open === undefined ? Infinity : open - 1);
      const rows = await trx
        .selectFrom('profiles')
        .select(['id', 'updated_at'])
        .where('workspace_id', '=', ws)
        // Row-value comparison: both engines turn it into an index range (the equivalent
        // `a > x or (a = x and id > y)` was planned as a scan from the start of the workspace).
        .where((eb) => eb(eb.refTuple('updated_at', 'id'), '>', eb.tuple(cursor.at, cursor.id)))
        .where('updated_at', '<=', upTo)
        .orderBy('updated_at')
        .orderBy('id')
        .limit(chunk)
        .execute();
      if (rows.length === 0) return { count: 0, changes: [] as MembershipChange[] };
      const segments = await loadLiveSegments(trx, ws);
      const locked = await lockSegments(
        trx,
        deps.dialect,
        ws,
        segments.map((s) => s.id),
      );
      const current = segments.filter((s) => locked.get(s.id)?.version === s.version && locked.get(s.id)?.status === 'active');
      markListened(current, locked);
      const changes = await evaluateProfiles(
        trx,
        deps.dialect,
        ws,
        current,
        rows.map((r) => r.id),
        { workspaceId: ws, now, timeZone },
      );
      const last = rows[rows.length - 1]!;
      await writeFeed(trx, ws, { at: last.updated_at, id: last.id }, now);
      return { count: rows.length, changes };
    });
    profiles += result.count;
    changeCount += result.changes.length;
    if (result.changes.length) deps.onChange?.(ws);
    if (result.count < chunk) return { profiles, changes: changeCount, caughtUp: true };
  }
  return { profiles, changes: changeCount, caughtUp: false };
}

// ---------------------------------------------------------------------------------------------
// Full recompute of one segment.

export interface RecomputeProgress {
  segmentId: string;
  version: number;
  /** By scan: 'evaluating' until the scan's first rows, then 'writing'. In place: 'writing' throughout. */
  phase: 'evaluating' | 'writing';
  /**
   * Profiles covered (merged ones included). In place: the ranges written so far; by scan: 0
   * until the end, when it is `total`.
   */
  done: number;
  /** Profiles of the workspace (after the resume position), counted aside: 0 until known, an estimate while in place. */
  total: number;
  /** Matching profiles found so far (in place: the members of the ranges written). */
  matched: number;
  entered: number;
  exited: number;
}

/** Marks a segment for a full recompute of its current version (picked up by `recomputeSegment`). */
export async function requestRecompute(db: Kysely<DB>, ws: string, segmentId: string, now: number): Promise<void> {
  await db
    .updateTable('segments')
    .set((eb) => ({ recompute_version: eb.ref('version'), recompute_cursor: null, recompute_started_at: now }))
    .where('workspace_id', '=', ws)
    .where('id', '=', segmentId)
    .execute();
}

/** Queues a full recompute of every active rule segment using RFM, lifecycle or community conditions; returns their ids. */
export async function requestModelSegmentRecomputes(db: Kysely<DB>, ws: string, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['id', 'rule'])
    .where('workspace_id', '=', ws)
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .where('time_dependent', '=', 1)
    .orderBy('id')
    .execute();
  const ids = rows
    .filter((r) => {
      let uses = false;
      walkRule(parseJson<Rule>(r.rule), (n) => {
        uses ||= n.type === 'rfm' || n.type === 'lifecycle' || n.type === 'community_role';
      });
      return uses;
    })
    .map((r) => r.id);
  for (const id of ids) await requestRecompute(db, ws, id, now);
  return ids;
}

/** Rules reading the events table (event counts, last/never performed) are recomputed by one scan. */
function readsEvents(rule: Rule): boolean {
  let reads = false;
  walkRule(rule, (n) => {
    reads ||= n.type === 'event' || n.type === 'last_performed' || n.type === 'never_performed';
  });
  return reads;
}

export interface RecomputeOptions {
  /** Scan path: membership changes per write transaction (default 5,000). */
  chunk?: number;
  /** In-place path: profiles per range transaction; default: sized by time (see recomputeInPlace). */
  rangeSize?: number;
  /** In-place path sized by time: profiles in the first range (default 50,000 on SQLite, 1,000,000 on PostgreSQL). */
  firstRangeSize?: number;
  /** Scan path: how far behind the clock its snapshot time stays (default 2 s, as the feed). */
  lagMs?: number;
  onProgress?: (p: RecomputeProgress) => void;
  signal?: AbortSignal;
}

/**
 * Runs the full recompute of a segment (new segment, new version, schedule for time-dependent
 * rules, CLI). Two ways, chosen by the rule; both write in chunk transactions that lock the
 * segment (and its dependents) first, as the feed does, so a concurrent feed write is never
 * undone or counted twice, and a crash leaves every chunk applied or not at all:
 *
 * - **In place** (rules that do not read events: traits, profile fields, tags, scores, consent,
 *   other segments, buckets): per range of `rangeSize` profile ids, one `INSERT ... SELECT` of the
 *   entries and one `DELETE ... RETURNING` of the exits, evaluated by the database with the current
 *   data under the locks, as a hand-written query would. Resumes after `recompute_cursor`.
 * - **Scan** (rules that read events): one whole-workspace evaluation read off the JavaScript
 *   thread and merged with the current members (see recomputeByScan): per-range evaluation
 *   would read each range's events through `events_profile_time`, 2-3× the work of reading the
 *   window's events once through `events_name_time` (bench/README.md).
 *
 * Returns undefined if the segment is gone, archived, static, or its version changed meanwhile
 * (the new version's recompute takes over).
 */
export async function recomputeSegment(
  deps: MembershipDeps,
  ws: string,
  segmentId: string,
  opts: RecomputeOptions = {},
): Promise<RecomputeProgress | undefined> {
  const seg = await deps.db.selectFrom('segments').selectAll().where('workspace_id', '=', ws).where('id', '=', segmentId).executeTakeFirst();
  if (!seg || seg.kind !== 'rule' || seg.status !== 'active') return undefined;
  const resume = seg.recompute_version === seg.version ? seg.recompute_cursor : null;
  if (seg.recompute_version !== seg.version) await requestRecompute(deps.db, ws, segmentId, deps.now());
  const segment: LiveSegment = { id: seg.id, name: seg.name, version: seg.version, rule: parseJson<Rule>(seg.rule) };
  const timeZone = await deps.timeZoneOf(ws);
  if (readsEvents(segment.rule)) return recomputeByScan(deps, ws, segment, timeZone, opts);
  return recomputeInPlace(deps, ws, segment, timeZone, resume ?? '', opts);
}

/**
 * Counts the workspace's profiles after `after` (merged ones included) off the JavaScript thread (Database.scan; at 1M profiles it takes 100-500 ms),
 * for a progress total: `set` gets the count if it finishes before `cancel()`, and `settled` gives
 * it (undefined if cancelled or failed). Nothing waits for it by default (a recompute that waited
 * at its end was slower than the recompute itself for cheap rules).
 */
function countAside(
  deps: MembershipDeps,
  ws: string,
  after: string,
  set: (n: number) => void,
): { settled: Promise<number | undefined>; cancel(): Promise<void> } {
  const abort = new AbortController();
  const query = sql`select count(*) as n from profiles where workspace_id = ${ws} and id > ${after}`.compile(deps.db);
  const settled = (async () => {
    let n: number | undefined;
    for await (const batch of deps.scan(query, 1, abort.signal)) set((n = Number(batch[0]![0])));
    return n;
  })().catch(() => undefined); // only a progress figure
  return {
    settled,
    cancel: async () => {
      abort.abort();
      await settled;
    },
  };
}

/**
 * The end and size of the range of `rangeSize` profile ids after `after` (upTo undefined: fewer
 * are left), by a walk of the primary key. SQLite: the id at that offset, and only for the last
 * range a count (at 1M profiles 54 ms for all ranges, against 99-131 ms for a count and max over
 * each range's ids). PostgreSQL: count and max in one walk (only when the range size is fixed, or
 * past the statistics' bounds: see idQuantiles).
 */
async function nextRange(deps: MembershipDeps, ws: string, after: string, rangeSize: number): Promise<{ upTo: string | undefined; size: number }> {
  const { db } = deps;
  if (deps.dialect.engine === 'sqlite') {
    const bound = await db
      .selectFrom('profiles')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '>', after)
      .orderBy('id')
      .limit(1)
      .offset(rangeSize - 1)
      .executeTakeFirst();
    if (bound) return { upTo: bound.id, size: rangeSize };
    const r = await db
      .selectFrom('profiles')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('id', '>', after)
      .executeTakeFirst();
    return { upTo: undefined, size: Number(r?.n ?? 0) };
  }
  const r = await sql<{ n: number | string; last: string | null }>`select count(*) as n, max(id) as last from
    (select id from profiles where workspace_id = ${ws} and id > ${after} order by id limit ${rangeSize}) as r`.execute(db);
  const size = Number(r.rows[0]?.n ?? 0);
  return { upTo: size === rangeSize ? (r.rows[0]!.last ?? undefined) : undefined, size };
}

/**
 * PostgreSQL: range bounds for free. The planner's statistics keep about a hundred quantiles of
 * `profiles.id` (pg_stats.histogram_bounds, from the last ANALYZE, which the ingest writer runs as
 * the tables grow); the ones after `after` cut the key space into buckets of about `rowsPerBucket`
 * profiles each (over all workspaces: a workspace's ids interleave with the others'). A walk of the
 * primary key for each range's end cost 150-350 ms per range of 200,000 at 1M profiles, a quarter
 * of a trait segment's recompute (bench/README.md). Ids after the last quantile (profiles created
 * since the ANALYZE) are then covered by walked ranges. Undefined without statistics.
 */
async function idQuantiles(deps: MembershipDeps, after: string): Promise<{ bounds: string[]; rowsPerBucket: number } | undefined> {
  const r = await sql<{ bound: string; rows: number | string; buckets: number | string }>`with h as (
      select s.histogram_bounds::text::text[] as bounds from pg_stats as s
      where s.schemaname = current_schema() and s.tablename = 'profiles' and s.attname = 'id')
    select b.bound, (select reltuples from pg_class where oid = 'profiles'::regclass) as rows, cardinality(h.bounds) - 1 as buckets
    from h cross join lateral unnest(h.bounds) as b(bound) where b.bound > ${after} order by b.bound`.execute(deps.db);
  const first = r.rows[0];
  if (!first || Number(first.buckets) < 1 || Number(first.rows) <= 0) return undefined;
  return { bounds: r.rows.map((x) => x.bound), rowsPerBucket: Math.max(1, Number(first.rows) / Number(first.buckets)) };
}

/** How long an in-place range's transaction should take, and the first range's size (see recomputeInPlace). */
const RANGE_TARGET_MS = { sqlite: 100, postgres: 2_000 };
const FIRST_RANGE = { sqlite: 50_000, postgres: 1_000_000 };

/** In-place recompute: see recomputeSegment. */
async function recomputeInPlace(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  timeZone: string,
  resumeAfter: string,
  opts: RecomputeOptions,
): Promise<RecomputeProgress | undefined> {
  // Ranges are sized by time: each range's transaction holds the segment's lock (the feed waits
  // for it) and on SQLite the one writer, with better-sqlite3 this thread too, so it should stay
  // short; but every range also costs fixed work (locks, the segments' rules loaded and compiled,
  // nine statements prepared anew), and on PostgreSQL a range is read through the primary key
  // where one statement over the whole workspace reads the table in sequence: at 1M profiles,
  // five ranges cost a trait segment 25% more than one (bench/README.md). So on SQLite the size
  // starts at 50,000 profiles, towards 100 ms; on PostgreSQL, where a range holds no writer, at
  // 1,000,000 (one statement for most workspaces, holding the feed back for about 1-2 s),
  // towards 2 s; and it doubles or halves at most per range.
  const fixed = opts.rangeSize !== undefined;
  const target = RANGE_TARGET_MS[deps.dialect.engine];
  let rangeSize = Math.max(1, Math.floor(opts.rangeSize ?? opts.firstRangeSize ?? FIRST_RANGE[deps.dialect.engine]));
  const segmentId = segment.id;
  const started = deps.now();
  const progress: RecomputeProgress = { segmentId, version: segment.version, phase: 'writing', done: 0, total: 0, matched: 0, entered: 0, exited: 0 };
  opts.onProgress?.(progress);
  // The progress total, counted off the JavaScript thread while the first ranges are written.
  let last = false;
  const counting = countAside(deps, ws, resumeAfter, (n) => {
    if (!last) progress.total = Math.max(progress.total, n);
  });
  try {
    return await writeRanges();
  } finally {
    await counting.cancel(); // (at the end the total is what the ranges covered)
  }

  async function writeRanges(): Promise<RecomputeProgress | undefined> {
    let after = resumeAfter;
    // PostgreSQL, sized by time: ranges end at the statistics' quantiles while there are any.
    const quantiles = deps.dialect.engine === 'postgres' && !fixed ? await idQuantiles(deps, resumeAfter) : undefined;
    let q = 0; // next quantile
    let estimated = false;
    for (;;) {
      if (opts.signal?.aborted) return progress;
      // The range: the next `rangeSize` profile ids, merged ones included, ending at a quantile or
      // found by a walk of the primary key. Fewer left: the last range, open at its end, so it
      // also takes profiles created meanwhile.
      let upTo: string | undefined;
      let size: number;
      if (quantiles && q < quantiles.bounds.length) {
        const buckets = Math.max(1, Math.round(rangeSize / quantiles.rowsPerBucket));
        const end = Math.min(q + buckets, quantiles.bounds.length) - 1;
        upTo = quantiles.bounds[end];
        size = Math.round((end - q + 1) * quantiles.rowsPerBucket); // an estimate (see the end)
        estimated = true;
        q = end + 1;
      } else {
        ({ upTo, size } = await nextRange(deps, ws, after, rangeSize));
      }
      last = upTo === undefined;
      const t = performance.now();
      const step = await writeRange(deps, ws, segment, timeZone, after, upTo);
      if (!step) return undefined;
      const ms = performance.now() - t;
      progress.entered += step.entered;
      progress.exited += step.exited;
      progress.matched += step.matched;
      progress.done += size;
      progress.total = upTo === undefined ? progress.done : Math.max(progress.total, progress.done);
      if (step.changed) deps.onChange?.(ws);
      if (upTo === undefined) break;
      opts.onProgress?.(progress);
      after = upTo;
      if (!fixed) rangeSize = Math.round(Math.min(2 * rangeSize, Math.max(rangeSize / 2, (rangeSize * target) / Math.max(ms, 1), 1_000)));
    }
    // Ranges sized from the statistics counted estimates: the count made aside is exact (on
    // PostgreSQL it runs on its own connection and is done long before the ranges).
    if (estimated) {
      const counted = await counting.settled;
      if (counted !== undefined) progress.done = progress.total = counted;
    }
    return finishRecompute(deps, ws, segment, started, progress, opts);
  }
}

/**
 * One in-place range `after < id <= upTo` (upTo undefined: to the end), in one transaction under
 * the segment locks: exits first (so this range's entries are not evaluated twice), then entries,
 * then the member count and the resume cursor, then the segments built on this one.
 */
async function writeRange(deps: MembershipDeps, ws: string, segment: LiveSegment, timeZone: string, after: string, upTo: string | undefined) {
  const segmentId = segment.id;
  const now = deps.now();
  return deps.db.transaction().execute(async (trx) => {
    const dependents = dependentsOf(await loadLiveSegments(trx, ws), segmentId);
    const locked = await lockSegments(trx, deps.dialect, ws, [segmentId, ...dependents.map((d) => d.id)]);
    markListened(dependents, locked);
    const row = await trx
      .selectFrom('segments')
      .select(['version', 'status', 'recompute_version'])
      .where('workspace_id', '=', ws)
      .where('id', '=', segmentId)
      .executeTakeFirst();
    if (!locked.get(segmentId) || !row || row.status !== 'active' || row.version !== segment.version || row.recompute_version !== segment.version)
      return undefined;
    const inRange = (col: RawBuilder<unknown>) =>
      upTo === undefined ? sql<SqlBool>`${col} > ${after}` : sql<SqlBool>`${col} > ${after} and ${col} <= ${upTo}`;
    const rule = compileRule(segment.rule, { workspaceId: ws, now, timeZone, range: { after, upTo } }, deps.dialect);
    const changes: MembershipChange[] = [];
    // Members of the range that no longer match, or were merged away.
    const exits = await sql<{ profile_id: string; version: number; entered_at: number }>`delete from segment_members
      where workspace_id = ${ws} and segment_id = ${segmentId} and ${inRange(sql`profile_id`)}
      and not exists (select 1 from profiles as p where p.workspace_id = ${ws} and p.id = segment_members.profile_id and p.merged_into is null and (${rule}))
      returning profile_id, version, entered_at`.execute(trx);
    let exited = 0;
    if (exits.rows.length) {
      const gone = exits.rows.map((r) => r.profile_id);
      const merged = new Set<string>();
      for (let i = 0; i < gone.length; i += 5000) {
        const rows = await trx
          .selectFrom('profiles')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('id', 'in', gone.slice(i, i + 5000))
          .where('merged_into', 'is not', null)
          .execute();
        for (const r of rows) merged.add(r.id);
      }
      const departures: Departure[] = exits.rows.map((r) => ({
        profileId: r.profile_id,
        version: r.version,
        enteredAt: Number(r.entered_at),
        reason: merged.has(r.profile_id) ? 'merged' : 'rule',
      }));
      await recordDepartures(trx, deps.dialect, ws, segmentId, segment.version, now, departures);
      for (const d of departures) {
        if (d.reason !== 'rule') continue;
        exited++;
        changes.push({ segmentId, profileId: d.profileId, version: segment.version, kind: 'exited', at: now });
      }
    }
    // Members left in the range (the locks keep anyone else from changing them meanwhile).
    const present = await trx
      .selectFrom('segment_members')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', segmentId)
      .where('profile_id', '>', after)
      .$if(upTo !== undefined, (q) => q.where('profile_id', '<=', upTo!))
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0));
    // With members in the range, they are skipped by the primary key (ON CONFLICT), not by a NOT
    // EXISTS join: PostgreSQL planned that join from the stale statistics of a segment filled by
    // the range before (1 row expected, 12,524 there) as a loop over all of them, 4.7 s for 25k
    // entries. Without, a plain insert: ON CONFLICT cost PostgreSQL half the insert again.
    // The entered ids are read back only for the segments built on this one (RETURNING a
    // quarter of a million ids cost about a tenth of a trait segment's recompute at 1M).
    const current = dependents.filter((d) => locked.get(d.id)?.version === d.version);
    const restore = await sortedProbes(trx, deps.dialect);
    const inserted = await sql<{ profile_id: string }>`insert into segment_members (workspace_id, segment_id, profile_id, version, entered_at, listened)
      select p.workspace_id, ${segmentId}, p.id, ${segment.version}, ${now}, ${listenedFlag(locked, segmentId)} from profiles as p
      where p.workspace_id = ${ws} and ${inRange(sql`p.id`)} and p.merged_into is null and (${rule})
      ${present ? sql`on conflict (workspace_id, segment_id, profile_id) do nothing` : sql``}
      ${current.length ? sql`returning profile_id` : sql``}`.execute(trx);
    await restore();
    const entered = current.length ? inserted.rows.length : Number(inserted.numAffectedRows ?? 0);
    for (const r of inserted.rows) changes.push({ segmentId, profileId: r.profile_id, version: segment.version, kind: 'entered', at: now });
    await trx
      .updateTable('segments')
      .set((eb) => ({ member_count: eb('member_count', '+', entered - exits.rows.length), recompute_cursor: upTo ?? null }))
      .where('workspace_id', '=', ws)
      .where('id', '=', segmentId)
      .execute();
    // Segments built on this one follow in the same transaction.
    if (current.length)
      changes.push(...(await propagate(trx, deps.dialect, ws, current, [...new Set(changes.map((c) => c.profileId))], { workspaceId: ws, now, timeZone })));
    return { changed: entered + exits.rows.length + changes.length > 0, entered, exited, matched: present + entered };
  });
}

/**
 * PostgreSQL, for one statement of the transaction: no hash aggregation, so an id set a rule
 * reads from another table (`p.id in (select profile_id from profile_tags ...)`) is made unique
 * by sorting, and the profiles are then probed in key order, page after page, instead of in hash
 * order all over the table (the planner does not count that difference). Measured at 1M
 * profiles: a tag segment's insert took 0.57-0.65 s instead of 1.10-1.25 s. Returns the function
 * that puts the setting back. No-op on SQLite.
 */
async function sortedProbes(trx: Kysely<DB>, dialect: Dialect): Promise<() => Promise<void>> {
  if (dialect.engine !== 'postgres') return async () => {};
  const r = await sql<{ prev: string }>`select current_setting('enable_hashagg') as prev, set_config('enable_hashagg', 'off', true) as now`.execute(trx);
  const prev = r.rows[0]!.prev;
  return async () => {
    await sql`select set_config('enable_hashagg', ${prev}, true)`.execute(trx);
  };
}

/** Clears the segment's recompute mark (if still for this version) and reports the end; undefined if the version moved on. */
async function finishRecompute(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  evaluatedAt: number,
  progress: RecomputeProgress,
  opts: RecomputeOptions,
): Promise<RecomputeProgress | undefined> {
  const finished = await deps.db
    .updateTable('segments')
    .set({ recompute_version: null, recompute_cursor: null, recompute_started_at: null, evaluated_at: evaluatedAt })
    .where('workspace_id', '=', ws)
    .where('id', '=', segment.id)
    .where('version', '=', segment.version)
    .where('recompute_version', '=', segment.version)
    .executeTakeFirst();
  if (Number(finished.numUpdatedRows) === 0) return undefined;
  opts.onProgress?.(progress);
  if (deps.dialect.engine === 'postgres') refreshMemberStatistics(deps.db, progress.entered + progress.exited);
  return progress;
}

/** Per database: segment_members' statistics, kept as recomputes grow the table (measured without them, the feed's 939 deletes took 9.45 s instead of 0.87-1.21 s). */
const memberStatistics = new WeakMap<Kysely<DB>, StatisticsKeeper>();

function refreshMemberStatistics(db: Kysely<DB>, changes: number): void {
  let keeper = memberStatistics.get(db);
  if (!keeper) memberStatistics.set(db, (keeper = createStatisticsKeeper(db, { measure: 'segment_members' })));
  keeper.wrote(changes);
}

/**
 * Scan recompute, in two phases.
 *
 * 1. **Evaluate**: one query over the whole workspace gives the matching profile ids in id order,
 *    read in batches off the JavaScript thread (`Database.scan`: a worker thread on SQLite, a
 *    server-side cursor on PostgreSQL) from one snapshot taken at `T`. Tag, score, segment and
 *    event conditions each read their table once (`wholeWorkspace` in compile.ts), which is how
 *    a hand-written query does it; evaluating per profile in chunks cost 3-20× more (bench/README.md).
 * 2. **Write**: a merge of that stream with the current members (also in id order) yields entries
 *    and exits, applied in transactions of `chunk` changes. Profiles changed after `T` are
 *    evaluated again inside the transaction with current data (the snapshot may be stale for
 *    them); the others are inserted with ON CONFLICT DO NOTHING and deleted with RETURNING, so a
 *    concurrent feed write is never undone or counted twice. Departures move to history.
 *
 * A crash or an abort leaves the segment marked for recompute with every applied transaction
 * complete; the next run evaluates again and writes only what is still different.
 */
async function recomputeByScan(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  timeZone: string,
  opts: RecomputeOptions,
): Promise<RecomputeProgress | undefined> {
  const chunk = opts.chunk ?? 5_000;
  const segmentId = segment.id;
  const progress: RecomputeProgress = { segmentId, version: segment.version, phase: 'evaluating', done: 0, total: 0, matched: 0, entered: 0, exited: 0 };
  // The progress total, counted off the JavaScript thread while the evaluation runs.
  const counting = countAside(deps, ws, '', (n) => (progress.total = n));
  try {
    return await scanAndWrite();
  } finally {
    await counting.cancel();
  }

  async function scanAndWrite(): Promise<RecomputeProgress | undefined> {
    opts.onProgress?.(progress);
    // Profiles changed after T are evaluated again at write time rather than taken from the
    // snapshot. So T must not be later than the snapshot, nor than the time stamped by a write
    // transaction still open (its rows carry their start time but are invisible to the snapshot):
    // the feed's lag and its bound on this process's open writes (processFeed) apply here too.
    const open = deps.oldestWrite?.();
    const T = Math.min(deps.now() - (opts.lagMs ?? 2000), open === undefined ? Infinity : open - 1);
    const ctx: RuleContext = { workspaceId: ws, now: T, timeZone, wholeWorkspace: true };
    const query = sql<{ id: string }>`select p.id from profiles as p
      where p.workspace_id = ${ws} and p.merged_into is null and (${compileRule(segment.rule, ctx, deps.dialect)}) order by p.id`.compile(deps.db);
    const matches = deps.scan(query, 10_000, opts.signal);
    const members = memberIds(deps.db, ws, segmentId);

    let entries: string[] = [];
    let exits: string[] = [];
    const flush = async (): Promise<boolean> => {
      if (entries.length === 0 && exits.length === 0) return true;
      let [enter, leave] = [entries, exits];
      const last = [...enter, ...leave].sort().pop()!;
      entries = [];
      exits = [];
      const now = deps.now();
      const step = await deps.db.transaction().execute(async (trx) => {
        const dependents = dependentsOf(await loadLiveSegments(trx, ws), segmentId);
        const lockedAll = await lockSegments(trx, deps.dialect, ws, [segmentId, ...dependents.map((d) => d.id)]);
        markListened([segment, ...dependents], lockedAll);
        const row = await trx
          .selectFrom('segments')
          .select(['version', 'status', 'recompute_version'])
          .where('workspace_id', '=', ws)
          .where('id', '=', segmentId)
          .executeTakeFirst();
        if (!lockedAll.get(segmentId) || !row || row.status !== 'active' || row.version !== segment.version || row.recompute_version !== segment.version)
          return undefined;
        const changes: MembershipChange[] = [];
        // Profiles changed after T: the snapshot may be stale for them, so they are evaluated again
        // here, with current data under the locks (as the change feed does), not from the snapshot.
        // Usually few profiles changed since T: reading them through profiles_updated costs what
        // changed; only when more changed than this chunk holds is each id looked up instead
        // (measured at 1M profiles: the per-id look-up was 190-390 ms of a 1.4-2.7 s recompute).
        const since = await trx
          .selectFrom('profiles')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('updated_at', '>', T)
          .limit(chunk + 1)
          .execute();
        let recent: Set<string>;
        // All of them read: the other ids of this chunk are known unchanged since T (a merge touches
        // updated_at too), so their snapshot result stands without looking at each profile again.
        const known = since.length <= chunk;
        if (known) {
          const here = new Set([...enter, ...leave]);
          recent = new Set(since.map((r) => r.id).filter((id) => here.has(id)));
        } else {
          recent = new Set(
            (
              await sql<{ id: string }>`select p.id from ${deps.dialect.idList([...enter, ...leave])} as c cross join profiles as p
                where p.workspace_id = ${ws} and p.id = c.id and +p.updated_at > ${T}`.execute(trx)
            ).rows.map((r) => r.id),
          );
        }
        if (recent.size) {
          enter = enter.filter((id) => !recent.has(id));
          leave = leave.filter((id) => !recent.has(id));
        }
        let entered = 0;
        if (enter.length) {
          const listened = listenedColumn(segment.listened);
          const rows = await sql<{ profile_id: string }>`insert into segment_members (workspace_id, segment_id, profile_id, version, entered_at, listened)
            ${
              known
                ? sql`select ${ws}, ${segmentId}, c.id, ${segment.version}, ${now}, ${listened} from ${deps.dialect.idList(enter)} as c where true`
                : sql`select ${ws}, ${segmentId}, p.id, ${segment.version}, ${now}, ${listened} from ${deps.dialect.idList(enter)} as c
                  cross join profiles as p
                  where p.workspace_id = ${ws} and p.id = c.id and p.merged_into is null and +p.updated_at <= ${T}`
            }
            on conflict (workspace_id, segment_id, profile_id) do nothing
            returning profile_id`.execute(trx);
          entered = rows.rows.length;
          for (const r of rows.rows) changes.push({ segmentId, profileId: r.profile_id, version: segment.version, kind: 'entered', at: now });
        }
        let left = 0;
        if (leave.length) {
          const rows = await sql<{ profile_id: string; version: number; entered_at: number }>`delete from segment_members
            where workspace_id = ${ws} and segment_id = ${segmentId} and profile_id in (select id from ${deps.dialect.idList(leave)} as c)
            ${known ? sql`` : sql`and not exists (select 1 from profiles as p where p.workspace_id = ${ws} and p.id = segment_members.profile_id and +p.updated_at > ${T})`}
            returning profile_id, version, entered_at`.execute(trx);
          left = rows.rows.length;
          if (left) {
            const gone = rows.rows.map((r) => r.profile_id);
            const merged = new Set(
              (
                await trx
                  .selectFrom('profiles')
                  .select('id')
                  .where('workspace_id', '=', ws)
                  .where('id', 'in', gone)
                  .where('merged_into', 'is not', null)
                  .execute()
              ).map((r) => r.id),
            );
            await recordDepartures(
              trx,
              deps.dialect,
              ws,
              segmentId,
              segment.version,
              now,
              rows.rows.map((r) => ({
                profileId: r.profile_id,
                version: r.version,
                enteredAt: Number(r.entered_at),
                reason: merged.has(r.profile_id) ? 'merged' : 'rule',
              })),
            );
            for (const r of rows.rows)
              if (!merged.has(r.profile_id)) changes.push({ segmentId, profileId: r.profile_id, version: segment.version, kind: 'exited', at: now });
          }
        }
        if (entered !== left) {
          await trx
            .updateTable('segments')
            .set((eb) => ({ member_count: eb('member_count', '+', entered - left) }))
            .where('workspace_id', '=', ws)
            .where('id', '=', segmentId)
            .execute();
        }
        if (recent.size) {
          // (applyMembership keeps member_count for these itself; the counts here are for progress.)
          for (const c of await evaluateProfiles(trx, deps.dialect, ws, [segment], [...recent], { workspaceId: ws, now, timeZone })) {
            changes.push(c);
            if (c.kind === 'entered') entered++;
          }
        }
        // (CROSS JOIN fixes SQLite's join order and `+updated_at` keeps it off the updated_at index:
        // without them it scanned the workspace's profiles for each chunk, 58 µs an entry at 50k.)
        // Where the write has got to (for operators; a resumed recompute evaluates again).
        await trx.updateTable('segments').set({ recompute_cursor: last }).where('workspace_id', '=', ws).where('id', '=', segmentId).execute();
        // Segments built on this one follow in the same transaction.
        const current = dependents.filter((d) => lockedAll.get(d.id)?.version === d.version);
        const own = changes.length;
        changes.push(...(await propagate(trx, deps.dialect, ws, current, [...new Set(changes.map((c) => c.profileId))], { workspaceId: ws, now, timeZone })));
        return { changes, entered, left, own };
      });
      if (!step) return false;
      progress.entered += step.entered;
      progress.exited += step.changes.slice(0, step.own).filter((c) => c.kind === 'exited').length;
      if (step.changes.length) deps.onChange?.(ws);
      opts.onProgress?.(progress);
      return true;
    };

    // Merge the two id-ordered streams: matching and not a member -> entry; a member not matching -> exit.
    let member = await members.next();
    let first = true;
    for await (const batch of matches) {
      if (first) {
        progress.phase = 'writing';
        first = false;
      }
      for (const [id] of batch as [string][]) {
        progress.matched++;
        while (!member.done && member.value < id) {
          exits.push(member.value);
          member = await members.next();
        }
        if (!member.done && member.value === id) member = await members.next();
        else entries.push(id);
        if (entries.length + exits.length >= chunk) {
          if (!(await flush())) return undefined;
          if (opts.signal?.aborted) return progress;
        }
      }
    }
    if (opts.signal?.aborted) return progress;
    while (!member.done) {
      exits.push(member.value);
      member = await members.next();
      if (exits.length >= chunk) {
        if (!(await flush())) return undefined;
        if (opts.signal?.aborted) return progress;
      }
    }
    if (!(await flush())) return undefined;
    progress.phase = 'writing';
    await counting.settled; // (the evaluation took longer: the count is long done)
    progress.done = progress.total;
    return finishRecompute(deps, ws, segment, T, progress, opts);
  }
}

/** The segment's member ids in order, read in keyset pages (each page its own short read). */
async function* memberIds(db: Kysely<DB>, ws: string, segmentId: string): AsyncGenerator<string> {
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('segment_members')
      .select('profile_id')
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', segmentId)
      .where('profile_id', '>', after)
      .orderBy('profile_id')
      .limit(10_000)
      .execute();
    for (const r of rows) yield r.profile_id;
    if (rows.length < 10_000) return;
    after = rows[rows.length - 1]!.profile_id;
  }
}

/** Segments with a recompute requested or interrupted (resumed by the worker after a restart). */
export async function pendingRecomputes(db: Kysely<DB>): Promise<{ workspaceId: string; segmentId: string }[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['workspace_id', 'id'])
    .where('status', '=', 'active')
    .where('kind', '=', 'rule')
    .where('recompute_version', 'is not', null)
    .orderBy('recompute_started_at')
    .execute();
  return rows.map((r) => ({ workspaceId: r.workspace_id, segmentId: r.id }));
}
