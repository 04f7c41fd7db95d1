/**
 * Scan recompute (rules that read events), in two phases.
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
import { type Kysely, sql } from 'kysely';
import { limitStatements } from '../platform/db/statement-limits.js';
import { compileRule } from './compile.js';
import { evaluateProfiles, propagate } from './evaluate.js';
import { recordDepartures } from './history.js';
import { listenedColumn } from './locks.js';
import { announceChanges, type LiveSegment, type MembershipChange, type MembershipDeps } from './membership.deps.js';
import { countAside, finishRecompute, lockForRecompute, type RecomputeOptions, type RecomputeProgress } from './recompute-common.js';
import type { RuleContext } from './rule.types.js';
import type { SegmentsSqlDB } from './schema.js';

type Trx = Kysely<SegmentsSqlDB>;

/** Scan recompute: see the module comment. */
export async function recomputeByScan(
  deps: MembershipDeps,
  ws: string,
  segment: LiveSegment,
  timeZone: string,
  opts: RecomputeOptions,
): Promise<RecomputeProgress | undefined> {
  const progress: RecomputeProgress = {
    segmentId: segment.id,
    version: segment.version,
    phase: 'evaluating',
    done: 0,
    total: 0,
    matched: 0,
    entered: 0,
    exited: 0,
  };
  // The progress total, counted off the JavaScript thread while the evaluation runs.
  const counting = countAside(deps, ws, '', (n) => (progress.total = n));
  try {
    return await scanAndWrite({ deps, ws, segment, timeZone, opts, progress, chunk: opts.chunk ?? 5_000, T: 0 }, counting.settled);
  } finally {
    await counting.cancel();
  }
}

/** One scan recompute's running state. */
interface ScanRun {
  deps: MembershipDeps;
  ws: string;
  segment: LiveSegment;
  timeZone: string;
  opts: RecomputeOptions;
  progress: RecomputeProgress;
  /** Membership changes per write transaction. */
  chunk: number;
  /** The snapshot time of the evaluation. */
  T: number;
}

/** Phase 1 and 2: the evaluation stream merged with the members, written chunk by chunk. */
async function scanAndWrite(run: ScanRun, counted: Promise<number | undefined>): Promise<RecomputeProgress | undefined> {
  const { deps, ws, segment, opts, progress } = run;
  opts.onProgress?.(progress);
  // Profiles changed after T are evaluated again at write time rather than taken from the
  // snapshot. So T must not be later than the snapshot, nor than the time stamped by a write
  // transaction still open (its rows carry their start time but are invisible to the snapshot):
  // the feed's lag and its bound on this process's open writes (processFeed) apply here too.
  const open = deps.oldestWrite?.();
  run.T = Math.min(deps.now() - (opts.lagMs ?? 2000), open === undefined ? Infinity : open - 1);
  const ctx: RuleContext = { workspaceId: ws, now: run.T, timeZone: run.timeZone, wholeWorkspace: true };
  const query = sql<{ id: string }>`select p.id from profiles as p
      where p.workspace_id = ${ws} and p.merged_into is null and (${compileRule(segment.rule, ctx, deps.dialect)}) order by p.id`.compile(deps.db);
  const matches = deps.scan(query, 10_000, opts.signal, deps.limits);
  const pending = { entries: [] as string[], exits: [] as string[] };
  const flush = () => flushChunk(run, pending);
  const state = await mergeWithMembers(run, matches, memberIds(deps.db, ws, segment.id), pending, flush);
  if (state !== 'done') return state === 'stale' ? undefined : progress;
  if (!(await flush())) return undefined;
  progress.phase = 'writing';
  await counted; // (the evaluation took longer: the count is long done)
  progress.done = progress.total;
  return finishRecompute(deps, ws, segment, run.T, progress, opts);
}

/**
 * Merges the two id-ordered streams: matching and not a member -> entry; a member not matching ->
 * exit; flushing every `chunk` changes. 'stale': a flush found the recompute superseded;
 * 'aborted': the signal stopped it.
 */
async function mergeWithMembers(
  run: ScanRun,
  matches: AsyncIterable<unknown[][]>,
  members: AsyncGenerator<string>,
  pending: { entries: string[]; exits: string[] },
  flush: () => Promise<boolean>,
): Promise<'done' | 'stale' | 'aborted'> {
  const { opts, progress, chunk } = run;
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
        pending.exits.push(member.value);
        member = await members.next();
      }
      if (!member.done && member.value === id) member = await members.next();
      else pending.entries.push(id);
      if (pending.entries.length + pending.exits.length >= chunk) {
        if (!(await flush())) return 'stale';
        if (opts.signal?.aborted) return 'aborted';
      }
    }
  }
  if (opts.signal?.aborted) return 'aborted';
  while (!member.done) {
    pending.exits.push(member.value);
    member = await members.next();
    if (pending.exits.length >= chunk) {
      if (!(await flush())) return 'stale';
      if (opts.signal?.aborted) return 'aborted';
    }
  }
  return 'done';
}

