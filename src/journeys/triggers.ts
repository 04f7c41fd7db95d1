/**
 * Entry triggers, made durable by cursors rather than by in-process callbacks alone. One pass per
 * workspace runs in one transaction holding the workspace's trigger row (`job_state`
 * 'journeys.triggers', locked `FOR UPDATE SKIP LOCKED` on PostgreSQL so one process at a time
 * does a workspace), which also stores the cursors. Every entry has a key derived from what
 * triggered it, so re-reading an overlap window (for transactions that committed late) or a
 * crash before the cursor moved never enters anyone twice.
 *
 * - event: new `events` rows of the trigger's name by event time, from the version's publish time
 *   on, re-reading the last OVERLAP_MS. Events dated earlier than that when they arrive (offline
 *   batches, imports of history) do not trigger journeys, deliberately.
 * - segment entered / exited: `segment_members.entered_at` (and departures' `entered_at`, for
 *   members who left before the pass) and `segment_member_history.exited_at`, same overlap.
 * - date: once per local day of the workspace (anniversary, month age).
 * - schedule: each occurrence of the local time once, for the segment's members or the groups.
 *
 * The runner of each trigger type is in trigger-runners.ts.
 */
import { parseJson } from '../platform/db/database.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { type Conn, journeysDb } from './db.js';
import type { Definition } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { type EntryCandidate, enterSubjects, lockTriggers, saveTriggers } from './enter.js';
import { type ActiveJourney, runTrigger, type TriggerRun } from './trigger-runners.js';

export { OVERLAP_MS, lastOccurrence } from './trigger-runners.js';

/** Journeys of a workspace that take entries now (active, published). */
async function activeJourneys(db: Conn, ws: string): Promise<ActiveJourney[]> {
  const rows = await journeysDb(db)
    .selectFrom('journeys as j')
    .innerJoin('journey_versions as v', (jn) =>
      jn.onRef('v.workspace_id', '=', 'j.workspace_id').onRef('v.journey_id', '=', 'j.id').onRef('v.version', '=', 'j.current_version'),
    )
    .select(['j.id', 'v.version', 'v.created_at', 'v.definition'])
    .where('j.workspace_id', '=', ws)
    .where('j.status', '=', 'active')
    .orderBy('j.id')
    .execute();
  return rows.map((r) => ({ id: r.id, version: r.version, publishedAt: r.created_at, definition: parseJson<Definition>(r.definition) }));
}

/** Counts of one trigger pass. */
export interface TriggerStats {
  workspaces: number;
  entered: number;
}

/** Runs every workspace's triggers once (workspaces another process is doing are skipped); entries are announced on the hub. */
export async function runTriggers(deps: JourneyDeps): Promise<TriggerStats> {
  const wss = await journeysDb(deps.database.db).selectFrom('journeys').select('workspace_id').where('status', '=', 'active').distinct().execute();
  const stats: TriggerStats = { workspaces: 0, entered: 0 };
  const enteredIn: string[] = [];
  for (const { workspace_id: ws } of wss) {
    const n = await runWorkspaceTriggers(deps, ws);
    if (n === undefined) continue;
    stats.workspaces++;
    stats.entered += n;
    if (n > 0) enteredIn.push(ws);
  }
  for (const ws of enteredIn) deps.hub.emit('journeys.entered', { workspaceId: ws });
  return stats;
}

/** One workspace's trigger pass in one transaction; undefined when another process holds it. */
export async function runWorkspaceTriggers(deps: JourneyDeps, ws: string): Promise<number | undefined> {
  const { dialect } = deps.database;
  return deps.database.db.transaction().execute(async (trx) => {
    const now = deps.now();
    const value = await lockTriggers(trx, dialect, ws, now, true);
    if (!value) return undefined;
    const zone = await workspaceTimeZone(trx, ws, deps.defaultTimeZone);
    const run: TriggerRun = {
      trx,
      dialect,
      ws,
      now,
      zone,
      cursors: value.cursors ?? {},
      days: value.days ?? {},
      runs: value.runs ?? {},
      activeGroupChatIds: deps.activeGroupChatIds,
      log: deps.log,
    };
    let entered = 0;
    for (const j of await activeJourneys(trx, ws)) {
      const target = { workspaceId: ws, journeyId: j.id, version: j.version, definition: j.definition };
      await runTrigger(run, j, async (cs: EntryCandidate[]) => {
        if (cs.length) entered += (await enterSubjects(trx, dialect, target, cs, now)).entered;
      });
    }
    await saveTriggers(trx, ws, { ...value, cursors: run.cursors, days: run.days, runs: run.runs }, now);
    return entered;
  });
}
