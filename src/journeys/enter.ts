import type { Kysely } from 'kysely';
import type { Dialect } from '../platform/db/database.js';
import { parseJson } from '../platform/db/database.js';
import { newId } from '../platform/ids.js';
import { type Definition, startStep } from './definition.js';
import { jdb } from './deps.js';

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

const TRIGGER_LOCK = 'journeys.triggers';

/**
 * Locks the workspace's journey trigger row for the caller's transaction, creating it if needed;
 * every entry (triggers, the API) holds it, so re-entry checks never race. With `skipLocked`,
 * returns undefined when another process holds it (PostgreSQL). Returns the row's JSON value.
 */
export async function lockTriggers(trx: Kysely<any>, dialect: Dialect, ws: string, now: number, skipLocked = false): Promise<Record<string, any> | undefined> {
  const db = jdb(trx);
  await db
    .insertInto('job_state')
    .values({ workspace_id: ws, name: TRIGGER_LOCK, value: '{}', updated_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing())
    .execute();
  let q = db.selectFrom('job_state').select('value').where('workspace_id', '=', ws).where('name', '=', TRIGGER_LOCK);
  q = skipLocked ? dialect.claim(q) : dialect.forUpdate(q);
  const row = await q.executeTakeFirst();
  return row ? parseJson<Record<string, any>>(row.value) : undefined;
}

/** Saves the trigger row's JSON value (cursors and last runs), inside the locking transaction. */
export async function saveTriggers(trx: Kysely<any>, ws: string, value: Record<string, any>, now: number): Promise<void> {
  await jdb(trx)
    .updateTable('job_state')
    .set({ value: JSON.stringify(value), updated_at: now })
    .where('workspace_id', '=', ws)
    .where('name', '=', TRIGGER_LOCK)
    .execute();
}

/**
 * Enters candidates into a journey inside the caller's transaction (which holds `lockTriggers`):
 * applies the re-entry policy and the entry limit, then inserts one state per entry at the start
 * step, due now. A repeated entry key changes nothing.
 */
export async function enterSubjects(
  trx: Kysely<any>,
  dialect: Dialect,
  target: EnterTarget,
  candidates: EntryCandidate[],
  now: number,
): Promise<{ entered: number; skipped: { subjectId: string; reason: SkipReason }[] }> {
  const db = jdb(trx);
  const ws = target.workspaceId;
  const policy = target.definition.entry;
  const skipped: { subjectId: string; reason: SkipReason }[] = [];
  let entered = 0;
  for (let i = 0; i < candidates.length; i += 500) {
    const part = candidates.slice(i, i + 500);
    const ids = [...new Set(part.map((c) => c.subjectId))];
    const existing = await db
      .selectFrom('journey_states')
      .select(['subject_id', 'entry_key', 'status'])
      .where('workspace_id', '=', ws)
      .where('journey_id', '=', target.journeyId)
      .where('subject_id', 'in', ids)
      .execute();
    const bySubject = new Map<string, { keys: Set<string>; count: number; active: boolean }>();
    for (const e of existing) {
      let s = bySubject.get(e.subject_id);
      if (!s) bySubject.set(e.subject_id, (s = { keys: new Set(), count: 0, active: false }));
      s.keys.add(e.entry_key);
      s.count++;
      s.active ||= e.status === 'active';
    }
    const rows: Record<string, unknown>[] = [];
    for (const c of part) {
      let s = bySubject.get(c.subjectId);
      if (!s) bySubject.set(c.subjectId, (s = { keys: new Set(), count: 0, active: false }));
      const reason: SkipReason | undefined = s.keys.has(c.entryKey)
        ? 'duplicate'
        : policy.reentry === 'never' && s.count > 0
          ? 'reentry_never'
          : policy.reentry === 'after_exit' && s.active
            ? 'already_in_journey'
            : policy.maxEntries !== undefined && s.count >= policy.maxEntries
              ? 'max_entries'
              : undefined;
      if (reason) {
        skipped.push({ subjectId: c.subjectId, reason });
        continue;
      }
      s.keys.add(c.entryKey);
      s.count++;
      s.active = true;
      rows.push({
        workspace_id: ws,
        id: newId('jst', now),
        journey_id: target.journeyId,
        version: target.version,
        subject_kind: c.kind,
        subject_id: c.subjectId,
        entry_key: c.entryKey.slice(0, 255),
        entry_no: s.count,
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
      });
    }
    entered += await dialect.insertMany(db as any, 'journey_states' as any, rows, {
      columns: ['workspace_id', 'journey_id', 'subject_id', 'entry_key'],
      update: [],
    });
  }
  return { entered, skipped };
}

/** Live (not merged away) profile ids among `ids`, with merged ids redirected to their survivor. */
export async function liveProfiles(trx: Kysely<any>, ws: string, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const rows = await jdb(trx).selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', ws).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, r.merged_into ?? r.id);
  }
  return out;
}
