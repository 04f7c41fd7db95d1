/**
 * One runner per trigger type: what a workspace's trigger pass does for one active journey (see
 * triggers.ts). Each reads what happened since its cursor (or decides whether today's date or the
 * schedule's occurrence is due) and enters the subjects with keys derived from what triggered them.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Logger } from 'pino';
import { pageLiveProfilesByTrait, trackEventsAfter } from '../cdp/index.js';
import type { Dialect } from '../platform/db/database.js';
import { addDays, localDate } from '../platform/time.js';
import { segmentEntriesSince, segmentExitsSince, segmentMemberPage } from '../segments/index.js';
import type { Conn } from './db.js';
import type { ActiveGroupChatIds } from './deps.js';
import { type Definition, isGroupJourney, type TriggerOf, type TriggerType } from './definition.js';
import type { EntryCandidate } from './enter.js';
import { anniversaryMonthDays, isAnniversary, localTimeOn, matchesFilters, monthAgeDays, monthAgeOn, traitDate } from './timing.js';

/** How far back each cursor pass re-reads, for transactions that committed after the last pass. */
export const OVERLAP_MS = 60_000;
const PAGE = 2000;

/** A journey that takes entries now (active, published). */
export interface ActiveJourney {
  id: string;
  version: number;
  publishedAt: number;
  definition: Definition;
}

/** One workspace's trigger pass: its transaction, clock reading, zone, the trigger row's state, and how to enter. */
export interface TriggerRun {
  trx: Conn;
  dialect: Dialect;
  ws: string;
  now: number;
  zone: string;
  cursors: Record<string, number>;
  days: Record<string, string>;
  runs: Record<string, number>;
  /** The port to scrm's active customer groups (a `wecom_group` audience named by a name filter needs it). */
  activeGroupChatIds: ActiveGroupChatIds | undefined;
  log: Logger;
}

/** Runs one journey's trigger of type T; `key` names its state (`<journey id>:<version>`), `enter` enters candidates. */
type TriggerRunner<T extends TriggerType> = (
  run: TriggerRun,
  j: ActiveJourney,
  tr: TriggerOf<T>,
  key: string,
  enter: (cs: EntryCandidate[]) => Promise<void>,
) => Promise<void>;

/** Where a cursor pass starts reading: the cursor less the overlap, never before the version's publish time. */
const cursorFrom = (run: TriggerRun, j: ActiveJourney, key: string) => Math.max((run.cursors[key] ?? j.publishedAt) - OVERLAP_MS, j.publishedAt);

/** Event trigger: new track events of the name by event time (offline batches dated earlier do not trigger, deliberately). */
const runEventTrigger: TriggerRunner<'event'> = async (run, j, tr, key, enter) => {
  let after = { timestamp: cursorFrom(run, j, key), messageId: '' };
  for (;;) {
    const rows = await trackEventsAfter(run.trx, run.ws, tr.event, after, PAGE);
    const cs: EntryCandidate[] = [];
    for (const r of rows) {
      const properties = r.payload.properties;
      if (!matchesFilters(properties, tr.where)) continue;
      cs.push({
        subjectId: r.profileId,
        kind: 'profile',
        entryKey: `event:${r.messageId}`,
        context: { event: { name: tr.event, messageId: r.messageId, timestamp: new Date(r.timestamp).toISOString(), properties: properties ?? {} } },
      });
    }
    await enter(cs);
    if (rows.length < PAGE) break;
    const last = rows[rows.length - 1]!;
    after = { timestamp: last.timestamp, messageId: last.messageId };
  }
  run.cursors[key] = run.now;
};

/** Segment entered: current members by entry time, and departed members who entered after the cursor. */
const runSegmentEntered: TriggerRunner<'segment_entered'> = async (run, j, tr, key, enter) => {
  const rows = await segmentEntriesSince(run.trx, run.ws, tr.segmentId, cursorFrom(run, j, key));
  await enter(
    rows.map((r) => ({
      subjectId: r.profileId,
      kind: 'profile' as const,
      entryKey: `segment_entered:${tr.segmentId}:${r.enteredAt}`,
      context: { segment: { id: tr.segmentId, enteredAt: new Date(r.enteredAt).toISOString() } },
    })),
  );
  run.cursors[key] = run.now;
};

/** Segment exited: departures by exit time (merges excluded). */
const runSegmentExited: TriggerRunner<'segment_exited'> = async (run, j, tr, key, enter) => {
  const rows = await segmentExitsSince(run.trx, run.ws, tr.segmentId, cursorFrom(run, j, key));
  await enter(
    rows.map((r) => ({
      subjectId: r.profileId,
      kind: 'profile' as const,
      entryKey: `segment_exited:${tr.segmentId}:${r.exitedAt}`,
      context: { segment: { id: tr.segmentId, exitedAt: new Date(r.exitedAt).toISOString() } },
    })),
  );
  run.cursors[key] = run.now;
};

