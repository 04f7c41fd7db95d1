/**
 * One executor pass over claimed states, inside the claim's transaction: load what the states
 * need (journey status, definitions, traits, time zones, awaited events), settle archived journeys
 * and reached goals, advance every state step by step with the step handlers, and write all
 * changes back in a few statements.
 */
import { profileEventsSince, profileTraits, recordSystemEvents } from '../cdp/index.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { type Conn, insertJourneyRows, journeysDb } from './db.js';
import { type Definition, stepById } from './definition.js';
import type { JourneyDeps } from './deps.js';
import { branchGroup, runStep } from './steps/index.js';
import { profileTimeZone } from './timing.js';
import { converted, DAY, finish, logStep, park, type StateRow, type StepRun, type Work, type Writes } from './work.js';

/** Steps one state may take in one pass (a definition cannot loop without a wait; this is a backstop). */
const MAX_STEPS_PER_PASS = 100;
/** The columns an executor pass changes. */
const STATE_COLUMNS = ['step_id', 'status', 'wake_at', 'timer_at', 'step_at', 'listen', 'attempt', 'steps_taken', 'end_reason', 'ended_at', 'updated_at'];

/** Counts of one executor pass. */
export interface PassStats {
  claimed: number;
  steps: number;
  sends: number;
}

/** A published version's definition (immutable, so the executor caches it). */
export type DefinitionOf = (trx: Conn, ws: string, journeyId: string, version: number) => Promise<Definition>;

/** The status of each claimed state's journey (`<ws>\0<journey id>`); a missing journey counts as archived. */
async function journeyStatuses(trx: Conn, rows: StateRow[]): Promise<Map<string, string>> {
  const journeys = new Map<string, string>();
  for (const r of rows) {
    const k = `${r.workspace_id}\u0000${r.journey_id}`;
    if (journeys.has(k)) continue;
    const j = await journeysDb(trx)
      .selectFrom('journeys')
      .select('status')
      .where('workspace_id', '=', r.workspace_id)
      .where('id', '=', r.journey_id)
      .executeTakeFirst();
    journeys.set(k, j?.status ?? 'archived');
  }
  return journeys;
}

/** The work of each claimed row: its definition, the subject's traits and time zone. */
async function loadWorks(trx: Conn, deps: JourneyDeps, definitionOf: DefinitionOf, rows: StateRow[]): Promise<Work[]> {
  const works: Work[] = [];
  const byWs = new Map<string, StateRow[]>();
  for (const r of rows) byWs.set(r.workspace_id, [...(byWs.get(r.workspace_id) ?? []), r]);
  for (const [ws, list] of byWs) {
    const wsZone = await workspaceTimeZone(trx, ws, deps.defaultTimeZone);
    const ids = [...new Set(list.filter((r) => r.subject_kind === 'profile').map((r) => r.subject_id))];
    const traits = ids.length ? await profileTraits(trx, ws, ids) : new Map<string, Record<string, unknown>>();
    for (const r of list) {
      const t = traits.get(r.subject_id) ?? {};
      works.push({
        row: { ...r },
        def: await definitionOf(trx, ws, r.journey_id, r.version),
        traits: t,
        tz: profileTimeZone(t, wsZone),
        settled: false,
        events: [],
      });
    }
  }
  return works;
}

/** Loads each subject's events that a goal or a woken wait-for-event step may be waiting for. */
async function loadEvents(trx: Conn, works: Work[], now: number): Promise<void> {
  const byWs = new Map<string, { ids: Set<string>; names: Set<string>; since: number; works: Work[] }>();
  for (const w of works) {
    if (w.row.subject_kind !== 'profile') continue;
    const names: [string, number][] = [];
    const g = w.def.goal;
    if (g && now < w.row.entered_at + g.withinDays * DAY + DAY) names.push([g.event, w.row.entered_at]);
    const step = stepById(w.def, w.row.step_id ?? '');
    if (step && (step.type === 'wait_for_event' || step.type === 'goal') && w.row.timer_at !== null) names.push([step.event, w.row.step_at]);
    if (!names.length) continue;
    let e = byWs.get(w.row.workspace_id);
    if (!e) byWs.set(w.row.workspace_id, (e = { ids: new Set(), names: new Set(), since: Infinity, works: [] }));
    e.ids.add(w.row.subject_id);
    for (const [n, since] of names) {
      e.names.add(n);
      e.since = Math.min(e.since, since);
    }
    e.works.push(w);
  }
  for (const [ws, e] of byWs) {
    const bySubject = new Map<string, Work['events']>();
    for (const r of await profileEventsSince(trx, ws, { profileIds: [...e.ids], events: [...e.names], since: e.since })) {
      const event = { event: r.event ?? '', timestamp: r.timestamp, properties: r.payload.properties };
      bySubject.set(r.profileId, [...(bySubject.get(r.profileId) ?? []), event]);
    }
    for (const w of e.works) w.events = bySubject.get(w.row.subject_id) ?? [];
  }
}