/** Writes the pending entries and exits in one transaction; false if the recompute was superseded. */
async function flushChunk(run: ScanRun, pending: { entries: string[]; exits: string[] }): Promise<boolean> {
  const { deps, ws, opts, progress } = run;
  if (pending.entries.length === 0 && pending.exits.length === 0) return true;
  const [enter, leave] = [pending.entries, pending.exits];
  pending.entries = [];
  pending.exits = [];
  const now = deps.now();
  const step = await deps.db.transaction().execute(async (trx) => {
    await limitStatements(trx, deps.dialect, deps.limits);
    return writeChunk(trx, run, enter, leave, now);
  });
  if (!step) return false;
  progress.entered += step.entered;
  progress.exited += step.changes.slice(0, step.own).filter((c) => c.kind === 'exited').length;
  if (step.changes.length) announceChanges(deps, ws);
  opts.onProgress?.(progress);
  return true;
}

/** One write transaction of a scan recompute: its entries and exits, the profiles changed since T again, the segments built on this one. */
async function writeChunk(trx: Trx, run: ScanRun, enter: string[], leave: string[], now: number) {
  const { deps, ws, segment, timeZone } = run;
  const segmentId = segment.id;
  const last = [...enter, ...leave].sort().pop()!;
  const locks = await lockForRecompute(trx, deps, ws, segment);
  if (!locks) return undefined;
  const changes: MembershipChange[] = [];
  // Profiles changed after T: the snapshot may be stale for them, so they are evaluated again
  // here, with current data under the locks (as the change feed does), not from the snapshot.
  const { recent, known } = await changedSince(trx, run, enter, leave);
  if (recent.size) {
    enter = enter.filter((id) => !recent.has(id));
    leave = leave.filter((id) => !recent.has(id));
  }
  let entered = enter.length ? await insertEntries(trx, run, enter, known, now, changes) : 0;
  const left = leave.length ? await deleteExits(trx, run, leave, known, now, changes) : 0;
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
  // Where the write has got to (for operators; a resumed recompute evaluates again).
  await trx.updateTable('segments').set({ recompute_cursor: last }).where('workspace_id', '=', ws).where('id', '=', segmentId).execute();
  // Segments built on this one follow in the same transaction.
  const own = changes.length;
  changes.push(...(await propagate(trx, deps.dialect, ws, locks.current, [...new Set(changes.map((c) => c.profileId))], { workspaceId: ws, now, timeZone })));
  return { changes, entered, left, own };
}

/**
 * The ids of this chunk changed after T, and whether every profile changed since T was read
 * (`known`: the chunk's other ids are then known unchanged, since a merge touches updated_at too,
 * so their snapshot result stands without looking at each profile again). Usually few profiles
 * changed since T: reading them through profiles_updated costs what changed; only when more
 * changed than this chunk holds is each id looked up instead (measured at 1M profiles: the per-id
 * look-up was 190-390 ms of a 1.4-2.7 s recompute). In these look-ups CROSS JOIN fixes SQLite's
 * join order and `+updated_at` keeps it off the updated_at index: without them it scanned the
 * workspace's profiles for each chunk, 58 µs an entry at 50k.
 */
async function changedSince(trx: Trx, run: ScanRun, enter: string[], leave: string[]): Promise<{ recent: Set<string>; known: boolean }> {
  const { deps, ws, T, chunk } = run;
  const since = await trx
    .selectFrom('profiles')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('updated_at', '>', T)
    .limit(chunk + 1)
    .execute();
  const known = since.length <= chunk;
  if (known) {
    const here = new Set([...enter, ...leave]);
    return { recent: new Set(since.map((r) => r.id).filter((id) => here.has(id))), known };
  }
  const rows = await sql<{ id: string }>`select p.id from ${deps.dialect.idList([...enter, ...leave])} as c cross join profiles as p
                where p.workspace_id = ${ws} and p.id = c.id and +p.updated_at > ${T}`.execute(trx);
  return { recent: new Set(rows.rows.map((r) => r.id)), known };
}

/** Inserts the entries unchanged since T (ON CONFLICT DO NOTHING: a concurrent feed write stands); returns how many were new. */
async function insertEntries(trx: Trx, run: ScanRun, enter: string[], known: boolean, now: number, changes: MembershipChange[]): Promise<number> {
  const { deps, ws, segment, T } = run;
  const segmentId = segment.id;
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
  for (const r of rows.rows) changes.push({ segmentId, profileId: r.profile_id, version: segment.version, kind: 'entered', at: now });
  return rows.rows.length;
}

/** Deletes the exits unchanged since T (RETURNING: only what was still there), moves them to history; returns how many left. */
async function deleteExits(trx: Trx, run: ScanRun, leave: string[], known: boolean, now: number, changes: MembershipChange[]): Promise<number> {
  const { deps, ws, segment, T } = run;
  const segmentId = segment.id;
  const rows = await sql<{ profile_id: string; version: number; entered_at: number }>`delete from segment_members
            where workspace_id = ${ws} and segment_id = ${segmentId} and profile_id in (select id from ${deps.dialect.idList(leave)} as c)
            ${known ? sql`` : sql`and not exists (select 1 from profiles as p where p.workspace_id = ${ws} and p.id = segment_members.profile_id and +p.updated_at > ${T})`}
            returning profile_id, version, entered_at`.execute(trx);
  if (rows.rows.length === 0) return 0;
  const gone = rows.rows.map((r) => r.profile_id);
  const merged = new Set(
    (await trx.selectFrom('profiles').select('id').where('workspace_id', '=', ws).where('id', 'in', gone).where('merged_into', 'is not', null).execute()).map(
      (r) => r.id,
    ),
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
  return rows.rows.length;
}

/** The segment's member ids in order, read in keyset pages (each page its own short read). */
async function* memberIds(db: Trx, ws: string, segmentId: string): AsyncGenerator<string> {
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
