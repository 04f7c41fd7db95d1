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
 */
import { type Kysely, sql } from 'kysely';
import { parseJson } from '../platform/db/database.js';
import { type Definition, isGroupJourney, type Trigger } from './definition.js';
import { jdb, type JDB, type JourneyDeps } from './deps.js';
import { workspaceTimeZone } from '../platform/workspaces.js';
import { type EntryCandidate, enterSubjects, lockTriggers, saveTriggers } from './enter.js';
import { anniversaryMonthDays, isAnniversary, localTimeOn, matchesFilters, monthAgeDays, monthAgeOn, traitDate } from './timing.js';
import { addDays, localDate } from '../platform/time.js';

/** How far back each cursor pass re-reads, for transactions that committed after the last pass. */
export const OVERLAP_MS = 60_000;
const PAGE = 2000;

interface ActiveJourney {
  id: string;
  version: number;
  publishedAt: number;
  definition: Definition;
}

/** Journeys of a workspace that take entries now (active, published). */
async function activeJourneys(db: Kysely<JDB>, ws: string): Promise<ActiveJourney[]> {
  const rows = await db
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

/** Runs every workspace's triggers once (workspaces another process is doing are skipped). */
export async function runTriggers(deps: JourneyDeps): Promise<TriggerStats> {
  const db = jdb(deps.database.db);
  const wss = await db.selectFrom('journeys').select('workspace_id').where('status', '=', 'active').distinct().execute();
  const stats: TriggerStats = { workspaces: 0, entered: 0 };
  for (const { workspace_id: ws } of wss) {
    const n = await runWorkspaceTriggers(deps, ws);
    if (n === undefined) continue;
    stats.workspaces++;
    stats.entered += n;
  }
  if (stats.entered > 0) deps.onEntered?.();
  return stats;
}

/** One workspace's trigger pass in one transaction; undefined when another process holds it. */
export async function runWorkspaceTriggers(deps: JourneyDeps, ws: string): Promise<number | undefined> {
  const { dialect } = deps.database;
  return deps.database.db.transaction().execute(async (t) => {
    const trx = jdb(t);
    const now = deps.now();
    const value = await lockTriggers(trx, dialect, ws, now, true);
    if (!value) return undefined;
    const cursors: Record<string, number> = value.cursors ?? {};
    const days: Record<string, string> = value.days ?? {};
    const runs: Record<string, number> = value.runs ?? {};
    const zone = await workspaceTimeZone(trx, ws, deps.defaultTimeZone);
    let entered = 0;
    for (const j of await activeJourneys(trx, ws)) {
      const tr = j.definition.trigger;
      const target = { workspaceId: ws, journeyId: j.id, version: j.version, definition: j.definition };
      const enter = async (cs: EntryCandidate[]) => {
        if (cs.length) entered += (await enterSubjects(trx, dialect, target, cs, now)).entered;
      };
      const ck = `${j.id}:${j.version}`;
      switch (tr.type) {
        case 'event': {
          const from = Math.max((cursors[ck] ?? j.publishedAt) - OVERLAP_MS, j.publishedAt);
          await scanEvents(trx, ws, tr, from, enter);
          cursors[ck] = now;
          break;
        }
        case 'segment_entered':
        case 'segment_exited': {
          const from = Math.max((cursors[ck] ?? j.publishedAt) - OVERLAP_MS, j.publishedAt);
          await enter(await segmentChanges(trx, ws, tr.type, tr.segmentId, from));
          cursors[ck] = now;
          break;
        }
        case 'date': {
          const today = localDate(now, zone);
          if (days[ck] === today) break;
          await enterByDate(trx, deps, ws, tr, today, enter);
          days[ck] = today;
          break;
        }
        case 'schedule': {
          const due = lastOccurrence(tr, now, zone);
          const last = runs[ck] ?? j.publishedAt;
          if (due === undefined || due <= last) break;
          const key = `schedule:${new Date(due).toISOString()}`;
          if (isGroupJourney(j.definition)) {
            const groups = await audienceGroups(trx, ws, (tr.audience as { wecomGroups: { chatIds?: string[]; nameContains?: string } }).wecomGroups);
            await enter(
              groups.map((chatId) => ({
                subjectId: chatId,
                kind: 'wecom_group' as const,
                entryKey: key,
                context: { schedule: { at: new Date(due).toISOString() } },
              })),
            );
          } else {
            const segmentId = (tr.audience as { segmentId: string }).segmentId;
            let after = '';
            for (;;) {
              const rows = await trx
                .selectFrom('segment_members')
                .select('profile_id')
                .where('workspace_id', '=', ws)
                .where('segment_id', '=', segmentId)
                .where('profile_id', '>', after)
                .orderBy('profile_id')
                .limit(PAGE)
                .execute();
              await enter(
                rows.map((r) => ({
                  subjectId: r.profile_id,
                  kind: 'profile' as const,
                  entryKey: key,
                  context: { schedule: { at: new Date(due).toISOString() } },
                })),
              );
              if (rows.length < PAGE) break;
              after = rows[rows.length - 1]!.profile_id;
            }
          }
          runs[ck] = due;
          break;
        }
        case 'manual':
          break;
      }
    }
    await saveTriggers(trx, ws, { ...value, cursors, days, runs }, now);
    return entered;
  });
}

async function scanEvents(
  trx: Kysely<JDB>,
  ws: string,
  tr: Extract<Trigger, { type: 'event' }>,
  from: number,
  enter: (cs: EntryCandidate[]) => Promise<void>,
): Promise<void> {
  let after: [number, string] = [from, ''];
  for (;;) {
    const rows = await trx
      .selectFrom('events')
      .select(['message_id', 'profile_id', 'timestamp', 'payload'])
      .where('workspace_id', '=', ws)
      .where('event', '=', tr.event)
      .where('type', '=', 'track')
      .where((eb) => eb.or([eb('timestamp', '>', after[0]), eb.and([eb('timestamp', '=', after[0]), eb('message_id', '>', after[1])])]))
      .orderBy('timestamp')
      .orderBy('message_id')
      .limit(PAGE)
      .execute();
    const cs: EntryCandidate[] = [];
    for (const r of rows) {
      const props = parseJson<{ properties?: unknown }>(r.payload).properties;
      if (!matchesFilters(props, tr.where)) continue;
      cs.push({
        subjectId: r.profile_id,
        kind: 'profile',
        entryKey: `event:${r.message_id}`,
        context: { event: { name: tr.event, messageId: r.message_id, timestamp: new Date(r.timestamp).toISOString(), properties: props ?? {} } },
      });
    }
    await enter(cs);
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    after = [last.timestamp, last.message_id];
  }
}

async function segmentChanges(
  trx: Kysely<JDB>,
  ws: string,
  type: 'segment_entered' | 'segment_exited',
  segmentId: string,
  from: number,
): Promise<EntryCandidate[]> {
  const out: EntryCandidate[] = [];
  if (type === 'segment_entered') {
    // Rows of a listened segment (marked when this journey was published) are in the entry-time index.
    const current = await trx
      .selectFrom('segment_members')
      .select(['profile_id', 'entered_at'])
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', segmentId)
      .where('entered_at', '>', from)
      // A literal, not a parameter: SQLite uses a partial index only for terms it can match as written.
      .where('listened', '=', sql.lit(1))
      .execute();
    const left = await trx
      .selectFrom('segment_member_history')
      .select(['profile_id', 'entered_at'])
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', segmentId)
      .where('exited_at', '>', from)
      .where('entered_at', '>', from)
      .where('reason', '!=', 'merged')
      .execute();
    for (const r of [...current, ...left]) {
      out.push({
        subjectId: r.profile_id,
        kind: 'profile',
        entryKey: `segment_entered:${segmentId}:${r.entered_at}`,
        context: { segment: { id: segmentId, enteredAt: new Date(r.entered_at).toISOString() } },
      });
    }
  } else {
    const rows = await trx
      .selectFrom('segment_member_history')
      .select(['profile_id', 'exited_at'])
      .where('workspace_id', '=', ws)
      .where('segment_id', '=', segmentId)
      .where('exited_at', '>', from)
      .where('reason', '!=', 'merged')
      .execute();
    for (const r of rows) {
      out.push({
        subjectId: r.profile_id,
        kind: 'profile',
        entryKey: `segment_exited:${segmentId}:${r.exited_at}`,
        context: { segment: { id: segmentId, exitedAt: new Date(r.exited_at).toISOString() } },
      });
    }
  }
  return out;
}

/** Profiles whose date trait has its anniversary (or turns N months) today; a SQL prefilter on the day, the exact check in memory. */
async function enterByDate(
  trx: Kysely<JDB>,
  deps: JourneyDeps,
  ws: string,
  tr: Extract<Trigger, { type: 'date' }>,
  today: string,
  enter: (cs: EntryCandidate[]) => Promise<void>,
): Promise<void> {
  const text = deps.database.dialect.jsonText('p.traits', tr.trait);
  const cond =
    tr.kind === 'anniversary'
      ? sql`substr(${text}, 6, 5) in (${sql.join(anniversaryMonthDays(today))})`
      : sql`substr(${text}, 9, 2) in (${sql.join(monthAgeDays(today))})`;
  let after = '';
  for (;;) {
    const rows = await sql<{ id: string; v: string | null }>`select p.id, ${text} as v from profiles as p
      where p.workspace_id = ${ws} and p.merged_into is null and p.id > ${after} and ${cond} order by p.id limit ${PAGE}`.execute(trx);
    const cs: EntryCandidate[] = [];
    for (const r of rows.rows) {
      const date = traitDate(r.v);
      if (!date) continue;
      if (tr.kind === 'anniversary') {
        if (!isAnniversary(date, today)) continue;
        cs.push({
          subjectId: r.id,
          kind: 'profile',
          entryKey: `date:${today}`,
          context: { date: { trait: tr.trait, value: date, today, years: Number(today.slice(0, 4)) - Number(date.slice(0, 4)) } },
        });
      } else {
        const months = monthAgeOn(date, today);
        if (months === undefined || months < (tr.fromMonths ?? 1) || months > (tr.toMonths ?? 36)) continue;
        cs.push({ subjectId: r.id, kind: 'profile', entryKey: `date:${today}`, context: { date: { trait: tr.trait, value: date, today, months } } });
      }
    }
    await enter(cs);
    if (rows.rows.length < PAGE) return;
    after = rows.rows[rows.rows.length - 1]!.id;
  }
}

/** The latest occurrence of a schedule at or before now (today's or an earlier day's), in the workspace zone. */
export function lastOccurrence(tr: Extract<Trigger, { type: 'schedule' }>, now: number, zone: string): number | undefined {
  const today = localDate(now, zone);
  for (let back = 0; back <= 7; back++) {
    const date = addDays(today, -back);
    const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    if (tr.every === 'week' && !tr.weekdays!.includes(weekday)) continue;
    const at = localTimeOn(date, tr.at, zone);
    if (at <= now) return at;
  }
  return undefined;
}

async function audienceGroups(trx: Kysely<JDB>, ws: string, g: { chatIds?: string[]; nameContains?: string }): Promise<string[]> {
  if (g.chatIds && !g.nameContains) return g.chatIds;
  let q = trx.selectFrom('scrm_groups').select('chat_id').where('workspace_id', '=', ws).where('status', '=', 'active');
  if (g.chatIds) q = q.where('chat_id', 'in', g.chatIds);
  if (g.nameContains) q = q.where('name', 'like', `%${g.nameContains.replace(/[\\%_]/g, '')}%`);
  return (await q.orderBy('chat_id').execute()).map((r) => r.chat_id);
}
