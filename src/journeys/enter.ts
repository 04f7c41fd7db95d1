import type { Dialect } from '../platform/db/database.js';
import { lockJobState, writeJobState } from '../platform/db/job-state.js';
import { newId } from '../platform/ids.js';
import { insertJourneyRows, journeysDb, type Conn } from './db.js';
import { type Definition, type EntryPolicy, startStep } from './definition.js';

/** A subject that a trigger wants to enter, with the key that makes this entry unique. */
export interface EntryCandidate {
  subjectId: string;
  kind: 'profile' | 'wecom_group';
  /** The same trigger seen twice gives the same key (an event's message id, `date:2026-11-02`...). */
  entryKey: string;
  context: Record<string, unknown>;
}

/** Why a candidate did not enter. */
export type SkipReason = 'duplicate' | 'reentry_never' | 'already_in_journey' | 'max_entries';

/** A published journey as entering needs it. */
export interface EnterTarget {
  workspaceId: string;
  journeyId: string;
  version: number;
  definition: Definition;
}

/** The trigger row's JSON value: cursors and last runs per `<journey id>:<version>`. */
export type TriggerState = { cursors?: Record<string, number>; days?: Record<string, string>; runs?: Record<string, number> } & Record<string, unknown>;

const TRIGGER_LOCK = 'journeys.triggers';

/**
 * Locks the workspace's journey trigger row (`job_state` 'journeys.triggers') for the caller's
 * transaction, creating it if needed; every entry (triggers, the API) holds it, so re-entry checks
 * never race. With `skipLocked`, returns undefined when another process holds it (PostgreSQL).
 * Returns the row's JSON value.
 */
export async function lockTriggers(trx: Conn, dialect: Dialect, ws: string, now: number, skipLocked = false): Promise<TriggerState | undefined> {
  return lockJobState<TriggerState>(trx, dialect, ws, TRIGGER_LOCK, {}, now, { skipLocked });
}

/** Saves the trigger row's JSON value (cursors and last runs), inside the locking transaction. */
export async function saveTriggers(trx: Conn, ws: string, value: TriggerState, now: number): Promise<void> {
  await writeJobState(trx, ws, TRIGGER_LOCK, value, now);
}

/** What a subject's earlier entries into the journey say for the entry policy. */
interface Seen {
  keys: Set<string>;
  count: number;
  active: boolean;
}

/** Why a candidate may not enter under the policy, or undefined when it may. */
function skipReason(policy: EntryPolicy, s: Seen, entryKey: string): SkipReason | undefined {
  if (s.keys.has(entryKey)) return 'duplicate';
  if (policy.reentry === 'never' && s.count > 0) return 'reentry_never';
  if (policy.reentry === 'after_exit' && s.active) return 'already_in_journey';
  if (policy.maxEntries !== undefined && s.count >= policy.maxEntries) return 'max_entries';
  return undefined;
}

/** The earlier entries of these subjects into the journey. */
async function seenSubjects(trx: Conn, target: EnterTarget, ids: string[]): Promise<Map<string, Seen>> {
  const existing = await journeysDb(trx)
    .selectFrom('journey_states')
    .select(['subject_id', 'entry_key', 'status'])
    .where('workspace_id', '=', target.workspaceId)
    .where('journey_id', '=', target.journeyId)
    .where('subject_id', 'in', ids)
    .execute();
  const bySubject = new Map<string, Seen>();
  for (const e of existing) {
    let s = bySubject.get(e.subject_id);
    if (!s) bySubject.set(e.subject_id, (s = { keys: new Set(), count: 0, active: false }));
    s.keys.add(e.entry_key);
    s.count++;
    s.active ||= e.status === 'active';
  }
  return bySubject;
}

/** A new state row at the start step, due now. */
function newState(target: EnterTarget, c: EntryCandidate, entryNo: number, now: number): Record<string, unknown> {
  return {
    workspace_id: target.workspaceId,
    id: newId('jst', now),
    journey_id: target.journeyId,
    version: target.version,
    subject_kind: c.kind,
    subject_id: c.subjectId,
    entry_key: c.entryKey.slice(0, 255),
    entry_no: entryNo,
    step_id: startStep(target.definition),
    status: 'active',
    wake_at: now,
    timer_at: null,
    step_at: now,
    listen: null,
    attempt: 0,
    steps_taken: 0,
    context: JSON.stringify(c.context),
    end_reason: null,
    entered_at: now,
    ended_at: null,
    updated_at: now,
  };
}

/**
 * Enters candidates into a journey inside the caller's transaction (which holds `lockTriggers`):
 * applies the re-entry policy and the entry limit, then inserts one state per entry at the start
 * step, due now. A repeated entry key changes nothing.
 */
export async function enterSubjects(
  trx: Conn,
  dialect: Dialect,
  target: EnterTarget,
  candidates: EntryCandidate[],
  now: number,
): Promise<{ entered: number; skipped: { subjectId: string; reason: SkipReason }[] }> {
  const skipped: { subjectId: string; reason: SkipReason }[] = [];
  let entered = 0;
  for (let i = 0; i < candidates.length; i += 500) {
    const part = candidates.slice(i, i + 500);
    const bySubject = await seenSubjects(trx, target, [...new Set(part.map((c) => c.subjectId))]);
    const rows: Record<string, unknown>[] = [];
    for (const c of part) {
      let s = bySubject.get(c.subjectId);
      if (!s) bySubject.set(c.subjectId, (s = { keys: new Set(), count: 0, active: false }));
      const reason = skipReason(target.definition.entry, s, c.entryKey);
      if (reason) {
        skipped.push({ subjectId: c.subjectId, reason });
        continue;
      }
      s.keys.add(c.entryKey);
      s.count++;
      s.active = true;
      rows.push(newState(target, c, s.count, now));
    }
    entered += await insertJourneyRows(dialect, trx, 'journey_states', rows, {
      columns: ['workspace_id', 'journey_id', 'subject_id', 'entry_key'],
      update: [],
    });
  }
  return { entered, skipped };
}