/** The entry of a profile whose date trait has its anniversary (or turns N months) today, if it does. */
function dateCandidate(tr: TriggerOf<'date'>, id: string, v: string | null, today: string): EntryCandidate | undefined {
  const date = traitDate(v);
  if (!date) return undefined;
  if (tr.kind === 'anniversary') {
    if (!isAnniversary(date, today)) return undefined;
    const years = Number(today.slice(0, 4)) - Number(date.slice(0, 4));
    return { subjectId: id, kind: 'profile', entryKey: `date:${today}`, context: { date: { trait: tr.trait, value: date, today, years } } };
  }
  const months = monthAgeOn(date, today);
  if (months === undefined || months < (tr.fromMonths ?? 1) || months > (tr.toMonths ?? 36)) return undefined;
  return { subjectId: id, kind: 'profile', entryKey: `date:${today}`, context: { date: { trait: tr.trait, value: date, today, months } } };
}

/** Date trigger: once per local day, profiles whose date trait's day is today (a SQL prefilter on the day, the exact check in memory). */
const runDateTrigger: TriggerRunner<'date'> = async (run, _j, tr, key, enter) => {
  const today = localDate(run.now, run.zone);
  if (run.days[key] === today) return;
  // A SQL prefilter on the trait text's month-day (characters 6-10) or day (9-10).
  const part = tr.kind === 'anniversary' ? { from: 6, length: 5, values: anniversaryMonthDays(today) } : { from: 9, length: 2, values: monthAgeDays(today) };
  const where = (text: RawBuilder<string | null>) => sql`substr(${text}, ${sql.lit(part.from)}, ${sql.lit(part.length)}) in (${sql.join(part.values)})`;
  let after = '';
  for (;;) {
    const rows = await pageLiveProfilesByTrait(run.trx, run.dialect, run.ws, { trait: tr.trait, after, limit: PAGE, where });
    const cs: EntryCandidate[] = [];
    for (const r of rows) {
      const c = dateCandidate(tr, r.id, r.value, today);
      if (c) cs.push(c);
    }
    await enter(cs);
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.id;
  }
  run.days[key] = today;
};

/** The latest occurrence of a schedule at or before now (today's or an earlier day's), in the workspace zone. */
export function lastOccurrence(tr: TriggerOf<'schedule'>, now: number, zone: string): number | undefined {
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

/**
 * The chat ids a WeCom groups audience names (listed ids are taken as they are unless a name filter
 * applies); undefined when the audience needs scrm's groups and the port is not wired.
 */
async function audienceGroups(run: TriggerRun, g: { chatIds?: string[]; nameContains?: string }): Promise<string[] | undefined> {
  if (g.chatIds && !g.nameContains) return g.chatIds;
  if (!run.activeGroupChatIds) return undefined;
  return run.activeGroupChatIds(run.trx, run.ws, g);
}

/** Schedule trigger: each occurrence once, for the segment's members (page by page) or the WeCom groups. */
const runScheduleTrigger: TriggerRunner<'schedule'> = async (run, j, tr, key, enter) => {
  const due = lastOccurrence(tr, run.now, run.zone);
  const last = run.runs[key] ?? j.publishedAt;
  if (due === undefined || due <= last) return;
  const entry = { entryKey: `schedule:${new Date(due).toISOString()}`, context: { schedule: { at: new Date(due).toISOString() } } };
  if (isGroupJourney(j.definition)) {
    const groups = await audienceGroups(run, (tr.audience as { wecomGroups: { chatIds?: string[]; nameContains?: string } }).wecomGroups);
    if (!groups) {
      // Not marked as run: the occurrence is taken once the port is wired (a wiring fault, not the user's).
      run.log.error({ workspaceId: run.ws, journeyId: j.id }, 'journeys: a WeCom group audience needs the activeGroupChatIds port, which is not wired');
      return;
    }
    await enter(groups.map((chatId) => ({ subjectId: chatId, kind: 'wecom_group' as const, ...entry })));
  } else {
    const segmentId = (tr.audience as { segmentId: string }).segmentId;
    let after = '';
    for (;;) {
      const ids = await segmentMemberPage(run.trx, run.ws, segmentId, after, PAGE);
      await enter(ids.map((id) => ({ subjectId: id, kind: 'profile' as const, ...entry })));
      if (ids.length < PAGE) break;
      after = ids[ids.length - 1]!;
    }
  }
  run.runs[key] = due;
};

/** One runner per trigger type (manual journeys are entered by the API only). */
const TRIGGER_RUNNERS: { [T in TriggerType]: TriggerRunner<T> } = {
  event: runEventTrigger,
  segment_entered: runSegmentEntered,
  segment_exited: runSegmentExited,
  date: runDateTrigger,
  schedule: runScheduleTrigger,
  manual: async () => {},
};

/** Runs one active journey's trigger in the workspace pass. */
export function runTrigger(run: TriggerRun, j: ActiveJourney, enter: (cs: EntryCandidate[]) => Promise<void>): Promise<void> {
  const tr = j.definition.trigger;
  // The table is keyed by type, so the runner found takes exactly this trigger.
  return (TRIGGER_RUNNERS[tr.type] as TriggerRunner<TriggerType>)(run, j, tr, `${j.id}:${j.version}`, enter);
}
