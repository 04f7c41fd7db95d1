/**
 * Reads (and the trait and tag writes of steps) of the CDP module's tables and deep functions that
 * journeys still does itself. Each function is one access, named for what the CDP module is
 * publishing (issue #13, live profiles and events reads): the merge swaps each body for the owner's
 * function.
 */
import { type RawBuilder, sql } from 'kysely';
import { lockProfileFollowingMerges, rowToState, writeTraits } from '../../cdp/profiles.repo.js';
import { removeTagFromProfile, resolveTagRef } from '../../cdp/tags.service.js';
import { type Dialect, parseJson } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import type { Conn } from '../db.js';

// owner: cdp (live profiles). Live (not merged away) profile ids among `ids`, with merged ids redirected to their survivor.
export async function liveProfiles(db: Conn, ws: string, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const rows = await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', ws).where('id', 'in', part).execute();
    for (const r of rows) out.set(r.id, r.merged_into ?? r.id);
  }
  return out;
}

// owner: cdp (profile traits). The traits of these profiles (absent ids are left out).
export async function readProfileTraits(db: Conn, ws: string, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const traits = new Map<string, Record<string, unknown>>();
  const ps = await db.selectFrom('profiles').select(['id', 'traits']).where('workspace_id', '=', ws).where('id', 'in', ids).execute();
  for (const p of ps) traits.set(p.id, parseJson(p.traits));
  return traits;
}

/** A tracked event as the executor checks it. */
export interface SubjectEvent {
  profileId: string;
  event: string;
  timestamp: number;
  properties: unknown;
}

// owner: cdp (events of profiles). Events named `names` of these profiles dated `since` or later, oldest first.
export async function readProfileEvents(db: Conn, ws: string, profileIds: string[], names: string[], since: number): Promise<SubjectEvent[]> {
  const rows = await db
    .selectFrom('events')
    .select(['profile_id', 'event', 'timestamp', 'payload'])
    .where('workspace_id', '=', ws)
    .where('profile_id', 'in', profileIds)
    .where('event', 'in', names)
    .where('timestamp', '>=', since)
    .orderBy('timestamp')
    .execute();
  return rows.map((r) => ({
    profileId: r.profile_id,
    event: r.event ?? '',
    timestamp: r.timestamp,
    properties: parseJson<{ properties?: unknown }>(r.payload).properties,
  }));
}

/** A track event read by an event trigger. */
export interface TriggerEvent {
  messageId: string;
  profileId: string;
  timestamp: number;
  properties: unknown;
}

// owner: cdp (events for triggers). One page of `event` track events after (timestamp, message id) `after`, in that order.
export async function readTriggerEvents(db: Conn, ws: string, event: string, after: [number, string], limit: number): Promise<TriggerEvent[]> {
  const rows = await db
    .selectFrom('events')
    .select(['message_id', 'profile_id', 'timestamp', 'payload'])
    .where('workspace_id', '=', ws)
    .where('event', '=', event)
    .where('type', '=', 'track')
    .where((eb) => eb.or([eb('timestamp', '>', after[0]), eb.and([eb('timestamp', '=', after[0]), eb('message_id', '>', after[1])])]))
    .orderBy('timestamp')
    .orderBy('message_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    messageId: r.message_id,
    profileId: r.profile_id,
    timestamp: r.timestamp,
    properties: parseJson<{ properties?: unknown }>(r.payload).properties,
  }));
}

// owner: cdp (profiles by a date trait). One page of live profiles (id after `after`) whose trait text has one of `values` at
// characters [from, from + length) (a SQL prefilter on month-day or day), with the trait's text.
export async function readProfilesByDateTrait(
  db: Conn,
  dialect: Dialect,
  ws: string,
  q: { trait: string; from: number; length: number; values: string[]; after: string; limit: number },
): Promise<{ id: string; v: string | null }[]> {
  const text = dialect.jsonText('p.traits', q.trait);
  const cond = sql`substr(${text}, ${sql.lit(q.from)}, ${sql.lit(q.length)}) in (${sql.join(q.values)})`;
  const rows = await sql<{ id: string; v: string | null }>`select p.id, ${text} as v from profiles as p
      where p.workspace_id = ${ws} and p.merged_into is null and p.id > ${q.after} and ${cond} order by p.id limit ${q.limit}`.execute(db);
  return rows.rows;
}

// owner: cdp (events received since, to join against). True for a `journey_states` row whose profile received an event it listens for,
// dated at or after its step, received after `since` (the listener sweep's condition).
export function listenedEventReceivedSince(since: number): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from events as e where e.workspace_id = journey_states.workspace_id and e.profile_id = journey_states.subject_id
        and e.timestamp >= journey_states.step_at and e.received_at > ${since} and journey_states.listen like '%|' || e.event || '|%')`;
}

// owner: cdp (set traits). Sets and unsets traits of a profile (following merges), last write by time winning as on the
// ingest path; false when there is no such profile.
export async function updateProfileTraits(
  db: Conn,
  ws: string,
  profileId: string,
  change: { set?: Record<string, unknown>; unset?: string[] },
  now: number,
): Promise<boolean> {
  const live = await lockProfileFollowingMerges(db, ws, profileId, now);
  if (live === undefined) return false;
  const row = await db.selectFrom('profiles').selectAll().where('workspace_id', '=', ws).where('id', '=', live).executeTakeFirstOrThrow();
  const state = rowToState(row, []);
  // Last write wins by time, as on the ingest path: a trait written by a later-dated event stays.
  for (const [k, v] of Object.entries(change.set ?? {})) {
    if ((state.traitTimes[k] ?? -Infinity) > now) continue;
    state.traits[k] = v;
    state.traitTimes[k] = now;
  }
  for (const k of change.unset ?? []) {
    if ((state.traitTimes[k] ?? -Infinity) > now) continue;
    delete state.traits[k];
    state.traitTimes[k] = now;
  }
  await writeTraits(db, ws, live, state.traits, state.traitTimes, now);
  return true;
}

// owner: cdp (remove tags by name). Removes these tags (by group and name; unknown tags are ignored) from a profile;
// throws PROFILE_NOT_FOUND as cdp does.
export async function removeProfileTags(db: Conn, ws: string, profileId: string, tags: { group?: string; name: string }[], now: number): Promise<void> {
  for (const t of tags) {
    let ids: string[] = [];
    try {
      ids = await resolveTagRef(db, ws, `${t.group ?? 'default'}/${t.name}`);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'TAG_NOT_FOUND')) throw err;
    }
    for (const id of ids) await removeTagFromProfile(db, ws, profileId, id, now);
  }
}