/**
 * Rounds: every unsettled state takes one step per round; branch steps are evaluated for all
 * states at the same branch in one query per rule.
 */
async function advance(run: StepRun, works: Work[]): Promise<void> {
  const { now } = run;
  for (let round = 0; round < MAX_STEPS_PER_PASS && works.some((w) => !w.settled); round++) {
    const branchGroups = new Map<string, Work[]>();
    for (const w of works) {
      if (w.settled) continue;
      const step = stepById(w.def, w.row.step_id ?? '');
      if (!step) {
        finish(w, 'failed', `step "${w.row.step_id}" is not in version ${w.row.version}`, now);
        continue;
      }
      if (step.type === 'branch') {
        const k = `${w.row.workspace_id}\u0000${w.row.journey_id}\u0000${w.row.version}\u0000${step.id}`;
        branchGroups.set(k, [...(branchGroups.get(k) ?? []), w]);
        continue;
      }
      await runStep(run, w, step);
    }
    for (const group of branchGroups.values()) await branchGroup(run, group);
  }
  for (const w of works) if (!w.settled) park(w, now, null); // backstop: continue next pass
}

/** Writes the states, step log and assignments of the pass. */
async function writeBack(run: StepRun, works: Work[]): Promise<void> {
  const { trx, writes, now } = run;
  const { dialect } = run.deps.database;
  // One statement for the whole batch (an upsert on the primary key of rows that exist and are
  // locked by this transaction): per-row UPDATEs cost ~0.3 ms each in query building alone.
  const stateRows = works.map((w) => ({
    ...w.row,
    context: typeof w.row.context === 'string' ? w.row.context : JSON.stringify(w.row.context),
    updated_at: now,
  }));
  await insertJourneyRows(dialect, trx, 'journey_states', stateRows, { columns: ['workspace_id', 'id'], update: STATE_COLUMNS });
  // The context rarely changes (an award's coupon code): written apart, so the batch upsert stays as measured.
  for (const w of works.filter((x) => x.contextChanged)) {
    await journeysDb(trx)
      .updateTable('journey_states')
      .set({ context: w.row.context as string })
      .where('workspace_id', '=', w.row.workspace_id)
      .where('id', '=', w.row.id)
      .execute();
  }
  if (writes.log.length) await insertJourneyRows(dialect, trx, 'journey_step_log', writes.log);
  if (writes.assignments.length)
    await insertJourneyRows(dialect, trx, 'journey_assignments', writes.assignments, { columns: ['workspace_id', 'state_id', 'step_id'], update: [] });
  if (writes.exposures.length) await recordSystemEvents(trx, dialect, writes.exposures);
}

/** Advances claimed states as far as each can go now and writes the result, in the claim's transaction. */
export async function runPass(
  trx: Conn,
  deps: JourneyDeps,
  definitionOf: DefinitionOf,
  rows: StateRow[],
  now: number,
): Promise<PassStats & { sentIn: Set<string> }> {
  const run: StepRun = { trx, deps, now, writes: { log: [], assignments: [], exposures: [], sends: 0, sentIn: new Set() } satisfies Writes };
  // Journey status: an archived journey's states stop where they are.
  const journeys = await journeyStatuses(trx, rows);
  const works = await loadWorks(trx, deps, definitionOf, rows);
  for (const w of works) {
    if (journeys.get(`${w.row.workspace_id}\u0000${w.row.journey_id}`) === 'archived') finish(w, 'exited', 'archived', now);
  }
  await loadEvents(
    trx,
    works.filter((w) => !w.settled),
    now,
  );
  for (const w of works) {
    const g = w.def.goal;
    if (!w.settled && g && converted(w, g.event, g.where, w.row.entered_at, w.row.entered_at + g.withinDays * DAY)) {
      logStep(w, run.writes, 'converted', now);
      finish(w, 'converted', 'goal', now);
    }
  }
  await advance(run, works);
  await writeBack(run, works);
  return { claimed: rows.length, steps: run.writes.log.length, sends: run.writes.sends, sentIn: run.writes.sentIn };
}
